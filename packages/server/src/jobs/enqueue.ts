/**
 * Enqueue a JSONL file of `{"id": …, "inputs": …}` lines as chunks on a BullMQ queue. Ids must be unique (each
 * gets exactly one result); a bad line is an error naming its line number, and nothing is enqueued then.
 */
import { readFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { InputError } from "@deberta-js/core";
import { Queue } from "bullmq";
import { type BatchMeta, type ChunkData, type JobItem, assertReachable, connection, jobId, metaKey } from "./types.js";

export interface EnqueueOptions {
  redis: string;
  queue: string;
  /** Batch name (default: a random id). Enqueueing the same batch again adds nothing twice. */
  batch?: string;
  /** Inputs per job (default 64). */
  chunkSize?: number;
  parameters?: Record<string, unknown>;
  /** Attempts per job when it fails with an error (default 3). Stalled jobs are retried by BullMQ's stalled check. */
  attempts?: number;
}

/** Parses JSONL text into items; errors name the line. */
export function parseItems(text: string, source = "input"): JobItem[] {
  const items: JobItem[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new InputError(`${source}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const o = v as { id?: unknown; inputs?: unknown };
    if (!o || typeof o !== "object" || (typeof o.id !== "string" && typeof o.id !== "number")) throw new InputError(`${source}:${i + 1}: expected {"id": string|number, "inputs": …}`);
    if (o.inputs === undefined) throw new InputError(`${source}:${i + 1}: missing "inputs"`);
    const id = String(o.id);
    if (seen.has(id)) throw new InputError(`${source}:${i + 1}: duplicate id "${id}" (ids must be unique: each gets exactly one result)`);
    seen.add(id);
    items.push({ id, inputs: o.inputs });
  });
  if (!items.length) throw new InputError(`${source}: no inputs`);
  return items;
}

export async function enqueueItems(items: JobItem[], o: EnqueueOptions): Promise<BatchMeta> {
  const size = o.chunkSize ?? 64;
  if (!(Number.isInteger(size) && size >= 1)) throw new InputError(`chunk size must be a positive integer, got ${size}`);
  const batch = o.batch ?? randomUUID().slice(0, 8);
  if (batch.includes(":")) throw new InputError(`batch name "${batch}" must not contain ":"`);
  await assertReachable(o.redis);
  const queue = new Queue<ChunkData>(o.queue, { connection: connection(o.redis) });
  try {
    const jobs = [];
    for (let c = 0; c * size < items.length; c++) {
      const data: ChunkData = { batch, chunk: c, items: items.slice(c * size, (c + 1) * size), ...(o.parameters ? { parameters: o.parameters } : {}) };
      jobs.push({
        name: "chunk",
        data,
        opts: { jobId: jobId(batch, c), attempts: o.attempts ?? 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      });
    }
    const meta: BatchMeta = { batch, chunks: jobs.length, inputs: items.length, created: new Date().toISOString() };
    // The meta first: a collector that sees it can wait for every chunk.
    await (await queue.client).set(metaKey(o.queue, batch), JSON.stringify(meta));
    for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
    return meta;
  } finally {
    await queue.close();
  }
}

export async function enqueueFile(file: string, o: EnqueueOptions): Promise<BatchMeta> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(file));
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    // not U+FFFD-replaced inputs enqueued as if someone wrote them (issue 13)
    throw new InputError(`${file}: not valid UTF-8 text`, { cause: e });
  }
  return enqueueItems(parseItems(text, file), o);
}
