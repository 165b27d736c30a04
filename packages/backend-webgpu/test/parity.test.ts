/**
 * HF parity on WebGPU (Dawn): every case of every fixture — base model and all heads — in f32, each element
 * within 1e-4 + 1e-4·|ref| of the stored Hugging Face output (padded positions included), through the shared
 * parity suite. The worst error per case is printed at the end.
 */
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { type CaseRunner, type FixtureCase, compareOutputs, defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { headsRunner } from "@deberta-js/heads/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { availability, gpuBackend } from "./gpu.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root);

let backend: Promise<WebGpuBackend> | undefined;
const byInputs = new Map<unknown, FixtureCase>(cases.map((c) => [c.inputs, c]));
const worst: { name: string; maxAbsError: number }[] = [];

/** The heads runner, noting each case's largest |a − r|. */
const runner: CaseRunner = async (args) => {
  const out = await headsRunner(args);
  const c = byInputs.get(args.inputs);
  if (c) worst.push({ name: `${c.fixture}/${c.name}`, maxAbsError: compareOutputs(out, c.outputs).maxAbsError });
  return out;
};

afterAll(async () => {
  (await backend)?.destroy();
  if (worst.length) {
    const top = [...worst].sort((a, b) => b.maxAbsError - a.maxAbsError);
    console.log(
      `webgpu parity: ${worst.length} cases, max |a−r| ${top[0].maxAbsError.toExponential(2)} (${top[0].name}); ` +
        top
          .slice(0, 5)
          .map((w) => `${w.name} ${w.maxAbsError.toExponential(2)}`)
          .join(", "),
    );
  }
});

if (availability.available) {
  defineParitySuite({ describe, it, expect }, { name: "HF parity on webgpu (f32)", root, cases, backend: () => (backend ??= gpuBackend()), runner });
} else {
  describe.skip("HF parity on webgpu (no adapter)", () => it("skipped", () => {}));
}
