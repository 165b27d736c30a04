/**
 * Quantize-on-load: float32 `nn.Linear` weights → the two kernel layouts, with bitsandbytes' arithmetic so that a
 * model quantized here and saved in bnb format is what bnb itself would have written for the same float weights.
 *
 *  - `int8` (`q8`): LLM.int8 row-wise: `W16 = f16(W)`, `SCB[n] = max |W16[n]|`, `CB = rne(W16 · f32(f32(1/SCB)·127))`.
 *    One scale per output row; the int8 GEMM quantizes activations per row at run time.
 *  - `nf4` / `fp4` / `q4`: 64-element blocks of the flattened weight, absmax per block, each value → the nearest
 *    table entry of `scaled = clamp(w · f32(1/absmax), −1, 1)` (bnb's bucketize: a tie goes to the lower entry).
 */
import { f16BitsToF32, f32ToF16Bits } from "../dtype.js";
import { InputError } from "../errors.js";
import { tableFor } from "./codebooks.js";
import type { QuantMethod, QuantizedHostWeight } from "./quantized-weight.js";

const fround = Math.fround;

/** Round half to even (torch.round). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface QuantizeOptions {
  /** int4 block size (default 64, bnb's). */
  blockSize?: number;
}

export function quantizeWeight(w: Float32Array, n: number, k: number, method: QuantMethod, opts: QuantizeOptions = {}): QuantizedHostWeight {
  if (w.length !== n * k) throw new InputError(`quantizeWeight: ${w.length} values for shape [${n}, ${k}]`);
  return method === "int8" ? quantizeInt8(w, n, k) : quantizeInt4(w, n, k, method, opts.blockSize ?? 64);
}

function quantizeInt8(w: Float32Array, n: number, k: number): QuantizedHostWeight {
  const codes = new Int8Array(n * k);
  const scales = new Float32Array(n);
  quantizeInt8Rows(w, n, k, codes, scales);
  return { layout: "int8", method: "int8", outFeatures: n, inFeatures: k, blockSize: k, data: new Uint8Array(codes.buffer), scales };
}

/**
 * LLM.int8 row-wise quantization of `n` rows of `k` into `codes` / `scales` (row `r` at `codes[r·k]`, `scales[r]`).
 * Rows are independent, so a table can be quantized a block of rows at a time into its final arrays.
 */
export function quantizeInt8Rows(w: Float32Array, n: number, k: number, codes: Int8Array, scales: Float32Array): void {
  const w16 = new Float32Array(k);
  for (let r = 0; r < n; r++) {
    let absmax = 0;
    for (let j = 0; j < k; j++) {
      w16[j] = f16BitsToF32(f32ToF16Bits(w[r * k + j]));
      absmax = Math.max(absmax, Math.abs(w16[j]));
    }
    scales[r] = absmax;
    if (absmax === 0) continue; // all-zero row: codes stay 0
    const mul = fround(fround(1 / absmax) * 127);
    for (let j = 0; j < k; j++) codes[r * k + j] = Math.max(-127, Math.min(127, roundHalfEven(fround(w16[j] * mul))));
  }
}

/** Sorted table entries with their codes, and the midpoints between neighbours. */
function sortedTable(table: Float32Array): { values: number[]; codes: number[]; mids: number[] } {
  const order = [...table.keys()].sort((a, b) => table[a] - table[b] || a - b);
  // FP4 has two zeros (+0 at 0, "-0" at 8): keep the first of equal values, as bnb's sorted map does.
  const dedup = order.filter((c, i) => i === 0 || table[c] !== table[order[i - 1]]);
  const values = dedup.map((c) => table[c]);
  const mids = values.slice(1).map((v, i) => fround((values[i] + v) / 2));
  return { values, codes: dedup, mids };
}

function quantizeInt4(w: Float32Array, n: number, k: number, method: Exclude<QuantMethod, "int8">, bs: number): QuantizedHostWeight {
  const table = tableFor(method);
  const { codes, mids } = sortedTable(table);
  const zeroCode = codes[codes.findIndex((_, i) => table[codes[i]] === 0)];
  const total = n * k;
  const nb = Math.ceil(total / bs);
  const scales = new Float32Array(nb);
  const data = new Uint8Array(Math.ceil(total / 2));
  for (let b = 0; b < nb; b++) {
    const start = b * bs;
    const end = Math.min(total, start + bs);
    let absmax = 0;
    for (let e = start; e < end; e++) absmax = Math.max(absmax, Math.abs(w[e]));
    scales[b] = absmax;
    const inv = fround(1 / absmax);
    const full = end - start === bs;
    for (let e = start; e < end; e++) {
      let code = zeroCode;
      if (absmax > 0) {
        const s = Math.max(-1, Math.min(1, full ? fround(w[e] * inv) : fround(w[e] / absmax)));
        let i = 0; // bucketize(right=False): number of midpoints strictly below s
        while (i < mids.length && mids[i] < s) i++;
        code = codes[i];
      }
      data[e >> 1] |= e & 1 ? code : code << 4;
    }
  }
  if (total & 1) data[data.length - 1] |= zeroCode; // the pad nibble holds the code of 0, as bnb's does
  return { layout: "int4", method, outFeatures: n, inFeatures: k, blockSize: bs, data, scales, table: Float32Array.from(table) };
}
