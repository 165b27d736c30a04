/**
 * What every pipeline shares: its model and tokenizer, batching options, per-call options over the defaults
 * given to `pipeline(...)`, and being callable like HF's (`await classifier("text", { top_k: 2 })`).
 */
import { DisposedError } from "@deberta-js/core";
import type { DebertaV2PreTrainedModel } from "../base.js";
import type { PipelineTokenizer } from "./tokenizer.js";

export interface BatchingOptions {
  /** Rows per forward pass; rows are sorted by length and each batch padded to its own longest (default 8). */
  batchSize?: number;
  /** Run batches packed (no compute on padding at all). Default false: padded batches, as HF. */
  packed?: boolean;
}

export abstract class Pipeline<M extends DebertaV2PreTrainedModel, O extends object> {
  constructor(
    readonly task: string,
    readonly model: M,
    readonly tokenizer: PipelineTokenizer,
    /** Options given to `pipeline(...)`: defaults of every call. */
    readonly defaults: O & BatchingOptions = {} as O & BatchingOptions,
    protected readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  /** Call options over the pipeline's defaults. */
  protected options(o: O & BatchingOptions = {} as O & BatchingOptions): O & BatchingOptions {
    return { ...this.defaults, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as O & BatchingOptions;
  }

  protected batchOptions(o: BatchingOptions): { batchSize: number; padId: number } {
    return { batchSize: o.batchSize ?? 8, padId: this.tokenizer.padTokenId };
  }

  /** Frees the model's weights. Calling the pipeline afterwards rejects with DISPOSED. */
  dispose(): void {
    this.model.dispose();
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }
}

/** Makes a pipeline instance callable: `p(...)` is `p.call(...)`, and its fields and methods stay reachable. */
export function callable<P extends { call: (...args: never[]) => unknown; task?: string; isDisposed?: boolean }>(p: P): P & P["call"] {
  const f = ((...args: never[]) => {
    if (p.isDisposed) return Promise.reject(new DisposedError(`pipeline("${p.task}") was used after dispose()`));
    return p.call(...args);
  }) as P & P["call"];
  Object.setPrototypeOf(f, p);
  return f;
}
