// Regression tests for hostile weight/config files (issue 13): each case is a small file that used to decode to
// gigabytes, hang, or load differently from the reference readers. Every one must now fail fast with a typed error.
import { zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { DebertaV2Config } from "../../src/config.js";
import { memoryFiles } from "../../src/files.js";
import { DEFAULT_LIMITS, getLimits, resetLimits, setLimits } from "../../src/limits.js";
import { DebertaV2Model } from "../../src/model/deberta.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { bytesSource } from "../../src/weights/source.js";
import { loadStateDict, parseSafetensors, parseTorchCheckpoint, readTorchCheckpoint } from "../../src/weights/index.js";
import { WeightStore } from "../../src/weights/store.js";
import { expectError, f32Bytes, stateDictPickle, torchZip } from "../weights/helpers.js";

afterEach(() => resetLimits());

function rawSafetensors(headerText: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const entry = (begin: number, end: number, n = (end - begin) / 4) => ({ dtype: "F32", shape: [n], data_offsets: [begin, end] });

describe("pytorch_model.bin: views and zip entries cannot amplify memory", () => {
  it("a stride-0 view of a 1-element storage (size 2^28) is refused before anything is allocated", async () => {
    const pkl = stateDictPickle([{ key: "w", storageKey: "0", numel: 1, size: [2 ** 28], stride: [0] }]);
    const before = process.memoryUsage().rss;
    await expectError(parseTorchCheckpoint(torchZip(pkl, { "0": f32Bytes([1]) }), "stride0.bin"), "WEIGHTS_INVALID", "stride0.bin", '"w"', "stride-0");
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });

  it("a 2-D stride-0 broadcast of a small storage is refused too", async () => {
    const pkl = stateDictPickle([{ key: "w", storageKey: "0", numel: 4, size: [65536, 4], stride: [0, 1] }]);
    await expectError(parseTorchCheckpoint(torchZip(pkl, { "0": f32Bytes([1, 2, 3, 4]) }), "bcast.bin"), "WEIGHTS_INVALID", '"w"', "more than its storage");
  });

  it("hundreds of tensors aliasing one storage exceed the view budget", async () => {
    const tensors = Array.from({ length: 200 }, (_, i) => ({ key: `w${i}`, storageKey: "0", numel: 1024, size: [32, 32], stride: [1, 32] }));
    const zip = torchZip(stateDictPickle(tensors), { "0": f32Bytes(new Float32Array(1024)) });
    await expectError(parseTorchCheckpoint(zip, "alias.bin"), "WEIGHTS_INVALID", "alias.bin", "maxViewAmplification");
    // tied weights (two views of one storage) stay fine, and the limit can be raised for a trusted file
    const tied = torchZip(stateDictPickle(tensors.slice(0, 2)), { "0": f32Bytes(new Float32Array(1024)) });
    expect((await parseTorchCheckpoint(tied, "tied.bin")).tensors.size).toBe(2);
    setLimits({ maxViewAmplification: 1000 });
    expect((await parseTorchCheckpoint(zip, "alias.bin")).tensors.size).toBe(200);
  });

  it("zip central-directory entries aliasing one local entry are refused (overlap)", async () => {
    const pkl = stateDictPickle([
      { key: "a", storageKey: "0", numel: 4, size: [4] },
      { key: "b", storageKey: "1", numel: 4, size: [4] },
    ]);
    const zip = torchZip(pkl, { "0": f32Bytes([1, 2, 3, 4]), "1": f32Bytes([5, 6, 7, 8]) });
    // point the central entry of archive/data/1 at archive/data/0's local header
    const dv = new DataView(zip.buffer);
    const centrals: number[] = [];
    for (let i = 0; i + 4 <= zip.length; i++) if (dv.getUint32(i, true) === 0x02014b50) centrals.push(i);
    const nameAt = (p: number) => new TextDecoder().decode(zip.subarray(p + 46, p + 46 + dv.getUint16(p + 28, true)));
    const c0 = centrals.find((p) => nameAt(p) === "archive/data/0")!;
    const c1 = centrals.find((p) => nameAt(p) === "archive/data/1")!;
    dv.setUint32(c1 + 42, dv.getUint32(c0 + 42, true), true);
    await expectError(parseTorchCheckpoint(zip, "zipalias.bin"), "WEIGHTS_INVALID", "zipalias.bin", "overlaps");
  });

  it("a deflated entry claiming more than maxInflatedBytes is refused from the directory alone", async () => {
    const pkl = stateDictPickle([{ key: "w", storageKey: "0", numel: 4096, size: [4096] }]);
    const zip = zipSync({ "m/data.pkl": [pkl, { level: 0 }], "m/data/0": [new Uint8Array(16384), { level: 9 }] });
    await expectError(
      readTorchCheckpoint(bytesSource(zip, "bomb.bin"), { limits: { maxInflatedBytes: 4096 } }),
      "WEIGHTS_INVALID",
      "bomb.bin",
      "maxInflatedBytes",
    );
    expect((await readTorchCheckpoint(bytesSource(zip, "bomb.bin"))).tensors.get("w")!.shape).toEqual([4096]);
  });
});

describe("config.json: every dimension is bounded before allocation", () => {
  const base = { model_type: "deberta-v2", vocab_size: 100, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1 };
  it.each([
    ["num_hidden_layers", 30000, "maxLayers"],
    ["vocab_size", 2 ** 40, "maxVocabSize"],
    ["hidden_size", 2 ** 20, "maxHiddenSize"],
    ["intermediate_size", 2 ** 30, "maxHiddenSize"],
    ["max_position_embeddings", 2 ** 40, "maxPositions"],
    ["position_buckets", 2 ** 40, "maxPositions"],
    ["num_labels", 1e9, "maxVocabSize"],
  ])("%s = %d is a ConfigError naming the field and %s", (field, value, limit) => {
    const t0 = performance.now();
    const fields = field === "hidden_size" ? { hidden_size: value, num_attention_heads: 1 } : { [field]: value };
    expect(() => new DebertaV2Config({ ...base, ...fields }, "big/config.json")).toThrowError(new RegExp(`big/config.json: field "${field}".*${limit}`));
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("products of in-bounds dimensions are bounded too (vocab × embedding)", () => {
    expect(() => new DebertaV2Config({ ...base, vocab_size: 4_000_000, hidden_size: 65536, num_attention_heads: 1 })).toThrowError(/maxTensorElements/);
  });

  it("a negative or zero layer_norm_eps is refused (all-NaN outputs otherwise)", () => {
    expect(() => new DebertaV2Config({ ...base, layer_norm_eps: -1e-7 })).toThrowError(/layer_norm_eps" must be > 0/);
    expect(() => new DebertaV2Config({ ...base, layer_norm_eps: 0 })).toThrowError(/layer_norm_eps/);
  });

  it("an oversized config.json is refused before JSON.parse (by size where the source knows it, else by length)", async () => {
    // just over 16 MiB of `[{},{},…]`: valid JSON that JSON.parse would turn into ~0.5 GiB of objects
    const big = new TextEncoder().encode(`{"pad":[${"{},".repeat(5_600_000)}{}]}`);
    expect(big.length).toBeGreaterThan(DEFAULT_LIMITS.maxConfigBytes);
    expect(() => DebertaV2Config.fromJSON(big, "evil/config.json")).toThrowError(/evil\/config.json: \d+ bytes is too large for a config file.*maxConfigBytes/);
    const files = { ...memoryFiles({ "config.json": big }, "evil"), size: async () => big.length, read: async () => { throw new Error("read whole"); } };
    await expect(DebertaV2Model.fromPretrained(files, { backend: new HostBackend() })).rejects.toThrowError(/evil\/config.json: .*maxConfigBytes/);
    // a caller with a legitimately huge config raises the limit for one call (unknown keys are kept, HF defaults apply)
    expect(DebertaV2Config.fromJSON(big, "ok/config.json", { maxConfigBytes: 2 ** 26 })).toBeInstanceOf(DebertaV2Config);
  });

  it("limits can be raised per call and per process", () => {
    expect(new DebertaV2Config({ ...base, num_hidden_layers: 2000 }, "c", { maxLayers: 4096 }).num_hidden_layers).toBe(2000);
    setLimits({ maxLayers: 4096 });
    expect(new DebertaV2Config({ ...base, num_hidden_layers: 2000 }).num_hidden_layers).toBe(2000);
    resetLimits();
    expect(getLimits()).toEqual(DEFAULT_LIMITS);
    expect(() => setLimits({ maxLayers: -1 })).toThrowError(/positive/);
  });

  it("missing weights of a big config fail with WEIGHTS_MISSING before the placeholders reach maxPlaceholderBytes", async () => {
    const config = new DebertaV2Config({ ...base, hidden_size: 1024, num_attention_heads: 16, intermediate_size: 4096, num_hidden_layers: 1000 });
    const before = process.memoryUsage().rss;
    await expectError(() => DebertaV2Model.fromStateDict(config, new Map(), { backend: new HostBackend() }), "WEIGHTS_MISSING", "maxPlaceholderBytes");
    expect(process.memoryUsage().rss - before).toBeLessThan(768 * 2 ** 20);
    const store = new WeightStore(new Map());
    setLimits({ maxPlaceholderBytes: 64 });
    store.get("a", [4]);
    expect(() => store.get("b", [100])).toThrowError(/lacks 2 tensors.*"a", "b"/);
  });
});

describe("safetensors: as strict as the reference (Rust) reader", () => {
  const data = f32Bytes([1, 2, 3, 4]);
  const ok = JSON.stringify({ a: entry(0, 8), b: entry(8, 16) });
  it("(control) a tight file loads", () => {
    expect(parseSafetensors(rawSafetensors(ok, data), "ok.safetensors").tensors.size).toBe(2);
  });
  it.each([
    ["a hole between tensors", JSON.stringify({ a: entry(0, 4), b: entry(8, 16) }), data, "unused bytes before tensor \"b\""],
    ["trailing bytes", JSON.stringify({ a: entry(0, 8) }), data, "trailing bytes"],
    ["a duplicate key (last would win)", `{"a":${JSON.stringify(entry(8, 16))},"a":${JSON.stringify(entry(0, 8))},"b":${JSON.stringify(entry(8, 16))}}`, data, 'key "a" twice'],
    ["leading whitespace", ` ${ok}`, data, 'must start with "{"'],
    ["a UTF-8 BOM", `\uFEFF${ok}`, data, 'must start with "{"'],
    ["a hole before the first tensor", JSON.stringify({ a: entry(4, 8), b: entry(8, 16) }), data, "unused bytes"],
  ])("%s is rejected, or loaded with a warning when strict is false", (_what, header, bytes, msg) => {
    const f = rawSafetensors(header, bytes);
    expect(() => parseSafetensors(f, "lax.safetensors")).toThrowError(msg);
    const warnings: string[] = [];
    parseSafetensors(f, "lax.safetensors", { strict: false, onWarning: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toContain(msg);
  });
  it("through loadStateDict too", async () => {
    const files = memoryFiles({ "model.safetensors": rawSafetensors(JSON.stringify({ a: entry(0, 8) }), data) }, "/m");
    await expectError(loadStateDict(files), "WEIGHTS_INVALID", "/m/model.safetensors", "trailing bytes");
  });
});
