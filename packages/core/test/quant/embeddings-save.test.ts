// savePretrained of a model with int8 word embeddings (`quantize_embeddings`): deberta-js's own format
// (`<m>.int8_weight` I8 + `<m>.int8_scb` F32 + config.json's `quantization_config.deberta_js` marker). The written
// folder loads back — without asking for quantize_embeddings — to bit-identical outputs, with fp32 and with q8
// Linear weights; malformed tables fail with typed errors naming the tensor and file, and nothing partial is written.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DebertaError, DebertaV2Config, DebertaV2Model, QuantizedWeight, WeightsError, loadStateDict, parseSafetensors, quantizeWeight, writeSafetensors } from "../../src/index.js";
import { directoryFiles, writeRandomCheckpoint } from "../../src/node/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { FIXTURES } from "../fixtures.js";

const files = directoryFiles(join(FIXTURES, "tiny-v3"));
const backend = new HostBackend({ name: "host-qemb-save" });
const quiet = { warn: () => {} };
const tmp = mkdtempSync(join(tmpdir(), "deberta-qemb-save-"));
const inputs = { input_ids: [[1, 17, 42, 99, 2, 0], [1, 5, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]] };
const W = "embeddings.word_embeddings.int8_weight";
const S = "embeddings.word_embeddings.int8_scb";

async function hidden(m: DebertaV2Model): Promise<Float32Array> {
  const { last_hidden_state } = await m.forward(inputs);
  const d = (await last_hidden_state.data()) as Float32Array;
  last_hidden_state.dispose();
  return d;
}

/** The safetensors JSON header (dtypes as stored). */
function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** Saves tiny-v3 loaded with `quantize_embeddings` (and `dtype`) to `out`. */
async function saveQuantized(out: string, dtype?: string): Promise<DebertaV2Model> {
  const m = await DebertaV2Model.fromPretrained(files, { backend, quantize_embeddings: true, ...(dtype ? { dtype } : {}), ...quiet });
  await m.savePretrained(out);
  return m;
}

describe("savePretrained with int8 word embeddings (deberta-js format)", () => {
  for (const dtype of [undefined, "q8"]) {
    it(`${dtype ?? "fp32"} + embeddings: writes the int8 table and its scales, loads back bit-identical`, async () => {
      const out = join(tmp, `rt-${dtype ?? "fp32"}`);
      const model = await saveQuantized(out, dtype);
      const st = parseSafetensors(readFileSync(join(out, "model.safetensors")), "model.safetensors");
      expect(st.tensors.has("embeddings.word_embeddings.weight")).toBe(false);
      const header = headerOf(readFileSync(join(out, "model.safetensors")));
      expect([header[W].dtype, header[S].dtype]).toEqual(["I8", "F32"]);
      expect(st.tensors.get(W)!.shape).toEqual([1000, 32]);
      expect(st.tensors.get(S)!.shape).toEqual([1000]);
      // the stored codes and scales are the in-memory table's
      const host = await (model.embeddings.wordEmbeddings as QuantizedWeight).toHost();
      expect(Array.from(st.tensors.get(W)!.data as Float32Array)).toEqual(Array.from(new Int8Array(host.data.buffer, host.data.byteOffset, host.data.byteLength)));
      expect(Array.from(st.tensors.get(S)!.data as Float32Array)).toEqual(Array.from(host.scales));
      const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
      expect(config.quantization_config.deberta_js).toEqual(dtype === "q8" ? { quantized_embeddings: "int8-row", activations: "int8-dynamic" } : { quantized_embeddings: "int8-row" });
      expect(config.quantization_config.quant_method).toBe(dtype ? "bitsandbytes" : "deberta-js");
      // loaded back without quantize_embeddings: the table comes from the file, still int8; same numbers, same bytes
      const again = await DebertaV2Model.fromPretrained(directoryFiles(out), { backend, ...(dtype ? { dtype } : {}), ...quiet });
      expect(again.embeddings.wordEmbeddings).toBeInstanceOf(QuantizedWeight);
      const a = await hidden(again);
      const b = await hidden(model);
      expect(a.length).toBe(2 * 6 * 32);
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(again.residentWeightBytes).toBe(model.residentWeightBytes);
      // and it saves again to the same bytes
      const out2 = join(tmp, `rt2-${dtype ?? "fp32"}`);
      await again.savePretrained(out2);
      expect(Buffer.compare(readFileSync(join(out2, "model.safetensors")), readFileSync(join(out, "model.safetensors")))).toBe(0);
      model.dispose();
      again.dispose();
    });
  }

  for (const dtype of ["F32", "F16"] as const) {
    it(`the table quantized as it streams (${dtype} file, 4 MB row blocks, partial last block) equals quantizing it whole`, async () => {
      // 40000 × 32 fp32 rows = 5.1 MB: two blocks, the second partial (F16: 2.6 MB, one block)
      const cfg = { model_type: "deberta-v2", hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 37, vocab_size: 40000, relative_attention: true, position_buckets: 16, pos_att_type: ["p2c", "c2p"], position_biased_input: false, type_vocab_size: 0 };
      const dir = join(tmp, `big-vocab-${dtype}`);
      await writeRandomCheckpoint(dir, new DebertaV2Config(cfg), cfg, { format: "safetensors", dtype });
      const m = await DebertaV2Model.fromPretrained(directoryFiles(dir), { backend, quantize_embeddings: true, ...quiet });
      const got = await (m.embeddings.wordEmbeddings as QuantizedWeight).toHost();
      const table = (await loadStateDict(directoryFiles(dir))).stateDict.get("deberta.embeddings.word_embeddings.weight")!;
      const ref = quantizeWeight(table.data as Float32Array, 40000, 32, "int8");
      expect(Buffer.compare(Buffer.from(got.data), Buffer.from(ref.data))).toBe(0);
      expect(Array.from(got.scales)).toEqual(Array.from(ref.scales));
      expect(ref.scales[39999]).toBeGreaterThan(0);
      m.dispose();
    });
  }

  it("fromStateDict reads the int8 table from an in-memory state dict too", async () => {
    const out = join(tmp, "rt-sd");
    const model = await saveQuantized(out);
    const st = parseSafetensors(readFileSync(join(out, "model.safetensors")), "model.safetensors");
    const config = model.config;
    const m2 = DebertaV2Model.fromStateDict(config, st.tensors, { backend, ...quiet });
    expect(m2.embeddings.wordEmbeddings).toBeInstanceOf(QuantizedWeight);
    expect(Array.from(await hidden(m2))).toEqual(Array.from(await hidden(model)));
    model.dispose();
    m2.dispose();
  });

  describe("malformed int8 tables → typed errors naming the tensor and the file", () => {
    const src = join(tmp, "src-bad");
    const ready = saveQuantized(src).then((m) => m.dispose());

    /** A copy of the saved folder with its tensors edited (`edit` gets raw tensors by name) and config patched. */
    async function variant(name: string, edit: (t: Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>) => void, marker?: unknown): Promise<string> {
      await ready;
      const dir = join(tmp, name);
      mkdirSync(dir, { recursive: true });
      const st = parseSafetensors(readFileSync(join(src, "model.safetensors")), "model.safetensors");
      const t: Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }> = {};
      for (const [k, v] of st.tensors) {
        t[k] = k === W ? { dtype: "I8", shape: v.shape, data: Int8Array.from(v.data as Float32Array) } : { dtype: "F32", shape: v.shape, data: v.data as Float32Array };
      }
      edit(t);
      writeFileSync(join(dir, "model.safetensors"), writeSafetensors(t as never, { format: "pt" }));
      const config = JSON.parse(readFileSync(join(src, "config.json"), "utf8"));
      if (marker !== undefined) config.quantization_config.deberta_js = { quantized_embeddings: marker };
      writeFileSync(join(dir, "config.json"), JSON.stringify(config));
      return dir;
    }

    const load = (dir: string) => DebertaV2Model.fromPretrained(directoryFiles(dir), { backend, ...quiet });

    it("the table stored as F32 instead of I8", async () => {
      const dir = await variant("bad-dtype", (t) => (t[W] = { dtype: "F32", shape: t[W].shape, data: Float32Array.from(t[W].data) }));
      const err = await load(dir).catch((e) => e);
      expect(err).toBeInstanceOf(WeightsError);
      expect(err.message).toMatch(/model\.safetensors: tensor "embeddings\.word_embeddings\.int8_weight" has dtype F32.*expected I8/);
    });

    it("the scales stored as I8", async () => {
      const dir = await variant("bad-scale-dtype", (t) => (t[S] = { dtype: "I8", shape: t[S].shape, data: new Int8Array(1000) }));
      await expect(load(dir)).rejects.toThrow(/model\.safetensors: tensor "embeddings\.word_embeddings\.int8_scb" has dtype I8.*expected F32/);
    });

    it("a scale count that does not match the rows", async () => {
      const dir = await variant("bad-count", (t) => (t[S] = { dtype: "F32", shape: [999], data: new Float32Array(999).fill(1) }));
      const err = await load(dir).catch((e) => e);
      expect(err).toBeInstanceOf(WeightsError);
      expect(err.message).toMatch(/tensor "embeddings\.word_embeddings\.int8_scb" has shape \[999\], expected \[1000\]/);
      expect(err.message).toContain(dir);
    });

    it("a 1-D table, and a table of the wrong shape for the config", async () => {
      const flat = await variant("bad-rank", (t) => (t[W] = { ...t[W], shape: [32000] }));
      await expect(load(flat)).rejects.toThrow(/tensor "embeddings\.word_embeddings\.int8_weight" must be 2-D/);
      const narrow = await variant("bad-shape", (t) => (t[W] = { dtype: "I8", shape: [1000, 31], data: new Int8Array(31000) }));
      await expect(load(narrow)).rejects.toThrow(/int8 embedding table "embeddings\.word_embeddings\.int8_weight" has shape \[1000, 31\], expected \[1000, 32\]/);
    });

    it("a missing scale tensor, and a non-finite scale", async () => {
      const missing = await variant("no-scale", (t) => delete t[S]);
      const err = await load(missing).catch((e) => e);
      expect(err.code).toBe("WEIGHTS_MISSING");
      expect(err.message).toMatch(/lacks tensor "embeddings\.word_embeddings\.int8_scb"/);
      const nan = await variant("nan-scale", (t) => (t[S] = { ...t[S], data: Float32Array.from(t[S].data, (v, i) => (i === 7 ? NaN : v)) }));
      await expect(load(nan)).rejects.toThrow(/"embeddings\.word_embeddings\.int8_scb" element 7 is NaN/);
    });

    it("config.json's marker without the table, and an unknown marker", async () => {
      const none = await variant("marker-only", (t) => {
        delete t[W];
        delete t[S];
      });
      const err = await load(none).catch((e) => e);
      expect(err.code).toBe("WEIGHTS_MISSING");
      expect(err.message).toMatch(/quantized_embeddings "int8-row".*lacks tensor "embeddings\.word_embeddings\.int8_weight"/);
      const unknown = await variant("marker-unknown", () => {}, "int4-row");
      const e2 = await load(unknown).catch((e) => e);
      expect(e2).toBeInstanceOf(DebertaError);
      expect(e2.code).toBe("UNSUPPORTED");
      expect(e2.message).toMatch(/quantized_embeddings is "int4-row"/);
    });
  });

  it("a write that fails leaves no partial file and no new config.json behind", async () => {
    const model = await DebertaV2Model.fromPretrained(files, { backend, quantize_embeddings: true, ...quiet });
    // a file where the folder should be: creating the folder fails
    const blocked = join(tmp, "blocked");
    writeFileSync(blocked, "x");
    await expect(model.savePretrained(join(blocked, "out"))).rejects.toThrow(WeightsError);
    // moving model.safetensors into place fails (a non-empty folder sits at its name): config.json, renamed last, must
    // not be in place, and no temporary file may be left
    const out = join(tmp, "half");
    mkdirSync(join(out, "model.safetensors", "x"), { recursive: true });
    const err = await model.savePretrained(out).catch((e) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect(err.message).toMatch(/model\.safetensors/);
    expect(readdirSync(out)).toEqual(["model.safetensors"]);
    model.dispose();
  });
});
