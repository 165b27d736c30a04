// @deberta-js/server — a TEI- and HF-Inference-compatible HTTP server with dynamic batching (`DebertaServer`),
// and its parts for embedding in other apps. Batch jobs on Redis (BullMQ): `@deberta-js/server/jobs`.
export { DebertaServer } from "./server.js";
export type { ServerOptions, LoadServerOptions } from "./server.js";
export { BatchQueue } from "./batch-queue.js";
export type { BatchQueueOptions, EntryTiming } from "./batch-queue.js";
export { Engine, loadPipeline, taskForArchitecture, teiScores } from "./engine.js";
export type { AnyPipeline, EngineOptions, Row } from "./engine.js";
export { InProcessRunner, classifyRows } from "./runner.js";
export type { ModelRunner } from "./runner.js";
export { ThreadRunner } from "./thread-runner.js";
export type { ThreadRunnerOptions } from "./thread-runner.js";
export { HttpError, toHttpError } from "./errors.js";
export type { ErrorType } from "./errors.js";
export { ServerMetrics } from "./metrics.js";
export { openapi } from "./openapi.js";
export { TASK_PARAMETERS } from "./routes/inference.js";
export { readPredictInputs } from "./routes/tei.js";
