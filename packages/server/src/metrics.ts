/**
 * Prometheus metrics under TEI's names where one applies (`te_request_count`, `te_request_success`,
 * `te_request_failure`, `te_request_*_duration`, `te_request_input_length`, `te_batch_next_size`,
 * `te_batch_next_tokens`, `te_queue_size`), with TEI's bucket layouts. One registry per server, so several
 * servers in one process (tests, a user's app) do not share counters. prom-client's default process metrics come
 * along (`process_cpu_seconds_total`, `nodejs_eventloop_lag_p99_seconds` — since the previous scrape —, heap…): an
 * event loop lagging behind delays reading requests and forming batches.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** TEI: 35 geometric duration buckets from 15 µs (×1.5). */
const durationBuckets = Array.from({ length: 35 }, (_, i) => 0.00001 * 1.5 ** (i + 1));
const pow2 = (n: number): number[] => Array.from({ length: n }, (_, i) => 2 ** i);

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requestCount: Counter<"method">;
  readonly requestSuccess: Counter<"method">;
  readonly requestFailure: Counter<"err">;
  readonly requestDuration: Histogram;
  readonly tokenizationDuration: Histogram;
  readonly queueDuration: Histogram;
  readonly inferenceDuration: Histogram;
  readonly inputLength: Histogram;
  readonly batchSize: Histogram;
  readonly batchTokens: Histogram;
  readonly batchDuration: Histogram;
  readonly queueSize: Gauge;
  readonly inflight: Gauge;

  constructor(maxInputLength: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, buckets, registers });
    this.requestCount = counter("te_request_count", "Requests received", ["method"]);
    this.requestSuccess = counter("te_request_success", "Requests answered successfully", ["method"]);
    this.requestFailure = counter("te_request_failure", "Requests that failed, by reason", ["err"]);
    this.requestDuration = histogram("te_request_duration", "Request duration (s)", durationBuckets);
    this.tokenizationDuration = histogram("te_request_tokenization_duration", "Tokenization time per request (s)", durationBuckets);
    this.queueDuration = histogram("te_request_queue_duration", "Time a request's inputs waited in the batching queue (s)", durationBuckets);
    this.inferenceDuration = histogram("te_request_inference_duration", "Inference time of the batches a request was in (s)", durationBuckets);
    this.inputLength = histogram("te_request_input_length", "Input length in tokens", pow2(20).filter((x) => x <= Math.max(1, maxInputLength)));
    this.batchSize = histogram("te_batch_next_size", "Inputs per batch run by the model", pow2(13));
    this.batchTokens = histogram("te_batch_next_tokens", "Tokens per batch run by the model", pow2(21));
    this.batchDuration = histogram("te_batch_inference_duration", "Model time per batch (s)", durationBuckets);
    this.queueSize = new Gauge({ name: "te_queue_size", help: "Inputs waiting in the batching queue", registers });
    this.inflight = new Gauge({ name: "te_inflight_requests", help: "Requests admitted and not yet answered", registers });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
