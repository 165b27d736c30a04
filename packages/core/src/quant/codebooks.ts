/**
 * The 16-entry code tables of the 4-bit formats (index = 4-bit code), float32.
 * NF4 and FP4 are bitsandbytes' (`functional.py`); a checkpoint's stored `quant_map` is what loading uses, these
 * are for quantizing. `q4` is ours: linear symmetric int4, `(c - 8) / 7`, so 0 is exact and c = 0 is unused.
 */
import type { QuantMethod } from "./quantized-weight.js";

export const NF4_TABLE = Float32Array.from([
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1,
]);

/** bit 3 = sign, 2 exponent bits, 1 mantissa bit; not sorted; index 8 is +0.0 as bnb stores it. */
export const FP4_TABLE = Float32Array.from([0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => (v === 0 ? 0 : v / 12)));

export const Q4_TABLE = Float32Array.from({ length: 16 }, (_, c) => (c === 0 ? -8 / 7 : (c - 8) / 7));

export function tableFor(method: Exclude<QuantMethod, "int8">): Float32Array {
  return method === "nf4" ? NF4_TABLE : method === "fp4" ? FP4_TABLE : Q4_TABLE;
}
