#!/usr/bin/env node
// What batching can buy on this backend and machine, in-process (no HTTP): the one-sentence forward pass at batch
// 1 vs the same sentence ×4…×64 in one packed batch, on the path the server takes (tokenized rows → one packed
// forward of the sequence-classification head → logits). `ms/sentence` at batch 1 ÷ at batch 64 is the ceiling of
// the server's throughput gain over one-forward-per-request; with 64 closed-loop clients, Little's law puts the
// server's latency near 64 × (ms/sentence at the batch size reached).
//
//   node packages/server/bench/ceiling.mjs <model folder made by load.mjs, or any classifier folder> [threads] [--json]
import "@deberta-js/backend-cpu";
import { execSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { getBackend } from "@deberta-js/core";
import { padRows, pipeline } from "@deberta-js/heads";

const [dir, threadsArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (!dir) throw new Error("usage: ceiling.mjs <model folder> [threads] [--json]");
const threads = Number(threadsArg ?? availableParallelism());
const backend = await getBackend("cpu", { threads });
const clf = await pipeline("text-classification", dir, { device: backend, warn: () => {} });
const S = "The new phone's battery lasts two full days, but the camera is disappointing in low light.";
const row = clf.tokenizer.encode(S)[0];
const forward = async (n) => {
  const host = padRows(Array.from({ length: n }, () => ({ ids: row.ids, typeIds: row.typeIds })), clf.model.config, clf.tokenizer.padTokenId);
  const { logits } = clf.model.forwardHost(host, { packed: true });
  await logits.data();
  logits.dispose();
};
for (let i = 0; i < 3; i++) await forward(1);
await forward(64); // the first large batch sizes the pools
const rows = [];
for (const n of [1, 4, 16, 32, 64]) {
  const reps = Math.max(2, Math.round(24 / n));
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await forward(n);
    times.push(performance.now() - t);
  }
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]; // median: the machine is shared
  rows.push({ n, ms, per: ms / n });
}
const kernels = `${backend.name} ${backend.kernelSet ?? "js"}${backend.threads ? ` ×${backend.threads}` : ""}`;
console.log(`in-process ceiling (${row.ids.length} tokens per sentence, ${kernels}, median of the reps):`);
console.log("| batch | ms per forward | ms per sentence | gain vs batch 1 |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.n} | ${r.ms.toFixed(1)} | ${r.per.toFixed(2)} | ${(rows[0].per / r.per).toFixed(2)}× |`);
console.log(`uptime: ${execSync("uptime").toString().trim()}`);
if (process.argv.includes("--json")) console.log(`CEILING ${JSON.stringify({ kernels, tokens: row.ids.length, rows })}`);
clf.dispose();
