/**
 * The shapes batch jobs share. A job is one chunk of inputs processed as one (packed) pipeline call; its
 * BullMQ id is `<batch>.<chunk index>`, so re-enqueueing a batch adds nothing twice, and its return value holds
 * the chunk's results — one per input id, written once, when BullMQ completes the job.
 */
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
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis "${url}" is not a URL like redis://127.0.0.1:6379`);
  }
  if (u.protocol !== "redis:") throw new Error(`--redis "${url}": only redis:// URLs are supported`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 6379),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    maxRetriesPerRequest: null,
  };
}
