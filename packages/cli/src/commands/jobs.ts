/**
 * Distributed batch jobs on Redis (BullMQ), see @deberta-js/server/jobs:
 *
 *   deberta-js enqueue --redis redis://127.0.0.1:6379 --queue docs --input docs.jsonl [--chunk-size 64] [--batch NAME]
 *   deberta-js worker  --redis redis://127.0.0.1:6379 --queue docs --model ./my-model [--task T]      (as many as you like)
 *   deberta-js collect --redis redis://127.0.0.1:6379 --queue docs --batch NAME --output out.jsonl
 *
 * docs.jsonl: one `{"id": …, "inputs": …}` per line (`inputs` as the pipeline takes it). out.jsonl: one
 * `{"id", "result"}` (or `{"id", "error"}`) per input id, in input order.
 */
import type { Command } from "commander";
import { InputError } from "@deberta-js/core";
import { loadPipeline } from "@deberta-js/server";
import { collectResults, enqueueFile, startWorker, writeJsonl } from "@deberta-js/server/jobs";
import { BACKEND_NAMES, parseModelDtype } from "../backends.js";
import { action, log, printJson } from "../output.js";
import { positiveInt } from "./serve.js";

interface Common {
  redis: string;
  queue: string;
}

interface WorkerFlags extends Common {
  model: string;
  task?: string;
  backend?: string;
  dtype?: string;
  revision?: string;
  cacheDir?: string;
  variant?: string;
  name?: string;
  batchSize?: string;
  lockDuration?: string;
  stalledInterval?: string;
}

function parameters(s: string | undefined): Record<string, unknown> | undefined {
  if (s === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new InputError(`--parameters is not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new InputError("--parameters must be a JSON object, e.g. '{\"top_k\": null}'");
  return v as Record<string, unknown>;
}

function common(cmd: Command): Command {
  return cmd.requiredOption("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379").requiredOption("--queue <name>", "queue name");
}

export function registerJobs(program: Command): void {
  common(program.command("enqueue").description("enqueue a JSONL file of {id, inputs} lines as batch jobs; prints {batch, chunks, inputs}"))
    .requiredOption("--input <file>", "JSONL: one {\"id\": …, \"inputs\": …} per line")
    .option("--batch <name>", "batch name (default: random); enqueueing the same batch again adds nothing twice")
    .option("--chunk-size <n>", "inputs per job, run as one packed batch (default 64)")
    .option("--parameters <json>", "the task's call options, e.g. '{\"top_k\": null}'")
    .action(
      action(async (o: Common & { input: string; batch?: string; chunkSize?: string; parameters?: string }) => {
        const meta = await enqueueFile(o.input, {
          redis: o.redis,
          queue: o.queue,
          batch: o.batch,
          chunkSize: positiveInt("chunk-size", o.chunkSize),
          parameters: parameters(o.parameters),
        });
        printJson(meta);
      }),
    );

  common(program.command("worker").description("process batch jobs from a queue with one model; SIGTERM finishes the current job, then exits"))
    .requiredOption("--model <id-or-dir>", "hub id or model folder")
    .option("--task <task>", "pipeline task (default: from config.json architectures)")
    .option("--backend <name>", BACKEND_NAMES.join(" | "), "auto")
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (cuda) | q8 | q4 | nf4 | fp4 | q4f16 (default: fp32, or q8 for a folder saved from a q8 model)")
    .option("--revision <rev>", "hub revision")
    .option("--cache-dir <dir>", "HF cache folder")
    .option("--variant <variant>", "weights variant")
    .option("--name <name>", "worker name (shown as the jobs' processedBy)")
    .option("--batch-size <n>", "rows per forward pass within a job (default 64)")
    .option("--lock-duration <ms>", "job lock duration; a dead worker's job is retried after it (default 30000)")
    .option("--stalled-interval <ms>", "how often to look for stalled jobs (default 30000)")
    .action(
      action(async (o: WorkerFlags) => {
        const pipe = await loadPipeline(o.model, o.task, {
          device: o.backend,
          dtype: parseModelDtype(o.dtype),
          revision: o.revision,
          cache_dir: o.cacheDir,
          variant: o.variant,
          warn: (m: string) => log(`warning: ${m}`),
        } as never);
        const worker = startWorker(pipe, {
          redis: o.redis,
          queue: o.queue,
          name: o.name,
          batchSize: positiveInt("batch-size", o.batchSize),
          lockDuration: positiveInt("lock-duration", o.lockDuration),
          stalledInterval: positiveInt("stalled-interval", o.stalledInterval),
          log,
        });
        await worker.waitUntilReady();
        log(`worker ${o.name ?? ""} ready: ${pipe.task} on queue "${o.queue}"`);
        await new Promise<void>((resolve) => {
          const stop = (sig: string) => {
            log(`${sig}: finishing the current job`);
            void worker.close().then(resolve);
          };
          process.once("SIGTERM", () => stop("SIGTERM"));
          process.once("SIGINT", () => stop("SIGINT"));
        });
        pipe.dispose();
      }),
    );

  common(program.command("collect").description("wait for a batch and write one JSONL line per input id; progress on stderr"))
    .requiredOption("--batch <name>", "the batch name enqueue printed")
    .requiredOption("--output <file>", "JSONL output (written whole, via a temporary file)")
    .option("--timeout <ms>", "give up after this long")
    .action(
      action(async (o: Common & { batch: string; output: string; timeout?: string }) => {
        let last = "";
        const results = await collectResults({
          redis: o.redis,
          queue: o.queue,
          batch: o.batch,
          timeoutMs: positiveInt("timeout", o.timeout),
          onProgress: (p) => {
            const line = `collect: ${p.doneChunks}/${p.chunks} chunks, ${p.doneInputs}/${p.inputs} inputs${p.failedChunks ? `, ${p.failedChunks} failed` : ""}`;
            if (line !== last) log(line);
            last = line;
          },
        });
        await writeJsonl(o.output, results);
        printJson({ batch: o.batch, output: o.output, results: results.length, errors: results.filter((r) => r.error !== undefined).length });
      }),
    );
}
