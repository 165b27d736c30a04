#!/usr/bin/env node
// Load test (a benchmark, not a test): one-sentence `POST /predict` at 1, 16 and 64 concurrent clients against
//   (a) `deberta-js serve` — the batching server, and
//   (b) a naive server: node:http + the text-classification pipeline, one forward pass per request,
// both on the CPU backend, same model, same machine, same run, loopback only, bounded durations (autocannon).
// Both servers run the same backend with the same options: the cpu backend created with `--threads` (default: all
// cores), kernels from DEBERTA_JS_CPU or the fastest that loads; each logs its kernel set and the run stops if they
// differ. Prints requests/s and p50/p99 latency per case, the batched/naive throughput ratio and p99 /
// single-request latency, the batched server's profile at the highest load (from /metrics: batch sizes, model busy
// fraction, queue/tokenization/request times, event-loop lag, CPU), the in-process ceiling (ceiling.mjs) and
// `uptime` (the machine may be shared: read ratios, not absolute numbers).
//
//   pnpm build && node packages/server/bench/load.mjs --base /path/to/deberta-v3-xsmall-6l [--duration 10] [--clients 1,16,64] [--threads 2]
//
// --base: a DeBERTa-v2/v3 model folder (config.json + model.safetensors; a base checkpoint is fine — the pooler and
// classifier are then random); the spm-v3-like fixture tokenizer is used (vocab ≥ 8001 rows needed).
import { spawn, execSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    duration: { type: "string", default: "10" },
    clients: { type: "string", default: "1,16,64" },
    "naive-child": { type: "string" },
    "max-batch-tokens": { type: "string", default: "16384" },
    threads: { type: "string", default: String(availableParallelism()) },
  },
});

const root = fileURLToPath(new URL("../../..", import.meta.url));
const SENTENCE = "The new phone's battery lasts two full days, but the camera is disappointing in low light.";

/** A sequence-classification folder over `base`'s weights with the fixture tokenizer. */
function modelFolder(base) {
  const dir = mkdtempSync(join(tmpdir(), "deberta-js-load-"));
  const config = JSON.parse(readFileSync(join(base, "config.json"), "utf8"));
  config.architectures = ["DebertaV2ForSequenceClassification"];
  config.id2label = { 0: "negative", 1: "neutral", 2: "positive" };
  config.label2id = { negative: 0, neutral: 1, positive: 2 };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  symlinkSync(resolve(base, "model.safetensors"), join(dir, "model.safetensors"));
  const tok = join(root, "fixtures/tokenizer/spm-v3-like");
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spm.model"]) copyFileSync(join(tok, f), join(dir, f));
  return dir;
}

/** The naive server: one pipeline call (one forward pass) per request, as a user would hand-write it. */
async function naiveServer(dir) {
  await import("@deberta-js/backend-cpu");
  const { getBackend } = await import("@deberta-js/core");
  const { pipeline } = await import("@deberta-js/heads");
  // The backend the server's model thread creates for `serve --backend cpu --threads N`.
  const be = await getBackend("cpu", { threads: Number(args.threads) });
  const clf = await pipeline("text-classification", dir, { device: be, warn: () => {} });
  const kernels = `${be.name} ${be.kernelSet ?? "js"}${be.threads ? ` ×${be.threads}` : ""}`;
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const { inputs } = JSON.parse(body);
    const out = await clf(inputs, { top_k: null });
    const text = JSON.stringify(out);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
  server.listen(0, "127.0.0.1", () => process.stderr.write(`naive (backend ${kernels}) on http://127.0.0.1:${server.address().port}\n`));
}

function startChild(argv) {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const port = new Promise((res, rej) => {
    child.stderr.on("data", (d) => {
      log += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) res({ port: Number(m[1]), backend: /\(backend ([^,)]+)/.exec(log)?.[1] ?? "?" });
    });
    child.once("exit", (code) => rej(new Error(`server exited ${code}: ${log}`)));
    child.once("error", rej);
  });
  return { child, port };
}

async function load(port, connections, duration) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/predict`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ inputs: SENTENCE }),
    connections,
    duration,
    timeout: 60,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, total: r.requests.total };
}

/**
 * Single-request latency with one client sending requests one after the other (fetch), no load generator running
 * alongside: on 2 cores, any third busy thread next to the kernels' two can slow a batch-1 forward several times over
 * (seen here: 9 ms alone, about 60 ms with other work running), so autocannon's 1-connection figure may differ.
 */
async function sequentialP50(port, n = 30) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: SENTENCE }) });
    await r.text();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[n >> 1];
}

/**
 * CPU seconds a process has used, all its threads (Linux /proc; undefined elsewhere). CPU per request is the
 * load-independent side of throughput: on a shared machine a server's req/s follows the CPU share it gets, its CPU
 * per request does not (much).
 */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/** The server's counters from /metrics (Prometheus text): sums and counts of the histograms, gauges. */
async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const v = {};
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z0-9_:]+)(?:\{[^}]*\})? ([0-9.e+-]+|NaN)$/.exec(line);
    if (m && !line.includes("_bucket")) v[m[1]] = (v[m[1]] ?? 0) + Number(m[2]);
  }
  v.at = performance.now();
  return v;
}

/** Where the time went between two scrapes of the batching server. */
function profile(a, b) {
  const d = (k) => (b[k] ?? 0) - (a[k] ?? 0);
  const mean = (k) => d(`${k}_sum`) / Math.max(1, d(`${k}_count`));
  const wall = (b.at - a.at) / 1000;
  return {
    batches: d("te_batch_next_size_count"),
    meanBatch: mean("te_batch_next_size"),
    meanBatchTokens: mean("te_batch_next_tokens"),
    batchMs: 1000 * mean("te_batch_inference_duration"),
    modelBusy: d("te_batch_inference_duration_sum") / wall,
    queueMs: 1000 * mean("te_request_queue_duration"),
    inferenceMs: 1000 * mean("te_request_inference_duration"),
    tokenizeMs: 1000 * mean("te_request_tokenization_duration"),
    requestMs: 1000 * mean("te_request_duration"),
    lagP99Ms: 1000 * (b.nodejs_eventloop_lag_p99_seconds ?? NaN),
    lagMaxMs: 1000 * (b.nodejs_eventloop_lag_max_seconds ?? NaN),
    cpuCores: d("process_cpu_seconds_total") / wall,
  };
}

async function main() {
  if (args["naive-child"]) return naiveServer(args["naive-child"]);
  if (!args.base) throw new Error("--base <model folder> is required (e.g. the deberta-v3-xsmall-6l bench model)");
  const dir = modelFolder(args.base);
  process.stderr.write(`model folder: ${dir}\n`);
  const duration = Number(args.duration);
  const clients = args.clients.split(",").map(Number);
  const bin = join(root, "packages/cli/dist/bin.js");
  const threads = args.threads;
  const servers = {
    batched: () => startChild([bin, "serve", "--model", dir, "--backend", "cpu", "--threads", threads, "--port", "0", "--max-batch-tokens", args["max-batch-tokens"]]),
    naive: () => startChild([fileURLToPath(import.meta.url), "--naive-child", dir, "--threads", threads]),
  };
  const results = {};
  const backends = {};
  const profiles = {};
  const loads = [];
  const singles = {};
  // Both servers are up for the whole run and each load level runs on one, then at once on the other: on a shared
  // machine whose load drifts, the two sides of each ratio are measured seconds apart, not minutes.
  const up0 = {};
  for (const [name, start] of Object.entries(servers)) {
    const { child, port: portP } = start();
    const { port, backend } = await portP;
    up0[name] = { child, port };
    backends[name] = backend;
    process.stderr.write(`${name}: backend ${backend}\n`);
    await load(port, 4, 2); // warm-up
    singles[name] = await sequentialP50(port);
  }
  for (const c of clients) {
    for (const [name, { child, port }] of Object.entries(up0)) {
      const before = name === "batched" ? await scrape(port) : undefined;
      const cpu0 = cpuSeconds(child.pid);
      const r = await load(port, c, duration);
      r.cpuMsPerReq = cpu0 === undefined ? NaN : (1000 * (cpuSeconds(child.pid) - cpu0)) / Math.max(1, r.total);
      if (before) profiles[c] = profile(before, await scrape(port));
      r.load = execSync("cat /proc/loadavg").toString().split(" ")[0];
      results[`${name}/${c}`] = r;
      loads.push(`${name} ${c}: ${r.load}`);
      process.stderr.write(`${name} ${c} clients: ${r.rps.toFixed(1)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, CPU ${r.cpuMsPerReq.toFixed(1)} ms/req, load ${r.load}\n`);
    }
  }
  for (const { child } of Object.values(up0)) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  if (backends.batched !== backends.naive) throw new Error(`the servers ran different backends: batched ${backends.batched}, naive ${backends.naive}`);
  const up = execSync("uptime").toString().trim();
  // The in-process ceiling, same model, same backend options, right after (see ceiling.mjs).
  const ceilingOut = execSync(`${process.execPath} ${fileURLToPath(new URL("./ceiling.mjs", import.meta.url))} ${dir} ${threads} --json`).toString();
  console.log(ceilingOut.split("\n").filter((l) => !l.startsWith("CEILING ")).join("\n"));
  const ceiling = JSON.parse(/^CEILING (.*)$/m.exec(ceilingOut)[1]);
  console.log(`\nbackend (both servers): ${backends.batched}; 1-minute load average after each case: ${loads.join(", ")}`);
  console.log(`(each load level ran on the batching server, then at once on the naive one)`);
  console.log(`\n| server | clients | req/s | p50 ms | p99 ms | errors | server CPU ms per request |\n|---|---|---|---|---|---|---|`);
  for (const [k, r] of Object.entries(results)) {
    const [name, c] = k.split("/");
    console.log(`| ${name} | ${c} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuMsPerReq.toFixed(1)} |`);
  }
  console.log(`\nbatched server profile per load (from /metrics deltas over each run):`);
  console.log(`| clients | batches | mean batch (inputs / tokens) | ms per batch | model busy | queue ms | tokenize ms | request ms | request − queue − batch ms | event-loop lag p99 / max ms | CPU cores used |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const [c, p] of Object.entries(profiles)) {
    console.log(
      `| ${c} | ${p.batches} | ${p.meanBatch.toFixed(1)} / ${p.meanBatchTokens.toFixed(0)} | ${p.batchMs.toFixed(1)} | ${(100 * p.modelBusy).toFixed(0)}% | ${p.queueMs.toFixed(1)} | ${p.tokenizeMs.toFixed(2)} | ${p.requestMs.toFixed(1)} | ${(p.requestMs - p.queueMs - p.inferenceMs).toFixed(1)} | ${p.lagP99Ms.toFixed(1)} / ${p.lagMaxMs.toFixed(1)} | ${p.cpuCores.toFixed(2)} |`,
    );
  }
  const top = Math.max(...clients);
  const low = Math.min(...clients);
  const b = results[`batched/${top}`];
  const n = results[`naive/${top}`];
  const single = results[`batched/${low}`].p50;
  // ms per sentence at `size`, linearly interpolated in the forward time between the measured batch sizes.
  const perAt = (size) => {
    const rs = ceiling.rows;
    const hi = rs.find((r) => r.n >= size) ?? rs.at(-1);
    const lo = [...rs].reverse().find((r) => r.n <= size) ?? rs[0];
    const ms = hi.n === lo.n ? lo.ms : lo.ms + ((hi.ms - lo.ms) * (size - lo.n)) / (hi.n - lo.n);
    return ms / size;
  };
  const pTop = profiles[top];
  const c1 = ceiling.rows[0];
  console.log(`\nthroughput batched/naive at ${top} clients: ${(b.rps / n.rps).toFixed(2)}× (goal ≥ 4×); in-process ceiling at batch ${top}: ${(c1.per / perAt(top)).toFixed(2)}×`);
  console.log(`server CPU per request naive/batched at ${top} clients: ${(n.cpuMsPerReq / b.cpuMsPerReq).toFixed(2)}× (the throughput ratio a machine with nothing else running would show, if both are CPU-bound)`);
  console.log(`batched at ${top} clients vs the in-process rate at its mean batch (${pTop.meanBatch.toFixed(0)}): ${((b.rps * perAt(pTop.meanBatch)) / 1000 * 100).toFixed(0)}% (server overhead = the rest)`);
  console.log(`single request, one client, sequential fetch: p50 batched ${singles.batched.toFixed(1)} ms, naive ${singles.naive.toFixed(1)} ms (autocannon at ${low} client: ${single} ms)`);
  console.log(`batched p99 at ${top} clients / single-request p50: ${(b.p99 / singles.batched).toFixed(2)}× against the sequential p50, ${(b.p99 / single).toFixed(2)}× against autocannon's (goal < 3×)`);
  console.log(
    `Little's law: ${top} closed-loop clients at ${b.rps.toFixed(1)} req/s wait ${((1000 * top) / b.rps).toFixed(0)} ms on average; ` +
      `the best any scheduler can do is ${top} × ${perAt(top).toFixed(1)} ms/sentence (batch ${top}, in-process) = ${(top * perAt(top)).toFixed(0)} ms ` +
      `= ${((top * perAt(top)) / c1.ms).toFixed(1)}× the batch-1 forward (${c1.ms.toFixed(1)} ms); < 3× would need a ${(top / 3).toFixed(0)}× batching gain`,
  );
  const p1 = profiles[low];
  if (p1) console.log(`single request (${low} client): p50 ${single} ms, of which the model ${p1.batchMs.toFixed(1)} ms per batch (in-process batch-1 forward ${c1.ms.toFixed(1)} ms); HTTP + JSON + tokenization + thread hop ≈ ${(p1.requestMs - p1.batchMs).toFixed(1)} ms server-side`);
  console.log(`uptime: ${up}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
