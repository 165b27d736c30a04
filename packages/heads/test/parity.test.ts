// Every fixture case — base model and all five heads — through `headsRunner`, fp32, on the test backend:
// |a − r| ≤ 1e-4 + 1e-4·|r| on every element (padded positions included).
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { type FixtureCase, defineParitySuite, loadFixtureCases, runFixtureCase } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import { headsRunner } from "../src/testing.js";
import { testBackend } from "./backend.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const all = await loadFixtureCases(root);
// long-v3 (base model only, up to 512 tokens) is left to core's suite to keep this one quick.
const heads = all.filter((c) => c.model_class !== "DebertaV2Model");
const base = all.filter((c: FixtureCase) => c.model_class === "DebertaV2Model" && c.fixture !== "long-v3");

defineParitySuite({ describe, it, expect }, { name: "heads parity (fp32)", root, cases: heads, backend: testBackend, runner: headsRunner });
defineParitySuite({ describe, it, expect }, { name: "base parity through headsRunner (fp32)", root, cases: base, backend: testBackend, runner: headsRunner });

describe("parity summary", () => {
  it("covers every head class of the fixtures and reports the max error", async () => {
    const classes = new Set(heads.map((c) => c.model_class));
    expect([...classes].sort()).toEqual([
      "DebertaV2ForMaskedLM",
      "DebertaV2ForMultipleChoice",
      "DebertaV2ForQuestionAnswering",
      "DebertaV2ForSequenceClassification",
      "DebertaV2ForTokenClassification",
    ]);
    const backend = await testBackend();
    let max = 0;
    for (const c of heads) {
      const { comparison } = await runFixtureCase(root, c, { backend, runner: headsRunner });
      max = Math.max(max, comparison.maxAbsError);
    }
    console.log(`heads: ${heads.length} cases on ${backend.name}, max |a − r| = ${max.toExponential(3)}`);
    expect(max).toBeLessThan(1e-4);
  });
});
