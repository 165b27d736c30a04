/**
 * Quantized Linear on the CPU: dequantize-in-GEMM by panels. The weight stays packed; each call dequantizes a
 * panel of output rows (≤ ~64 KiB of float32, L2-resident) and runs the float GEMM micro-kernel on it, so a 4-bit
 * model never holds more than one panel in float.
 */
import { type QuantizedHostWeight, dequantizeRows } from "@deberta-js/core";
import { NR, gemm } from "./gemm.js";

const PANEL_FLOATS = 16384;
let panel = new Float32Array(PANEL_FLOATS);

/** `out[T, N] = X[T, K] · dequant(w)ᵀ` (no bias, no activation). */
export function quantizedGemm(X: Float32Array, T: number, w: QuantizedHostWeight, out: Float32Array): void {
  const N = w.outFeatures;
  const K = w.inFeatures;
  // Rows per panel: a multiple of the micro-kernel width, at least one block of NR.
  const rows = Math.max(NR, Math.floor(PANEL_FLOATS / K / NR) * NR);
  if (panel.length < rows * K) panel = new Float32Array(rows * K);
  for (let n0 = 0; n0 < N; n0 += rows) {
    const n1 = Math.min(N, n0 + rows);
    dequantizeRows(w, n0, n1, panel);
    gemm(T, n1 - n0, K, 1, X, 0, K, 1, panel, 0, 1, K, out, n0, N, false);
  }
}
