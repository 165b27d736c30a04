/**
 * The one model instance a server runs (a `ModelRunner`: in this thread or a worker thread), plus what the TEI
 * routes need from it — tokenizing to rows, and running many rows from many requests as one packed (unpadded) batch
 * on the sequence-classification head. Everything model-related is serialized through one `BatchQueue`, so the
 * backend never runs two forwards at once.
 */
import { type DebertaV2Config, InputError } from "@deberta-js/core";
import { type PipelineOptions, type PipelineTokenizer, type Task, type TokenizedRow, TASKS, pipeline, sigmoid, softmax } from "@deberta-js/heads";
import { BatchQueue } from "./batch-queue.js";
import { HttpError, tooLarge } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import type { ModelRunner } from "./runner.js";

/** A tokenized input of the classification routes. */
export interface Row {
  ids: number[];
  typeIds: number[];
}

/** The pipeline as the server calls it (any task). */
export type AnyPipeline = ((inputs: unknown, options?: Record<string, unknown>) => Promise<unknown>) & {
  task: string;
  model: { config: DebertaV2Config; dispose(): void; dtype?: string };
  tokenizer: PipelineTokenizer;
  dispose(): void;
};

export interface EngineOptions {
  maxBatchTokens: number;
  maxBatchRequests?: number;
  /** Longest input in tokens (default: the model's and tokenizer's limit). */
  maxInputLength?: number;
  metrics?: ServerMetrics;
  /** Requests admitted whose inputs are not queued yet (see `BatchQueueOptions.arriving`). */
  arriving?: () => number;
}

/** HF task of the head `config.json` names (`architectures[0]`). */
export function taskForArchitecture(architectures: readonly string[]): Task {
  switch (architectures[0]) {
    case "DebertaV2ForMaskedLM":
      return "fill-mask";
    case "DebertaV2ForTokenClassification":
      return "token-classification";
    case "DebertaV2ForQuestionAnswering":
      return "question-answering";
    case "DebertaV2ForMultipleChoice":
      return "multiple-choice";
    default:
      return "text-classification";
  }
}

/** Loads the pipeline for `task` (default: from the model's `architectures`). */
export async function loadPipeline(model: string, task: string | undefined, options: PipelineOptions<Task>): Promise<AnyPipeline> {
  if (task !== undefined && !(TASKS as readonly string[]).includes(task)) throw new InputError(`--task "${task}" is not one of ${TASKS.join(", ")}`);
  let t = task as Task | undefined;
  if (t === undefined) {
    // Load as a classifier first only to read the config would double the work: read architectures from the files.
    const { resolveFiles } = await import("@deberta-js/heads");
    const { loadConfig } = await import("@deberta-js/core");
    const files = await resolveFiles(model, options);
    t = taskForArchitecture((await loadConfig(files)).architectures);
    return (await pipeline(t, files, options as never)) as unknown as AnyPipeline;
  }
  return (await pipeline(t, model, options as never)) as unknown as AnyPipeline;
}

export class Engine {
  readonly queue: BatchQueue<Row, Float32Array>;
  readonly maxInputLength: number;

  constructor(
    readonly runner: ModelRunner,
    options: EngineOptions,
  ) {
    const modelLimit = Math.min(this.config.max_position_embeddings, runner.tokenizer.modelMaxLength);
    this.maxInputLength = Math.min(options.maxInputLength ?? modelLimit, options.maxBatchTokens);
    this.queue = new BatchQueue<Row, Float32Array>({
      runBatch: (rows) => runner.classify(rows),
      maxBatchTokens: options.maxBatchTokens,
      maxBatchRequests: options.maxBatchRequests,
      metrics: options.metrics,
      arriving: options.arriving,
    });
  }

  get config(): DebertaV2Config {
    return this.runner.config;
  }

  get tokenizer(): PipelineTokenizer {
    return this.runner.tokenizer;
  }

  get task(): string {
    return this.runner.task;
  }

  /** True when the model is a sequence classifier (the /predict and /rerank routes need one). */
  get isClassifier(): boolean {
    return this.runner.isClassifier;
  }

  /** TEI calls a one-label classifier a re-ranker. */
  get isReranker(): boolean {
    return this.isClassifier && this.config.num_labels === 1;
  }

  /** `text` (and `pair`) → one row; longer than `maxInputLength` is a 413 unless `truncate`. */
  encode(text: string, pair: string | undefined, truncate: boolean): Row {
    const row: TokenizedRow = this.tokenizer.encode(text, {
      pair,
      truncation: truncate ? "longest_first" : false,
      ...(truncate ? { maxLength: this.maxInputLength } : {}),
    })[0];
    if (row.ids.length > this.maxInputLength) {
      throw tooLarge(`\`inputs\` must have less than ${this.maxInputLength} tokens. Given: ${row.ids.length}`);
    }
    if (row.ids.length === 0) throw new HttpError("Empty", "`inputs` cannot be empty", 400, "validation");
    return { ids: row.ids, typeIds: row.typeIds };
  }
}

/** TEI's scores: softmax over the labels, or a sigmoid for one label; raw logits when asked. */
export function teiScores(logits: Float32Array, raw: boolean): number[] {
  if (raw) return Array.from(logits);
  return logits.length > 1 ? softmax(logits) : sigmoid(logits);
}
