import { describe, expect, it } from "vitest";
import { packedLayout, paddedLayout } from "@deberta-js/core";
import { Rng, buildRelIndex, refConv1d, refDisentangledAttention, roundF16, toTensorData } from "@deberta-js/core/testing";
import { CpuBackend } from "../src/index.js";

const be = new CpuBackend();
const rng = new Rng(7);
const randn = (n: number, std = 1) => Float32Array.from({ length: n }, () => rng.normal(0, std));

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]));
  return e;
}

describe("CpuBackend ops beyond the conformance cases", () => {
  it("conv1d: im2col chunks that split sequences", async () => {
    // Cin·k = 5120 → 204-row chunks; 300 tokens in sequences of 150, 1, 149
    const layout = packedLayout([150, 1, 149]);
    const [T, Cin, Cout, k] = [300, 1024, 4, 5];
    const x = randn(T * Cin);
    const w = randn(Cout * Cin * k, 0.05);
    const b = randn(Cout);
    const y = be.conv1d(be.upload(x, [T, Cin], "f32"), be.upload(w, [Cout, Cin, k], "f32"), be.upload(b, [Cout], "f32"), layout);
    const ref = refConv1d({ shape: [T, Cin], data: x }, { shape: [Cout, Cin, k], data: w }, { shape: [Cout], data: b }, layout);
    expect(maxErr((await be.read(y)) as Float32Array, ref.data)).toBeLessThan(1e-4);
  });

  it("attention: a padded layout without the mask tensor uses layout.mask; a longer relIndex is read at its centre", async () => {
    const layout = paddedLayout(2, 6, [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
    const [H, d, S] = [2, 4, 3];
    const HD = H * d;
    const q = randn(12 * HD);
    const k = randn(12 * HD);
    const v = randn(12 * HD);
    const pk = randn(2 * S * HD);
    const pq = randn(2 * S * HD);
    const spec = { numHeads: H, headDim: d, c2p: true, p2c: true, scale: Math.sqrt(3 * d), span: S, buckets: 0, maxPosition: 512 };
    const rel = buildRelIndex(6, S, 0, 512);
    const relLong = buildRelIndex(9, S, 0, 512); // 17 entries for maxLen 6
    const up = (a: Float32Array, s: number[]) => be.upload(a, s, "f32");
    const args = { q: up(q, [12, HD]), k: up(k, [12, HD]), v: up(v, [12, HD]), posKey: up(pk, [2 * S, HD]), posQuery: up(pq, [2 * S, HD]), layout, spec, outputAttentions: true };
    const a = be.disentangledAttention({ ...args, relIndex: be.upload(rel, [rel.length], "i32") });
    const b = be.disentangledAttention({ ...args, relIndex: be.upload(relLong, [relLong.length], "i32") });
    const ref = refDisentangledAttention({
      q: { shape: [12, HD], data: q },
      k: { shape: [12, HD], data: k },
      v: { shape: [12, HD], data: v },
      posKey: { shape: [2 * S, HD], data: pk },
      posQuery: { shape: [2 * S, HD], data: pq },
      relIndex: rel,
      layout,
      spec,
    });
    for (const r of [a, b]) {
      expect(maxErr((await be.read(r.context)) as Float32Array, ref.context.data)).toBeLessThan(1e-5);
      expect(maxErr((await be.read(r.probs!)) as Float32Array, ref.probs.data)).toBeLessThan(1e-6);
    }
  });

  it("f16 cast round trip and f16 upload from float32 values", async () => {
    const vals = [0, 1, -2.5, 1 + 2 ** -11, 65504, 1e-3, 3.14159];
    const h = be.upload(toTensorData(vals, "f16"), [7], "f16");
    const f = be.cast(h, "f32");
    expect(Array.from((await be.read(f)) as Float32Array)).toEqual(vals.map(roundF16));
    const h2 = be.cast(f, "f16");
    expect(Array.from((await be.read(h2)) as Uint16Array)).toEqual(Array.from((await be.read(h)) as Uint16Array));
    const h3 = be.upload(Float32Array.from(vals), [7], "f16");
    expect(Array.from((await be.read(h3)) as Uint16Array)).toEqual(Array.from((await be.read(h)) as Uint16Array));
  });

  it("errors name the argument at fault", () => {
    const t = be.upload(new Float32Array(6), [2, 3], "f32");
    expect(() => be.transpose(t, [0, 0])).toThrow(/perm \[0,0\]/);
    expect(() => be.gather(t, be.upload(new Int32Array([5]), [1], "i32"))).toThrow(/ids\[0\] = 5/);
    expect(() => be.linear(t, be.upload(new Float32Array(8), [2, 4], "f32"), undefined)).toThrow(/weight \[2,4\]/);
  });
});
