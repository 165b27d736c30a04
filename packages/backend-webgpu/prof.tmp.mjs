import { paddedLayout } from "@deberta-js/core";
import { createNodeWebGpuBackend } from "./dist/node.js";
const be = await createNodeWebGpuBackend(process.env.KP ? { kernels: process.env.KP } : {}); console.log("kernels", be.kernels);
const rnd = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const T = 128, H = 384, I = 1536;
const x = be.upload(rnd(T * H), [T, H], "f32");
const w1 = be.upload(rnd(I * H), [I, H], "f32");
const b1 = be.upload(rnd(I), [I], "f32");
const wq = be.upload(rnd(H * H), [H, H], "f32");
const g = be.upload(rnd(H), [H], "f32");
const pos = be.upload(rnd(512 * H), [512, H], "f32");
const rel = be.upload(Int32Array.from({ length: 2 * T - 1 }, (_, i) => Math.min(511, Math.max(0, i - T + 1 + 256))), [2 * T - 1], "i32");
async function time(name, fn, reps = 3) {
  let r = fn(); await be.sync(); r.dispose?.();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const y = fn(); await be.sync(); (y.context ?? y).dispose(); }
  console.log(name, ((performance.now() - t0) / reps).toFixed(1), "ms");
}
await time("linear 128x384 -> 1536 gelu", () => be.linear(x, w1, b1, "gelu"));
await time("linear 128x384 -> 384", () => be.linear(x, wq, g));
await time("matmul a·bᵀ same", () => be.matmul(x, wq, { transB: true }));
await time("layernorm", () => be.addLayerNorm(x, x, g, g, 1e-7));
await time("add", () => be.add(x, x));
const layout = paddedLayout(1, T);
await time("attention c2p+p2c", () => be.disentangledAttention({ q: x, k: x, v: x, posKey: pos, posQuery: pos, relIndex: rel, layout, spec: { numHeads: 6, headDim: 64, c2p: true, p2c: true, scale: Math.sqrt(64 * 3), span: 256, buckets: 256, maxPosition: 512 } }), 1);
await time("attention plain", () => be.disentangledAttention({ q: x, k: x, v: x, layout, spec: { numHeads: 6, headDim: 64, c2p: false, p2c: false, scale: 8, span: 256, buckets: 256, maxPosition: 512 } }), 1);
be.destroy();
