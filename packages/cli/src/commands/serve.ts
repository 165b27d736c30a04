/**
 * `deberta-js serve --model ID|DIR [--task T] [--host 127.0.0.1] [--port 8080] [--backend cpu] [--dtype fp32]
 *   [--max-batch-tokens 16384] [--max-batch-requests N] [--max-concurrent-requests 512] [--max-input-length N]
 *   [--max-client-batch-size 32] [--request-timeout 30000] [--threads N]`
 *
 * Serves the model over HTTP with TEI's routes (/predict, /rerank, /tokenize, /decode, /info, /health,
 * /metrics), an HF Inference-style POST / and /openapi.json (see @deberta-js/server). SIGTERM / SIGINT drain:
 * admitted requests finish, new ones get 503, then the process exits 0.
 */
import type { Command } from "commander";
import { InputError } from "@deberta-js/core";
import { DebertaServer } from "@deberta-js/server";
import { BACKEND_NAMES, parseModelDtype } from "../backends.js";
import { action, log } from "../output.js";
import { progress, progressLabel } from "../progress.js";

export interface ServeOptions {
  model: string;
  task?: string;
  host: string;
  port: string;
  backend?: string;
  dtype?: string;
  revision?: string;
  cacheDir?: string;
  variant?: string;
  maxBatchTokens?: string;
  maxBatchRequests?: string;
  maxConcurrentRequests?: string;
  maxInputLength?: string;
  maxClientBatchSize?: string;
  requestTimeout?: string;
  /** cpu backend threads (default: all cores). */
  threads?: string;
  /** commander's `--no-model-thread`. */
  modelThread?: boolean;
}

/** Backend packages the model thread imports (it has none of the CLI's loaders registered). */
const BACKEND_PACKAGES: Record<string, string[]> = {
  cpu: ["@deberta-js/backend-cpu"],
  webgpu: ["@deberta-js/backend-webgpu/node"],
  cuda: ["@deberta-js/backend-cuda"],
};

function threadImports(device: string): string[] {
  const pkgs = BACKEND_PACKAGES[device] ?? [...BACKEND_PACKAGES.cpu, ...BACKEND_PACKAGES.cuda, ...BACKEND_PACKAGES.webgpu];
  // Resolved here, from the CLI's own dependencies, so the thread finds them in any install layout.
  return pkgs.map((p) => import.meta.resolve(p));
}

export function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

export async function serveCommand(o: ServeOptions): Promise<DebertaServer> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be 0..65535, got "${o.port}"`);
  const threads = positiveInt("threads", o.threads);
  const bar = progress();
  let server: DebertaServer;
  try {
    server = await DebertaServer.load(o.model, {
      task: o.task,
      threaded: o.modelThread !== false,
      threadImports: threadImports(o.backend ?? "auto"),
      device: o.backend,
      ...(threads === undefined ? {} : { backendOptions: { threads } }),
      dtype: parseModelDtype(o.dtype),
      revision: o.revision,
      cache_dir: o.cacheDir,
      variant: o.variant,
      warn: (m: string) => log(`warning: ${m}`),
      progress_callback: (p) => bar.update(progressLabel(p), p.loaded, p.total),
      maxBatchTokens: positiveInt("max-batch-tokens", o.maxBatchTokens),
      maxBatchRequests: positiveInt("max-batch-requests", o.maxBatchRequests),
      maxConcurrentRequests: positiveInt("max-concurrent-requests", o.maxConcurrentRequests),
      maxInputLength: positiveInt("max-input-length", o.maxInputLength),
      maxClientBatchSize: positiveInt("max-client-batch-size", o.maxClientBatchSize),
      requestTimeoutMs: positiveInt("request-timeout", o.requestTimeout),
      log,
    });
  } finally {
    bar.stop();
  }
  const addr = await server.listen(port, o.host);
  log(`deberta-js serve: ${server.engine.task} on http://${addr.address}:${addr.port} (backend ${server.engine.runner.backend}, max_batch_tokens ${server.limits.maxBatchTokens}, max_input_length ${server.limits.maxInputLength})`);
  const stop = (signal: string) => {
    log(`${signal}: draining`);
    server.drain().then(
      () => process.exit(0),
      (e) => {
        log(`drain failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return server;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve a model over HTTP: TEI routes (/predict, /rerank, /tokenize, /decode, /info, /health, /metrics), HF Inference POST /, dynamic batching")
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .option("--task <task>", "pipeline task (default: from config.json architectures)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0: any free port)", "8080")
    .option("--backend <name>", BACKEND_NAMES.join(" | "), "auto")
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (cuda) | q8 | q4 | nf4 | fp4 | q4f16 (default: fp32, or q8 for a folder saved from a q8 model)")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .option("--variant <variant>", "weights variant, e.g. fp16 (model.fp16.safetensors)")
    .option("--max-batch-tokens <n>", "tokens per batch, summed over its inputs (default 16384)")
    .option("--max-batch-requests <n>", "inputs per batch (default: no limit but the token budget)")
    .option("--max-concurrent-requests <n>", "requests admitted at once; more get 429 (default 512)")
    .option("--max-input-length <n>", "longest input in tokens (default: the model's limit)")
    .option("--max-client-batch-size <n>", "inputs per request (default 32)")
    .option("--request-timeout <ms>", "per-request limit, queueing included; 504 after (default 30000)")
    .option("--threads <n>", "threads of the cpu backend's compiled kernels (default: all cores)")
    .option("--no-model-thread", "run the model on the main thread (default: a worker thread, so requests are read while a batch runs)")
    .action(action(async (opts: ServeOptions) => void (await serveCommand(opts))));
}
