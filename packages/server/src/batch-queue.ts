/**
 * The token-budget batching queue, after TEI's: inputs wait in one FIFO; the batcher takes them greedily in order
 * until the next one would pass `maxBatchTokens` (or `maxBatchRequests` inputs are taken), runs that batch on the
 * one model instance, and starts over. Requests that arrive while a batch runs are batched together next, so the
 * batch size grows with the load by itself — no timer, no added latency when idle.
 *
 * An entry is either a batchable input (run with others by `runBatch`) or an exclusive task (a whole pipeline
 * call, run alone). Cancelled entries (client gone, timeout) are dropped before their batch forms.
 */
import { HttpError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";

export interface BatchQueueOptions<T, R> {
  /** Runs one batch; returns one result per input, in order. */
  runBatch: (inputs: T[]) => Promise<R[]>;
  maxBatchTokens: number;
  /** At most this many inputs per batch (default: no limit but the token budget). */
  maxBatchRequests?: number;
  metrics?: ServerMetrics;
  /**
   * Inputs known to be on their way (requests admitted, body not yet read and tokenized). While there are some,
   * the batcher waits a few event-loop turns (at most `gatherMs`) so they join the batch it is about to form.
   */
  arriving?: () => number;
  /**
   * Longest wait for arriving inputs before a batch forms: `gatherMs` (default 2 ms) or `gatherFraction` (default
   * 0.02) of the previous batch's run time, whichever is longer — so a wait never costs more than a few percent of
   * what the batch it fills takes to run.
   */
  gatherMs?: number;
  gatherFraction?: number;
}

/** Timing of one entry, for the per-request histograms. */
export interface EntryTiming {
  queueSeconds: number;
  inferenceSeconds: number;
}

interface Entry<T> {
  tokens: number;
  enqueuedAt: number;
  input?: T;
  task?: () => Promise<unknown>;
  resolve: (v: { value: unknown; timing: EntryTiming }) => void;
  reject: (e: unknown) => void;
  done: boolean;
  signal?: AbortSignal;
}

export class BatchQueue<T, R> {
  private readonly entries: Array<Entry<T>> = [];
  private running = false;
  /** Run time of the last batch (ms), which bounds the gathering wait before the next. */
  private lastBatchMs = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: BatchQueueOptions<T, R>) {
    if (!(options.maxBatchTokens >= 1)) throw new RangeError(`maxBatchTokens must be at least 1 (got ${options.maxBatchTokens})`);
  }

  /** Inputs waiting (not yet in a running batch). */
  get size(): number {
    return this.entries.length;
  }

  /** True while nothing waits and nothing runs. */
  get idle(): boolean {
    return !this.running && this.entries.length === 0;
  }

  /** Queues one input of `tokens` tokens; resolves with its result. Aborting `signal` drops it if not yet running. */
  submit(input: T, tokens: number, signal?: AbortSignal): Promise<{ value: R; timing: EntryTiming }> {
    return this.push({ input, tokens }, signal) as Promise<{ value: R; timing: EntryTiming }>;
  }

  /** Queues a task that runs alone (a whole pipeline call), in FIFO order with the batches. */
  exclusive<V>(task: () => Promise<V>, tokens: number, signal?: AbortSignal): Promise<{ value: V; timing: EntryTiming }> {
    return this.push({ task, tokens }, signal) as Promise<{ value: V; timing: EntryTiming }>;
  }

  /** Resolves once nothing waits and nothing runs. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private push(e: Pick<Entry<T>, "input" | "task" | "tokens">, signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const entry: Entry<T> = { ...e, enqueuedAt: performance.now(), resolve, reject, done: false, signal };
      this.entries.push(entry);
      this.options.metrics?.queueSize.set(this.entries.length);
      signal?.addEventListener("abort", () => this.cancel(entry), { once: true });
      this.kick();
    });
  }

  private cancel(entry: Entry<T>): void {
    const i = this.entries.indexOf(entry);
    if (i < 0 || entry.done) return; // already running: its batch finishes, the answer is dropped by the caller
    this.entries.splice(i, 1);
    this.options.metrics?.queueSize.set(this.entries.length);
    entry.done = true;
    entry.reject(abortError(entry.signal!));
    if (this.idle) this.notifyIdle();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // Let the event loop read the other requests that are already on the sockets first, so they join this batch.
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.entries.length) {
        await this.gather();
        const batch = this.next(); // empty when the waiting inputs were cancelled meanwhile
        if (batch.length) await this.run(batch);
      }
    } finally {
      this.running = false;
      this.notifyIdle();
    }
  }

  /**
   * Requests that arrived during a batch may still be unread in their sockets when it ends (always so when the
   * model runs on this thread), and the clients answered by the last batch are sending their next requests: give
   * the event loop a few turns to read and tokenize them, so they join this batch rather than wait a whole batch
   * for the next. Keeps turning while inputs are on their way (`arriving`) or the queue still grows, bounded by
   * the gathering deadline and by a full batch; never waits when nothing comes in.
   */
  private async gather(): Promise<void> {
    const arriving = this.options.arriving ?? (() => 0);
    const wait = Math.max(this.options.gatherMs ?? 2, (this.options.gatherFraction ?? 0.02) * this.lastBatchMs);
    const deadline = performance.now() + wait;
    let seen = this.entries.length;
    // Two turns at least: the first may run before the poll phase that reads the sockets.
    for (let turn = 0; ; turn++) {
      await new Promise((r) => setImmediate(r));
      const grew = this.entries.length > seen;
      seen = this.entries.length;
      if (turn >= 1 && !(arriving() > 0 || grew)) return;
      if (performance.now() >= deadline || this.full()) return;
    }
  }

  /** True when the waiting inputs already fill a batch (the token or the request budget). */
  private full(): boolean {
    const { maxBatchTokens, maxBatchRequests = Infinity } = this.options;
    if (this.entries.length >= maxBatchRequests) return true;
    let tokens = 0;
    for (const e of this.entries) if ((tokens += e.tokens) >= maxBatchTokens || e.task) return true;
    return false;
  }

  /** FIFO, greedy up to the budgets; an exclusive task is a batch of its own. */
  private next(): Array<Entry<T>> {
    const { maxBatchTokens, maxBatchRequests = Infinity } = this.options;
    const batch: Array<Entry<T>> = [];
    let tokens = 0;
    while (this.entries.length) {
      const e = this.entries[0];
      if (e.task) {
        if (batch.length === 0) batch.push(this.entries.shift()!);
        break;
      }
      if (batch.length && (tokens + e.tokens > maxBatchTokens || batch.length >= maxBatchRequests)) break;
      batch.push(this.entries.shift()!);
      tokens += e.tokens;
    }
    this.options.metrics?.queueSize.set(this.entries.length);
    return batch;
  }

  private async run(batch: Array<Entry<T>>): Promise<void> {
    const start = performance.now();
    for (const e of batch) e.done = true;
    const m = this.options.metrics;
    m?.batchSize.observe(batch.length);
    m?.batchTokens.observe(batch.reduce((s, e) => s + e.tokens, 0));
    try {
      const values: unknown[] = batch[0].task ? [await batch[0].task()] : await this.options.runBatch(batch.map((e) => e.input as T));
      if (values.length !== batch.length) throw new Error(`batch of ${batch.length} inputs gave ${values.length} results`);
      const end = performance.now();
      if (!batch[0].task) this.lastBatchMs = end - start;
      m?.batchDuration.observe((end - start) / 1000);
      batch.forEach((e, i) => e.resolve({ value: values[i], timing: { queueSeconds: (start - e.enqueuedAt) / 1000, inferenceSeconds: (end - start) / 1000 } }));
    } catch (err) {
      for (const e of batch) e.reject(err);
    }
  }

  private notifyIdle(): void {
    if (!this.idle) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}

function abortError(signal: AbortSignal): unknown {
  const r = signal.reason;
  return r instanceof HttpError ? r : new HttpError("Backend", "request cancelled: the client went away", 499, "cancelled");
}
