/**
 * TEI's error body `{ error, error_type }` and its status codes (text-embeddings-inference `ErrorType` →
 * `StatusCode`): Unhealthy 503, Backend 424, Overloaded 429, Validation 422 (413 for oversize inputs and
 * batches, as TEI documents), Tokenizer 422, Empty 400. Timeouts answer 504 with error_type Backend.
 */
import { DebertaError } from "@deberta-js/core";

export type ErrorType = "Unhealthy" | "Backend" | "Overloaded" | "Validation" | "Tokenizer" | "Empty";

const STATUS: Record<ErrorType, number> = {
  Unhealthy: 503,
  Backend: 424,
  Overloaded: 429,
  Validation: 422,
  Tokenizer: 422,
  Empty: 400,
};

export class HttpError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
    readonly status: number = STATUS[errorType],
    /** Label of `te_request_failure{err=…}`. */
    readonly metricErr: string = errorType.toLowerCase(),
  ) {
    super(message);
    this.name = "HttpError";
  }

  body(): { error: string; error_type: ErrorType } {
    return { error: this.message, error_type: this.errorType };
  }
}

/** Any error → the HttpError it is answered with: bad input is the client's (422), anything else the backend's (424). */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof DebertaError) {
    if (e.code === "INPUT_INVALID") return new HttpError("Validation", e.message);
    if (e.code === "TOKENIZER_INVALID") return new HttpError("Tokenizer", e.message);
  }
  return new HttpError("Backend", e instanceof Error ? e.message : String(e));
}

export const validation = (message: string): HttpError => new HttpError("Validation", message, 422, "validation");
export const tooLarge = (message: string, metricErr = "validation"): HttpError => new HttpError("Validation", message, 413, metricErr);
export const empty = (message: string): HttpError => new HttpError("Empty", message, 400, "validation");
