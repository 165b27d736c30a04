import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { f32ToF16Bits } from "../../src/dtype.js";
import { memoryFiles } from "../../src/files.js";
import { directoryFiles } from "../../src/node/files.js";
import { loadStateDict, parseSafetensors, writeSafetensors, type HostTensor } from "../../src/weights/index.js";
import { expectError, TINY } from "./helpers.js";

const f32File = () => readFileSync(`${TINY}/model.safetensors`);

function u8(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** float32 → bfloat16 bits, round to nearest even. */
function bf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A safetensors file from a raw header object and data bytes (for malformed cases). */
function rawFile(header: unknown, data: Uint8Array, headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLen ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors: tiny-v3 fixtures", () => {
  it("loads the F32 file with the expected keys and shapes", async () => {
    const { stateDict, files, sourceDtypes, format } = await loadStateDict(directoryFiles(TINY));
    expect(files).toEqual(["model.safetensors"]);
    expect(format).toBe("safetensors");
    expect([...sourceDtypes]).toEqual(["F32"]);
    const we = stateDict.get("embeddings.word_embeddings.weight")!;
    expect(we.dtype).toBe("f32");
    expect(we.shape).toEqual([1000, 32]);
    expect(we.data.length).toBe(32000);
    expect(stateDict.get("encoder.layer.1.output.dense.weight")!.shape).toEqual([32, 64]);
    for (const [name, t] of stateDict) {
      expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
      expect(Array.from(t.data as Float32Array).every(Number.isFinite), name).toBe(true);
    }
  });

  it("parseSafetensors on the whole file equals the ranged loader", async () => {
    const whole = parseSafetensors(u8(f32File()), "model.safetensors");
    const ranged = (await loadStateDict(directoryFiles(TINY))).stateDict;
    expect([...whole.tensors.keys()].sort()).toEqual([...ranged.keys()].sort());
    for (const [k, t] of whole.tensors) expect(t.data, k).toEqual(ranged.get(k)!.data);
    expect(whole.metadata).toEqual({ format: "pt" });
  });

  it("F16 variant: kept as f16 bits equal to RNE(F32); as f32 within half precision", async () => {
    const base = (await loadStateDict(directoryFiles(TINY))).stateDict;
    const half = await loadStateDict(directoryFiles(TINY), { variant: "fp16", dtype: "f16" });
    expect(half.files).toEqual(["model.fp16.safetensors"]);
    expect([...half.sourceDtypes]).toEqual(["F16"]);
    expect(half.stateDict.size).toBe(base.size);
    for (const [k, t] of half.stateDict) {
      expect(t.dtype).toBe("f16");
      const ref = base.get(k)!.data as Float32Array;
      const bits = t.data as Uint16Array;
      for (let i = 0; i < ref.length; i++) if (bits[i] !== f32ToF16Bits(ref[i])) throw new Error(`${k}[${i}]`);
    }
    const asF32 = (await loadStateDict(directoryFiles(TINY), { variant: "fp16" })).stateDict;
    for (const [k, t] of asF32) {
      const ref = base.get(k)!.data as Float32Array;
      const d = t.data as Float32Array;
      for (let i = 0; i < ref.length; i++) {
        if (Math.abs(d[i] - ref[i]) > Math.abs(ref[i]) * 2 ** -11 + 2 ** -24) throw new Error(`${k}[${i}] ${d[i]} vs ${ref[i]}`);
      }
    }
  });

  it("BF16 variant loads to f32 exactly (values equal RNE-to-bf16 of F32)", async () => {
    const base = (await loadStateDict(directoryFiles(TINY))).stateDict;
    const bf = await loadStateDict(directoryFiles(TINY), { variant: "bf16" });
    expect([...bf.sourceDtypes]).toEqual(["BF16"]);
    for (const [k, t] of bf.stateDict) {
      expect(t.dtype).toBe("f32");
      const ref = base.get(k)!.data as Float32Array;
      const bits = new Uint32Array((t.data as Float32Array).slice().buffer);
      for (let i = 0; i < ref.length; i++) {
        if (bits[i] & 0xffff || bits[i] >>> 16 !== bf16Bits(ref[i])) throw new Error(`${k}[${i}]`);
      }
    }
    // BF16 → f16 goes through f32 (one rounding)
    const bfHalf = await loadStateDict(directoryFiles(TINY), { variant: "bf16", dtype: "f16" });
    const w = bfHalf.stateDict.get("embeddings.LayerNorm.weight")!;
    const wf = bf.stateDict.get("embeddings.LayerNorm.weight")!.data as Float32Array;
    expect(w.dtype).toBe("f16");
    expect(Array.from(w.data)).toEqual(Array.from(wf, f32ToF16Bits));
  });

  it("F32 → f16 conversion rounds to nearest even", async () => {
    const base = (await loadStateDict(directoryFiles(TINY))).stateDict;
    const h = (await loadStateDict(directoryFiles(TINY), { dtype: "f16" })).stateDict;
    const fp16 = (await loadStateDict(directoryFiles(TINY), { variant: "fp16", dtype: "f16" })).stateDict;
    for (const [k, t] of h) {
      expect(t.dtype).toBe("f16");
      expect(t.data, k).toEqual(fp16.get(k)!.data); // torch's .half() is RNE too
      expect(t.shape).toEqual(base.get(k)!.shape);
    }
  });

  it("head checkpoints carry the backbone under the deberta. prefix, equal to the base file", async () => {
    const base = (await loadStateDict(directoryFiles(TINY))).stateDict;
    for (const head of ["DebertaV2ForMaskedLM", "DebertaV2ForSequenceClassification", "DebertaV2ForTokenClassification", "DebertaV2ForQuestionAnswering", "DebertaV2ForMultipleChoice"]) {
      const sd = (await loadStateDict(directoryFiles(`${TINY}/heads/${head}`))).stateDict;
      for (const [k, t] of base) expect(sd.get(`deberta.${k}`)?.data, `${head} deberta.${k}`).toEqual(t.data);
      const extra = [...sd.keys()].filter((k) => !k.startsWith("deberta."));
      expect(extra.length, head).toBeGreaterThan(0);
    }
  });
});

describe("writeSafetensors", () => {
  it("round-trips F32, F16, BF16 and metadata, with 8-byte aligned data", () => {
    const f32: HostTensor = { dtype: "f32", shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]) };
    const f16: HostTensor = { dtype: "f16", shape: [3], data: Uint16Array.from([0x3c00, 0xc000, 0x0001]) };
    const bytes = writeSafetensors(
      { a: f32, b: f16, c: { dtype: "BF16", shape: [2], data: Uint16Array.from([0x3f80, 0xc040]) }, empty: { dtype: "f32", shape: [0, 4], data: new Float32Array(0) } },
      { format: "pt" },
    );
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const f = parseSafetensors(bytes, "rt.safetensors");
    expect(f.metadata).toEqual({ format: "pt" });
    expect(f.tensors.get("a")).toEqual(f32);
    expect(f.tensors.get("c")).toEqual({ dtype: "f32", shape: [2], data: Float32Array.from([1, -3]) });
    expect(f.tensors.get("empty")!.shape).toEqual([0, 4]);
    expect(parseSafetensors(bytes, "rt", { dtype: "f16" }).tensors.get("b")).toEqual(f16);
    expect(Array.from(f.tensors.get("b")!.data)).toEqual([1, -2, 2 ** -24]);
    expect([...f.sourceDtypes].sort()).toEqual(["BF16", "F16", "F32"]);
  });

  it("rejects data that does not match the shape", async () => {
    await expectError(() => writeSafetensors({ w: { dtype: "f32", shape: [2, 2], data: new Float32Array(3) } }), "WEIGHTS_INVALID", '"w"', "[2, 2]");
  });

  it("handles tensors at unaligned offsets by copying", () => {
    // one F16 tensor of 1 element, then an F32 tensor at data offset 2 (not a multiple of 4)
    const data = new Uint8Array(6);
    new DataView(data.buffer).setUint16(0, 0x3c00, true);
    new DataView(data.buffer).setFloat32(2, 1.5, true);
    const file = rawFile({ h: { dtype: "F16", shape: [1], data_offsets: [0, 2] }, f: { dtype: "F32", shape: [1], data_offsets: [2, 6] } }, data);
    const t = parseSafetensors(file, "unaligned.safetensors").tensors;
    expect(Array.from(t.get("f")!.data)).toEqual([1.5]);
    expect(Array.from(t.get("h")!.data)).toEqual([1]);
  });

  it("reads I64 buffers (position_ids) as exact f32, F64 rounded to f32", () => {
    const data = new Uint8Array(8 * 3 + 8);
    const dv = new DataView(data.buffer);
    [0, 1, 511].forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    dv.setFloat64(24, 0.1, true);
    const file = rawFile(
      { "embeddings.position_ids": { dtype: "I64", shape: [1, 3], data_offsets: [0, 24] }, d: { dtype: "F64", shape: [1], data_offsets: [24, 32] } },
      data,
    );
    const t = parseSafetensors(file, "i64.safetensors", { dtype: "f16" }).tensors;
    expect(t.get("embeddings.position_ids")).toEqual({ dtype: "f32", shape: [1, 3], data: Float32Array.from([0, 1, 511]) });
    expect(t.get("d")!.dtype).toBe("f16");
    dv.setBigInt64(0, 2n ** 40n, true);
    const big = rawFile({ "embeddings.position_ids": { dtype: "I64", shape: [1, 3], data_offsets: [0, 24] } }, data.subarray(0, 24));
    expect(() => parseSafetensors(big, "i64.safetensors")).toThrow(/i64\.safetensors: tensor "embeddings.position_ids": I64 value 1099511627776/);
  });
});

describe("safetensors: malformed files", () => {
  const good = () => u8(f32File());

  it("truncated file: data_offsets run past the end", async () => {
    const cut = good().slice(0, 150_000);
    await expectError(() => parseSafetensors(cut, "model.safetensors"), "WEIGHTS_INVALID", "model.safetensors", /tensor "[^"]+": data_offsets .* run past the end of the data section/);
    // the same through the loader, with the file named
    await expectError(loadStateDict(memoryFiles({ "model.safetensors": cut }, "/models/cut")), "WEIGHTS_INVALID", "/models/cut/model.safetensors: tensor");
  });

  it("file shorter than the 8-byte length", async () => {
    await expectError(() => parseSafetensors(new Uint8Array(5), "tiny.safetensors"), "WEIGHTS_INVALID", "tiny.safetensors", "too short");
  });

  it("header whose data_offsets overrun the file", async () => {
    const f = rawFile({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
    await expectError(() => parseSafetensors(f, "over.safetensors"), "WEIGHTS_INVALID", 'over.safetensors: tensor "w"', "[0, 16]", "8 bytes");
  });

  it("header length larger than the file", async () => {
    const f = rawFile({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 10_000);
    await expectError(() => parseSafetensors(f, "hl.safetensors"), "WEIGHTS_INVALID", "hl.safetensors", "header length 10000 is larger than the file");
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32
    await expectError(() => parseSafetensors(huge, "huge.safetensors"), "WEIGHTS_INVALID", "huge.safetensors", "exceeds the limit");
  });

  it("bad JSON / wrong JSON type / bad UTF-8", async () => {
    await expectError(() => parseSafetensors(rawFile('{"w": {"dtype": "F32",', new Uint8Array(0)), "bad.safetensors"), "WEIGHTS_INVALID", "bad.safetensors", "not valid JSON");
    await expectError(() => parseSafetensors(rawFile("[1, 2]", new Uint8Array(0)), "arr.safetensors"), "WEIGHTS_INVALID", "arr.safetensors", "must be a JSON object");
    const bin = rawFile('{"a":1}', new Uint8Array(0));
    bin[10] = 0xff;
    await expectError(() => parseSafetensors(bin, "utf.safetensors"), "WEIGHTS_INVALID", "utf.safetensors", "UTF-8");
  });

  it("unsupported dtype names the tensor and the dtype", async () => {
    const f = rawFile({ "encoder.mask": { dtype: "BOOL", shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
    await expectError(() => parseSafetensors(f, "dt.safetensors"), "WEIGHTS_INVALID", 'dt.safetensors: tensor "encoder.mask"', 'dtype "BOOL" is not supported');
  });

  it("bad shapes, byte counts, offsets and overlaps", async () => {
    const cases: Array<[unknown, number, string[]]> = [
      [{ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4, ['tensor "w"', "non-negative integers"]],
      [{ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, 4, ['tensor "w"', "shape"]],
      [{ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4, ['tensor "w"', "hold 4 bytes but F32 [2] needs 8"]],
      [{ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4, ['tensor "w"', "data_offsets"]],
      [{ w: { dtype: "F32", shape: [1], data_offsets: [0] } }, 4, ['tensor "w"', "data_offsets"]],
      [{ w: { shape: [1], data_offsets: [0, 4] } }, 4, ['tensor "w"', '"dtype" must be a string']],
      [{ w: 3 }, 4, ['tensor "w"', "must be an object"]],
      [{ __metadata__: { a: 1 } }, 0, ['"__metadata__"."a" must be a string']],
      [
        { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
        12,
        ['tensors "a" and "b" overlap'],
      ],
    ];
    for (const [header, n, parts] of cases) {
      await expectError(() => parseSafetensors(rawFile(header, new Uint8Array(n)), "m.safetensors"), "WEIGHTS_INVALID", "m.safetensors", ...parts);
    }
  });
});
