/**
 * The shapes batch jobs share. A job is one chunk of inputs processed as one (packed) pipeline call; its
 * BullMQ id is `<batch>.<chunk index>`, so re-enqueueing a batch adds nothing twice, and its return value holds
 * the chunk's results — one per input id, written once, when BullMQ completes the job.
 */
import { connect } from "node:net";
import { InputError } from "@deberta-js/core";
export interface JobItem {
  id: string;
  inputs: unknown;
}

export interface ChunkData {
  batch: string;
  chunk: number;
  items: JobItem[];
  /** The task's call options (HF names), as in the server's `POST /` parameters. */
  parameters?: Record<string, unknown>;
}

export interface ItemResult {
  id: string;
  result?: unknown;
  error?: string;
}

/** Stored at `metaKey(queue, batch)`: how many chunks and inputs the batch has. */
export interface BatchMeta {
  batch: string;
  chunks: number;
  inputs: number;
  created: string;
}

export const metaKey = (queue: string, batch: string): string => `deberta-js:batch:${queue}:${batch}`;
export const jobId = (batch: string, chunk: number): string => `${batch}.${chunk}`;

/** `redis://host:port/db` → BullMQ's connection options (BullMQ needs maxRetriesPerRequest null for workers). */
export function connection(url: string): { host: string; port: number; db?: number; password?: string; username?: string; maxRetriesPerRequest: null } {
  // typed errors (a usage mistake, not a bug), and never the password of redis://user:pass@host in a message
  const shown = url.replace(/\/\/[^/@]*@/, "//***@");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`--redis "${shown}" is not a URL like redis://127.0.0.1:6379`);
  }
  if (u.protocol !== "redis:") throw new InputError(`--redis "${shown}": only redis:// URLs are supported`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !(Number.isInteger(db) && db >= 0)) throw new InputError(`--redis "${shown}": the database (the path) must be a non-negative integer`);
  return {
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 6379),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    maxRetriesPerRequest: null,
  };
}

/**
 * Fails fast when nothing listens at the Redis URL. One-shot commands (enqueue, collect) would otherwise wait
 * forever: BullMQ's connection retries without end (`maxRetriesPerRequest: null`), which suits a worker only.
 */
export async function assertReachable(url: string, timeoutMs = 5000): Promise<void> {
  const { host, port } = connection(url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new InputError(`--redis: cannot reach Redis at ${host}:${port} (${why})`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs} ms`));
    socket.once("connect", () => {
      socket.end();
      resolve();
    });
    socket.once("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  });
}
