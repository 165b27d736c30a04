// Every base-model HF fixture case through the CPU backend (fp32 ≤ 1e-4 + 1e-4·|ref|), plus the f16 compute path.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases, relativeError, runFixtureCase } from "@deberta-js/core/testing";
import { CpuBackend } from "../src/index.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });
const backend = new CpuBackend();

defineParitySuite({ describe, it, expect }, { name: "cpu backend, fp32", root, cases, backend: async () => backend });

describe("cpu backend, f16 compute", () => {
  for (const c of cases.filter((c) => c.fixture === "tiny-v3" && c.name.startsWith("fp16/"))) {
    it(`${c.fixture}/${c.name} within 2e-2 relative`, async () => {
      const { actual } = await runFixtureCase(root, c, { backend, dtype: "f16" });
      const err = relativeError(actual.last_hidden_state.data, c.outputs.last_hidden_state.data);
      expect(err).toBeLessThan(2e-2);
    });
  }
});
