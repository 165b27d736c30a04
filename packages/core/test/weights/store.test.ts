import { describe, expect, it } from "vitest";
import { directoryFiles } from "../../src/node/files.js";
import { loadStateDict, WeightStore, type HostTensor, type StateDict } from "../../src/weights/index.js";
import { expectError, TINY } from "./helpers.js";

const t = (shape: number[], fill = 1): HostTensor => ({ dtype: "f32", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

describe("WeightStore", () => {
  it("finds names with or without the deberta. prefix and records use", async () => {
    const base = (await loadStateDict(directoryFiles(TINY))).stateDict;
    const head = (await loadStateDict(directoryFiles(`${TINY}/heads/DebertaV2ForSequenceClassification`))).stateDict;
    // base checkpoint into a head model (asks for deberta.*), head checkpoint into a base model (asks without)
    const s1 = new WeightStore(base);
    expect(s1.get("deberta.embeddings.word_embeddings.weight", [1000, 32]).data).toBe(base.get("embeddings.word_embeddings.weight")!.data);
    const s2 = new WeightStore(head);
    expect(s2.get("embeddings.word_embeddings.weight", [1000, 32]).data).toBe(head.get("deberta.embeddings.word_embeddings.weight")!.data);
    expect(s2.resolve("classifier.weight")).toBe("classifier.weight");
    // exact name wins when both exist
    const both: StateDict = new Map([["x.w", t([1], 1)], ["deberta.x.w", t([1], 2)]]);
    expect(new WeightStore(both).get("x.w").data[0]).toBe(1);
    expect(new WeightStore(both).get("deberta.x.w").data[0]).toBe(2);
  });

  it("a base model built from a head checkpoint warns once about the unused head keys", async () => {
    const head = (await loadStateDict(directoryFiles(`${TINY}/heads/DebertaV2ForSequenceClassification`))).stateDict;
    const s = new WeightStore(head, { location: "/models/seq" });
    for (const k of head.keys()) if (k.startsWith("deberta.")) s.get(k.slice("deberta.".length));
    const warnings: string[] = [];
    const report = s.finish({ warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\/models\/seq: \d+ checkpoint tensors were not used: /);
    expect(warnings[0]).toContain('"classifier.weight"');
    expect(warnings[0]).toContain('"pooler.dense.weight"');
    expect(report.unused.every((k) => !k.startsWith("deberta."))).toBe(true);
  });

  it("collects every missing tensor and throws one WEIGHTS_MISSING error from finish()", async () => {
    const s = new WeightStore(new Map([["a.weight", t([2, 2])]]), { location: "/m" });
    const p = s.get("encoder.layer.0.attention.self.query_proj.weight", [32, 32]);
    expect(p.shape).toEqual([32, 32]); // placeholder so the builder can go on
    expect(p.data.every((v) => v === 0)).toBe(true);
    s.get("encoder.layer.0.attention.self.query_proj.bias");
    s.get("a.weight", [2, 2]);
    expect(s.missingNames).toEqual(["encoder.layer.0.attention.self.query_proj.weight", "encoder.layer.0.attention.self.query_proj.bias"]);
    await expectError(
      () => s.finish(),
      "WEIGHTS_MISSING",
      "/m: the checkpoint lacks 2 tensors",
      '"encoder.layer.0.attention.self.query_proj.weight"',
      '"encoder.layer.0.attention.self.query_proj.bias"',
      '"deberta." prefix',
    );
  });

  it("optional() returns undefined and records nothing", () => {
    const s = new WeightStore(new Map([["a", t([1])]]));
    expect(s.optional("cls.predictions.decoder.weight")).toBeUndefined();
    expect(s.optional("a")).toBeDefined();
    expect(s.finish()).toEqual({ used: ["a"], unused: [] });
  });

  it("shape mismatch is WEIGHTS_INVALID naming tensor, expected and found shapes", async () => {
    const s = new WeightStore(new Map([["deberta.embeddings.word_embeddings.weight", t([1000, 32])]]), { location: "/m" });
    await expectError(
      () => s.get("embeddings.word_embeddings.weight", [128100, 32]),
      "WEIGHTS_INVALID",
      '/m: tensor "deberta.embeddings.word_embeddings.weight" (for "embeddings.word_embeddings.weight")',
      "has shape [1000, 32], expected [128100, 32]",
    );
  });

  it("legacy LayerNorm gamma/beta names; position_ids ignored; long unused lists truncated; cast to f16", () => {
    const sd: StateDict = new Map([
      ["deberta.embeddings.LayerNorm.gamma", t([4], 2)],
      ["deberta.embeddings.LayerNorm.beta", t([4], 3)],
      ["deberta.embeddings.position_ids", t([1, 4])],
    ]);
    for (let i = 0; i < 30; i++) sd.set(`extra.${i}`, t([1]));
    const s = new WeightStore(sd, { dtype: "f16", cast: true });
    const w = s.get("embeddings.LayerNorm.weight", [4]);
    expect(w.dtype).toBe("f16");
    expect(Array.from(w.data)).toEqual([0x4000, 0x4000, 0x4000, 0x4000]);
    expect(s.get("embeddings.LayerNorm.bias").dtype).toBe("f16");
    const warnings: string[] = [];
    const r = s.finish({ warn: (m) => warnings.push(m) });
    expect(r.unused).toHaveLength(30);
    expect(warnings[0]).toContain("30 checkpoint tensors were not used");
    expect(warnings[0]).toContain("... and 10 more");
    expect(warnings[0]).not.toContain("position_ids");
  });
});
