#!/usr/bin/env node
// What batching can buy on this backend and machine, in-process (no HTTP): the one-sentence forward pass at batch
// 1 vs the same sentence ×16 and ×64 in one packed batch. `ms/sentence` at batch 1 ÷ at batch 64 is the ceiling of
// the server's throughput gain over one-forward-per-request; with 64 closed-loop clients, Little's law puts the
// server's latency near 64 × (ms/sentence at the batch size reached).
//
//   node packages/server/bench/ceiling.mjs <model folder made by load.mjs, or any classifier folder>
import "@deberta-js/backend-cpu";
import { execSync } from "node:child_process";
import { pipeline } from "@deberta-js/heads";

const dir = process.argv[2];
if (!dir) throw new Error("usage: ceiling.mjs <model folder>");
const clf = await pipeline("text-classification", dir, { device: "cpu", warn: () => {} });
const S = "The new phone's battery lasts two full days, but the camera is disappointing in low light.";
await clf(S);
const rows = [];
for (const n of [1, 16, 64]) {
  const reps = n === 1 ? 8 : n === 16 ? 2 : 1;
  const t = performance.now();
  for (let r = 0; r < reps; r++) await clf(Array(n).fill(S), { top_k: null, batch_size: n, packed: true });
  const ms = (performance.now() - t) / reps;
  rows.push({ n, ms, per: ms / n });
}
console.log("| batch | ms per forward | ms per sentence | gain vs batch 1 |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.n} | ${r.ms.toFixed(0)} | ${r.per.toFixed(1)} | ${(rows[0].per / r.per).toFixed(2)}× |`);
console.log(`uptime: ${execSync("uptime").toString().trim()}`);
clf.dispose();
