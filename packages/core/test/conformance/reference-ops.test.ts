import { describe, expect, it } from "vitest";
import { packedLayout, paddedLayout } from "@deberta-js/core";
import {
  Rng,
  buildRelIndex,
  erf,
  erfc,
  refConv1d,
  refDisentangledAttention,
  refMatmul,
  refSoftmax,
  refTakeAlongAxis,
  roundF16,
  toTensorData,
} from "@deberta-js/core/testing";

describe("reference ops", () => {
  it("erf/erfc to double precision", () => {
    const known: Array<[number, number]> = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [-3, -0.9999779095030014],
    ];
    for (const [x, v] of known) expect(Math.abs(erf(x) - v)).toBeLessThan(2e-16);
    expect(erfc(5) / 1.5374597944280349e-12 - 1).toBeLessThan(1e-14);
    expect(erf(30)).toBe(1);
  });

  it("f16 rounding: ties to even, overflow", () => {
    expect(roundF16(1 + 2 ** -11)).toBe(1);
    expect(roundF16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundF16(65519)).toBe(65504);
    expect(roundF16(65520)).toBe(Infinity);
    expect(roundF16(2 ** -25 * 1.0000001)).toBe(2 ** -24);
    expect(Array.from(toTensorData([1, -2, 0.5], "f16"))).toEqual([0x3c00, 0xc000, 0x3800]);
  });

  it("matmul broadcasts batch dims and transposes", () => {
    const a = { shape: [2, 1, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] };
    const b = { shape: [3, 2, 2], data: [1, 0, 0, 1, 0, 1, 1, 0, 2, 0, 0, 2] };
    const r = refMatmul(a, b, { transB: true, alpha: 2 });
    expect(r.shape).toEqual([2, 3, 2, 2]);
    expect(Array.from(r.data.subarray(0, 12))).toEqual([2, 4, 6, 8, 4, 2, 8, 6, 4, 8, 12, 16]);
  });

  it("masked softmax: fully masked rows are uniform", () => {
    const r = refSoftmax({ shape: [2, 3], data: [1, 2, 3, 1, 2, 3] }, { shape: [2, 1], data: [1, 0] });
    expect(Array.from(r.data.subarray(3))).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const f16 = refSoftmax({ shape: [1, 2], data: [-65504, -65504] }, { shape: [1, 2], data: [1, 0] }, "f16");
    expect(Array.from(f16.data)).toEqual([0.5, 0.5]);
  });

  it("takeAlongAxis broadcasts the other dims", () => {
    const r = refTakeAlongAxis({ shape: [1, 3], data: [10, 20, 30] }, { shape: [2, 2], data: [2, 0, 1, 1] }, 1);
    expect(r.shape).toEqual([2, 2]);
    expect(Array.from(r.data)).toEqual([30, 10, 20, 20]);
  });

  it("conv1d pads each sequence of a packed layout", () => {
    // identity-ish kernel [0, 1, 1]: y_t = x_t + x_{t+1} within the sequence
    const x = { shape: [5, 1], data: [1, 2, 3, 4, 5] };
    const r = refConv1d(x, { shape: [1, 1, 3], data: [0, 1, 1] }, { shape: [1], data: [0] }, packedLayout([2, 3]));
    expect(Array.from(r.data)).toEqual([3, 2, 7, 9, 5]);
  });

  it("relIndex clamps to the span", () => {
    const t = buildRelIndex(5, 2, 0, 512);
    // distances -4..4 → clamp(d + 2, 0, 3)
    expect(Array.from(t)).toEqual([0, 0, 0, 1, 2, 3, 3, 3, 3]);
  });

  it("attention: packed equals padded on the real tokens; packed probs are 0 beyond a sequence", () => {
    const rng = new Rng(3);
    const H = 2;
    const d = 3;
    const lens = [2, 4];
    const L = 4;
    const spec = { numHeads: H, headDim: d, c2p: true, p2c: true, scale: Math.sqrt(3 * d), span: 3, buckets: 0, maxPosition: 512 };
    const rows = (n: number) => Array.from({ length: n * H * d }, () => rng.normal());
    const qp = rows(6);
    const kp = rows(6);
    const vp = rows(6);
    const pos = { shape: [6, H * d], data: rows(6) };
    const rel = buildRelIndex(L, 3, 0, 512);
    const packed = refDisentangledAttention({
      q: { shape: [6, H * d], data: qp },
      k: { shape: [6, H * d], data: kp },
      v: { shape: [6, H * d], data: vp },
      posKey: pos,
      posQuery: pos,
      relIndex: rel,
      layout: packedLayout(lens),
      spec,
    });
    // padded: sequence 0 gets 2 padding rows (copies of row 0)
    const pad = (x: number[]) => [...x.slice(0, 2 * H * d), ...x.slice(0, 2 * H * d), ...x.slice(2 * H * d)];
    const padded = refDisentangledAttention({
      q: { shape: [8, H * d], data: pad(qp) },
      k: { shape: [8, H * d], data: pad(kp) },
      v: { shape: [8, H * d], data: pad(vp) },
      posKey: pos,
      posQuery: pos,
      relIndex: rel,
      layout: paddedLayout(2, 4, [1, 1, 0, 0, 1, 1, 1, 1]),
      spec,
    });
    const HD = H * d;
    for (let c = 0; c < 2 * HD; c++) expect(packed.context.data[c]).toBeCloseTo(padded.context.data[c], 12);
    for (let c = 0; c < 4 * HD; c++) expect(packed.context.data[2 * HD + c]).toBeCloseTo(padded.context.data[4 * HD + c], 12);
    // packed probs of sequence 0, head 0: rows 2,3 and cols 2,3 are zero
    const p = packed.probs.data;
    expect(p[2 * L + 0]).toBe(0);
    expect(p[0 * L + 2]).toBe(0);
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
    // padded fully masked row is uniform
    expect(padded.probs.data[2 * L + 3]).toBeCloseTo(1 / L, 12);
  });
});
