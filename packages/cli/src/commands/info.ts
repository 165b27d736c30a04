/**
 * `deberta-js info --model ID_OR_DIR`: config summary, parameter count, dtypes and files without running the model,
 * and the backend a run would use (`--backend auto` picks the best available).
 */
import type { Command } from "commander";
import { DebertaV2Model, getBackend, listCheckpoint, loadConfig, type ModelFiles } from "@deberta-js/core";
import { resolveFiles } from "@deberta-js/heads";
import { BACKEND_NAMES, loadBackend, parseModelDtype } from "../backends.js";
import { action, printJson } from "../output.js";
import { kernelInfo } from "./bench.js";

/** The backend a run would use, and for cpu its kernel set and threads. */
async function backendInfo(name: string | undefined) {
  const b = await getBackend(name);
  return { backend: b.name, ...kernelInfo(b) };
}

export interface InfoOptions {
  model: string;
  variant?: string;
  backend?: string;
  revision?: string;
  cacheDir?: string;
  /** Comma list of backends to load the weights onto (resident bytes per backend). */
  load?: string;
  dtype?: string;
}

export async function infoCommand(opts: InfoOptions) {
  const files = await resolveFiles(opts.model, { revision: opts.revision, cache_dir: opts.cacheDir });
  const config = await loadConfig(files);
  // Headers only (safetensors JSON, torch zip directory + pickle): no tensor data is read.
  const listed = await listCheckpoint(files, { variant: opts.variant });
  let parameters = 0;
  const dtypes = new Set<string>();
  for (const r of listed.records) {
    parameters += r.shape.reduce((a: number, b: number) => a * b, 1);
    dtypes.add(r.dtype);
  }
  return {
    model: files.location,
    architectures: config.architectures,
    model_type: config.model_type,
    hidden_size: config.hidden_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    attention_head_size: config.attention_head_size,
    intermediate_size: config.intermediate_size,
    vocab_size: config.vocab_size,
    max_position_embeddings: config.max_position_embeddings,
    relative_attention: config.relative_attention,
    pos_att_type: config.pos_att_type,
    position_buckets: config.position_buckets,
    share_att_key: config.share_att_key,
    conv_kernel_size: config.conv_kernel_size,
    num_labels: config.num_labels,
    id2label: config.id2label,
    parameters,
    dtypes: [...dtypes],
    weights: listed.files,
    files: await files.list(),
    ...(await backendInfo(opts.backend)),
    ...(opts.load ? { loaded: await loadOnBackends(files, opts.load, opts) } : {}),
  };
}

/**
 * `--load cpu,webgpu`: loads the weights onto each backend in turn (streamed, in `--dtype`) and reports what stays
 * resident there, the load time and the process's peak RSS so far; each model is freed before the next load.
 */
async function loadOnBackends(files: ModelFiles, backends: string, opts: { variant?: string; dtype?: string }) {
  const out: Array<Record<string, unknown>> = [];
  for (const name of backends.split(",").map((b) => b.trim()).filter(Boolean)) {
    const backend = await loadBackend(name);
    const t0 = performance.now();
    const model = await DebertaV2Model.fromPretrained(files, { device: backend, dtype: parseModelDtype(opts.dtype), variant: opts.variant, warn: () => {}, precompute: false });
    const seconds = (performance.now() - t0) / 1000;
    const weights = model.residentWeightBytes;
    const t1 = performance.now();
    await model.precompute();
    out.push({
      backend: backend.name,
      dtype: model.dtype,
      // the weights as loaded (quantized ones at their packed size), then with the input-independent caches
      resident_weight_bytes: weights,
      resident_bytes_after_precompute: model.residentWeightBytes,
      load_seconds: Number(seconds.toFixed(3)),
      precompute_seconds: Number(((performance.now() - t1) / 1000).toFixed(3)),
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    });
    model.dispose();
  }
  return out;
}

export function registerInfo(program: Command): void {
  program
    .command("info")
    .description("summarise a model folder: config, parameter count, dtypes, files")
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .option("--variant <variant>", "weights variant, e.g. fp16")
    .option("--backend <name>", `the backend to report: ${BACKEND_NAMES.join(" | ")}`, "auto")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .option("--load <backends>", "also load the weights onto these backends (comma list, e.g. cpu,webgpu) and report resident weight bytes per backend")
    .option("--dtype <dtype>", "compute dtype for --load: fp32 | fp16 | q8 | … (default: fp32, or what the folder records)")
    .action(action(async (opts: InfoOptions) => printJson(await infoCommand(opts))));
}
