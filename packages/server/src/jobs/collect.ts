/**
 * Collect a batch's results: wait until every chunk has completed (or failed for good), reporting progress, then
 * write one JSONL line per input id, in enqueue order — `{"id", "result"}` or `{"id", "error"}`. The file is
 * written to a temporary name and renamed, so it is never seen half-written.
 */
import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { InputError } from "@deberta-js/core";
import { Job, Queue } from "bullmq";
import { type BatchMeta, type ChunkData, type ItemResult, assertReachable, connection, jobId, metaKey } from "./types.js";

export interface CollectOptions {
  redis: string;
  queue: string;
  batch: string;
  /** Give up after this long (ms, default: wait forever). */
  timeoutMs?: number;
  /** Poll period (ms, default 500). */
  pollMs?: number;
  onProgress?: (p: { chunks: number; doneChunks: number; inputs: number; doneInputs: number; failedChunks: number }) => void;
}

export async function collectResults(o: CollectOptions): Promise<ItemResult[]> {
  await assertReachable(o.redis);
  const queue = new Queue<ChunkData, ItemResult[]>(o.queue, { connection: connection(o.redis) });
  try {
    const raw = await (await queue.client).get(metaKey(o.queue, o.batch));
    if (!raw) throw new InputError(`no batch "${o.batch}" on queue "${o.queue}" (enqueue prints the batch name)`);
    const meta = JSON.parse(raw) as BatchMeta;
    const finished = new Map<number, ItemResult[]>();
    const start = Date.now();
    for (;;) {
      let doneInputs = 0;
      let failedChunks = 0;
      for (let c = 0; c < meta.chunks; c++) {
        if (!finished.has(c)) {
          const job = await Job.fromId<ChunkData, ItemResult[]>(queue, jobId(o.batch, c));
          if (!job) throw new Error(`chunk ${c} of batch "${o.batch}" is missing from queue "${o.queue}" (removed?)`);
          const state = await job.getState();
          if (state === "completed") finished.set(c, job.returnvalue);
          else if (state === "failed" && job.attemptsMade >= (job.opts.attempts ?? 1)) {
            finished.set(c, job.data.items.map((x) => ({ id: x.id, error: `chunk failed: ${job.failedReason}` })));
          }
        }
        const r = finished.get(c);
        if (r) {
          doneInputs += r.length;
          if (r.some((x) => x.error?.startsWith("chunk failed"))) failedChunks++;
        }
      }
      o.onProgress?.({ chunks: meta.chunks, doneChunks: finished.size, inputs: meta.inputs, doneInputs, failedChunks });
      if (finished.size === meta.chunks) break;
      if (o.timeoutMs !== undefined && Date.now() - start > o.timeoutMs) throw new Error(`collect: timed out with ${finished.size}/${meta.chunks} chunks done`);
      await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
    const out: ItemResult[] = [];
    for (let c = 0; c < meta.chunks; c++) out.push(...finished.get(c)!);
    const ids = new Set(out.map((x) => x.id));
    if (ids.size !== out.length || out.length !== meta.inputs) throw new Error(`collect: ${out.length} results for ${meta.inputs} inputs (${ids.size} distinct ids)`);
    return out;
  } finally {
    await queue.close();
  }
}

/** Writes results as JSONL to `file` (via a temporary file and a rename). */
export async function writeJsonl(file: string, results: ItemResult[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const ws = createWriteStream(tmp);
  for (const r of results) if (!ws.write(JSON.stringify(r) + "\n")) await new Promise<void>((res) => ws.once("drain", () => res()));
  await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
  await rename(tmp, file);
}
