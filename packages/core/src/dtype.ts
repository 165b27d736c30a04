/** Storage dtypes a backend holds. `i32` is for ids and index tables only. */
export type DType = "f32" | "f16" | "i32";
/** Activation/weight dtypes a model can compute in. */
export type FloatDType = "f32" | "f16";

/** The spellings users write for a float dtype ("fp16", "float16", "f16", …); undefined for anything else. */
export function parseFloatDType(name: string): FloatDType | undefined {
  if (name === "f32" || name === "fp32" || name === "float32") return "f32";
  if (name === "f16" || name === "fp16" || name === "float16") return "f16";
  return undefined;
}

/** What `Backend.read` returns for each dtype: f16 comes back as raw IEEE half bits (lossless). */
export type DataFor<D extends DType> = D extends "f32" ? Float32Array : D extends "f16" ? Uint16Array : Int32Array;
export type TensorData = Float32Array | Uint16Array | Int32Array;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (as torch's `.half()`); NaN stays NaN, overflow gives ±inf. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  return f32BitsToF16Bits(u32[0]);
}

/** The same conversion from the float32's raw bits (for bulk conversion through a Uint32Array view). */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into exponent: still correct
  return sign | half;
}

/** IEEE half bits → number. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits → number (exact). */
export function bf16BitsToF32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

let halfTable: Float32Array | null = null;

/** half bits → float32 for all 65536 patterns: bulk conversion is one table lookup per element. */
function f16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = f16BitsToF32(h);
  }
  return halfTable;
}

/**
 * Compiled bulk conversions a backend can install (the native CPU backend's F16C kernels): same results as the
 * TypeScript loops below (round-to-nearest-even; NaN stays NaN), ~20× faster. Used by every bulk conversion —
 * the loader's fp32 → fp16 chunks and the f16 ops' widening/rounding. Process-wide: conversions are pure.
 */
export interface HalfConverters {
  f32ToF16(src: Float32Array, dst: Uint16Array, n: number): void;
  f16ToF32(src: Uint16Array, dst: Float32Array, n: number): void;
}

let fastHalf: HalfConverters | undefined;
/** Below this many elements the call overhead of a compiled converter outweighs the loop. */
const FAST_MIN = 512;

/** Installs (or, with `undefined`, removes) compiled bulk half conversions; returns the previous ones. */
export function setHalfConverters(c: HalfConverters | undefined): HalfConverters | undefined {
  const prev = fastHalf;
  fastHalf = c;
  return prev;
}

/** Bulk half bits → float32 into `dst` (first `n` elements). */
export function f16ToF32Into(src: Uint16Array, dst: Float32Array, n = src.length): void {
  if (fastHalf && n >= FAST_MIN) return fastHalf.f16ToF32(src, dst, n);
  const t = f16Table();
  for (let i = 0; i < n; i++) dst[i] = t[src[i]];
}

/** Bulk float32 → half bits into `dst` (first `n` elements). */
export function f32ToF16Into(src: Float32Array, dst: Uint16Array, n = src.length): void {
  if (fastHalf && n >= FAST_MIN) return fastHalf.f32ToF16(src, dst, n);
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const x = bits[i];
    const a = x & 0x7fffffff;
    // Normal halves that cannot round up to inf (|x| in [2^-14, 65504 + half an ulp)), the usual weight: rebias the
    // exponent and round to nearest even in one add (ties: the +1 only when the kept bit is odd). ~3× the general path.
    if (a >= 0x38800000 && a < 0x477ff000) dst[i] = ((x >>> 16) & 0x8000) | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
    else dst[i] = f32BitsToF16Bits(x);
  }
}

export function f16ArrayToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  f16ToF32Into(src, out);
  return out;
}

export function f32ArrayToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  f32ToF16Into(src, out);
  return out;
}

export function bf16ArrayToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) o32[i] = src[i] << 16;
  return out;
}
