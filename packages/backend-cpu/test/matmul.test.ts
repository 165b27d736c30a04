import { describe, expect, it } from "vitest";
import { createBackend, f16BitsToF32, type MatmulOptions } from "@deberta-js/core";
import { Rng, refMatmul, toTensorData } from "@deberta-js/core/testing";
import { CpuBackend, cpuBackendFactory, createCpuBackend } from "../src/index.js";

const be = new CpuBackend();
const rng = new Rng(42);

function rand(shape: number[]): { shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => rng.normal()) };
}

async function check(as: number[], bs: number[], opts: MatmulOptions = {}) {
  const a = rand(as);
  const b = rand(bs);
  const ta = be.upload(a.data, as, "f32");
  const tb = be.upload(b.data, bs, "f32");
  const y = be.matmul(ta, tb, opts);
  const ref = refMatmul(a, b, opts);
  const mag = refMatmul({ shape: as, data: a.data.map(Math.abs) }, { shape: bs, data: b.data.map(Math.abs) }, { ...opts, alpha: Math.abs(opts.alpha ?? 1) });
  expect(y.shape).toEqual(ref.shape);
  const got = (await be.read(y)) as Float32Array;
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.data[i]) / (1e-30 + mag.data[i]));
  expect(worst).toBeLessThan(1e-6);
  for (const t of [ta, tb, y]) t.dispose();
}

describe("CpuBackend.matmul", () => {
  it("1×1", async () => {
    const y = be.matmul(be.upload(new Float32Array([3]), [1, 1], "f32"), be.upload(new Float32Array([-2]), [1, 1], "f32"), { alpha: 0.5 });
    expect(Array.from((await be.read(y)) as Float32Array)).toEqual([-3]);
  });

  it("a small exact product, all transposes", async () => {
    const A = [1, 2, 3, 4, 5, 6]; // [2,3]
    const B = [7, 8, 9, 10, 11, 12]; // [3,2]
    const want = [58, 64, 139, 154];
    const up = (d: number[], s: number[]) => be.upload(Float32Array.from(d), s, "f32");
    const at = [1, 4, 2, 5, 3, 6]; // Aᵀ [3,2]
    const bt = [7, 9, 11, 8, 10, 12]; // Bᵀ [2,3]
    expect(Array.from((await be.read(be.matmul(up(A, [2, 3]), up(B, [3, 2])))) as Float32Array)).toEqual(want);
    expect(Array.from((await be.read(be.matmul(up(at, [3, 2]), up(B, [3, 2]), { transA: true }))) as Float32Array)).toEqual(want);
    expect(Array.from((await be.read(be.matmul(up(A, [2, 3]), up(bt, [2, 3]), { transB: true }))) as Float32Array)).toEqual(want);
    expect(Array.from((await be.read(be.matmul(up(at, [3, 2]), up(bt, [2, 3]), { transA: true, transB: true }))) as Float32Array)).toEqual(want);
  });

  it("odd sizes around the micro-kernel and the cache blocks", async () => {
    for (const [m, k, n] of [
      [1, 1, 7],
      [3, 5, 1],
      [7, 13, 11],
      [65, 257, 13], // M crosses MC = 64, K crosses KC = 256
      [3, 9, 1543], // N crosses NC = 1536
      [2, 6, 6], // exactly one micro-tile
      [129, 33, 67],
    ]) {
      await check([m, k], [k, n]);
      await check([k, m], [n, k], { transA: true, transB: true, alpha: -0.75 });
    }
  });

  it("transA / transB with batches", async () => {
    await check([3, 17, 5], [3, 17, 9], { transA: true });
    await check([3, 5, 17], [3, 9, 17], { transB: true });
    await check([2, 3, 17, 5], [2, 3, 9, 17], { transA: true, transB: true, alpha: 0.125 });
  });

  it("broadcasts batch dims numpy-style", async () => {
    await check([2, 1, 5, 7], [3, 7, 4]);
    await check([4, 9, 17], [17, 6]); // b 2-D: folded into one GEMM
    await check([4, 17, 9], [6, 17], { transA: true, transB: true });
    await check([5, 7], [3, 7, 2]); // a 2-D, b batched
    await check([1, 3, 5, 7], [2, 1, 7, 4]);
  });

  it("f16: computes in f32 and rounds once", async () => {
    const a = rand([5, 33]);
    const b = rand([33, 7]);
    const ref = refMatmul(a, b);
    const ah = toTensorData(a.data, "f16") as Uint16Array;
    const bh = toTensorData(b.data, "f16") as Uint16Array;
    const y = be.matmul(be.upload(ah, [5, 33], "f16"), be.upload(bh, [33, 7], "f16"));
    expect(y.dtype).toBe("f16");
    const got = (await be.read(y)) as Uint16Array;
    for (let i = 0; i < got.length; i++) expect(Math.abs(f16BitsToF32(got[i]) - ref.data[i])).toBeLessThan(0.05 + 0.01 * Math.abs(ref.data[i]));
  });

  it("rejects mismatched inner dims", () => {
    expect(() => be.matmul(be.upload(new Float32Array(6), [2, 3], "f32"), be.upload(new Float32Array(8), [4, 2], "f32"))).toThrow(/inner dims/);
  });
});

describe("CpuBackend storage and registration", () => {
  it("registers as cpu on import", async () => {
    expect(cpuBackendFactory.name).toBe("cpu");
    expect(cpuBackendFactory.priority).toBe(0);
    expect(await cpuBackendFactory.isAvailable()).toEqual({ available: true });
    const b = await createBackend("cpu");
    expect(b).toBeInstanceOf(CpuBackend);
    expect(createCpuBackend().supportsDtype("f16")).toBe(true);
  });

  it("read returns a copy; reused buffers never leak into live tensors", async () => {
    const b = createCpuBackend();
    const t = b.upload(new Float32Array([1, 2, 3]), [3], "f32");
    const r = (await b.read(t)) as Float32Array;
    r[0] = 99;
    expect(Array.from((await b.read(t)) as Float32Array)).toEqual([1, 2, 3]);
    t.dispose();
    const u = b.upload(new Float32Array([4, 5, 6]), [3], "f32");
    expect(Array.from(r)).toEqual([99, 2, 3]);
    expect(Array.from((await b.read(u)) as Float32Array)).toEqual([4, 5, 6]);
    expect(() => b.upload(new Float32Array(2), [3], "f32")).toThrow(/2 values given for shape \[3\]/);
  });
});
