// `@deberta-js/server/jobs`: distributed batch jobs on Redis with BullMQ — enqueue JSONL inputs as chunks, run
// workers anywhere (each one model instance), collect exactly one result per input id.
export { enqueueFile, enqueueItems, parseItems } from "./enqueue.js";
export type { EnqueueOptions } from "./enqueue.js";
export { processChunk, startWorker } from "./worker.js";
export type { WorkerOptions } from "./worker.js";
export { collectResults, writeJsonl } from "./collect.js";
export type { CollectOptions } from "./collect.js";
export { connection, jobId, metaKey } from "./types.js";
export type { BatchMeta, ChunkData, ItemResult, JobItem } from "./types.js";
