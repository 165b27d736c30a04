// Streaming weight loading: chunked per-tensor dtype conversion, the per-tensor sink, and loading straight onto a
// backend (`loadDeviceWeights`), checked against the in-memory readers on the tiny-v3 fixture.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { f32ArrayToF16 } from "../../src/dtype.js";
import { memoryFiles, type ModelFiles } from "../../src/files.js";
import { loadDeviceWeights } from "../../src/model/device-weights.js";
import { directoryFiles } from "../../src/node/files.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import {
  bytesSource,
  parseSafetensors,
  parseTorchCheckpoint,
  readSafetensorsHeader,
  readTensorAs,
  streamWeights,
  writeSafetensors,
  type ByteSource,
  type SourceDType,
} from "../../src/weights/index.js";
import { decodeRaw } from "../../src/weights/state-dict.js";
import { expectError, TINY } from "./helpers.js";

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Random finite values of `dtype` as little-endian bytes (16-bit patterns with exponent < max: no NaN/Inf). */
function randomValues(dtype: SourceDType, n: number, seed: number): Uint8Array {
  if (dtype === "F32") {
    const f = new Float32Array(n);
    const r = randomBytes(n * 4, seed);
    for (let i = 0; i < n; i++) f[i] = ((r[i * 4] << 8) + r[i * 4 + 1] - 32768) / 977.3;
    return new Uint8Array(f.buffer);
  }
  const h = new Uint16Array(randomBytes(n * 2, seed).buffer);
  for (let i = 0; i < n; i++) h[i] &= 0xbbff; // clears an exponent bit in both F16 and BF16: finite values
  return new Uint8Array(h.buffer);
}

/** A source without `readInto` (e.g. a plain `ModelFiles.readRange`), to test both chunk paths. */
function withoutReadInto(src: ByteSource): ByteSource {
  return { name: src.name, size: src.size, read: (a, b) => src.read(a, b) };
}

describe("readTensorAs: chunked conversion equals whole-tensor decoding", () => {
  const cases: Array<[SourceDType, "f32" | "f16"]> = [
    ["F32", "f16"],
    ["F16", "f32"],
    ["BF16", "f32"],
    ["BF16", "f16"],
    ["F32", "f32"],
    ["F16", "f16"],
  ];
  for (const [dtype, target] of cases) {
    it(`${dtype} → ${target}, odd chunk sizes, with and without readInto`, async () => {
      const n = 1001;
      const pad = 24; // the tensor starts inside the file, as in a real checkpoint
      const body = randomValues(dtype, n, 7);
      const file = new Uint8Array(pad + body.byteLength + 8);
      file.set(body, pad);
      const want = decodeRaw(body.slice(), dtype, [7, 143], target, "t");
      const mem = bytesSource(file, "f.bin");
      const withInto: ByteSource = { ...mem, readInto: async (start, dest) => dest.set(file.subarray(start, start + dest.byteLength)) };
      for (const src of [withInto, withoutReadInto(mem)]) {
        for (const chunk of [6, 64, 4000]) {
          const got = await readTensorAs(src, pad, dtype, [7, 143], target, "t", chunk);
          expect(got.dtype).toBe(want.dtype);
          expect(got.shape).toEqual([7, 143]);
          expect(got.data).toEqual(want.data);
        }
      }
    });
  }

  it("reads the next chunk while converting this one: slow, out-of-order reads and a failing read", async () => {
    const n = 1001;
    const body = randomValues("F32", n, 11);
    const want = decodeRaw(body.slice(), "F32", [n], "f16", "t");
    let calls = 0;
    let failAt = -1;
    const src: ByteSource = {
      name: "slow.bin",
      size: body.byteLength,
      read: async (a, b) => body.slice(a, b),
      // later chunks answer sooner than earlier ones; call `failAt` rejects after a delay
      readInto: async (start, dest) => {
        const call = calls++;
        await new Promise((r) => setTimeout(r, call % 2 ? 1 : 5));
        if (call === failAt) throw new Error("disk error");
        dest.set(body.subarray(start, start + dest.byteLength));
      },
    };
    expect((await readTensorAs(src, 0, "F32", [n], "f16", "t", 400)).data).toEqual(want.data);
    calls = 0;
    failAt = 3;
    await expect(readTensorAs(src, 0, "F32", [n], "f16", "t", 400)).rejects.toThrow("disk error");
    failAt = -1;
    expect((await readTensorAs(src, 0, "F32", [n], "f16", "t", 400)).data).toEqual(want.data);
  });

  it("a same-dtype tensor is one ranged read whose buffer becomes the tensor's storage", async () => {
    const body = randomValues("F32", 300, 3);
    const calls: Array<[number, number]> = [];
    const fresh: Uint8Array[] = [];
    const src: ByteSource = {
      name: "f",
      size: body.byteLength,
      async read(a, b) {
        calls.push([a, b]);
        const out = body.slice(a, b);
        fresh.push(out);
        return out;
      },
    };
    const t = await readTensorAs(src, 0, "F32", [300], "f32", "t", 64);
    expect(calls).toEqual([[0, 1200]]);
    expect(t.data.buffer).toBe(fresh[0].buffer);
  });
});

describe("streamWeights: one tensor at a time, in file order", () => {
  it("hands each tensor to the sink and reads only what the sink asks for", async () => {
    const st = writeSafetensors({
      b: { dtype: "f32", shape: [2], data: Float32Array.from([1, 2]) },
      a: { dtype: "f32", shape: [3], data: Float32Array.from([3, 4, 5]) },
      c: { dtype: "f32", shape: [1], data: Float32Array.from([6]) },
    });
    const reads: Array<[number, number]> = [];
    const files: ModelFiles = {
      ...memoryFiles({ "model.safetensors": st }),
      readRange: async (_n, a, b) => {
        reads.push([a, b]);
        return st.slice(a, b);
      },
    };
    const seen: string[] = [];
    const values: number[][] = [];
    await streamWeights(files, async (r) => {
      seen.push(r.name);
      if (r.name !== "a") values.push(Array.from((await r.read("f32")).data));
    });
    expect(seen).toEqual(["b", "a", "c"]); // file order, not name order
    expect(values).toEqual([[1, 2], [6]]);
    const { dataStart } = await readSafetensorsHeader(bytesSource(st, "m"));
    const dataReads = reads.filter(([a]) => a >= dataStart).map(([a, b]) => b - a);
    expect(dataReads).toEqual([8, 4]);
  });
});

describe("loadDeviceWeights: a checkpoint straight onto a backend", () => {
  for (const file of ["model.safetensors", "pytorch_model.bin"]) {
    for (const dtype of ["f32", "f16"] as const) {
      it(`tiny-v3 ${file} → ${dtype}: every tensor uploaded equals the whole-file parser's`, async () => {
        const files = memoryFiles({ [file]: u8(readFileSync(`${TINY}/${file}`)) }, TINY);
        // The reference: the whole-file in-memory parsers (not the streaming path).
        const raw = u8(readFileSync(`${TINY}/${file}`));
        const stateDict = file.endsWith(".bin")
          ? (await parseTorchCheckpoint(raw, file, { dtype })).tensors
          : parseSafetensors(raw, file, { dtype }).tensors;
        const be = new HostBackend();
        const w = await loadDeviceWeights(files, { backend: be, dtype });
        expect(w.device.size + w.host.size).toBe(stateDict.size);
        let bytes = 0;
        for (const [k, t] of w.device) {
          const ref = stateDict.get(k)!;
          expect(t.dtype, k).toBe(dtype);
          expect(t.shape, k).toEqual(ref.shape);
          expect(await be.read(t), k).toEqual(ref.data);
          bytes += t.size * (dtype === "f16" ? 2 : 4);
        }
        expect(w.deviceBytes).toBe(bytes);
        for (const t of w.device.values()) t.dispose();
        expect(be.live.size).toBe(0);
      });
    }
  }

  it("fp32 → fp16 conversion rounds like the in-memory path (round to nearest even)", async () => {
    const f = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 70000 * (i % 3 === 0 ? 1e-9 : 1));
    const files = memoryFiles({ "model.safetensors": writeSafetensors({ w: { dtype: "f32", shape: [5000], data: f } }) });
    const be = new HostBackend();
    const w = await loadDeviceWeights(files, { backend: be, dtype: "f16" });
    expect(await be.read(w.device.get("w")!)).toEqual(f32ArrayToF16(f));
  });

  it("prefers the backend's uploadAsync (sliced GPU uploads, issue 18) and keeps every value", async () => {
    const files = memoryFiles({ "model.safetensors": u8(readFileSync(`${TINY}/model.safetensors`)) }, TINY);
    const ref = await loadDeviceWeights(files, { backend: new HostBackend(), dtype: "f32" });
    const be = new HostBackend();
    let asyncCalls = 0;
    const sliced = Object.assign(be, {
      adopt: undefined,
      uploadAsync: async (...a: Parameters<HostBackend["upload"]>) => (asyncCalls++, be.upload(...a)),
    });
    const w = await loadDeviceWeights(files, { backend: sliced, dtype: "f32" });
    expect(asyncCalls).toBe(w.device.size);
    expect(w.device.size).toBe(ref.device.size);
    for (const [k, t] of w.device) expect(await be.read(t), k).toEqual(await ref.device.get(k)!.data());
  });

  it("a failure midway frees every tensor uploaded so far and names the tensor", async () => {
    const be = new HostBackend();
    let n = 0;
    await expect(
      loadDeviceWeights(directoryFiles(TINY), {
        backend: be,
        dtype: "f32",
        toDevice: (t, r) => {
          if (++n === 5) throw new Error(`cannot upload ${r.name}`);
          return be.upload(t.data, t.shape, t.dtype);
        },
      }),
    ).rejects.toThrow(/cannot upload \S+/);
    expect(n).toBe(5);
    expect(be.live.size).toBe(0);
  });

  it("a sharded index that disagrees with its shards fails before any upload", async () => {
    const st = writeSafetensors({ "embeddings.word_embeddings.weight": { dtype: "f32", shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } });
    const index = new TextEncoder().encode(JSON.stringify({ weight_map: { "embeddings.word_embeddings.weight": "b.safetensors" } }));
    const be = new HostBackend();
    const files = memoryFiles({ "model.safetensors.index.json": index, "a.safetensors": st, "b.safetensors": writeSafetensors({}) });
    await expectError(loadDeviceWeights(files, { backend: be, dtype: "f32" }), "WEIGHTS_INVALID", 'listed in shard "b.safetensors"');
    expect(be.live.size).toBe(0);
  });
});
