/**
 * What every pipeline shares: its model and tokenizer, batching options, per-call options over the defaults
 * given to `pipeline(...)` (checked by name: an unknown option is an `UnknownOptionError` naming the closest known
 * one), being callable like HF's (`await classifier("text", { top_k: 2 })`), and streaming: called with an async
 * iterable or a generator, a pipeline returns an async generator of results, in input order, `batch_size` inputs
 * per forward pass — HF's `for out in pipe(dataset, batch_size=8)`.
 */
import { type Backend, DisposedError, InputError, type OptionSpec, normalizeOptions } from "@deberta-js/core";
import type { DebertaV2PreTrainedModel } from "../base.js";
import type { PipelineTokenizer } from "./tokenizer.js";

export interface BatchingOptions {
  /** Rows per forward pass; rows are sorted by length and each batch padded to its own longest (default 8). Alias `batchSize`. */
  batch_size?: number;
  /** @deprecated spelling of `batch_size`. */
  batchSize?: number;
  /** Run batches packed (no compute on padding at all). Default false: padded batches, as HF. */
  packed?: boolean;
}

export const BATCHING_OPTIONS: readonly OptionSpec[] = [{ name: "batch_size", aliases: ["batchSize"] }, { name: "packed" }];

/** Inputs a pipeline streams over: an async iterable, or a generator / iterator that is not an array or a string. */
export type StreamInput<I> = AsyncIterable<I> | Iterator<I>;

export function isStreamInput(x: unknown): x is StreamInput<unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  return Symbol.asyncIterator in x || (Symbol.iterator in x && typeof (x as { next?: unknown }).next === "function");
}

/** Per-task option names of a pipeline class (`static callOptions`), besides the batching ones. */
interface PipelineClass {
  readonly callOptions: readonly OptionSpec[];
  /** A one-element list comes back unwrapped (HF's fill-mask and question-answering do this). */
  readonly unwrapsSingleList?: boolean;
}

export abstract class Pipeline<M extends DebertaV2PreTrainedModel, O extends object, I = unknown, R = unknown> {
  constructor(
    readonly task: string,
    readonly model: M,
    readonly tokenizer: PipelineTokenizer,
    /** Options given to `pipeline(...)`: defaults of every call. */
    readonly defaults: O & BatchingOptions = {} as O & BatchingOptions,
    protected readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  /** The backend the model runs on. */
  get backend(): Backend {
    return this.model.backend;
  }

  /** The backend's name: "cpu", "webgpu" or "cuda". */
  get device(): string {
    return this.model.backend.name;
  }

  /** Every option name a call of this pipeline accepts. */
  optionSpecs(): OptionSpec[] {
    return [...BATCHING_OPTIONS, ...(this.constructor as unknown as PipelineClass).callOptions];
  }

  /** Call options over the pipeline's defaults, every name checked and in its documented spelling. */
  protected options(o?: O & BatchingOptions): O & BatchingOptions {
    const specs = this.optionSpecs();
    return {
      ...normalizeOptions(this.defaults, specs, `pipeline("${this.task}")`),
      ...normalizeOptions(o, specs, `${this.task} pipeline call`),
    } as O & BatchingOptions;
  }

  protected batchOptions(o: BatchingOptions): { batchSize: number; padId: number } {
    return { batchSize: batchSizeOf(o) ?? 8, padId: this.tokenizer.padTokenId };
  }

  /** Runs the pipeline on inputs as they come, `batch_size` at a time; yields one result per input, in order. */
  async *stream(inputs: StreamInput<I>, options?: O & BatchingOptions): AsyncGenerator<R> {
    const size = batchSizeOf(this.options(options)) ?? 8;
    const iterable: AsyncIterable<I> | Iterable<I> = Symbol.asyncIterator in inputs ? (inputs as AsyncIterable<I>) : { [Symbol.iterator]: () => inputs as Iterator<I> };
    let chunk: I[] = [];
    for await (const x of iterable) {
      chunk.push(x);
      if (chunk.length >= size) {
        yield* await this.callList(chunk, options);
        chunk = [];
      }
    }
    if (chunk.length) yield* await this.callList(chunk, options);
  }

  private async callList(chunk: I[], options?: O & BatchingOptions): Promise<R[]> {
    const call = (this as unknown as { call(i: I[], o?: O): Promise<unknown> }).call;
    const out = await call.call(this, chunk, options);
    const unwraps = (this.constructor as unknown as PipelineClass).unwrapsSingleList === true;
    return (chunk.length === 1 && unwraps ? [out] : out) as R[];
  }

  /** Frees the model's weights. Calling the pipeline afterwards rejects with DISPOSED. */
  dispose(): void {
    this.model.dispose();
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }
}

function batchSizeOf(o: BatchingOptions): number | undefined {
  const n = o.batch_size ?? o.batchSize;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new InputError(`batch_size must be a positive integer (got ${JSON.stringify(n)})`);
  return n;
}

/**
 * Makes a pipeline instance callable: `p(...)` is `p.call(...)` (or `p.stream(...)` for an async iterable or a
 * generator), and its fields and methods stay reachable.
 */
export function callable<P extends { call: (...args: never[]) => unknown; stream: (inputs: never, options?: never) => unknown; task?: string; isDisposed?: boolean }>(
  p: P,
): P & P["call"] {
  const f = ((...args: never[]) => {
    if (p.isDisposed) return Promise.reject(new DisposedError(`pipeline("${p.task}") was used after dispose()`));
    return isStreamInput(args[0]) ? p.stream(args[0], args[1]) : p.call(...args);
  }) as P & P["call"];
  Object.setPrototypeOf(f, p);
  return f;
}
