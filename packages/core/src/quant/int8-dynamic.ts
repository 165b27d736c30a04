/**
 * The host reference of the `q8` product (int8 weights × dynamically quantized int8 activations), exactly the
 * arithmetic the compiled CPU kernels (backend-cpu csrc/qgemm.c) run:
 *
 *  - each row `x` of the input is quantized on its own: `amax = max|x|`, `inv = f32(127 / amax)`,
 *    `q = clamp(rne(f32(x · inv)), ±127)`, `sa = f32(amax / 127)` (an all-zero row has codes 0);
 *  - `acc = Σ q · code` exactly (int32; |q|, |code| ≤ 127);
 *  - `y = f32(acc) · f32(sa · f32(SCB / 127))` (+ bias, activation: by the caller).
 *
 * The weight's scale is bnb's `SCB / 127` per output row, so the int8 weight is the same one `dequantize` expands.
 */
import { roundHalfEven } from "./quantize.js";
import { INT8_DEQUANT, type QuantizedHostWeight } from "./quantized-weight.js";

const fround = Math.fround;

/** Quantizes one activation row into `codes`; returns its scale `sa` (0 for an all-zero row). */
export function quantizeActivationRow(x: Float32Array, codes: Int8Array): number {
  let amax = 0;
  for (let j = 0; j < x.length; j++) amax = Math.max(amax, Math.abs(x[j]));
  if (amax === 0) {
    codes.fill(0);
    return 0;
  }
  const inv = fround(127 / amax);
  for (let j = 0; j < x.length; j++) codes[j] = Math.max(-127, Math.min(127, roundHalfEven(fround(x[j] * inv))));
  return fround(amax / 127);
}

/** `out[T, N] = y` above, without bias or activation. */
export function int8DynamicGemmHost(X: Float32Array, T: number, w: QuantizedHostWeight, out: Float32Array): void {
  const N = w.outFeatures;
  const K = w.inFeatures;
  const codes = new Int8Array(w.data.buffer, w.data.byteOffset, N * K);
  const sw = w.scales.map((s) => fround(s * INT8_DEQUANT));
  const q = new Int8Array(K);
  for (let t = 0; t < T; t++) {
    const sa = quantizeActivationRow(X.subarray(t * K, t * K + K), q);
    for (let n = 0; n < N; n++) {
      let acc = 0;
      const o = n * K;
      for (let k = 0; k < K; k++) acc += q[k] * codes[o + k];
      out[t * N + n] = fround(fround(acc) * fround(sa * sw[n]));
    }
  }
}
