#!/usr/bin/env node
/**
 * GFLOP/s of the compiled GEMM (native addon and WASM) on DeBERTa's linear shapes — for tuning csrc/gemm.c.
 * Usage (after `pnpm build`): node scripts/bench-gemm.mjs [native|wasm|both] [threads]
 */
import { loadNativeKernels } from "../dist/native.js";
import { loadWasmKernels } from "../dist/wasm.js";

const which = process.argv[2] ?? "both";
const threads = Number(process.argv[3] ?? 2);
const SHAPES = [
  // [M, N, K]: tokens × out × in
  [128, 384, 384],
  [128, 1536, 384],
  [128, 384, 1536],
  [1024, 384, 384],
  [1024, 1536, 384],
  [1024, 384, 1536],
  [128, 768, 768],
  [128, 3072, 768],
];

async function bench(ks) {
  if (typeof ks === "string") return console.log(ks);
  console.log(`${ks.name} ×${ks.threads}`);
  for (const [m, n, k] of SHAPES) {
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const w = Float32Array.from({ length: n * k }, () => Math.random() - 0.5);
    const bias = Float32Array.from({ length: n }, () => Math.random() - 0.5);
    const c = new Float32Array(m * n);
    const bp = ks.packB(w, n, k);
    const flops = 2 * m * n * k;
    const reps = Math.max(3, Math.round(2e9 / flops));
    for (let i = 0; i < 3; i++) ks.gemm(m, n, k, a, bp, c, bias, 0, 1);
    // spot-check a few outputs against a plain dot product, so a fast wrong kernel cannot pass for a fast one
    for (const [i, j] of [[0, 0], [m - 1, n - 1], [m >> 1, (n >> 1) + 3], [m - 2, 5]]) {
      let s = bias[j];
      for (let q = 0; q < k; q++) s += a[i * k + q] * w[j * k + q];
      if (Math.abs(s - c[i * n + j]) > 1e-3 + 1e-3 * Math.abs(s)) throw new Error(`${m}×${n}×${k}: c[${i},${j}] = ${c[i * n + j]}, expected ${s}`);
    }
    const times = [];
    const cpu = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const u0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) ks.gemm(m, n, k, a, bp, c, bias, 0, 1);
      const u = process.cpuUsage(u0);
      times.push((performance.now() - t0) / reps);
      cpu.push((u.user + u.system) / 1000 / reps);
    }
    times.sort((x, y) => x - y);
    cpu.sort((x, y) => x - y);
    const gf = (ms) => (flops / (ms * 1e6)).toFixed(1);
    // per CPU-second: what one core does while it runs (robust on a loaded machine)
    console.log(`  ${m}×${n}×${k}: best ${times[0].toFixed(3)} ms ${gf(times[0])} GFLOP/s, median ${gf(times[2])}; per cpu-s ${gf(cpu[2])}`);
    ks.freePacked(bp);
  }
}

/** A layer's Q/K/V (three 384×384 weights of one input): three `gemm` calls vs one `gemmMulti`, interleaved. */
function qkv(ks, m) {
  if (typeof ks === "string") return;
  const k = 384, n = 384;
  const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
  const bps = [0, 1, 2].map(() => ks.packB(Float32Array.from({ length: n * k }, () => Math.random() - 0.5), n, k));
  const bias = Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const cs = [0, 1, 2].map(() => new Float32Array(m * n));
  const arms = {
    "3 × gemm": () => bps.forEach((bp, i) => ks.gemm(m, n, k, a, bp, cs[i], bias, 0, 1)),
    gemmMulti: () => ks.gemmMulti(m, k, a, [n, n, n], bps, cs, [bias, bias, bias]),
  };
  const times = { "3 × gemm": [], gemmMulti: [] };
  const reps = Math.max(3, Math.round(1e9 / (6 * m * n * k)));
  for (let r = 0; r < 12; r++) {
    for (const [name, f] of Object.entries(arms)) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) f();
      times[name].push((performance.now() - t0) / reps);
    }
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const line = Object.entries(times).map(([name, t]) => `${name} ${med(t).toFixed(3)} ms ${((6 * m * n * k) / (med(t) * 1e6)).toFixed(1)} GFLOP/s`);
  console.log(`  Q/K/V ${m}×3·${n}×${k}: ${line.join(", ")} (medians, interleaved)`);
  bps.forEach((bp) => ks.freePacked(bp));
}

async function run(ks) {
  await bench(ks);
  for (const m of [128, 1024]) qkv(ks, m);
}

if (which !== "wasm") await run(await loadNativeKernels(threads));
if (which !== "native") await run(await loadWasmKernels(threads));
process.exit(0);
