// `quantize_embeddings`: the word-embedding table stored int8 row-wise (one scale per row), only gathered rows
// dequantized. Checked against the fp32 model on the tiny-v3 fixture cases, against the table itself (per-element
// bound of row-wise int8), and for option validation, and resident bytes (saving: embeddings-save.test.ts).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DebertaError, DebertaV2Model, InputError, QuantizedWeight, dequantize, loadStateDict } from "../../src/index.js";
import { directoryFiles } from "../../src/node/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { FIXTURES } from "../fixtures.js";

const dir = join(FIXTURES, "tiny-v3");
const files = directoryFiles(dir);
const backend = new HostBackend({ name: "host-qemb" });
const quiet = { warn: () => {} };
const cases = (await import("node:fs")).readFileSync(join(dir, "cases.json"), "utf8");
const fp32Cases = (JSON.parse(cases) as Array<{ name: string; model_class: string; weights: string; inputs: Record<string, number[][]> }>).filter(
  (c) => c.model_class === "DebertaV2Model" && c.weights === "model.safetensors",
);

async function hidden(m: DebertaV2Model, inputs: Record<string, number[][]>): Promise<Float32Array> {
  const { last_hidden_state } = await m.forward(inputs);
  const d = (await last_hidden_state.data()) as Float32Array;
  last_hidden_state.dispose();
  return d;
}

describe("quantize_embeddings (int8 row-wise word embeddings)", () => {
  it("stores the table int8 with one scale per row, each element within the row-wise int8 bound of fp32", async () => {
    const m = await DebertaV2Model.fromPretrained(files, { backend, quantize_embeddings: true, ...quiet });
    const w = m.embeddings.wordEmbeddings;
    expect(w).toBeInstanceOf(QuantizedWeight);
    const q = w as QuantizedWeight;
    expect([q.layout, q.outFeatures, q.inFeatures]).toEqual(["int8", 1000, 32]);
    const table = (await loadStateDict(files)).stateDict.get("embeddings.word_embeddings.weight")!.data as Float32Array;
    const deq = dequantize(await q.toHost());
    const K = 32;
    for (let r = 0; r < 1000; r++) {
      let absmax = 0;
      for (let k = 0; k < K; k++) absmax = Math.max(absmax, Math.abs(table[r * K + k]));
      for (let k = 0; k < K; k++) {
        const x = table[r * K + k];
        // half a code step (absmax/127/2) plus bnb's f16 rounding of the weight before quantizing (2^-11 relative)
        expect(Math.abs(deq[r * K + k] - x), `row ${r} col ${k}`).toBeLessThanOrEqual(absmax / 254 + Math.abs(x) * 2 ** -11 + 1e-7);
      }
    }
    m.dispose();
  });

  it("last_hidden_state stays close to fp32 on every fixture case; resident bytes drop by the table's 3/4", async () => {
    const ref = await DebertaV2Model.fromPretrained(files, { backend, ...quiet });
    const q = await DebertaV2Model.fromPretrained(files, { backend, quantizeEmbeddings: true, ...quiet }); // alias
    expect(fp32Cases.length).toBeGreaterThanOrEqual(4);
    for (const c of fp32Cases) {
      const a = await hidden(q, c.inputs);
      const r = await hidden(ref, c.inputs);
      let dot = 0, na = 0, nr = 0, maxAbs = 0;
      for (let i = 0; i < r.length; i++) {
        dot += a[i] * r[i];
        na += a[i] * a[i];
        nr += r[i] * r[i];
        maxAbs = Math.max(maxAbs, Math.abs(a[i] - r[i]));
      }
      const cosine = dot / Math.sqrt(na * nr);
      // Row-wise int8 perturbs each embedding element by ≤ absmax/254 (≈ 0.4% of the row's largest entry); after
      // the embedding LayerNorm (unit-variance rows) that is an O(1e-2) perturbation, which two layers carry through
      // without amplification. Measured on these cases: cosine ≥ 0.99998, max |Δ| ≤ 0.022, mean |Δ| ≈ 0.004; the bounds
      // below leave ~5× (cosine 1 − 1e-4, max |Δ| 0.05): a wrong scale or row would break both by orders of magnitude.
      expect(cosine, c.name).toBeGreaterThan(0.9999);
      expect(maxAbs, c.name).toBeLessThan(0.05);
      // and not identical: the quantized table is really used
      expect(maxAbs, c.name).toBeGreaterThan(0);
    }
    // fp32 table 1000×32×4 bytes → int8 codes 1000×32 + 1000 f32 scales
    expect(ref.residentWeightBytes - q.residentWeightBytes).toBe(1000 * 32 * 4 - (1000 * 32 + 1000 * 4));
    ref.dispose();
    q.dispose();
  });

  it("works with a quantized dtype and fp16 compute too (q8f16)", async () => {
    const q = await DebertaV2Model.fromPretrained(files, { backend, dtype: "q8f16", quantize_embeddings: true, ...quiet });
    const ref = await DebertaV2Model.fromPretrained(files, { backend, ...quiet });
    const a = await hidden(q, fp32Cases[0].inputs);
    const r = await hidden(ref, fp32Cases[0].inputs);
    let dot = 0, na = 0, nr = 0;
    for (let i = 0; i < r.length; i++) {
      dot += a[i] * r[i];
      na += a[i] * a[i];
      nr += r[i] * r[i];
    }
    expect(dot / Math.sqrt(na * nr)).toBeGreaterThan(0.995);
    q.dispose();
    ref.dispose();
  });

  it("rejects a non-boolean option value with a typed error naming it", async () => {
    await expect(DebertaV2Model.fromPretrained(files, { backend, quantize_embeddings: "yes" as never, ...quiet })).rejects.toThrow(InputError);
    await expect(DebertaV2Model.fromPretrained(files, { backend, quantize_embeddings: 1 as never, ...quiet })).rejects.toThrow(/quantize_embeddings/);
  });
});
