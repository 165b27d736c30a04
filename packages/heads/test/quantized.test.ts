// bitsandbytes checkpoints through every class loader and pipeline(): the seq-cls fixture (NF4 + double quant,
// quantized pooler, float classifier) within 1e-4 + 1e-4·|ref|; the base fixtures through headsRunner.
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { QuantizedWeight } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { AutoModel, DebertaV2ForSequenceClassification, DebertaV2ForTokenClassification } from "../src/index.js";
import { headsRunner } from "../src/testing.js";
import { testBackend } from "./backend.js";

const ROOT = fileURLToPath(new URL("../../../fixtures/quantized", import.meta.url));
const root = directoryFiles(ROOT);
const cases = await loadFixtureCases(root);

it("has base and head cases", () => {
  expect(cases.filter((c) => c.model_class === "DebertaV2ForSequenceClassification").length).toBe(3);
  expect(cases.length).toBe(12);
});
defineParitySuite({ describe, it, expect }, { name: "bitsandbytes checkpoints through headsRunner", root, cases, backend: testBackend, runner: headsRunner });

describe("quantized loading of head classes", () => {
  it("keeps the pooler quantized and the classifier float (as the file has them)", async () => {
    const m = await DebertaV2ForSequenceClassification.fromPretrained(directoryFiles(`${ROOT}/tiny-v3q-seqcls-nf4-dq`), { backend: await testBackend(), warn: () => {} });
    const map = m.parameters.named;
    expect(map.get("pooler.dense.weight")).toBeInstanceOf(QuantizedWeight);
    expect(map.get("classifier.weight")).not.toBeInstanceOf(QuantizedWeight);
    m.dispose();
  });

  it("loads a 4-bit base checkpoint into a token classifier (head newly initialized) and through AutoModel", async () => {
    const files = directoryFiles(`${ROOT}/tiny-v3q-nf4-dq`);
    const warnings: string[] = [];
    const tok = await DebertaV2ForTokenClassification.fromPretrained(files, { backend: await testBackend(), warn: (w) => warnings.push(w) });
    const out = await tok.forward({ input_ids: [[1, 5, 9, 2]] });
    expect(out.logits.shape).toEqual([1, 4, 2]);
    expect(warnings.some((w) => /classifier/.test(w))).toBe(true);
    tok.dispose();
    const auto = await AutoModel.fromPretrained(files, { backend: await testBackend(), warn: () => {} });
    auto.dispose();
  });
});
