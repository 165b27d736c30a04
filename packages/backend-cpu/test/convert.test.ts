// The native bulk half conversions (csrc/convert.c: F16C, or the scalar loop) that loading the native kernels
// installs into core (`setHalfConverters`), against core's TypeScript conversion: bit-identical for every half
// pattern and for random float32 bit patterns (NaN in, NaN out), including the tails shorter than a SIMD vector.
import { afterAll, describe, expect, it } from "vitest";
import { f16ToF32Into, f32ToF16Into, setHalfConverters, type HalfConverters } from "@deberta-js/core";
import { loadCpuBackend } from "../src/index.js";

const be = await loadCpuBackend({ kernels: "native", threads: 1 }).catch((e: Error) => e);
if (be instanceof Error) console.warn(`native half conversion skipped: ${be.message}`);
// What loading the native kernels installed (then removed, so the TypeScript loops are the reference).
const native = be instanceof Error ? undefined : setHalfConverters(undefined);

describe.skipIf(!native)("native half conversion", () => {
  afterAll(() => setHalfConverters(native));
  const n = native as HalfConverters;

  it("is installed by loading the native kernels", () => {
    expect(typeof n.f32ToF16).toBe("function");
    expect(typeof n.f16ToF32).toBe("function");
  });

  it("widens every half bit pattern exactly as core does", () => {
    const h = new Uint16Array(65536).map((_, i) => i);
    const ref = new Float32Array(65536);
    const got = new Float32Array(65536);
    f16ToF32Into(h, ref);
    n.f16ToF32(h, got, 65536);
    const bad = [...ref.keys()].filter((i) => !(Object.is(ref[i], got[i]) || (Number.isNaN(ref[i]) && Number.isNaN(got[i]))));
    expect(bad.slice(0, 5).map((i) => `0x${i.toString(16)}: ${got[i]} vs ${ref[i]}`)).toEqual([]);
  });

  it("rounds random float32 bit patterns to half exactly as core does (NaN stays NaN)", () => {
    const count = (1 << 20) + 7; // a tail the 8-wide loop leaves to the scalar code
    const bits = new Uint32Array(count);
    let s = 12345;
    for (let i = 0; i < count; i++) bits[i] = s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // edge values: half max, rounding to inf, ties, smallest subnormals, ±0, ±inf
    const edges = [65504, 65519.996, 65520, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 0, -0, Infinity, -Infinity, 6.1e-5];
    const f = new Float32Array(bits.buffer);
    edges.forEach((v, i) => (f[i] = v));
    const ref = new Uint16Array(count);
    const got = new Uint16Array(count);
    f32ToF16Into(f, ref);
    n.f32ToF16(f, got, count);
    const isNanHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    const bad = [...ref.keys()].filter((i) => ref[i] !== got[i] && !(isNanHalf(ref[i]) && isNanHalf(got[i])));
    expect(bad.slice(0, 5).map((i) => `${f[i]}: 0x${got[i].toString(16)} vs 0x${ref[i].toString(16)}`)).toEqual([]);
  });

  it("throws a RangeError instead of writing past an array", () => {
    expect(() => n.f32ToF16(new Float32Array(8), new Uint16Array(4), 8)).toThrow(RangeError);
    expect(() => n.f16ToF32(new Uint16Array(8), new Float32Array(4), 8)).toThrow(RangeError);
    expect(() => n.f32ToF16(new Float32Array(8) as never, new Float32Array(8) as never, 8)).toThrow(TypeError);
  });
});
