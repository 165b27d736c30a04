/**
 * A worker: takes chunks from the queue and runs each as one pipeline call (packed batches) on the one model it
 * loaded; the job's return value is the chunk's results. A worker that dies mid-job holds its lock no longer:
 * BullMQ's stalled check (any live worker runs it every `stalledInterval`) puts the job back and another worker
 * redoes it; the dead worker never completes it, so each chunk completes exactly once.
 */
import { Worker } from "bullmq";
import type { AnyPipeline } from "../engine.js";
import { type ChunkData, type ItemResult, connection } from "./types.js";

export interface WorkerOptions {
  redis: string;
  queue: string;
  /** Worker name (BullMQ's `processedBy`). */
  name?: string;
  /** Rows per forward pass inside a chunk (default 64). */
  batchSize?: number;
  /** How long a job's lock lasts without renewal (ms, default 30000): a dead worker's job is retried after it. */
  lockDuration?: number;
  /** How often live workers look for stalled jobs (ms, default 30000). */
  stalledInterval?: number;
  /** Stalls before a job fails (default 5). */
  maxStalledCount?: number;
  log?: (line: string) => void;
}

/** Tasks whose one-element list results come back unwrapped (as HF's pipelines do). */
const UNWRAPS_SINGLE = new Set(["fill-mask", "question-answering"]);

export async function processChunk(pipe: AnyPipeline, data: ChunkData, batchSize = 64): Promise<ItemResult[]> {
  const inputs = data.items.map((x) => x.inputs);
  const options = { ...(data.parameters ?? {}), packed: true, batch_size: batchSize };
  try {
    const out = await pipe(inputs, options);
    const results = inputs.length === 1 && UNWRAPS_SINGLE.has(pipe.task) ? [out] : (out as unknown[]);
    return data.items.map((x, i) => ({ id: x.id, result: results[i] }));
  } catch (e) {
    // One bad input must not sink the chunk: run its inputs one by one and report the failing ones.
    if (inputs.length === 1) return [{ id: data.items[0].id, error: (e as Error).message }];
    const out: ItemResult[] = [];
    for (const x of data.items) out.push(...(await processChunk(pipe, { ...data, items: [x] }, batchSize)));
    return out;
  }
}

export function startWorker(pipe: AnyPipeline, o: WorkerOptions): Worker<ChunkData, ItemResult[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const worker = new Worker<ChunkData, ItemResult[]>(
    o.queue,
    async (job) => {
      log(`start ${job.id} (${job.data.items.length} inputs)`);
      const results = await processChunk(pipe, job.data, o.batchSize);
      await job.updateProgress(100);
      log(`done ${job.id}`);
      return results;
    },
    {
      connection: connection(o.redis),
      concurrency: 1, // one model instance: chunks run one after another
      name: o.name,
      lockDuration: o.lockDuration ?? 30_000,
      stalledInterval: o.stalledInterval ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 5,
    },
  );
  worker.on("failed", (job, err) => log(`failed ${job?.id}: ${err.message}`));
  worker.on("error", (err) => log(`worker error: ${err.message}`));
  return worker;
}
