// GFLOP/s of the CPU GEMM. Skipped unless BENCH=1:  BENCH=1 pnpm exec vitest run test/matmul.bench.test.ts
import { it } from "vitest";
import { CpuBackend } from "../src/index.js";

it.skipIf(!process.env.BENCH)("matmul GFLOP/s", async () => {
  const be = new CpuBackend();
  const cases: Array<[string, number, number, number, boolean]> = [
    ["128×384 · 384×1536", 128, 384, 1536, false],
    ["128×384 · (1536×384)ᵀ (linear)", 128, 384, 1536, true],
    ["128×768 · (3072×768)ᵀ (linear)", 128, 768, 3072, true],
  ];
  for (const [name, M, K, N, transB] of cases) {
    const a = be.upload(Float32Array.from({ length: M * K }, () => Math.random() - 0.5), [M, K], "f32");
    const b = be.upload(Float32Array.from({ length: K * N }, () => Math.random() - 0.5), transB ? [N, K] : [K, N], "f32");
    for (let w = 0; w < 3; w++) be.matmul(a, b, { transB }).dispose();
    const times: number[] = [];
    for (let r = 0; r < 10; r++) {
      const t0 = performance.now();
      be.matmul(a, b, { transB }).dispose();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const best = times[0];
    const median = times[times.length >> 1];
    const gf = (ms: number) => ((2 * M * N * K) / (ms * 1e6)).toFixed(2);
    console.error(`${name}: best ${best.toFixed(2)} ms (${gf(best)} GFLOP/s), median ${median.toFixed(2)} ms (${gf(median)} GFLOP/s)`);
  }
});

it.skipIf(!process.env.BENCH)("op timings (one DeBERTa-base layer's shapes, L=128)", async () => {
  const { paddedLayout } = await import("@deberta-js/core");
  const { buildRelIndex } = await import("@deberta-js/core/testing");
  const be = new CpuBackend();
  const L = 128;
  const H = 12;
  const d = 64;
  const HD = H * d;
  const S = 256;
  const r = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const up = (shape: number[]) => be.upload(r(shape.reduce((a, b) => a * b, 1)), shape, "f32");
  const [q, k, v] = [up([L, HD]), up([L, HD]), up([L, HD])];
  const [pk, pq] = [up([2 * S, HD]), up([2 * S, HD])];
  const rel = be.upload(buildRelIndex(L, S, 256, 512), [2 * L - 1], "i32");
  const layout = paddedLayout(1, L);
  const mask = be.upload(new Float32Array(L).fill(1), [1, L], "f32");
  const spec = { numHeads: H, headDim: d, c2p: true, p2c: true, scale: Math.sqrt(3 * d), span: S, buckets: 256, maxPosition: 512 };
  const time = (name: string, f: () => void, reps = 8) => {
    f();
    f();
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    console.error(`${name}: best ${ts[0].toFixed(2)} ms, median ${ts[reps >> 1].toFixed(2)} ms`);
  };
  time("disentangledAttention L=128 H=12 d=64 c2p+p2c", () => be.disentangledAttention({ q, k, v, posKey: pk, posQuery: pq, relIndex: rel, mask, layout, spec }).context.dispose());
  const x = up([L, 768]);
  const b = up([768]);
  const [w, w3, b3, cw] = [up([768, 768]), up([3072, 768]), up([3072]), up([768, 768, 3])];
  time("linear 128×768 → 768", () => be.linear(x, w, b).dispose());
  time("linear 128×768 → 3072 gelu", () => be.linear(x, w3, b3, "gelu").dispose());
  time("addLayerNorm 128×768", () => be.addLayerNorm(x, x, b, b, 1e-7).dispose());
  time("conv1d 128×768 k=3", () => be.conv1d(x, cw, b, layout).dispose(), 4);
});
