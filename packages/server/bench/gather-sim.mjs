#!/usr/bin/env node
// The batcher's mechanics without the model's CPU: the real HTTP server, real tokenization, and a simulated model
// that sleeps for the forward time of the CPU backend (ms = a + b × inputs, from ceiling.mjs on a quiet machine) —
// so on a busy shared machine this still shows how full the batches get and how busy the model is kept, for the
// current gathering policy against the previous one (wait only while admitted requests are being read, ≤ 2 ms)
// and a more patient one (≤ 10 % of the last batch), twice each, interleaved.
//
//   node packages/server/bench/gather-sim.mjs <model folder> [--clients 64] [--duration 10] [--a 50] [--b 14.6]
import "@deberta-js/backend-cpu";
import { execSync } from "node:child_process";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { pipeline } from "@deberta-js/heads";
import { BatchQueue, DebertaServer } from "../dist/index.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { clients: { type: "string", default: "64" }, duration: { type: "string", default: "10" }, a: { type: "string", default: "50" }, b: { type: "string", default: "14.6" } },
});
const clf = await pipeline("text-classification", positionals[0], { device: "cpu", warn: () => {} });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const runner = {
  task: clf.task,
  config: clf.model.config,
  tokenizer: clf.tokenizer,
  isClassifier: true,
  dtype: "float32",
  backend: "simulated",
  async classify(rows) {
    await sleep(Number(o.a) + Number(o.b) * rows.length);
    return rows.map(() => new Float32Array([0.1, 0.2, 0.3]));
  },
  call: () => Promise.reject(new Error("not simulated")),
  dispose: async () => {},
};

const current = BatchQueue.prototype.gather;
async function previous() {
  const arriving = this.options.arriving ?? (() => 0);
  const deadline = performance.now() + (this.options.gatherMs ?? 2);
  for (let turn = 0; turn < 2 || (arriving() > 0 && performance.now() < deadline); turn++) await new Promise((r) => setImmediate(r));
}

const metric = (text, name) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text)?.[1] ?? 0);
async function run(label, gather) {
  BatchQueue.prototype.gather = gather;
  const server = new DebertaServer(runner, { log: () => {} });
  const { port } = await server.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  const r = await autocannon({ url: `${url}/predict`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: "The new phone's battery lasts two full days, but the camera is disappointing in low light." }), connections: Number(o.clients), duration: Number(o.duration) });
  const m = await (await fetch(`${url}/metrics`)).text();
  await server.drain();
  const batches = metric(m, "te_batch_next_size_count");
  const busy = metric(m, "te_batch_inference_duration_sum") / Number(o.duration);
  console.log(`| ${label} | ${r.requests.average.toFixed(1)} | ${r.latency.p50} | ${r.latency.p99} | ${(metric(m, "te_batch_next_size_sum") / batches).toFixed(1)} | ${(100 * busy).toFixed(0)}% |`);
}
console.log(`simulated model: ${o.a} + ${o.b} × inputs ms per batch; ${o.clients} clients, ${o.duration} s each\n`);
console.log("| gathering | req/s | p50 ms | p99 ms | mean batch | model busy |\n|---|---|---|---|---|---|");
// A longer bound, to see whether merging the closed loop's client cohorts into fuller batches pays for the wait.
async function patient() {
  const saved = this.options.gatherFraction;
  this.options.gatherFraction = 0.1;
  try {
    await current.call(this);
  } finally {
    this.options.gatherFraction = saved;
  }
}
for (let i = 0; i < 2; i++) {
  await run("previous (≤ 2 ms while reading)", previous);
  await run("current (while growing, ≤ 2% of last batch)", current);
  await run("while growing, ≤ 10% of last batch", patient);
}
console.log(`uptime: ${execSync("uptime").toString().trim()}`);
clf.dispose();
