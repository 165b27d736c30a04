#!/usr/bin/env node
// Load benchmark for real-size checkpoints (issue 18): writes a random checkpoint of a published config's shape
// (safetensors, sharded safetensors or pytorch_model.bin) to a scratch folder, then loads it in a fresh child process
// per (format, dtype) and reports peak RSS against the weights and the file, and load speed against a raw read of
// the same files measured in the same run (the peer). With --peer, the previous in-memory loader (whole state dict,
// then upload) is measured in the same way for comparison. Needs `pnpm build` first.
//
//   node packages/cli/scripts/load-bench.mjs --config ../shared/configs/deberta-v3-large.json \
//     --formats safetensors,sharded,bin --dtypes f32,f16 --dir /tmp/deberta-load-bench [--peer] [--forward 128] [--keep]
//     [--reuse] [--precompute]
//
// --keep leaves the checkpoints in --dir (--write-only writes and keeps them, measuring nothing); --reuse loads ones
// an earlier --keep/--write-only run wrote (no rewrite), so the
// measurements can be repeated without the write time. --precompute times model.precompute() (the relative-position
// projections) after the load, separately; the load itself runs with `precompute: false`.
//
// Prints one JSON line per measurement (stdout) and a Markdown table at the end (stderr).
import { spawnSync } from "node:child_process";
import { openSync, readSync, closeSync, fsyncSync, existsSync, readFileSync, writeFileSync, rmSync, statSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import os from "node:os";

const { values: args } = parseArgs({
  options: {
    config: { type: "string" },
    formats: { type: "string", default: "safetensors,bin" },
    dtypes: { type: "string", default: "f32,f16" },
    dir: { type: "string", default: path.join(os.tmpdir(), "deberta-load-bench") },
    "max-shard": { type: "string", default: "2000000000" },
    peer: { type: "boolean", default: false },
    forward: { type: "string", default: "0" },
    precompute: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    reuse: { type: "boolean", default: false },
    "write-only": { type: "boolean", default: false },
    child: { type: "boolean", default: false },
    mode: { type: "string", default: "stream" },
    model: { type: "string" },
    dtype: { type: "string" },
  },
});

if (args.child) await child();
else await parent();

/** One load in this process: prints { baseline, peak, seconds, resident, … } as JSON. */
async function child() {
  const core = await import("@deberta-js/core");
  const { directoryFiles } = await import("@deberta-js/core/node");
  const { loadCpuBackend, cpuKernelSet } = await import("@deberta-js/backend-cpu");
  const files = directoryFiles(args.model);
  // The fastest CPU kernels that load (native in Node): they also install the compiled fp32 → fp16 conversion.
  const backend = await loadCpuBackend();
  const dtype = args.dtype;
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  let model;
  if (args.mode === "stream") {
    model = await core.DebertaV2Model.fromPretrained(files, { device: backend, dtype, warn: () => {}, precompute: false });
  } else {
    // The peer: the previous loader — the whole state dict in memory, then every tensor uploaded.
    const config = await core.loadConfig(files);
    const { stateDict } = await core.loadStateDict(files, { dtype });
    model = core.DebertaV2Model.fromStateDict(config, stateDict, { backend, dtype, warn: () => {}, location: files.location });
  }
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const resident = model.residentWeightBytes;
  const out = { baseline, peak, seconds, resident, kernels: cpuKernelSet(backend) };
  // The machine's ceiling, measured in this process right after the load (the machine is shared: its speed drifts):
  // the same files read into fresh memory (what a loader must fill) and into one hot reused buffer.
  const fresh = rawRead(args.model, true);
  const hot = rawRead(args.model);
  out.fresh_read_seconds = fresh.seconds;
  out.hot_read_seconds = hot.seconds;
  if (args.precompute) {
    const p0 = performance.now();
    await model.precompute();
    out.precompute_seconds = (performance.now() - p0) / 1000;
    out.resident_after_precompute = model.residentWeightBytes;
  }
  const n = Number(args.forward);
  if (n > 0) {
    const ids = [Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === n - 1 ? 2 : 5 + (i % 1000)))];
    const f0 = performance.now();
    const r = await model.forward({ input_ids: ids });
    const h = await r.last_hidden_state.data();
    out.forward_seconds = (performance.now() - f0) / 1000;
    out.forward_finite = h.length > 0 && Array.from(h.subarray(0, 1024)).every((v) => Number.isFinite(v));
    out.peak_after_forward = process.resourceUsage().maxRSS * 1024;
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

function weightFiles(dir) {
  return readdirSync(dir).filter((f) => f.endsWith(".safetensors") || f.endsWith(".bin"));
}

/**
 * The peers for speed, measured in the same run: positional reads of every weight file into one reused 8 MB buffer
 * (page cache → hot memory: the disk/cache limit), and into fresh 64 MB buffers that are dropped (the same reads
 * into newly allocated memory, which a loader must fill: the page-fault limit). Memory stays bounded either way.
 */
function rawRead(dir, fresh = false) {
  const chunk = fresh ? 64 << 20 : 8 << 20;
  let buf = Buffer.allocUnsafeSlow(chunk);
  let bytes = 0;
  const t0 = performance.now();
  for (const f of weightFiles(dir)) {
    const fd = openSync(path.join(dir, f), "r");
    let n;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
      bytes += n;
      if (fresh) buf = new Uint8Array(chunk);
    }
    closeSync(fd);
  }
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

async function parent() {
  if (!args.config) throw new Error("--config <config.json> is required");
  const { DebertaV2Config } = await import("@deberta-js/core");
  const { writeRandomCheckpoint } = await import("@deberta-js/core/node");
  const json = JSON.parse(readFileSync(args.config, "utf8"));
  const config = new DebertaV2Config(json, args.config);
  const name = path.basename(args.config, ".json");
  const self = fileURLToPath(import.meta.url);
  const rows = [];
  const load = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  for (const format of args.formats.split(",")) {
    const dir = path.join(args.dir, `${name}-${format}`);
    const metaFile = path.join(dir, "load-bench-meta.json");
    let meta;
    let writeSeconds = 0;
    if (args.reuse && existsSync(metaFile)) {
      meta = JSON.parse(readFileSync(metaFile, "utf8")); // --reuse: written by an earlier run (--keep)
    } else {
      rmSync(dir, { recursive: true, force: true });
      const w0 = performance.now();
      const { weightBytes, parameters } = await writeRandomCheckpoint(dir, config, json, { format, maxShardBytes: Number(args["max-shard"]) });
      // on disk before measuring: no writeback of the new files competes with the loads
      for (const f of weightFiles(dir)) {
        const fd = openSync(path.join(dir, f), "r+");
        fsyncSync(fd);
        closeSync(fd);
      }
      writeSeconds = (performance.now() - w0) / 1000;
      meta = { weightBytes, parameters };
      writeFileSync(metaFile, JSON.stringify(meta));
    }
    const { weightBytes, parameters } = meta;
    if (args["write-only"]) {
      process.stderr.write(`${dir} ready (written in ${writeSeconds.toFixed(1)} s; 0: reused)\n`);
      continue; // --write-only: prepare checkpoints for later --reuse runs (kept)
    }
    const fileBytes = weightFiles(dir).reduce((a, f) => a + statSync(path.join(dir, f)).size, 0);
    rawRead(dir); // warm the page cache: "warm load"
    for (const dtype of args.dtypes.split(",")) {
      for (const mode of args.peer ? ["stream", "in-memory (peer)"] : ["stream"]) {
        const rowLoad = os.loadavg().map((x) => x.toFixed(2)).join(" ");
        const raw = rawRead(dir);
        const freshRead = rawRead(dir, true);
        const r = spawnSync(
          process.execPath,
          [self, "--child", "--model", dir, "--dtype", dtype, "--mode", mode === "stream" ? "stream" : "peer", "--forward", args.forward, ...(args.precompute ? ["--precompute"] : [])],
          { encoding: "utf8", maxBuffer: 1 << 20 },
        );
        if (r.status !== 0) {
          process.stderr.write(r.stderr);
          rows.push({ name, format, dtype, mode, error: `exit ${r.status} ${r.signal ?? ""}` });
          continue;
        }
        const m = JSON.parse(r.stdout.trim().split("\n").at(-1));
        const weightsInMemory = dtype === "f16" ? weightBytes / 2 : weightBytes;
        const row = {
          name,
          format,
          dtype,
          mode,
          parameters,
          file_bytes: fileBytes,
          weights_in_memory_bytes: weightsInMemory,
          resident_bytes: m.resident,
          peak_rss_bytes: m.peak,
          baseline_rss_bytes: m.baseline,
          peak_over_weights: +(m.peak / weightsInMemory).toFixed(3),
          peak_over_file: +(m.peak / fileBytes).toFixed(3),
          load_seconds: +m.seconds.toFixed(3),
          load_gb_per_s: +(fileBytes / 1e9 / m.seconds).toFixed(3),
          raw_read_gb_per_s: +(raw.bytes / 1e9 / raw.seconds).toFixed(3),
          fresh_read_gb_per_s: +(freshRead.bytes / 1e9 / freshRead.seconds).toFixed(3),
          load_over_fresh_read: +(freshRead.seconds / m.seconds).toFixed(3),
          kernels: m.kernels,
          // the same ceiling measured in the loading process right after the load
          child_fresh_read_gb_per_s: +(fileBytes / 1e9 / m.fresh_read_seconds).toFixed(3),
          child_hot_read_gb_per_s: +(fileBytes / 1e9 / m.hot_read_seconds).toFixed(3),
          load_speed_over_child_fresh_read: +(m.fresh_read_seconds / m.seconds).toFixed(3),
          write_seconds: +writeSeconds.toFixed(1),
          loadavg: rowLoad,
          ...(m.precompute_seconds !== undefined ? { precompute_seconds: +m.precompute_seconds.toFixed(2), resident_after_precompute_bytes: m.resident_after_precompute } : {}),
          ...(m.forward_seconds !== undefined
            ? { forward_tokens: Number(args.forward), forward_seconds: +m.forward_seconds.toFixed(2), forward_finite: m.forward_finite, peak_after_forward_bytes: m.peak_after_forward }
            : {}),
        };
        rows.push(row);
        process.stdout.write(JSON.stringify(row) + "\n");
      }
    }
    if (!args.keep && !args.reuse) rmSync(dir, { recursive: true, force: true }); // --reuse keeps them too
  }
  const gb = (b) => (b / 1e9).toFixed(2);
  const lines = [
    "| shape | format | dtype | loader | file GB | weights GB | peak RSS GB | peak/weights | peak/file | load s | load GB/s | read GB/s (fresh mem, same process) | load/read | precompute s | loadavg |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    if (r.error) lines.push(`| ${r.name} | ${r.format} | ${r.dtype} | ${r.mode} | failed: ${r.error} | | | | | | | | | | |`);
    else
      lines.push(
        `| ${r.name} | ${r.format} | ${r.dtype} | ${r.mode} | ${gb(r.file_bytes)} | ${gb(r.weights_in_memory_bytes)} | ${gb(r.peak_rss_bytes)} | ${r.peak_over_weights} | ${r.peak_over_file} | ${r.load_seconds} | ${r.load_gb_per_s} | ${r.child_fresh_read_gb_per_s} | ${r.load_speed_over_child_fresh_read} | ${r.precompute_seconds ?? ""} | ${r.loadavg} |`,
      );
  }
  process.stderr.write(`\nloadavg at start: ${load}\n${lines.join("\n")}\n`);
}
