#!/usr/bin/env node
/**
 * The browser benchmark: our WASM CPU kernels against onnxruntime-web's WASM build, on the same page of headless
 * Chromium, same model, same inputs, same thread count. The page is served on 127.0.0.1 with COOP/COEP, so it is
 * crossOriginIsolated and both engines get their worker threads (the page checks and reports it). Both models are
 * loaded first, then timed alternately (ours, theirs, ours, …) so a busy machine's drift hits both alike.
 *
 *   node scripts/bench-browser.mjs --model DIR [--batch 1] [--seq 128] [--threads 2] [--warmup 3] [--runs 10]
 *                                  [--only ours|ort] [--chromium /usr/bin/chromium] [--no-isolation]
 *   (or: pnpm --filter deberta-js bench:browser --model DIR …)
 *
 * DIR holds config.json + model.safetensors (ours) and model.onnx (onnxruntime-web), e.g. the bench model
 * deberta-v3-xsmall-6l. Needs `pnpm build` first (it serves the packages' dist/ and wasm/). Prints one JSON object
 * on stdout (like `deberta-js bench --peer ort-web`); progress and the page's console on stderr.
 */
import { createServer } from "node:http";
import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    batch: { type: "string", default: "1" },
    seq: { type: "string", default: "128" },
    threads: { type: "string", default: "2" },
    warmup: { type: "string", default: "3" },
    runs: { type: "string", default: "10" },
    only: { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    // serve without COOP/COEP: what a page that is not crossOriginIsolated gets (single-thread WASM, both sides)
    "no-isolation": { type: "boolean", default: false },
  },
});

function fail(msg) {
  console.error(`bench-browser: ${msg}`);
  process.exit(2);
}
const num = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < (name === "warmup" ? 0 : 1)) fail(`--${name} must be a positive integer, got "${args[name]}"`);
  return n;
};
const params = { batch: num("batch"), seq: num("seq"), threads: num("threads"), warmup: num("warmup"), runs: num("runs"), only: args.only ?? "" };
if (params.only && !["ours", "ort"].includes(params.only)) fail(`--only must be ours or ort, got "${params.only}"`);
if (!args.model) fail("--model DIR is required (config.json, model.safetensors, model.onnx)");
const modelDir = resolve(args.model);
for (const f of ["config.json", "model.safetensors", "model.onnx"]) if (!existsSync(join(modelDir, f))) fail(`${join(modelDir, f)} not found`);
if (!existsSync(args.chromium)) fail(`${args.chromium} not found (apt-get install chromium, or --chromium PATH)`);

// What the page may load: URL prefix → folder. Nothing else is served.
/** A package's folder as Node would find it from `dir` (node_modules up the tree; pnpm links resolved). */
function pkgDir(name, dir) {
  for (let d = dir; ; d = dirname(d)) {
    const p = join(d, "node_modules", name);
    if (existsSync(join(p, "package.json"))) return realpathSync(p);
    if (dirname(d) === d) fail(`package ${name} not found from ${dir}: run pnpm install`);
  }
}
const corePkg = realpathSync(join(here, "..", "..", "core"));
const cpuPkg = realpathSync(join(here, "..", "..", "backend-cpu"));
const ROOTS = {
  "/core/": corePkg,
  "/cpu/": cpuPkg,
  "/ort-web/": join(pkgDir("onnxruntime-web", here), "dist"),
  "/ort-common/": join(pkgDir("onnxruntime-common", corePkg), "dist", "esm"),
  "/fflate/": join(pkgDir("fflate", corePkg), "esm"),
  "/model/": modelDir,
};
for (const p of ["dist/index.js", "wasm/deberta-cpu.wasm"]) if (!existsSync(join(cpuPkg, p))) fail(`${join(cpuPkg, p)} missing: run pnpm build first`);

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const ISOLATION = args["no-isolation"] ? {} : { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cross-origin-resource-policy": "same-origin" };

const PAGE = `<!doctype html><meta charset="utf-8"><title>deberta-js browser bench</title>
<script type="importmap">${JSON.stringify({ imports: { "@deberta-js/core": "/core/dist/index.js", "onnxruntime-common": "/ort-common/index.js", fflate: "/fflate/browser.js" } })}</script>
<script type="module" src="/page.mjs"></script><pre id="out">running…</pre>`;

const PAGE_JS = `
import { DebertaV2Model, memoryFiles } from "@deberta-js/core";
import { loadCpuBackend, cpuKernelSet } from "/cpu/dist/index.js";
const P = ${JSON.stringify(params)};
const log = (m) => console.log(m);
const bytes = async (f) => new Uint8Array(await (await fetch("/model/" + f)).arrayBuffer());
const median = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
// the bench README's inputs: token i (row-major) is 3 + (i * 7919) % 8000
async function main() {
  const config = JSON.parse(new TextDecoder().decode(await bytes("config.json")));
  const span = Math.max(1, Math.min(8000, config.vocab_size - 3));
  const ids = Array.from({ length: P.batch }, (_, b) => Array.from({ length: P.seq }, (_, s) => 3 + (((b * P.seq + s) * 7919) % span)));
  const r = { crossOriginIsolated, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency };
  const sides = []; // { key, label, run(), done() } — timed alternately, so a busy machine's drift hits both alike
  if (P.only !== "ort") {
    const backend = await loadCpuBackend({ kernels: "wasm", threads: P.threads });
    const model = await DebertaV2Model.fromPretrained(memoryFiles({ "config.json": await bytes("config.json"), "model.safetensors": await bytes("model.safetensors") }, "/model"), { backend });
    const side = { key: "ours", label: "deberta-js wasm", times: [], first: [] };
    side.run = async () => {
      const out = await model.forward({ input_ids: ids });
      side.first = Array.from((await out.last_hidden_state.data()).subarray(0, 4));
      out.last_hidden_state.dispose();
    };
    side.done = async () => {
      r.ours = { kernels: cpuKernelSet(backend), threads: backend.threads, times: side.times, ms_median: median(side.times), first_outputs: side.first };
      model.dispose();
    };
    sides.push(side);
  }
  if (P.only !== "ours") {
    const ort = await import("/ort-web/ort.wasm.min.mjs");
    ort.env.wasm.numThreads = P.threads;
    ort.env.wasm.wasmPaths = "/ort-web/";
    ort.env.wasm.proxy = false;
    const session = await ort.InferenceSession.create(await bytes("model.onnx"), { executionProviders: ["wasm"], intraOpNumThreads: P.threads, interOpNumThreads: 1, graphOptimizationLevel: "all", logSeverityLevel: 3 });
    const n = P.batch * P.seq;
    const feeds = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.flat().map(BigInt)), [P.batch, P.seq]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [P.batch, P.seq]),
    };
    const side = { key: "peer", label: "onnxruntime-web", times: [], first: [] };
    side.run = async () => {
      const out = await session.run(feeds);
      side.first = Array.from(out.last_hidden_state.data.subarray(0, 4));
    };
    side.done = async () => {
      r.peer = { name: "onnxruntime-web (wasm)", version: ort.env.versions?.web, threads: ort.env.wasm.numThreads, times: side.times, ms_median: median(side.times), first_outputs: side.first };
      await session.release();
    };
    sides.push(side);
  }
  for (let i = 0; i < P.warmup; i++) for (const s of sides) { log(s.label + ": warm-up " + (i + 1) + "/" + P.warmup); await s.run(); }
  for (let i = 0; i < P.runs; i++)
    for (const s of sides) {
      const t0 = performance.now();
      await s.run();
      s.times.push(performance.now() - t0);
      log(s.label + ": run " + (i + 1) + "/" + P.runs + " " + s.times.at(-1).toFixed(1) + " ms");
    }
  for (const s of sides) await s.done();
  return r;
}
main().then((r) => { window.__result = r; document.getElementById("out").textContent = JSON.stringify(r, null, 1); },
            (e) => { window.__result = { error: String(e && e.stack || e) }; });
`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const send = (status, type, body) => {
    res.writeHead(status, { ...ISOLATION, "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  if (url.pathname === "/") return send(200, TYPES[".html"], PAGE);
  if (url.pathname === "/page.mjs") return send(200, TYPES[".js"], PAGE_JS);
  if (url.pathname === "/favicon.ico") return send(204, "text/plain", "");
  const prefix = Object.keys(ROOTS).find((p) => url.pathname.startsWith(p));
  if (!prefix) return send(404, "text/plain", "not found");
  const base = ROOTS[prefix];
  const file = normalize(join(base, decodeURIComponent(url.pathname.slice(prefix.length))));
  if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) return send(404, "text/plain", "not found");
  res.writeHead(200, { ...ISOLATION, "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": statSync(file).size });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"] });
let result;
try {
  const page = await browser.newPage();
  page.on("console", (m) => console.error(`[page] ${m.text()}`));
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 0, polling: 500 });
  result = await page.evaluate(() => window.__result);
} finally {
  await browser.close();
  server.close();
}
if (result.error) fail(`the page failed: ${result.error}`);
if (!result.crossOriginIsolated && !args["no-isolation"]) fail("the page was not crossOriginIsolated: no threads, no fair comparison");

const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const out = { where: "headless chromium", userAgent: result.userAgent, crossOriginIsolated: result.crossOriginIsolated, model: modelDir, batch: params.batch, seq: params.seq, warmup: params.warmup, runs: params.runs };
if (result.ours) Object.assign(out, { kernels: result.ours.kernels, threads: result.ours.threads, ms_median: round(result.ours.ms_median), ms_min: round(Math.min(...result.ours.times)), tokens_per_s: Math.round((params.batch * params.seq) / (result.ours.ms_median / 1000)), first_outputs: result.ours.first_outputs.map((x) => round(x, 6)) });
if (result.peer) out.peer = { name: result.peer.name, version: result.peer.version, threads: result.peer.threads, ms_median: round(result.peer.ms_median), ms_min: round(Math.min(...result.peer.times)), tokens_per_s: Math.round((params.batch * params.seq) / (result.peer.ms_median / 1000)), first_outputs: result.peer.first_outputs.map((x) => round(x, 6)) };
if (result.ours && result.peer) out.speedup_vs_peer = round(result.peer.ms_median / result.ours.ms_median);
console.log(JSON.stringify(out));
