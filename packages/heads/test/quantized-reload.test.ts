// A folder written from a quantized model loads back, with no dtype, to the saved model's outputs bit for bit
// (on the CPU backend, whose q8 runs int8 activations). q8 folders say so in config.json
// (`quantization_config.deberta_js.activations`); without that marker int8 weights run with float activations
// (genuine bitsandbytes LLM.int8 checkpoints), which the last tests show gives different outputs.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QuantizedWeight } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { describe, expect, it } from "vitest";
import { DebertaV2ForMaskedLM } from "../src/index.js";
import { testBackend } from "./backend.js";

const MODELS = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const QUANT = fileURLToPath(new URL("../../../fixtures/quantized", import.meta.url));
const SRC = `${MODELS}/tiny-v3/heads/DebertaV2ForMaskedLM`;
const tmp = mkdtempSync(join(tmpdir(), "deberta-q-reload-"));
const inputs = { input_ids: [[1, 17, 42, 99, 2, 0], [1, 5, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]] };
const quiet = { warn: () => {} };

async function run(m: DebertaV2ForMaskedLM): Promise<{ logits: number[]; hidden: number[] }> {
  const out = await m.forward(inputs, { output_hidden_states: true });
  const logits = Array.from((await out.logits.data()) as Float32Array);
  const hidden: number[] = [];
  for (const h of out.hidden_states!) hidden.push(...((await h.data()) as Float32Array));
  return { logits, hidden };
}

const config = (dir: string) => JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
const activations = (m: DebertaV2ForMaskedLM) =>
  new Set([...m.parameters.named.values()].filter((w) => w instanceof QuantizedWeight && w.layout === "int8").map((w) => (w as QuantizedWeight).activations));

const CASES = [
  { name: "q8", dtype: "q8", embeddings: false, marker: true },
  { name: "q8 + quantize_embeddings", dtype: "q8", embeddings: true, marker: true },
  { name: "q4", dtype: "q4", embeddings: false, marker: false },
  { name: "nf4", dtype: "nf4", embeddings: false, marker: false },
  { name: "fp4", dtype: "fp4", embeddings: false, marker: false },
];

describe("quantized model → savePretrained → fromPretrained without dtype", () => {
  for (const c of CASES) {
    it(`${c.name}: bit-identical logits and hidden states; the marker is written only for q8`, async () => {
      const backend = await testBackend();
      const q = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(SRC), { backend, dtype: c.dtype, quantize_embeddings: c.embeddings, ...quiet });
      const out = join(tmp, c.name.replace(/\W+/g, "_"));
      await q.savePretrained(out);
      const qc = config(out).quantization_config;
      expect(qc.deberta_js?.activations).toBe(c.marker ? "int8-dynamic" : undefined);
      if (c.embeddings) expect(qc.deberta_js.quantized_embeddings).toBe("int8-row");
      const again = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(out), { backend, ...quiet });
      if (c.marker) expect(activations(again)).toEqual(new Set(["int8"]));
      const [a, r] = [await run(again), await run(q)];
      expect(a.logits.length).toBe(2 * 6 * 1000);
      expect(a.logits).toEqual(r.logits);
      expect(a.hidden).toEqual(r.hidden);
      q.dispose();
      again.dispose();
    });
  }

  it("q8: bitsandbytes' own config fields are exactly a bnb LLM.int8 checkpoint's, plus our namespaced key", async () => {
    const backend = await testBackend();
    const q = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(SRC), { backend, dtype: "q8", ...quiet });
    const out = join(tmp, "q8-fields");
    await q.savePretrained(out);
    q.dispose();
    const { deberta_js, ...bnb } = config(out).quantization_config;
    expect(deberta_js).toEqual({ activations: "int8-dynamic" });
    expect(bnb).toEqual(config(`${QUANT}/tiny-v3q-int8`).quantization_config);
  });

  it("q8 folder: removing the marker or an explicit fp32 dtype gives float activations (different outputs); dtype q8 the same", async () => {
    const backend = await testBackend();
    const q = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(SRC), { backend, dtype: "q8", ...quiet });
    const out = join(tmp, "q8-precedence");
    await q.savePretrained(out);
    const want = await run(q);
    q.dispose();

    const unmarked = join(tmp, "q8-unmarked");
    cpSync(out, unmarked, { recursive: true });
    const cfg = config(unmarked);
    delete cfg.quantization_config.deberta_js;
    writeFileSync(join(unmarked, "config.json"), JSON.stringify(cfg));
    const plain = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(unmarked), { backend, ...quiet });
    expect(activations(plain)).toEqual(new Set(["f32"]));
    const p = await run(plain);
    expect(p.logits).not.toEqual(want.logits);

    const fp32 = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(out), { backend, dtype: "fp32", ...quiet });
    expect(activations(fp32)).toEqual(new Set(["f32"]));
    expect((await run(fp32)).logits).toEqual(p.logits); // explicit dtype wins over the marker

    const q8 = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(unmarked), { backend, dtype: "q8", ...quiet });
    expect((await run(q8)).logits).toEqual(want.logits); // dtype q8 on the unmarked folder: int8 activations again
    for (const m of [plain, fp32, q8]) m.dispose();
  });
});
