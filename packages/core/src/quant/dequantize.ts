/**
 * Host reference dequantization (float32, bnb's arithmetic order). The reference fallback of `quantizedLinear`
 * and the loader's unit checks use these; backend kernels must agree with them.
 */
import { type NestedAbsmax, type QuantizedHostWeight, INT8_DEQUANT } from "./quantized-weight.js";

const fround = Math.fround;

/** bnb double quantization → float32 absmax: `f32(f32(map[code] * nested[i / bs]) + f32(offset))`. */
export function expandNestedAbsmax(n: NestedAbsmax): Float32Array {
  const out = new Float32Array(n.codes.length);
  const offset = fround(n.offset);
  for (let i = 0; i < out.length; i++) {
    out[i] = fround(fround(n.nestedMap[n.codes[i]] * n.nestedAbsmax[Math.floor(i / n.blocksize)]) + offset);
  }
  return out;
}

/** Rows `[rowStart, rowEnd)` of the weight as float32, row-major `[(rowEnd - rowStart), K]`. */
export function dequantizeRows(w: QuantizedHostWeight, rowStart: number, rowEnd: number, out?: Float32Array): Float32Array {
  const K = w.inFeatures;
  const dst = out ?? new Float32Array((rowEnd - rowStart) * K);
  if (w.layout === "int8") {
    const codes = new Int8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    for (let n = rowStart; n < rowEnd; n++) {
      const s = w.scales[n];
      const o = (n - rowStart) * K;
      for (let k = 0; k < K; k++) dst[o + k] = fround(fround(codes[n * K + k] * s) * INT8_DEQUANT);
    }
    return dst;
  }
  const table = w.table!;
  const bs = w.blockSize;
  const e0 = rowStart * K;
  const e1 = rowEnd * K;
  for (let e = e0; e < e1; e++) {
    const b = w.data[e >> 1];
    const c = e & 1 ? b & 0x0f : b >> 4;
    dst[e - e0] = fround(table[c] * w.scales[Math.floor(e / bs)]);
  }
  return dst;
}

/** The whole weight `[N, K]` as float32. */
export function dequantize(w: QuantizedHostWeight): Float32Array {
  return dequantizeRows(w, 0, w.outFeatures);
}
