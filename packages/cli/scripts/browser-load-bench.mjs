#!/usr/bin/env node
// Browser load benchmark (issue 18): a random checkpoint of a published shape is served from 127.0.0.1 (Range
// requests, COOP/COEP so the page is crossOriginIsolated) and loaded in headless Chromium with `urlFiles` onto the
// CPU (TypeScript kernels) and WebGPU (SwiftShader) backends. Reports the tab's memory against the weights: the
// renderer process's peak RSS (VmHWM from /proc) minus its RSS before the load, the GPU process's growth (WebGPU
// buffers live there), and performance.measureUserAgentSpecificMemory() when it answers. Needs `pnpm build`.
//
//   node packages/cli/scripts/browser-load-bench.mjs --config ../shared/configs/deberta-v3-large.json \
//     --dir /tmp/deberta-ckpt [--format safetensors] [--backends cpu,webgpu] [--dtype f32] [--keep]
//
// Reuses <dir>/<shape>-<format> when an earlier load-bench (--keep) or browser-load-bench (--keep) run wrote it.
// Prints one JSON line per backend on stdout, a Markdown table on stderr.
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import os from "node:os";

const { values: args } = parseArgs({
  options: {
    config: { type: "string" },
    dir: { type: "string", default: path.join(os.tmpdir(), "deberta-load-bench") },
    format: { type: "string", default: "safetensors" },
    backends: { type: "string", default: "cpu,webgpu" },
    dtype: { type: "string", default: "f32" },
    keep: { type: "boolean", default: false },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
  },
});
if (!args.config) throw new Error("--config <config.json> is required");
const here = path.dirname(fileURLToPath(import.meta.url));
const { DebertaV2Config } = await import("@deberta-js/core");
const { writeRandomCheckpoint, serveFolder } = await import("@deberta-js/core/node");
const { build } = await import("esbuild");
const { chromium } = await import("playwright-core");

const json = JSON.parse(readFileSync(args.config, "utf8"));
const name = path.basename(args.config, ".json");
const dir = path.join(args.dir, `${name}-${args.format}`);
const metaFile = path.join(dir, "load-bench-meta.json");
let wrote = false;
if (!existsSync(metaFile)) {
  rmSync(dir, { recursive: true, force: true });
  const { weightBytes, parameters } = await writeRandomCheckpoint(dir, new DebertaV2Config(json, args.config), json, { format: args.format });
  writeFileSync(metaFile, JSON.stringify({ weightBytes, parameters }));
  wrote = true;
}
const { weightBytes } = JSON.parse(readFileSync(metaFile, "utf8"));
const fileBytes = readdirSync(dir)
  .filter((f) => /\.(safetensors|bin)$/.test(f))
  .reduce((a, f) => a + statSync(path.join(dir, f)).size, 0);
const weightsInMemory = args.dtype === "f16" ? weightBytes / 2 : weightBytes;

const bundle = await build({
  entryPoints: [path.join(here, "browser-load-page.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "error",
});
const js = bundle.outputFiles[0].text;
const server = await serveFolder(dir, {
  isolated: true,
  route(req, res) {
    const p = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (p === "/") {
      res.setHeader("content-type", "text/html");
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
      return true;
    }
    if (p === "/page.js") {
      res.setHeader("content-type", "text/javascript");
      res.end(js);
      return true;
    }
    if (p.startsWith("/model/")) req.url = p.slice("/model".length); // the folder itself
    return false;
  },
});

/** Pids descended from this process (our Chromium only: other Chromiums on the machine are not counted). */
function descendants() {
  const parent = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended
    }
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (!ours.has(pid) && ours.has(ppid)) (ours.add(pid), (grew = true));
  }
  return ours;
}

/** Our Chromium's processes of one type (renderer, gpu-process) with their RSS and peak RSS (bytes). */
function processes(type) {
  const out = [];
  for (const pid of descendants()) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes(`--type=${type}`)) continue;
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
      out.push({ pid, rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), shmem: kb("RssShmem") });
    } catch {
      // the process ended
    }
  }
  return out;
}

const rows = [];
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
for (const backend of args.backends.split(",")) {
  // one browser per backend: a fresh renderer and GPU process, so the peaks are this load's
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--use-vulkan=swiftshader", "--no-sandbox", "--headless", "--disable-gpu-sandbox",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-blink-features=ForceEagerMeasureMemory"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
    await page.goto(server.url);
    await page.waitForFunction(() => globalThis.pageReady === true, undefined, { timeout: 60_000 }).catch((e) => {
      throw new Error(`page did not start: ${errors.join("; ") || e.message}`);
    });
    const before = { renderer: processes("renderer"), gpu: processes("gpu-process") };
    const row0 = loadavg();
    const r = await page.evaluate(([b, d]) => globalThis.runLoad(b, d), [backend, args.dtype]);
    const after = { renderer: processes("renderer"), gpu: processes("gpu-process") };
    const sum = (list, k) => list.reduce((a, p) => a + p[k], 0);
    const rendererBase = sum(before.renderer, "rss");
    const rendererPeak = sum(after.renderer, "hwm");
    const gpuBase = sum(before.gpu, "rss");
    const gpuPeak = sum(after.gpu, "hwm");
    const tabGrowth = rendererPeak - rendererBase + Math.max(0, gpuPeak - gpuBase);
    const row = {
      name,
      format: args.format,
      backend,
      dtype: args.dtype,
      file_bytes: fileBytes,
      weights_in_memory_bytes: weightsInMemory,
      resident_bytes: r.resident,
      load_seconds: +r.seconds.toFixed(2),
      load_gb_per_s: +(fileBytes / 1e9 / r.seconds).toFixed(3),
      renderer_rss_before_bytes: rendererBase,
      renderer_peak_bytes: rendererPeak,
      gpu_process_rss_before_bytes: gpuBase,
      gpu_process_peak_bytes: gpuPeak,
      // after the load: anonymous memory (WebGPU buffers, staging) vs shared memory (renderer↔GPU transfer buffers)
      gpu_process_rss_after_bytes: sum(after.gpu, "rss"),
      gpu_process_anon_after_bytes: sum(after.gpu, "anon"),
      gpu_process_shmem_after_bytes: sum(after.gpu, "shmem"),
      renderer_rss_after_bytes: sum(after.renderer, "rss"),
      // the transfer shared memory is mapped in both processes: counted twice in tab_growth_over_weights
      renderer_shmem_after_bytes: sum(after.renderer, "shmem"),
      // what the tab cost: the renderer's growth plus the GPU process's (WebGPU buffers), over the weights
      tab_growth_over_weights: +(tabGrowth / weightsInMemory).toFixed(3),
      renderer_peak_over_weights: +(rendererPeak / weightsInMemory).toFixed(3),
      ua_specific_memory_bytes: r.uaMemory ?? null,
      cross_origin_isolated: r.crossOriginIsolated,
      loadavg: row0,
    };
    rows.push(row);
    process.stdout.write(JSON.stringify(row) + "\n");
  } catch (e) {
    rows.push({ name, backend, error: e.message });
    process.stderr.write(`${backend}: ${e.message}\n`);
  } finally {
    await browser.close();
  }
}
await server.close();
if (wrote && !args.keep) rmSync(dir, { recursive: true, force: true });
const gb = (b) => (b / 1e9).toFixed(2);
const lines = [
  "| shape | format | backend | dtype | weights GB | load s | GB/s | renderer before → peak GB | GPU proc before → peak GB | tab growth / weights | renderer peak / weights | UA memory GB | loadavg |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    r.error
      ? `| ${r.name} | | ${r.backend} | | failed: ${r.error} | | | | | | | | |`
      : `| ${r.name} | ${r.format} | ${r.backend} | ${r.dtype} | ${gb(r.weights_in_memory_bytes)} | ${r.load_seconds} | ${r.load_gb_per_s} | ${gb(r.renderer_rss_before_bytes)} → ${gb(r.renderer_peak_bytes)} | ${gb(r.gpu_process_rss_before_bytes)} → ${gb(r.gpu_process_peak_bytes)} | ${r.tab_growth_over_weights} | ${r.renderer_peak_over_weights} | ${r.ua_specific_memory_bytes == null ? "n/a" : gb(r.ua_specific_memory_bytes)} | ${r.loadavg} |`,
  ),
];
process.stderr.write(`${lines.join("\n")}\n`);
