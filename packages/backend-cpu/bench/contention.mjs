#!/usr/bin/env node
// The CPU backend's batch-1 forward with 1 and 2 threads, on a quiet machine and while a CPU hog (a busy-looping
// Node process pinned to one core with taskset when available) competes for a core: what a server sees when anything
// else runs next to it. A pool whose jobs wait for every worker to wake degrades far past the 1-thread time under
// contention; one that waits only for claimed tasks stays near it. Each configuration is timed in rounds that
// alternate quiet/hog so drift on a shared machine hits both alike; prints medians and ratios.
//
//   node packages/backend-cpu/bench/contention.mjs [--model DIR (default ../shared/bench/deberta-v3-xsmall-6l)] [--seq 128] [--rounds 3] [--runs 20] [--kernels native|wasm]
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    // the repository's sibling ../shared/bench (see CONTRIBUTING.md), wherever this is run from
    model: { type: "string", default: fileURLToPath(new URL("../../../../shared/bench/deberta-v3-xsmall-6l", import.meta.url)) },
    seq: { type: "string", default: "128" },
    rounds: { type: "string", default: "3" },
    runs: { type: "string", default: "20" },
    kernels: { type: "string", default: "native" },
  },
});
const bin = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url));
if (!existsSync(bin)) throw new Error(`${bin} not found: run pnpm build first`);
const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

function bench(threads) {
  const out = execFileSync(process.execPath, [bin, "bench", "--model", args.model, "--threads", String(threads), "--batch", "1", "--seq", args.seq,
    "--runs", args.runs, "--warmup", "5"], { env: { ...process.env, DEBERTA_JS_CPU: args.kernels }, stdio: ["ignore", "pipe", "ignore"] }).toString();
  return JSON.parse(out.trim().split("\n").pop()).ms_median;
}

async function withHog(fn) {
  const core = String(cpus().length - 1);
  const hog = hasTaskset ? spawn("taskset", ["-c", core, process.execPath, "-e", "for(;;){}"], { stdio: "ignore" })
    : spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  try {
    return fn();
  } finally {
    hog.kill();
    await new Promise((r) => hog.once("exit", r));
  }
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = { q1: [], q2: [], h1: [], h2: [] };
console.error(`load before: ${loadavg().map((x) => x.toFixed(2)).join(" ")}; hog ${hasTaskset ? "pinned to the last core" : "unpinned"}`);
for (let r = 0; r < Number(args.rounds); r++) {
  t.q1.push(bench(1));
  t.q2.push(bench(2));
  await withHog(() => {
    t.h1.push(bench(1));
    t.h2.push(bench(2));
  });
}
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
console.log(`| ${args.kernels}, 1×${args.seq} | 1 thread ms | 2 threads ms | 2 threads ÷ 1 thread |\n|---|---|---|---|`);
console.log(`| quiet | ${m.q1.toFixed(1)} | ${m.q2.toFixed(1)} | ${(m.q2 / m.q1).toFixed(2)} |`);
console.log(`| one core busy (hog) | ${m.h1.toFixed(1)} | ${m.h2.toFixed(1)} | ${(m.h2 / m.h1).toFixed(2)} |`);
console.log(`hog ÷ quiet, 2 threads: ${(m.h2 / m.q2).toFixed(2)}; load after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(JSON.stringify({ kernels: args.kernels, seq: Number(args.seq), ...t }));
