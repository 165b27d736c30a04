/**
 * Bulk f16 ↔ f32 conversion for the CPU backend: a 65536-entry table for half → float, bit arithmetic on the
 * float32 bits for float → half (round to nearest even, as torch's `.half()` and core's `f32ToF16Bits`).
 */
import { f16BitsToF32 } from "@deberta-js/core";

let table: Float32Array | null = null;

/** half bits → float32, for all 65536 bit patterns. */
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32(h);
  }
  return table;
}

export function f16ToF32(src: Uint16Array, dst: Float32Array, n = src.length): void {
  const t = halfTable();
  for (let i = 0; i < n; i++) dst[i] = t[src[i]];
}

/** float32 bits → half bits, round to nearest even; NaN stays NaN, overflow gives ±inf. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
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
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function f32ToF16(src: Float32Array, dst: Uint16Array, n = src.length): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = f32BitsToF16(bits[i]);
}
