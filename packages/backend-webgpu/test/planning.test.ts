/**
 * Op planning without a GPU: the real `WebGpuBackend` ops on a fake device, with a recorder that keeps the dispatches
 * (kernel variant, workgroup counts, parameters, bound buffer sizes). What the kernels compute is checked on Dawn
 * (`parity`, `conformance`); this checks which kernels run, on which grid, over which buffers.
 */
import { describe, expect, it } from "vitest";
import { DebertaError, type AttentionArgs, type Tensor, packedLayout, paddedLayout, relativeIndexTable } from "@deberta-js/core";
import { bucketSize } from "../src/buffer-pool.js";
import { attentionParams, attentionSharedBytes } from "../src/kernels/attention.wgsl.js";
import { gatherParams } from "../src/kernels/gather.wgsl.js";
import { layerNormParams } from "../src/kernels/layernorm.wgsl.js";
import { matmulParams } from "../src/kernels/matmul.wgsl.js";
import { softmaxParams } from "../src/kernels/softmax.wgsl.js";
import { unaryParams } from "../src/kernels/elementwise.wgsl.js";
import { MAX_GROUPS, attentionTile, grid1d, gridRows, kernelProfileFor, matmulRegisterBlock } from "../src/launch.js";
import { GpuStorage, SplitTensorError } from "../src/storage.js";
import { type RecordedDispatch, plannedBackend } from "./fake-gpu.js";

const f32 = (n: number) => new Float32Array(n);
const only = (d: RecordedDispatch[]): RecordedDispatch => {
  expect(d).toHaveLength(1);
  return d[0];
};
const chunksOf = (t: Tensor) => (t.storage as GpuStorage).chunks;

describe("launch geometry", () => {
  it("spreads 1-D grids over y past 65535 workgroups and refuses what one dispatch cannot hold", () => {
    expect(grid1d(1000, 256)).toEqual([4, 1, 1]);
    expect(grid1d(256 * MAX_GROUPS + 1, 256)).toEqual([MAX_GROUPS, 2, 1]);
    expect(gridRows(70000)).toEqual([MAX_GROUPS, 2, 1]);
    expect(() => grid1d(256 * MAX_GROUPS * (MAX_GROUPS + 1), 256)).toThrow(DebertaError);
  });

  it("uses 64×64 GEMM tiles only when there are enough of them", () => {
    expect(matmulRegisterBlock(128, 3072, 1)).toBe(4); // 2 × 48 tiles
    expect(matmulRegisterBlock(128, 768, 1)).toBe(2); // 2 × 12 tiles
    expect(matmulRegisterBlock(64, 64, 48)).toBe(4); // batched
  });

  it("picks the barrier-free kernel family for CPU adapters", () => {
    expect(kernelProfileFor({ vendor: "google", description: "SwiftShader Device (Subzero)" })).toBe("cpu");
    expect(kernelProfileFor({ description: "llvmpipe (LLVM 15.0.7, 256 bits)" })).toBe("cpu");
    expect(kernelProfileFor({ vendor: "nvidia", isFallbackAdapter: true })).toBe("cpu");
    expect(kernelProfileFor({ vendor: "nvidia", architecture: "ada" })).toBe("gpu");
    expect(kernelProfileFor(undefined)).toBe("gpu");
  });

  it("shrinks attention tiles to the sequence and to the workgroup memory", () => {
    const a = { headDim: 64, maxLen: 512, c2p: true, p2c: true, mode: "ctx" as const };
    expect(attentionTile(a, 2 ** 20)).toBe(16);
    expect(attentionTile({ ...a, maxLen: 5 }, 2 ** 20)).toBe(8);
    const limit = attentionSharedBytes({ headDim: 64, bq: 8, bk: 8, c2p: true, p2c: true, mode: "ctx" });
    expect(attentionTile(a, limit)).toBe(8);
    expect(attentionTile(a, limit - 1)).toBe(4);
    expect(() => attentionTile(a, 16)).toThrow(/head size 64 needs more workgroup memory/);
  });
});

describe("matmul / linear planning", () => {
  it("tiles a large linear 64×64 with bias and activation fused, over the right buffers", () => {
    const { be, rec } = plannedBackend();
    const x = be.upload(f32(128 * 768), [128, 768], "f32");
    const w = be.upload(f32(3072 * 768), [3072, 768], "f32");
    const b = be.upload(f32(3072), [3072], "f32");
    const y = be.linear(x, w, b, "gelu");
    const d = only(rec.take());
    expect(d.kernel).toBe("matmul/f32/f32/f32/tA0/tB1/f32/gelu/r4");
    expect(d.groups).toEqual([3072 / 64, 128 / 64, 1]);
    // x and bias from the pool's buckets, the 9 MiB weight in a buffer of its exact size, the output from a bucket
    expect(d.bindings).toEqual([null, bucketSize(128 * 768 * 4), 3072 * 768 * 4, bucketSize(3072 * 4), bucketSize(128 * 3072 * 4)]);
    expect(d.buffers[4]).toBe(chunksOf(y)[0]);
    expect(matmulParams.unpack(d.params)).toMatchObject({ M: 128, N: 3072, K: 768, ldc: 3072, nOff: 0, alpha: 1, batchRank: 1 });
  });

  it("uses 32×32 tiles for small products and the direct kernel (vec4 when K % 4 = 0) on CPU adapters", () => {
    const { be, rec } = plannedBackend();
    be.linear(be.upload(f32(8 * 32), [8, 32], "f32"), be.upload(f32(16 * 32), [16, 32], "f32"), undefined);
    expect(only(rec.take())).toMatchObject({ kernel: "matmul/f32/f32/f32/tA0/tB1/nobias/id/r2", groups: [1, 1, 1] });

    const cpu = plannedBackend({ kernels: "cpu" });
    cpu.be.linear(cpu.be.upload(f32(100 * 32), [100, 32], "f32"), cpu.be.upload(f32(300 * 32), [300, 32], "f32"), undefined);
    expect(only(cpu.rec.take())).toMatchObject({ kernel: "matmul-direct/f32/f32/f32/tA0/tB1/nobias/id/vec4", groups: grid1d(25 * 75, 256) });
    cpu.be.matmul(cpu.be.upload(f32(6 * 5), [6, 5], "f32"), cpu.be.upload(f32(5 * 7), [5, 7], "f32"));
    expect(only(cpu.rec.take()).kernel).toBe("matmul-direct/f32/f32/f32/tA0/tB0/nobias/id/scalar");
  });

  it("merges broadcast batch dims into strides (0 for the broadcast operand) and puts the batch on z", () => {
    const { be, rec } = plannedBackend();
    const a = be.upload(f32(2 * 3 * 4 * 5), [2, 3, 4, 5], "f32");
    const b = be.upload(f32(3 * 5 * 6), [3, 5, 6], "f32");
    const y = be.matmul(a, b, { alpha: 0.5 });
    expect(y.shape).toEqual([2, 3, 4, 6]);
    const d = only(rec.take());
    expect(d.groups).toEqual([1, 1, 6]);
    const p = matmulParams.unpack(d.params);
    expect(p).toMatchObject({ M: 4, N: 6, K: 5, alpha: 0.5, batchRank: 2 });
    expect((p.bshape as number[]).slice(0, 2)).toEqual([2, 3]);
    expect((p.sa as number[]).slice(0, 2)).toEqual([60, 20]);
    expect((p.sb as number[]).slice(0, 2)).toEqual([0, 30]);
    expect((p.sc as number[]).slice(0, 2)).toEqual([72, 24]);
  });

  it("walks the row chunks of a split transposed weight (the tied decoder), one dispatch per chunk", () => {
    // 4 KiB buffers: a [50, 32] f32 table (6,400 bytes) splits into 32 + 18 rows
    const { be, rec } = plannedBackend({ maxBufferBytes: 4096 });
    const w = be.upload(f32(50 * 32), [50, 32], "f32");
    expect(chunksOf(w).map((c) => c.size)).toEqual([32 * 32 * 4, 18 * 32 * 4]);
    be.linear(be.upload(f32(4 * 32), [4, 32], "f32"), w, undefined);
    const ds = rec.take();
    expect(ds.map((d) => d.buffers[2])).toEqual(chunksOf(w));
    expect(ds.map((d) => matmulParams.unpack(d.params))).toMatchObject([
      { M: 4, N: 32, K: 32, ldc: 50, nOff: 0 },
      { M: 4, N: 18, K: 32, ldc: 50, nOff: 32 },
    ]);
    // not transposed, a split right operand cannot be walked: a typed error, nothing recorded
    expect(() => be.matmul(be.upload(f32(4 * 50), [4, 50], "f32"), w.reshape([50, 32]))).toThrow(SplitTensorError);
    expect(rec.take()).toEqual([]);
  });

  it("refuses outputs bigger than one buffer before recording anything", () => {
    const { be, rec } = plannedBackend({ maxBufferBytes: 4096 });
    expect(() => be.matmul(be.upload(f32(64 * 8), [64, 8], "f32"), be.upload(f32(8 * 64), [8, 64], "f32"))).toThrow(/more than the device's largest buffer/);
    expect(rec.take()).toEqual([]);
  });
});

describe("chunked embeddings", () => {
  it("gathers from each row chunk of a split table with its row range", () => {
    const { be, rec } = plannedBackend({ maxBufferBytes: 4096 });
    const table = be.upload(f32(50 * 32), [50, 32], "f32");
    const ids = be.upload(Int32Array.from([0, 49, 31, 32, 7]), [5], "i32");
    const out = be.gather(table, ids);
    expect(out.shape).toEqual([5, 32]);
    const ds = rec.take();
    expect(ds.map((d) => d.kernel)).toEqual(["gather/f32", "gather/f32"]);
    expect(ds.map((d) => d.buffers[1])).toEqual(chunksOf(table));
    expect(ds.map((d) => d.buffers[3])).toEqual([chunksOf(out)[0], chunksOf(out)[0]]);
    expect(ds.map((d) => gatherParams.unpack(d.params))).toMatchObject([
      { n: 5, D: 32, rowStart: 0, rows: 32 },
      { n: 5, D: 32, rowStart: 32, rows: 18 },
    ]);
    expect(ds[0].groups).toEqual(grid1d(5 * 32, 256));
  });

  it("casts a split table chunk by chunk into a split output", () => {
    const { be, rec } = plannedBackend({ maxBufferBytes: 4096, f16: true });
    const table = be.upload(f32(50 * 32), [50, 32], "f32");
    const half = be.cast(table, "f16");
    expect(chunksOf(half)).toHaveLength(2);
    const ds = rec.take();
    expect(ds.map((d) => d.kernel)).toEqual(["unary/copy/f32/f16", "unary/copy/f32/f16"]);
    expect(ds.map((d) => unaryParams.unpack(d.params))).toMatchObject([
      { n: 32 * 32, inOff: 0, outOff: 0 },
      { n: 18 * 32, inOff: 0, outOff: 0 },
    ]);
  });
});

describe("row ops planning", () => {
  it("layer norm: one workgroup per row sized to D on GPUs, one invocation per row on CPU adapters", () => {
    const { be, rec } = plannedBackend();
    const x = be.upload(f32(6 * 512), [2, 3, 512], "f32");
    const g = be.upload(f32(512), [512], "f32");
    be.layerNorm(x, g, g, 1e-7);
    const d = only(rec.take());
    expect(d).toMatchObject({ kernel: "layernorm/f32/f32/plain/wg256", groups: [6, 1, 1] });
    expect(d.bindings[2]).toBeNull(); // no residual
    expect(layerNormParams.unpack(d.params)).toMatchObject({ rows: 6, D: 512 });
    be.addLayerNorm(x, x, g, g, 1e-7);
    expect(only(rec.take())).toMatchObject({ kernel: "layernorm/f32/f32/res/wg256", bindings: [null, 12288, 12288, 2048, 2048, 12288] });

    const cpu = plannedBackend({ kernels: "cpu" });
    const g2 = cpu.be.upload(f32(96), [96], "f32");
    cpu.be.layerNorm(cpu.be.upload(f32(200 * 96), [200, 96], "f32"), g2, g2, 1e-5);
    expect(only(cpu.rec.take())).toMatchObject({ kernel: "layernorm-row/f32/f32/plain", groups: [4, 1, 1] });
  });

  it("softmax: merges the mask's broadcast dims into strides", () => {
    const { be, rec } = plannedBackend();
    const x = be.upload(f32(2 * 3 * 4 * 5), [2, 3, 4, 5], "f32");
    const mask = be.upload(f32(2 * 5), [2, 1, 1, 5], "f32");
    be.softmax(x, mask);
    const d = only(rec.take());
    expect(d).toMatchObject({ kernel: "softmax/f32/f32/wg", groups: [24, 1, 1] });
    const p = softmaxParams.unpack(d.params);
    expect(p).toMatchObject({ rows: 24, C: 5, rank: 3 });
    expect((p.shape as number[]).slice(0, 3)).toEqual([2, 12, 5]);
    expect((p.sm as number[]).slice(0, 3)).toEqual([5, 0, 1]);

    const cpu = plannedBackend({ kernels: "cpu" });
    cpu.be.softmax(cpu.be.upload(f32(100 * 7), [100, 7], "f32"));
    expect(only(cpu.rec.take())).toMatchObject({ kernel: "softmax/f32/nomask/row", groups: [2, 1, 1], bindings: [null, 2816, null, 2816] });
  });
});

describe("attention planning", () => {
  const H = 2;
  const D = 8;
  const spec = { numHeads: H, headDim: D, c2p: true, p2c: true, scale: Math.sqrt(D * 3), span: 4, buckets: 0, maxPosition: 512 };

  function attention(kernels: "gpu" | "cpu", outputAttentions: boolean, maxWorkgroupStorage?: number) {
    const { be, rec } = plannedBackend({ kernels, maxWorkgroupStorage });
    const layout = packedLayout([5, 3, 2]);
    const t = (rows: number) => be.upload(f32(rows * H * D), [rows, H * D], "f32");
    const rel = relativeIndexTable(5, spec);
    const args: AttentionArgs = { q: t(10), k: t(10), v: t(10), posKey: t(8), posQuery: t(8), relIndex: be.upload(rel, [rel.length], "i32"), layout, spec, outputAttentions };
    const r = be.disentangledAttention(args);
    return { r, ds: rec.take(), args, rel };
  }

  it("tiles queries × keys per (query block, head, sequence), the tile shrunk to the longest sequence", () => {
    const { r, ds, rel } = attention("gpu", false);
    const d = only(ds);
    expect(d.kernel).toBe("attention/ctx/f32/d8/q8/k8/c2pp2c");
    expect(d.groups).toEqual([1, H, 3]);
    expect(d.buffers[8]).toBe(chunksOf(r.context)[0]);
    expect(d.bindings[9]).toBeUndefined();
    expect(d.bindings[7]).toBe(256); // layout metadata: 4 offsets, one pool bucket
    expect(attentionParams.unpack(d.params)).toMatchObject({ B: 3, H, HD: H * D, maxLen: 5, centre: (rel.length - 1) / 2, nRel: 8, padded: 0, seqLen: 0 });
  });

  it("adds a probabilities pass without v when attentions are asked for", () => {
    const { r, ds } = attention("gpu", true);
    expect(ds.map((d) => d.kernel)).toEqual(["attention/ctx/f32/d8/q8/k8/c2pp2c", "attention/probs/f32/d8/q8/k8/c2pp2c"]);
    expect(r.probs!.shape).toEqual([3, H, 5, 5]);
    expect(ds[1].bindings[3]).toBeNull();
    expect(ds[1].buffers[9]).toBe(chunksOf(r.probs!)[0]);
  });

  it("shrinks the tile to the device's workgroup memory", () => {
    const limit = attentionSharedBytes({ headDim: D, bq: 4, bk: 4, c2p: true, p2c: true, mode: "ctx" });
    expect(only(attention("gpu", false, limit).ds)).toMatchObject({ kernel: "attention/ctx/f32/d8/q4/k4/c2pp2c", groups: [2, H, 3] });
  });

  it("runs one invocation per (sequence, head, query) on CPU adapters", () => {
    const d = only(attention("cpu", false).ds);
    expect(d.kernel).toMatch(/^attention-row\/ctx\/f32\/d8\/c2pp2c\//);
    expect(d.groups).toEqual(grid1d(3 * H * 5, 64));
  });

  it("reads padded layouts' mask from the layout metadata", () => {
    const { be, rec } = plannedBackend();
    const layout = paddedLayout(2, 4, [1, 1, 1, 0, 1, 1, 0, 0]);
    const t = () => be.upload(f32(8 * H * D), [8, H * D], "f32");
    be.disentangledAttention({ q: t(), k: t(), v: t(), layout, spec: { ...spec, c2p: false, p2c: false } });
    const d = only(rec.take());
    expect(d.kernel).toBe("attention/ctx/f32/d8/q4/k4/");
    expect(attentionParams.unpack(d.params)).toMatchObject({ B: 2, maxLen: 4, padded: 1, seqLen: 4, nRel: 1 });
    expect([d.bindings[4], d.bindings[5], d.bindings[6]]).toEqual([null, null, null]);
  });
});

describe("conv1d planning", () => {
  it("is an im2col over the layout then a GEMM with bias", () => {
    const { be, rec } = plannedBackend();
    const x = be.upload(f32(8 * 16), [8, 16], "f32");
    const w = be.upload(f32(16 * 16 * 3), [16, 16, 3], "f32");
    const b = be.upload(f32(16), [16], "f32");
    be.conv1d(x, w, b, packedLayout([5, 3]));
    const ds = rec.take();
    expect(ds.map((d) => d.kernel)).toEqual(["im2col/f32", "matmul/f32/f32/f32/tA0/tB1/f32/id/r2"]);
    expect(ds[0].buffers[3]).toBe(ds[1].buffers[1]); // the columns feed the GEMM
    expect(matmulParams.unpack(ds[1].params)).toMatchObject({ M: 8, N: 16, K: 48 });
  });
});
