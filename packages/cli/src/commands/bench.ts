/**
 * `deberta-js bench --model DIR | --config FILE [--backend B] [--batch N] [--seq N] [--dtype D] [--onnx FILE]`
 *
 * Times `DebertaV2Model.forward` (plus reading `last_hidden_state` back, so asynchronous backends are timed to
 * completion) on deterministic token ids, after warm-up; prints one JSON object. With `--onnx`, times
 * onnxruntime-node (what transformers.js runs in Node) on the ONNX twin in the same run, with the same inputs,
 * and reports the ratio. Progress on stderr.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Option, type Command } from "commander";
import { DebertaV2Config, DebertaV2Model, InputError, modelDType, type Backend } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { loadBackend, parseModelDtype } from "../backends.js";
import { action, log, printJson } from "../output.js";
import { progress } from "../progress.js";
import { Profiler } from "../profile.js";

export interface BenchOptions {
  model?: string;
  config?: string;
  backend?: string;
  batch?: string;
  seq?: string;
  dtype?: string;
  warmup?: string;
  runs?: string;
  onnx?: string;
  threads?: string;
  packed?: boolean;
  profile?: boolean;
  peer?: string;
  /** Each side in its own child process, so each one's peak RSS is its own. */
  isolate?: boolean;
  /** `quantize_embeddings`: int8 row-wise word embeddings. */
  quantizeEmbeddings?: boolean;
  /** Time ours and the peer alternately (same process), and report the median per-round ratio too. */
  interleave?: boolean;
  /** Internal (--isolate's children): run only "ours" or only the "peer". */
  side?: string;
}

/** The bench README's inputs: token i (row-major) is `3 + (i * 7919) % 8000`, below the vocabulary size. */
export function benchIds(batch: number, seq: number, vocab: number): number[][] {
  const span = Math.max(1, Math.min(8000, vocab - 3));
  return Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, s) => 3 + (((b * seq + s) * 7919) % span)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function int(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

async function time(label: string, warmup: number, runs: number, fn: () => Promise<void>): Promise<number[]> {
  const bar = progress();
  for (let i = 0; i < warmup; i++) {
    bar.update(`${label}: warm-up`, i, warmup);
    await fn();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    bar.update(`${label}: timing`, i, runs);
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  bar.stop();
  return times;
}

async function loadModel(opts: BenchOptions, backend: Backend, dtype: string): Promise<{ model: DebertaV2Model; source: string }> {
  if (opts.model) {
    const bar = progress();
    const model = await DebertaV2Model.fromPretrained(directoryFiles(opts.model), {
      backend,
      dtype,
      quantize_embeddings: opts.quantizeEmbeddings ?? false,
      onProgress: (p) => bar.update(`loading ${p.file}`, p.loaded, p.total),
    });
    bar.stop();
    return { model, source: opts.model };
  }
  if (!opts.config) throw new InputError("bench needs --model DIR or --config FILE");
  const config = DebertaV2Config.fromJSON(await readFile(opts.config), opts.config);
  log(`making random weights of ${opts.config}'s shape…`);
  const { compute, quantize } = modelDType(dtype);
  return { model: DebertaV2Model.random(config, { backend, dtype: compute, quantize, quantizeEmbeddings: opts.quantizeEmbeddings ?? false }), source: opts.config };
}

/** The peers `--peer` can time: onnxruntime-node (transformers.js in Node) and onnxruntime-web's WASM build. */
export const PEERS = ["ort-node", "ort-web"] as const;
type Peer = (typeof PEERS)[number];

async function loadOrt(peer: Peer, threads: number): Promise<typeof import("onnxruntime-node")> {
  const pkg = peer === "ort-node" ? "onnxruntime-node" : "onnxruntime-web";
  try {
    const ort = (await import(pkg)) as typeof import("onnxruntime-node") & { env: { wasm: { numThreads: number } } };
    if (peer === "ort-web") ort.env.wasm.numThreads = threads;
    return ort;
  } catch (e) {
    throw new InputError(`--peer ${peer} needs the optional peer dependency ${pkg} (npm i ${pkg}${peer === "ort-node" ? " with ONNXRUNTIME_NODE_INSTALL=skip" : ""}): ${(e as Error).message}`);
  }
}

/** An onnxruntime session on the ONNX twin, ready to run the same inputs as ours. */
async function openOnnx(peer: Peer, file: string, ids: number[][], threads: number) {
  const ort = await loadOrt(peer, threads);
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", logSeverityLevel: 3 } as const;
  // onnxruntime-web takes the model's bytes (it would fetch a path); onnxruntime-node reads the file itself
  const session = peer === "ort-web" ? await ort.InferenceSession.create(new Uint8Array(await readFile(file)), options) : await ort.InferenceSession.create(file, options);
  const B = ids.length;
  const L = ids[0].length;
  const idData = BigInt64Array.from(ids.flat().map((x) => BigInt(x)));
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    input_ids: new ort.Tensor("int64", idData, [B, L]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(B * L).fill(1n), [B, L]),
  };
  for (const name of session.inputNames) {
    if (!(name in feeds)) throw new InputError(`--onnx ${file}: unexpected model input "${name}"`);
  }
  const runner = {
    label: peer === "ort-node" ? "onnxruntime-node" : "onnxruntime-web",
    first: [] as number[],
    run: async () => {
      const out = await session.run(feeds);
      runner.first = Array.from((out.last_hidden_state.data as Float32Array).subarray(0, 4));
    },
    release: () => session.release(),
  };
  return runner;
}

async function benchOnnx(peer: Peer, file: string, ids: number[][], threads: number, warmup: number, runs: number) {
  const runner = await openOnnx(peer, file, ids, threads);
  const times = await time(runner.label, warmup, runs, runner.run);
  await runner.release();
  return { times, first: runner.first };
}

/**
 * `--interleave`: both sides warmed up, then timed alternately (ours, peer; peer, ours; …), so a machine whose speed
 * drifts during the run (a shared VM, thermal limits) slows both sides alike. Also returns each round's peer/ours ratio.
 */
const SETTLE_MS = 150;

async function timeInterleaved(ours: () => Promise<void>, peer: { label: string; run: () => Promise<void> }, warmup: number, runs: number) {
  const bar = progress();
  for (let i = 0; i < warmup; i++) {
    bar.update(`deberta-js and ${peer.label}: warm-up`, i, warmup);
    await ours();
    await peer.run();
  }
  const a: number[] = [];
  const b: number[] = [];
  const timed = async (fn: () => Promise<void>, into: number[]) => {
    // a pause first: thread pools (onnxruntime's, ours) spin for a while after a run, and the other side must not
    // start while they still hold the cores
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const t0 = performance.now();
    await fn();
    into.push(performance.now() - t0);
  };
  for (let i = 0; i < runs; i++) {
    bar.update(`deberta-js and ${peer.label}: timing, alternately`, i, runs);
    if (i % 2 === 0) {
      await timed(ours, a);
      await timed(peer.run, b);
    } else {
      await timed(peer.run, b);
      await timed(ours, a);
    }
  }
  bar.stop();
  return { ours: a, peer: b, ratios: a.map((t, i) => b[i] / t) };
}

export async function benchCommand(opts: BenchOptions) {
  const batch = int("batch", opts.batch, 1);
  const seq = int("seq", opts.seq, 128);
  const warmup = int("warmup", opts.warmup, 3);
  const runs = int("runs", opts.runs, 10);
  const threads = int("threads", opts.threads, 2);
  const dtype = parseModelDtype(opts.dtype) ?? "fp32";
  if (opts.side !== undefined && opts.side !== "ours" && opts.side !== "peer") throw new InputError(`--side must be ours or peer, got "${opts.side}"`);
  if (opts.interleave && opts.side !== undefined) throw new InputError("--interleave times both sides; it cannot be combined with --side");
  if (opts.isolate && opts.interleave) throw new InputError("--interleave times both sides in one process; --isolate runs each in its own: choose one");
  if (opts.isolate) return benchIsolated(opts);
  if (opts.interleave && opts.peer === undefined && opts.onnx === undefined) throw new InputError("--interleave needs --peer (or --onnx)");
  let result: Record<string, unknown>;
  let ids: number[][];
  let ms = NaN;
  let interleaved: { times: number[]; first: number[]; ratios: number[] } | undefined;
  if (opts.side === "peer") {
    const config = await loadConfigOnly(opts);
    ids = benchIds(batch, seq, config.vocab_size);
    result = { batch, seq, warmup, runs };
  } else {
    const loaded = await loadBackend(opts.backend ?? "cpu", { threads });
    const profiler = opts.profile ? new Profiler() : undefined;
    const backend = profiler ? profiler.wrap(loaded) : loaded;
    const { model, source } = await loadModel(opts, backend, dtype);
    ids = benchIds(batch, seq, model.config.vocab_size);
    let first: number[] = [];
    const forward = async () => {
      const out = await model.forward({ input_ids: ids }, { packed: opts.packed });
      const data = await out.last_hidden_state.data();
      first = Array.from(data.subarray(0, 4));
      out.last_hidden_state.dispose();
    };
    let peakRss = process.memoryUsage().rss;
    const timedForward = async () => {
      await forward();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    let times: number[];
    if (opts.interleave) {
      const peerName = opts.peer ?? "ort-node";
      if (!(PEERS as readonly string[]).includes(peerName)) throw new InputError(`--peer "${peerName}" is not one of ${PEERS.join(", ")}`);
      const onnx = opts.onnx ?? (opts.model ? defaultOnnx(opts.model, dtype) : undefined);
      if (!onnx) throw new InputError("--peer needs --onnx FILE (or --model DIR holding model.onnx)");
      const runner = await openOnnx(peerName as Peer, onnx, ids, threads);
      const r = await timeInterleaved(timedForward, runner, warmup, runs);
      await runner.release();
      times = r.ours;
      interleaved = { times: r.peer, first: runner.first, ratios: r.ratios };
    } else times = await time(`deberta-js ${backend.name}`, warmup, runs, timedForward);
    let profile: unknown;
    if (profiler) {
      // separate passes, so the timing above carries no profiling overhead
      profiler.start();
      for (let i = 0; i < runs; i++) await forward();
      profiler.stop();
      profile = { note: backend.name === "cpu" ? "ms per forward pass, per op" : "ms per forward pass, per op (enqueue time: asynchronous backend)", ops: profiler.report(runs) };
    }
    ms = median(times);
    result = {
      backend: backend.name,
      ...kernelInfo(loaded),
      dtype,
      ...(opts.quantizeEmbeddings ? { quantize_embeddings: true } : {}),
      model: source,
      batch,
      seq,
      warmup,
      runs,
      ms_median: round(ms),
      ms_min: round(Math.min(...times)),
      tokens_per_s: Math.round((batch * seq) / (ms / 1000)),
      first_outputs: first.map((x) => round(x, 6)),
      // Weights resident on the backend after load (quantized Linear weights at their packed size).
      resident_weight_bytes: model.residentWeightBytes,
    };
    if (profile) result.profile = profile;
    model.dispose();
    // sampled after each pass; with --interleave the peer's session is loaded too, so it is both sides' (use --isolate
    // for one side's memory)
    if (opts.interleave) result.rss_mb_max_both = Math.round(peakRss / 2 ** 20);
    else result.rss_mb_max = Math.round(peakRss / 2 ** 20);
  }
  const peerName = opts.peer ?? (opts.onnx ? "ort-node" : undefined);
  if (peerName !== undefined && !(PEERS as readonly string[]).includes(peerName)) throw new InputError(`--peer "${peerName}" is not one of ${PEERS.join(", ")}`);
  if (peerName && opts.side !== "ours") {
    const onnx = opts.onnx ?? (opts.model ? defaultOnnx(opts.model, dtype) : undefined);
    if (!onnx) throw new InputError("--peer needs --onnx FILE (or --model DIR holding model.onnx)");
    const peer = interleaved ?? (await benchOnnx(peerName as Peer, onnx, ids, threads, warmup, runs));
    const pms = median(peer.times);
    result.peer = {
      name: peerName === "ort-node" ? "onnxruntime-node" : "onnxruntime-web (wasm)",
      onnx,
      settings: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", ...(peerName === "ort-web" ? { "env.wasm.numThreads": threads } : {}) },
      ms_median: round(pms),
      ms_min: round(Math.min(...peer.times)),
      tokens_per_s: Math.round((batch * seq) / (pms / 1000)),
      first_outputs: peer.first.map((x) => round(x, 6)),
    };
    if (opts.side !== "peer") result.speedup_vs_peer = round(pms / ms, 3);
    if (interleaved) {
      result.timing = "interleaved";
      result.speedup_paired_median = round(median(interleaved.ratios), 3);
    }
  }
  // this process's high-water resident set (kernel-tracked, so nothing between samples is missed); with --isolate
  // it is one side's alone
  result.max_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  return result;
}

async function loadConfigOnly(opts: BenchOptions): Promise<DebertaV2Config> {
  const file = opts.config ?? (opts.model ? join(opts.model, "config.json") : undefined);
  if (!file) throw new InputError("bench needs --model DIR or --config FILE");
  return DebertaV2Config.fromJSON(await readFile(file), file);
}

/** The options as command-line flags (for --isolate's children). */
function benchArgs(opts: BenchOptions): string[] {
  const out = ["bench"];
  for (const k of ["model", "config", "backend", "batch", "seq", "dtype", "warmup", "runs", "onnx", "peer", "threads"] as const) {
    if (opts[k] !== undefined) out.push(`--${k}`, String(opts[k]));
  }
  if (opts.packed) out.push("--packed");
  if (opts.profile) out.push("--profile");
  if (opts.quantizeEmbeddings) out.push("--quantize-embeddings");
  return out;
}

/** Runs ours, then the peer, each in a fresh child process; merges their results (each with its own max_rss_mb). */
async function benchIsolated(opts: BenchOptions): Promise<Record<string, unknown>> {
  const { spawnSync } = await import("node:child_process");
  const bin = fileURLToPath(new URL("../bin.js", import.meta.url));
  const child = (side: string): Record<string, unknown> => {
    log(`--isolate: ${side} in a child process…`);
    const r = spawnSync(process.execPath, [bin, ...benchArgs(opts), "--side", side], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`bench --side ${side} exited with ${r.status ?? r.signal}`);
    return JSON.parse(r.stdout);
  };
  const ours = child("ours");
  const hasPeer = opts.peer !== undefined || opts.onnx !== undefined;
  if (!hasPeer) return { ...ours, isolated: true };
  const theirs = child("peer");
  const peer: Record<string, unknown> = { ...(theirs.peer as Record<string, unknown>), max_rss_mb: theirs.max_rss_mb };
  return { ...ours, isolated: true, peer, speedup_vs_peer: round((peer.ms_median as number) / (ours.ms_median as number), 3) };
}

/**
 * The ONNX twin in a model folder: for q8 / int8 the dynamic-int8 `model.q8.onnx` (or transformers.js'
 * `model_quantized.onnx`) when the folder has one, so both sides run int8 Linear layers; else `model.onnx`.
 */
function defaultOnnx(dir: string, dtype: string): string {
  if (/^(q8|int8)$/.test(dtype)) {
    for (const f of ["model.q8.onnx", "model_quantized.onnx", join("onnx", "model_quantized.onnx")]) if (existsSync(join(dir, f))) return join(dir, f);
  }
  return join(dir, "model.onnx");
}

/** The CPU backend's kernel set and threads (e.g. native-avx2 ×2); nothing for other backends. */
export function kernelInfo(b: Backend): { kernels?: string; threads?: number } {
  const k = b as Backend & { kernelSet?: string; threads?: number };
  if (b.name !== "cpu") return {};
  return { kernels: k.kernelSet ?? "js", threads: k.threads ?? 1 };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time forward passes (median ms, tokens/s); --onnx also times onnxruntime-node in the same run")
    .option("--model <dir>", "model folder")
    .option("--config <file>", "config.json: random weights of that shape (no download)")
    .option("--backend <name>", "cpu | webgpu | cuda", "cpu")
    .option("--batch <n>", "batch size", "1")
    .option("--seq <n>", "sequence length", "128")
    .option("--dtype <dtype>", "fp32 | fp16 | q8 | q4 | nf4 | fp4 | q4f16 (quantized Linear weights)", "fp32")
    .option("--quantize-embeddings", "store the word embeddings int8 row-wise (load option quantize_embeddings)")
    .option("--warmup <n>", "warm-up runs", "3")
    .option("--runs <n>", "timed runs", "10")
    .option("--packed", "run the batch packed (unpadded)")
    .option("--onnx <file>", "the ONNX twin for --peer (default: <model>/model.onnx; with --dtype q8 <model>/model.q8.onnx when present); alone: --peer ort-node")
    .option("--peer <name>", "also time a peer on the ONNX twin in the same run: ort-node | ort-web")
    .option("--threads <n>", "threads for the cpu backend and onnxruntime (intraOpNumThreads)", "2")
    .option("--profile", "also print per-op time per forward pass (extra passes after the timed ones)")
    .option("--interleave", "time ours and the peer alternately in one process (robust to a machine whose speed drifts); adds speedup_paired_median")
    .option("--isolate", "run ours and the peer each in its own child process, so each max_rss_mb (peak memory) is that side's alone")
    .addOption(new Option("--side <which>", "internal: only ours | peer").hideHelp())
    .action(action(async (opts: BenchOptions) => printJson(await benchCommand(opts))));
}
