#!/usr/bin/env node
// Load test (a benchmark, not a test): one-sentence `POST /predict` at 1, 16 and 64 concurrent clients against
//   (a) `deberta-js serve` — the batching server, and
//   (b) a naive server: node:http + the text-classification pipeline, one forward pass per request,
// both on the CPU backend, same model, same machine, same run, loopback only, bounded durations (autocannon).
// Prints requests/s and p50/p99 latency per case, the batched/naive throughput ratio and p99 / single-request
// latency, and `uptime` (the machine is shared: read ratios, not absolute numbers).
//
//   pnpm build && node packages/server/bench/load.mjs --base /path/to/deberta-v3-xsmall-6l [--duration 10] [--clients 1,16,64]
//
// --base: a DeBERTa-v2/v3 model folder (config.json + model.safetensors; a base checkpoint is fine — the pooler and
// classifier are then random); the spm-v3-like fixture tokenizer is used (vocab ≥ 8001 rows needed).
import { spawn, execSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
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
  const { pipeline } = await import("@deberta-js/heads");
  const clf = await pipeline("text-classification", dir, { device: "cpu", warn: () => {} });
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const { inputs } = JSON.parse(body);
    const out = await clf(inputs, { top_k: null });
    const text = JSON.stringify(out);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
  server.listen(0, "127.0.0.1", () => process.stderr.write(`naive on http://127.0.0.1:${server.address().port}\n`));
}

function startChild(argv) {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const port = new Promise((res, rej) => {
    child.stderr.on("data", (d) => {
      log += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) res(Number(m[1]));
    });
    child.once("exit", (code) => rej(new Error(`server exited ${code}: ${log}`)));
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

async function main() {
  if (args["naive-child"]) return naiveServer(args["naive-child"]);
  if (!args.base) throw new Error("--base <model folder> is required (e.g. the deberta-v3-xsmall-6l bench model)");
  const dir = modelFolder(args.base);
  const duration = Number(args.duration);
  const clients = args.clients.split(",").map(Number);
  const bin = join(root, "packages/cli/dist/bin.js");
  const servers = {
    batched: () => startChild([bin, "serve", "--model", dir, "--backend", "cpu", "--port", "0", "--max-batch-tokens", args["max-batch-tokens"]]),
    naive: () => startChild([fileURLToPath(import.meta.url), "--naive-child", dir]),
  };
  const results = {};
  for (const [name, start] of Object.entries(servers)) {
    const { child, port: portP } = start();
    const port = await portP;
    await load(port, 4, 2); // warm-up
    for (const c of clients) {
      const r = await load(port, c, duration);
      results[`${name}/${c}`] = r;
      process.stderr.write(`${name} ${c} clients: ${r.rps.toFixed(1)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}\n`);
    }
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  const up = execSync("uptime").toString().trim();
  // The in-process ceiling, same model, right after (see ceiling.mjs).
  console.log(execSync(`${process.execPath} ${fileURLToPath(new URL("./ceiling.mjs", import.meta.url))} ${dir}`).toString());
  console.log(`\n| server | clients | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|`);
  for (const [k, r] of Object.entries(results)) {
    const [name, c] = k.split("/");
    console.log(`| ${name} | ${c} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  }
  const top = Math.max(...clients);
  const b = results[`batched/${top}`];
  const n = results[`naive/${top}`];
  const single = results[`batched/${Math.min(...clients)}`].p50;
  console.log(`\nthroughput batched/naive at ${top} clients: ${(b.rps / n.rps).toFixed(2)}× (goal ≥ 4×)`);
  console.log(`batched p99 at ${top} clients / single-request p50: ${(b.p99 / single).toFixed(2)}× (goal < 3×)`);
  console.log(`uptime: ${up}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
