// The compiled GEMM at the edges of its blocking: rows not a multiple of the register tile, columns not a multiple
// of the panel, K split into several blocks, more rows than one row block (so threads split C in 2D), K = 0, bias,
// exact GELU and alpha — against a float64 dot product, on every kernel set this machine loads.
import { describe, expect, it } from "vitest";
import type { KernelSet } from "../src/kernels.js";
import { loadNativeKernels } from "../src/native.js";
import { loadWasmKernels } from "../src/wasm.js";

const SETS: [string, () => Promise<KernelSet | string>][] = [
  ["native, 2 threads", () => loadNativeKernels(2)],
  ["wasm, 2 threads", () => loadWasmKernels(2)],
  ["wasm, 1 thread", () => loadWasmKernels(1)],
  ["wasm, 1 thread, non-shared memory", () => loadWasmKernels(1, { shared: false })],
];

// [m, n, k]
const SHAPES = [
  [1, 1, 1],
  [7, 17, 3],
  [13, 33, 300],
  [130, 40, 513],
  [300, 70, 20],
  [257, 384, 384],
  [5, 16, 0],
];

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5);
}

const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is not enough for a reference: use a series/continued-fraction-free form via Math
  let sum = x, term = x;
  for (let i = 1; i < 60; i++) {
    term *= (-x * x) / i;
    sum += term / (2 * i + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

for (const [label, load] of SETS) {
  const ks = await load();
  describe.skipIf(typeof ks === "string")(`compiled gemm, ${label}`, () => {
    const k = ks as KernelSet;
    for (const [m, n, kk] of SHAPES) {
      for (const [act, alpha, withBias] of [[0, 1, false], [1, 0.5, true]] as const) {
        it(`${m}×${n}×${kk}, ${act ? "bias + gelu, alpha 0.5" : "plain"}`, () => {
          const a = rand(m * kk, m * 31 + kk);
          const w = rand(n * kk, n * 17 + kk);
          const bias = withBias ? rand(n, n) : null;
          const c = new Float32Array(m * n).fill(NaN);
          const bp = k.packB(w, n, kk);
          k.gemm(m, n, kk, a, bp, c, bias, act, alpha);
          k.freePacked(bp);
          let bad = "";
          for (let i = 0; i < m && !bad; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let q = 0; q < kk; q++) s += a[i * kk + q] * w[j * kk + q];
              let r = alpha * s + (bias ? bias[j] : 0);
              if (act) r = 0.5 * r * (1 + erf(r / Math.SQRT2));
              const got = c[i * n + j];
              if (!(Math.abs(got - r) <= 1e-4 + 1e-4 * Math.abs(r))) {
                bad = `c[${i},${j}] = ${got}, expected ${r}`;
                break;
              }
            }
          expect(bad).toBe("");
        });
      }
    }
  });
}
