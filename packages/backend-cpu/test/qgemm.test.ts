// The quantized GEMMs of csrc/qgemm.c on every kernel set: "q8" (int8 activations) rows are independent of the
// batch — bit for bit —, and both kernels agree with core's host references (int8DynamicGemmHost, dequantize) on
// odd sizes, on the native SSE2 baseline too.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { QuantizedWeight, dequantize, int8DynamicGemmHost, quantizeWeight, type QuantMethod, type Tensor } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { CompiledCpuBackend, loadCpuBackend, type CpuBackend } from "../src/index.js";

function rand(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** x [T, K] with an outlier in row 1 and an all-zero row 2. */
function input(T: number, K: number, seed: number): Float32Array {
  const r = rand(seed);
  const x = Float32Array.from({ length: T * K }, () => 2 * r());
  if (T > 2) {
    x[K + 3] = 40;
    x.fill(0, 2 * K, 3 * K);
  }
  return x;
}

function qweight(method: QuantMethod, N: number, K: number, seed: number, int8Acts: boolean) {
  const r = rand(seed);
  const w = quantizeWeight(Float32Array.from({ length: N * K }, () => 0.6 * r()), N, K, method);
  return int8Acts ? { ...w, activations: "int8" as const } : w;
}

async function run(be: CpuBackend, x: Float32Array, T: number, K: number, w: ReturnType<typeof qweight>, bias?: Float32Array): Promise<Float32Array> {
  const q = QuantizedWeight.upload(be, w, false);
  const tx = be.upload(x, [T, K], "f32");
  const tb = bias ? be.upload(bias, [bias.length], "f32") : undefined;
  const y: Tensor = be.quantizedLinear(tx, q, tb);
  const out = (await y.data()) as Float32Array;
  for (const t of [tx, tb, y]) t?.dispose();
  q.dispose();
  return out;
}

/** Host reference: q8 → int8DynamicGemmHost, else the dequantized weight in float64. */
function reference(x: Float32Array, T: number, K: number, w: ReturnType<typeof qweight>, bias?: Float32Array): Float64Array {
  const N = w.outFeatures;
  const y = new Float64Array(T * N);
  if (w.activations === "int8") {
    const f = new Float32Array(T * N);
    int8DynamicGemmHost(x, T, w, f);
    y.set(f);
  } else {
    const W = dequantize(w);
    for (let t = 0; t < T; t++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[t * K + k] * W[n * K + k];
        y[t * N + n] = s;
      }
  }
  if (bias) for (let i = 0; i < y.length; i++) y[i] += bias[i % N];
  return y;
}

/** Every element within the fp32 fixture tolerance 1e-4 + 1e-4·|ref|. */
function expectClose(got: Float32Array, ref: Float64Array) {
  expect(got.length).toBe(ref.length);
  let bad = 0;
  for (let i = 0; i < ref.length; i++) if (!(Math.abs(got[i] - ref[i]) <= 1e-4 + 1e-4 * Math.abs(ref[i]))) bad++;
  expect(bad).toBe(0);
}

const VARIANTS = [
  { kernels: "native", threads: 2 },
  { kernels: "wasm", threads: 2 },
  { kernels: "wasm", threads: 1 },
  { kernels: "js", threads: 1 },
] as const;

for (const v of VARIANTS) {
  const be = await loadCpuBackend({ kernels: v.kernels, threads: v.threads }).catch((e: Error) => e);
  const label = `${v.kernels} kernels, ${v.threads} thread(s)`;
  if (be instanceof Error) {
    it.skip(`${label}: ${be.message}`, () => {});
    continue;
  }
  describe(`quantized GEMMs (${label})`, () => {
    it("q8: every row's output is bit-identical whatever else is in the batch", async () => {
      const [T, N, K] = [37, 67, 129];
      const x = input(T, K, 1);
      const w = qweight("int8", N, K, 2, true);
      const bias = Float32Array.from({ length: N }, rand(3));
      const batch = await run(be, x, T, K, w, bias);
      for (let t = 0; t < T; t++) {
        const one = await run(be, x.subarray(t * K, t * K + K), 1, K, w, bias);
        expect(Array.from(batch.subarray(t * N, t * N + N))).toEqual(Array.from(one));
      }
      // and the same rows inside a different batch (reversed, with other rows around)
      const rev = new Float32Array(T * K);
      for (let t = 0; t < T; t++) rev.set(x.subarray(t * K, t * K + K), (T - 1 - t) * K);
      const other = await run(be, rev, T, K, w, bias);
      for (let t = 0; t < T; t++) expect(Array.from(other.subarray((T - 1 - t) * N, (T - t) * N))).toEqual(Array.from(batch.subarray(t * N, t * N + N)));
    });

    for (const [method, acts] of [["int8", true], ["int8", false], ["nf4", false], ["q4", false], ["fp4", false]] as const) {
      for (const [T, N, K] of [[1, 1, 1], [3, 17, 3], [13, 33, 65], [70, 45, 258]] as const) {
        it(`${method}${acts ? " (int8 activations)" : ""} x [${T},${K}] W [${N},${K}] matches the host reference`, async () => {
          const x = input(T, K, 4 + T);
          const w = qweight(method, N, K, 5 + N, acts);
          const bias = Float32Array.from({ length: N }, rand(6));
          expectClose(await run(be, x, T, K, w, bias), reference(x, T, K, w, bias));
        });
      }
    }
  });
}

// The native addon's SSE2 baseline (what a CPU without AVX2 runs), forced through the addon's setIsa.
describe("native SSE2 baseline", async () => {
  const be = await loadCpuBackend({ kernels: "native", threads: 2 }).catch((e: Error) => e);
  if (!(be instanceof CompiledCpuBackend)) {
    it.skip("native addon not loadable", () => {});
    return;
  }
  const require = createRequire(import.meta.url);
  const addon = (require("node-gyp-build") as (d: string) => { setIsa(n: string): boolean; info(): { isa: string } })(fileURLToPath(new URL("..", import.meta.url)));
  it("runs q8 and nf4 like the host reference", async () => {
    const before = addon.info().isa;
    expect(addon.setIsa("base")).toBe(true);
    try {
      expect(be.kernelSet).toBe("native-base");
      const [T, N, K] = [19, 37, 101];
      const x = input(T, K, 7);
      for (const w of [qweight("int8", N, K, 8, true), qweight("nf4", N, K, 9, false)]) {
        expectClose(await run(be, x, T, K, w), reference(x, T, K, w));
      }
    } finally {
      addon.setIsa(before);
    }
  });
});
