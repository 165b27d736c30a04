#!/usr/bin/env node
// A/B of the fused Q/K/V op in one process: the model's forward with the backend's `linearMany` (A) and with it
// hidden, so core runs three separate `linear`s (B), and the ONNX Runtime peer — interleaved A B peer B A per round,
// so a shared machine's drift hits all three alike. Prints medians, each arm's ratio to the peer, the median of the
// per-round paired ratios B/A, and CPU time per forward. Needs `pnpm build`.
//
//   node packages/backend-cpu/bench/linear-many-ab.mjs [--model DIR] [--kernels wasm|native] [--batch 1] [--seq 128]
//                                                      [--rounds 20] [--threads 2]
// The peer is onnxruntime-web's WASM build for --kernels wasm, onnxruntime-node for native (settings as `bench --peer`).
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DebertaV2Model } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { loadCpuBackend } from "../dist/index.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "../shared/bench/deberta-v3-xsmall-6l" },
    kernels: { type: "string", default: "wasm" },
    batch: { type: "string", default: "1" },
    seq: { type: "string", default: "128" },
    rounds: { type: "string", default: "20" },
    threads: { type: "string", default: "2" },
  },
});
const [B, L, rounds, threads] = [args.batch, args.seq, args.rounds, args.threads].map(Number);
const peer = args.kernels === "wasm" ? "onnxruntime-web" : "onnxruntime-node";
const be = await loadCpuBackend({ kernels: args.kernels, threads });
const model = await DebertaV2Model.fromPretrained(directoryFiles(args.model), { backend: be, dtype: "fp32" });
const span = Math.min(8000, model.config.vocab_size - 3);
const ids = Array.from({ length: B }, (_, b) => Array.from({ length: L }, (_, s) => 3 + (((b * L + s) * 7919) % span)));

// the peers are the CLI's optional dependencies
const ort = await import(createRequire(new URL("../../cli/package.json", import.meta.url)).resolve(peer));
if (peer === "onnxruntime-web") ort.env.wasm.numThreads = threads;
const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", logSeverityLevel: 3 };
const onnx = `${args.model}/model.onnx`;
const session = await ort.InferenceSession.create(peer === "onnxruntime-web" ? new Uint8Array(await readFile(onnx)) : onnx, opts);
const feeds = {
  input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.flat().map(BigInt)), [B, L]),
  attention_mask: new ort.Tensor("int64", new BigInt64Array(B * L).fill(1n), [B, L]),
};

const forward = async () => {
  const out = await model.forward({ input_ids: ids });
  await out.last_hidden_state.data();
  out.last_hidden_state.dispose();
};
const arms = {
  A: () => (delete be.linearMany, forward()), // the backend's fused op (its prototype method)
  B: () => ((be.linearMany = undefined), forward()), // hidden: core's fallback, one linear per weight
  peer: () => session.run(feeds),
};
const wall = { A: [], B: [], peer: [] };
const cpu = { A: [], B: [], peer: [] };
const timed = async (k) => {
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await arms[k]();
  const dt = performance.now() - t0;
  const u = process.cpuUsage(u0);
  wall[k].push(dt);
  cpu[k].push((u.user + u.system) / 1000);
  return dt;
};
for (const k of ["A", "B", "peer", "A", "B", "peer"]) await timed(k); // warm-up (weights packed, pools started)
for (const v of [...Object.values(wall), ...Object.values(cpu)]) v.length = 0;
const load0 = loadavg()[0];
const pairs = [];
for (let r = 0; r < rounds; r++) {
  const a1 = await timed("A"), b1 = await timed("B");
  await timed("peer");
  const b2 = await timed("B"), a2 = await timed("A");
  pairs.push((b1 + b2) / (a1 + a2));
}
const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const m = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, med(v)]));
console.log(
  `${be.kernelSet} ×${be.threads} ${B}×${L}: linearMany ${m.A.toFixed(2)} ms, separate linears ${m.B.toFixed(2)} ms, ${peer} ${m.peer.toFixed(2)} ms` +
    ` | peer/ours: linearMany ${(m.peer / m.A).toFixed(3)}×, separate ${(m.peer / m.B).toFixed(3)}×` +
    ` | paired separate/linearMany ${med(pairs).toFixed(3)} over ${rounds} rounds` +
    ` | CPU ms/forward ${med(cpu.A).toFixed(1)} / ${med(cpu.B).toFixed(1)} / ${med(cpu.peer).toFixed(1)} | load ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
);
process.exit(0);
