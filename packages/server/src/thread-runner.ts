/**
 * `ThreadRunner`: the pipeline on a worker thread (`model-thread.ts`). The main thread keeps the tokenizer and the
 * config (loaded from the same files) and sends rows or calls over; results come back as messages. One request is
 * sent at a time by the batching queue, so the worker never runs two forwards at once.
 */
import { Worker } from "node:worker_threads";
import { DebertaError, type DebertaErrorCode, DebertaV2Config } from "@deberta-js/core";
import { type PipelineTokenizer, loadPipelineTokenizer, resolveFiles } from "@deberta-js/heads";
import type { Row } from "./engine.js";
import type { ThreadInit } from "./model-thread.js";
import type { ModelRunner } from "./runner.js";

export interface ThreadRunnerOptions {
  task?: string;
  /** Serializable loading options: `device`, `dtype`, `revision`, `cache_dir`, `variant`, `token`, `local_files_only`. */
  options?: Record<string, unknown>;
  /** Packages the thread imports first, e.g. a backend ("@deberta-js/backend-cpu"). */
  imports?: string[];
  /** Options of the backend (`{ threads }`, `{ kernels }` for cpu), created in the thread with them. */
  backendOptions?: Record<string, unknown>;
  warn?: (message: string) => void;
  onProgress?: (p: { phase: string; file: string; loaded: number; total: number }) => void;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

function threadError(e: { code?: string; message: string }): Error {
  return e.code ? new DebertaError(e.code as DebertaErrorCode, e.message) : new Error(e.message);
}

export class ThreadRunner implements ModelRunner {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly worker: Worker,
    readonly task: string,
    readonly config: DebertaV2Config,
    readonly tokenizer: PipelineTokenizer,
    readonly isClassifier: boolean,
    readonly dtype: string,
    readonly backend: string,
  ) {
    worker.on("message", (m: { kind: string; id?: number; value?: unknown; error?: { code?: string; message: string } }) => {
      if (m.kind !== "result") return;
      const p = this.pending.get(m.id!);
      this.pending.delete(m.id!);
      if (m.error) p?.reject(threadError(m.error));
      else p?.resolve(m.value);
    });
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", (code) => this.failAll(new Error(`the model thread exited (code ${code})`)));
  }

  /** Starts the thread, waits until it has loaded the model, and loads the tokenizer and config here too. */
  static async start(model: string, o: ThreadRunnerOptions = {}): Promise<ThreadRunner> {
    const init: ThreadInit = { model, task: o.task, options: o.options ?? {}, imports: o.imports ?? [], backendOptions: o.backendOptions };
    const worker = new Worker(new URL("./model-thread.js", import.meta.url), { workerData: init });
    try {
      const ready = await new Promise<{ task: string; config: Record<string, unknown>; isClassifier: boolean; dtype: string; backend: string }>((resolve, reject) => {
        worker.on("message", (m: { kind: string; message?: string; progress?: never; error?: { code?: string; message: string } } & Record<string, never>) => {
          if (m.kind === "warn") o.warn?.(m.message!);
          else if (m.kind === "progress") o.onProgress?.(m.progress!);
          else if (m.kind === "ready") resolve(m as never);
          else if (m.kind === "fatal") reject(threadError(m.error!));
        });
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the model thread exited (code ${code}) before loading`)));
      });
      // The thread has the files (downloaded if needed); resolve them here with the hub options only.
      const { revision, cache_dir, token, endpoint } = (o.options ?? {}) as Record<string, string | undefined>;
      const files = await resolveFiles(model, { revision, cache_dir, token, endpoint } as never);
      const tokenizer = await loadPipelineTokenizer(files);
      const config = new DebertaV2Config(ready.config, `${files.location}/config.json`);
      return new ThreadRunner(worker, ready.task, config, tokenizer, ready.isClassifier, ready.dtype, ready.backend);
    } catch (e) {
      await worker.terminate();
      throw e;
    }
  }

  private send(msg: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  classify(rows: Row[]): Promise<Float32Array[]> {
    return this.send({ kind: "classify", rows: rows.map((r) => ({ ids: r.ids, typeIds: r.typeIds })) }) as Promise<Float32Array[]>;
  }

  call(inputs: unknown, options: Record<string, unknown>): Promise<unknown> {
    return this.send({ kind: "call", inputs, options });
  }

  async dispose(): Promise<void> {
    this.worker.postMessage({ kind: "dispose" });
    await this.worker.terminate();
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
