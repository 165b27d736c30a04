// core's bulk float32 → half (`f32ToF16Into`, the TypeScript path browsers use) has a fast path for normal values:
// it must round exactly as the per-value reference `f32BitsToF16Bits` for every input, at the path's edges too.
import { describe, expect, it } from "vitest";
import { f32BitsToF16Bits, f32ToF16Into, setHalfConverters } from "../src/dtype.js";

describe("f32ToF16Into (TypeScript path)", () => {
  it("equals f32BitsToF16Bits for random bit patterns and the fast path's edges", () => {
    const prev = setHalfConverters(undefined); // the TypeScript loop, even when a native backend installed its own
    try {
      const n = 1 << 20;
      const bits = new Uint32Array(n);
      let s = 987654321;
      for (let i = 0; i < n; i++) bits[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      // around 2^-14 (smallest normal half), 65504 / 65520 (max half, rounding to inf), ties at both parities
      const edges = [0x38800000, 0x387fffff, 0x38801000, 0x477fefff, 0x477ff000, 0x477fe000, 0x3f801000, 0x3f803000, 0x3f800fff, 0x3f801001];
      edges.forEach((e, i) => {
        bits[2 * i] = e;
        bits[2 * i + 1] = (e | 0x80000000) >>> 0;
      });
      const out = new Uint16Array(n);
      f32ToF16Into(new Float32Array(bits.buffer), out);
      const bad = [...bits.keys()].filter((i) => out[i] !== f32BitsToF16Bits(bits[i]));
      expect(bad.slice(0, 5).map((i) => `0x${bits[i].toString(16)}: 0x${out[i].toString(16)} vs 0x${f32BitsToF16Bits(bits[i]).toString(16)}`)).toEqual([]);
    } finally {
      setHalfConverters(prev);
    }
  });
});
