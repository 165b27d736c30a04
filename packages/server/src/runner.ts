/**
 * Where the model runs, behind one small interface: `InProcessRunner` (the pipeline on this thread — simple, what
 * library users who pass their own pipeline get) or `ThreadRunner` (the pipeline on a worker thread, so the event
 * loop keeps reading requests, answering /health and filling the next batch while a batch computes — TEI runs its
 * backend apart from its router for the same reason).
 */
import { type DebertaV2Config, getBackend } from "@deberta-js/core";
import { DebertaV2ForSequenceClassification, type PipelineTokenizer, padRows } from "@deberta-js/heads";
import type { AnyPipeline, Row } from "./engine.js";

export interface ModelRunner {
  readonly task: string;
  readonly config: DebertaV2Config;
  /** On the calling thread, for tokenizing requests and /tokenize, /decode. */
  readonly tokenizer: PipelineTokenizer;
  readonly isClassifier: boolean;
  /** "float32" | "float16" (TEI's `model_dtype`). */
  readonly dtype: string;
  /** The backend the model runs on, as logged at start: e.g. "cpu native-avx2 ×2", "cuda". */
  readonly backend: string;
  /** Logits of each row, all rows in one packed forward pass. */
  classify(rows: Row[]): Promise<Float32Array[]>;
  /** A whole pipeline call. */
  call(inputs: unknown, options: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<void>;
}

/**
 * "cpu native-avx2 ×2": the backend's name, and for the compiled CPU backend its kernel set and threads (read
 * duck-typed, so this package does not depend on @deberta-js/backend-cpu).
 */
export function describeBackend(pipe: AnyPipeline): string {
  const backend = (pipe.model as unknown as { backend: { name: string; kernelSet?: string; threads?: number } }).backend;
  if (typeof backend.kernelSet !== "string") return backend.name === "cpu" ? "cpu js" : backend.name;
  return `${backend.name} ${backend.kernelSet}${typeof backend.threads === "number" ? ` ×${backend.threads}` : ""}`;
}

/**
 * Pipeline options with the backend created from its name (`device`, else `backend`) with `backendOptions`, e.g.
 * `{ threads: 2 }`, and handed over as an object; `options` themselves without backend options.
 */
export async function withBackendOptions<O extends Record<string, unknown>>(options: O, backendOptions?: Record<string, unknown>): Promise<O> {
  if (!backendOptions) return options;
  const named = (options.device ?? options.backend) as string | undefined;
  return { ...options, backend: undefined, device: await getBackend(named, backendOptions) };
}

/** Logits of `rows` in one packed forward of a sequence classifier. */
export async function classifyRows(pipe: AnyPipeline, rows: Row[]): Promise<Float32Array[]> {
  const model = pipe.model as unknown as DebertaV2ForSequenceClassification;
  const host = padRows(rows, pipe.model.config, pipe.tokenizer.padTokenId);
  const { logits } = model.forwardHost(host, { packed: true });
  try {
    const data = await logits.data();
    const n = logits.shape[1];
    return rows.map((_, b) => Float32Array.from(data.subarray(b * n, (b + 1) * n)));
  } finally {
    logits.dispose();
  }
}

export class InProcessRunner implements ModelRunner {
  constructor(readonly pipe: AnyPipeline) {}

  get task(): string {
    return this.pipe.task;
  }
  get config(): DebertaV2Config {
    return this.pipe.model.config;
  }
  get tokenizer(): PipelineTokenizer {
    return this.pipe.tokenizer;
  }
  get isClassifier(): boolean {
    return this.pipe.model instanceof DebertaV2ForSequenceClassification;
  }
  get dtype(): string {
    return (this.pipe.model as { dtype?: string }).dtype === "f16" ? "float16" : "float32";
  }
  get backend(): string {
    return describeBackend(this.pipe);
  }
  classify(rows: Row[]): Promise<Float32Array[]> {
    return classifyRows(this.pipe, rows);
  }
  call(inputs: unknown, options: Record<string, unknown>): Promise<unknown> {
    return this.pipe(inputs, options);
  }
  async dispose(): Promise<void> {
    this.pipe.dispose();
  }
}
