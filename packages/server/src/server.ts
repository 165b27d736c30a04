/**
 * `DebertaServer`: the HTTP front of one `Engine`, on `node:http` (no framework: the routes are few, and the raw
 * request/response lets us see a client go away — cancellation — and hand `handler` to any Node app, Express,
 * Fastify or a plain `http.createServer`).
 *
 *   const server = await DebertaServer.load("./my-classifier", { backend: "cpu" });
 *   await server.listen(8080, "127.0.0.1");
 *   process.on("SIGTERM", () => server.drain().then(() => process.exit(0)));
 *
 * Admission: at most `maxConcurrentRequests` inference requests in flight (else 429); bodies over `maxBodyBytes`
 * are 413; each request has `requestTimeoutMs` (504); a client that disconnects cancels its queued inputs.
 * `drain()` stops taking requests (503 and `/health` unhealthy), lets the admitted ones finish, then closes.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { InputError } from "@deberta-js/core";
import type { PipelineOptions, Task } from "@deberta-js/heads";
import { type AnyPipeline, Engine, loadPipeline } from "./engine.js";
import { InProcessRunner, type ModelRunner, withBackendOptions } from "./runner.js";
import { ThreadRunner } from "./thread-runner.js";
import { HttpError, toHttpError, tooLarge, validation } from "./errors.js";
import { ServerMetrics } from "./metrics.js";
import { openapi } from "./openapi.js";
import type { Limits, Route, RouteContext } from "./routes/context.js";
import { inference } from "./routes/inference.js";
import { decode, predict, rerank, tokenize } from "./routes/tei.js";
import { VERSION } from "./version.js";

export interface ServerOptions {
  /** Shown by `/info` (default: the model argument). */
  modelId?: string;
  /** Tokens per batch, summed over its inputs (packed: no padding). Default 16384. */
  maxBatchTokens?: number;
  /** Inputs per batch (default: only the token budget). */
  maxBatchRequests?: number;
  /** Inference requests admitted at once; more get 429. Default 512. */
  maxConcurrentRequests?: number;
  /** Longest input in tokens (default: the model's limit). */
  maxInputLength?: number;
  /** Inputs per request (TEI's `max_client_batch_size`). Default 32. */
  maxClientBatchSize?: number;
  /** Per-request limit, queueing included (504 after). Default 30000. */
  requestTimeoutMs?: number;
  /** Largest request body (413 beyond). Default 2 MiB. */
  maxBodyBytes?: number;
  /** Where logs go (default stderr). */
  log?: (line: string) => void;
}

export type LoadServerOptions = ServerOptions &
  PipelineOptions<Task> & {
    task?: string;
    /**
     * Run the model on a worker thread (default false): the event loop then keeps reading requests, answering
     * /health and filling the next batch while a batch computes. Loading options must be serializable then
     * (`device` as a name, not a Backend object); `threadImports` are imported in the thread first (a backend).
     */
    threaded?: boolean;
    threadImports?: string[];
    /**
     * Options the backend is created with when `device` is a name, e.g. `{ threads: 2 }` or
     * `{ kernels: "native" }` for the cpu backend (default: the backend's defaults — for cpu all cores).
     */
    backendOptions?: Record<string, unknown>;
  };

interface RouteSpec {
  run: Route;
  /** Inference routes take a concurrency permit and count in te_request_*. */
  inference: boolean;
}

export class DebertaServer {
  readonly engine: Engine;
  readonly metrics: ServerMetrics;
  readonly limits: Limits;
  readonly modelId: string;
  private inflight = 0;
  /** Admitted requests whose body is still being read (their inputs are about to join the queue). */
  private arriving = 0;
  private draining = false;
  private http?: Server;
  private readonly log: (line: string) => void;
  private readonly routes: Record<string, RouteSpec>;

  /** Serves `model`: a loaded pipeline (run on this thread) or a `ModelRunner` (e.g. a `ThreadRunner`). */
  constructor(model: AnyPipeline | ModelRunner, options: ServerOptions = {}) {
    const runner: ModelRunner = typeof model === "function" ? new InProcessRunner(model) : model;
    const maxBatchTokens = options.maxBatchTokens ?? 16384;
    const modelLimit = Math.min(runner.config.max_position_embeddings, runner.tokenizer.modelMaxLength);
    const maxInputLength = Math.min(options.maxInputLength ?? modelLimit, maxBatchTokens);
    this.metrics = new ServerMetrics(maxInputLength);
    this.engine = new Engine(runner, { maxBatchTokens, maxBatchRequests: options.maxBatchRequests, maxInputLength, metrics: this.metrics, arriving: () => this.arriving });
    this.limits = {
      maxBatchTokens,
      maxBatchRequests: options.maxBatchRequests,
      maxConcurrentRequests: options.maxConcurrentRequests ?? 512,
      maxClientBatchSize: options.maxClientBatchSize ?? 32,
      maxInputLength,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    };
    this.modelId = options.modelId ?? "deberta-js";
    this.log = options.log ?? ((l) => process.stderr.write(l + "\n"));
    this.routes = {
      "POST /predict": { run: predict, inference: true },
      "POST /rerank": { run: rerank, inference: true },
      "POST /": { run: inference, inference: true },
      "POST /tokenize": { run: tokenize, inference: false },
      "POST /decode": { run: decode, inference: false },
    };
  }

  /** Loads the model's pipeline (task from `architectures` unless given) and wraps it. */
  static async load(model: string, options: LoadServerOptions = {}): Promise<DebertaServer> {
    const { modelId, maxBatchTokens, maxBatchRequests, maxConcurrentRequests, maxInputLength, maxClientBatchSize, requestTimeoutMs, maxBodyBytes, log, task, threaded, threadImports, backendOptions, ...pipeOptions } =
      options;
    const { device: d, backend: b } = pipeOptions as { device?: unknown; backend?: unknown };
    const device = d ?? b;
    if (backendOptions && device !== undefined && typeof device !== "string") {
      throw new InputError("backendOptions apply to a backend created by name: pass `device` as a name (\"cpu\"), or create the backend with these options yourself");
    }
    let runner: ModelRunner;
    if (threaded) {
      const { warn, progress_callback, onProgress, ...plain } = pipeOptions as Record<string, unknown>;
      runner = await ThreadRunner.start(model, {
        task,
        options: plain,
        imports: threadImports,
        backendOptions,
        warn: warn as (m: string) => void,
        onProgress: (progress_callback ?? onProgress) as never,
      });
    } else {
      runner = new InProcessRunner(await loadPipeline(model, task, (await withBackendOptions(pipeOptions, backendOptions)) as PipelineOptions<Task>));
    }
    return new DebertaServer(runner, { modelId: modelId ?? model, maxBatchTokens, maxBatchRequests, maxConcurrentRequests, maxInputLength, maxClientBatchSize, requestTimeoutMs, maxBodyBytes, log });
  }

  /** TEI's `/info`. */
  info(): Record<string, unknown> {
    const config = this.engine.config;
    const id2label = Object.fromEntries(Object.entries(config.id2label).map(([k, v]) => [String(k), v]));
    const label2id = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)]));
    return {
      model_id: this.modelId,
      model_sha: null,
      model_dtype: this.engine.runner.dtype,
      served_model_name: this.modelId,
      model_type: { [this.engine.isReranker ? "reranker" : "classifier"]: { id2label, label2id } },
      pipeline_tag: this.engine.task,
      max_concurrent_requests: this.limits.maxConcurrentRequests,
      max_input_length: this.limits.maxInputLength,
      max_batch_tokens: this.limits.maxBatchTokens,
      max_batch_requests: this.limits.maxBatchRequests ?? null,
      max_client_batch_size: this.limits.maxClientBatchSize,
      auto_truncate: false,
      tokenization_workers: 1,
      version: VERSION,
      sha: null,
      docker_label: null,
    };
  }

  /** The request handler, to mount in any Node HTTP server. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    void this.handle(req, res);
  };

  /** Listens on `port` (0: any free port) and `host` (default 127.0.0.1); resolves with the bound address. */
  listen(port = 8080, host = "127.0.0.1"): Promise<AddressInfo> {
    const http = createServer(this.handler);
    // Keep-alive sockets must not hold a drain open forever: idle ones are closed by drain().
    this.http = http;
    return new Promise((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve(http.address() as AddressInfo);
      });
    });
  }

  /** True while draining (new requests get 503). */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Graceful shutdown: refuse new requests (503, `/health` unhealthy), finish the admitted ones, close the
   * listener and idle connections, free the model.
   */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.log(`draining: ${this.inflight} request(s) in flight, ${this.engine.queue.size} input(s) queued`);
    const closed = this.http ? new Promise<void>((r) => this.http!.close(() => r())) : Promise.resolve();
    this.http?.closeIdleConnections();
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 10));
    await this.engine.queue.whenIdle();
    this.http?.closeIdleConnections();
    // Connections still open after their last answer are closed (their requests were all answered).
    setTimeout(() => this.http?.closeAllConnections(), 100).unref();
    await closed;
    await this.engine.runner.dispose();
    this.log("drained");
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const key = `${req.method} ${path}`;
    try {
      if (this.draining) {
        res.setHeader("Connection", "close");
        throw new HttpError("Unhealthy", "the server is shutting down", 503, "unhealthy");
      }
      if (req.method === "GET") return await this.get(path, res);
      const route = this.routes[key];
      if (!route) {
        req.resume();
        return send(res, 404, { error: `no route ${key}`, error_type: "Validation" });
      }
      if (!route.inference) return send(res, 200, await route.run(await this.context(req, res)));
      await this.runInference(route, req, res);
    } catch (e) {
      req.resume();
      const err = toHttpError(e);
      if (err.status >= 500 && err.status !== 503) this.log(`error ${key}: ${err.message}`);
      send(res, err.status, err.body());
    }
  }

  private async get(path: string, res: ServerResponse): Promise<void> {
    switch (path) {
      case "/health":
        return send(res, 200, undefined);
      case "/info":
        return send(res, 200, this.info());
      case "/metrics":
        res.writeHead(200, { "Content-Type": this.metrics.contentType });
        res.end(await this.metrics.text());
        return;
      case "/openapi.json":
        return send(res, 200, openapi(this.engine.task));
      default:
        return send(res, 404, { error: `no route GET ${path}`, error_type: "Validation" });
    }
  }

  /** Admission (429), timeout (504) and cancellation around an inference route; counts te_request_*. */
  private async runInference(route: RouteSpec, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = this.metrics;
    if (this.inflight >= this.limits.maxConcurrentRequests) {
      m.requestFailure.inc({ err: "overloaded" });
      req.resume();
      throw new HttpError("Overloaded", `Model is overloaded: ${this.inflight} requests in flight (--max-concurrent-requests ${this.limits.maxConcurrentRequests})`, 429, "overloaded");
    }
    this.inflight++;
    m.inflight.set(this.inflight);
    const start = performance.now();
    this.arriving++;
    const ctx = await this.context(req, res)
      .catch((e) => {
        this.release();
        throw e;
      })
      .finally(() => this.arriving--);
    try {
      const result = await Promise.race([route.run(ctx), aborted(ctx.signal)]);
      m.requestCount.inc({ method: ctx.method });
      m.requestSuccess.inc({ method: ctx.method });
      m.requestDuration.observe((performance.now() - start) / 1000);
      send(res, 200, result);
    } catch (e) {
      m.requestCount.inc({ method: ctx.method });
      const err = toHttpError(e);
      m.requestFailure.inc({ err: err.metricErr });
      throw err;
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.inflight--;
    this.metrics.inflight.set(this.inflight);
  }

  /** Reads and parses the body; wires the abort signal to the client's disconnect and to the timeout. */
  private async context(req: IncomingMessage, res: ServerResponse): Promise<RouteContext> {
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new HttpError("Backend", "request cancelled: the client went away", 499, "cancelled"));
    };
    res.once("close", onClose);
    const ms = this.limits.requestTimeoutMs;
    const timer = setTimeout(() => controller.abort(new HttpError("Backend", `request timed out after ${ms} ms (--request-timeout)`, 504, "timeout")), ms);
    timer.unref();
    res.once("finish", () => clearTimeout(timer));
    res.once("close", () => clearTimeout(timer));
    const body = await readJson(req, this.limits.maxBodyBytes);
    return { body, engine: this.engine, metrics: this.metrics, limits: this.limits, signal: controller.signal, method: "single" };
  }
}

/** Rejects when `signal` aborts (client gone, timeout) so the answer does not wait for a batch already running. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw tooLarge(`request body of ${declared} bytes is over the limit of ${limit} bytes`, "payload");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(`request body is over the limit of ${limit} bytes`, "payload");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw validation(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status, { "Content-Length": 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
