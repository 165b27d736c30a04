/** What a route handler gets: the parsed body, the engine, limits, metrics, and the request's abort signal. */
import type { Engine } from "../engine.js";
import type { ServerMetrics } from "../metrics.js";

export interface Limits {
  maxBatchTokens: number;
  maxBatchRequests?: number;
  maxConcurrentRequests: number;
  maxClientBatchSize: number;
  maxInputLength: number;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}

export interface RouteContext {
  body: unknown;
  engine: Engine;
  metrics: ServerMetrics;
  limits: Limits;
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal;
  /** Set by the handler: TEI's `method` label, "single" or "batch". */
  method: string;
}

export type Route = (ctx: RouteContext) => Promise<unknown>;
