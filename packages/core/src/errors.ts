/**
 * Typed errors. Every error deberta-js throws on bad input is a `DebertaError` whose `code` says what kind of
 * problem it is and whose message names the file, tensor, field or argument at fault.
 */
export type DebertaErrorCode =
  | "CONFIG_INVALID" // config.json has a wrong type, a missing or an inconsistent field
  | "WEIGHTS_INVALID" // a weights file is truncated, malformed or unsafe
  | "WEIGHTS_MISSING" // the checkpoint lacks tensors the model needs
  | "FILE_NOT_FOUND" // a model folder lacks a file we need
  | "INPUT_INVALID" // model inputs: ragged arrays, ids out of range, wrong shapes
  | "BACKEND_UNAVAILABLE" // a backend cannot start here (no adapter, no driver) — the reason says why
  | "BACKEND_ERROR" // a backend failed while running an op
  | "TOKENIZER_INVALID" // a tokenizer file is missing or corrupt, or a tokenizer argument is wrong
  | "DISPOSED" // a tensor, model, pipeline or backend was used after dispose() / destroy()
  | "DEPENDENCY_MISSING" // an optional package this path needs is not installed — the message names it
  | "UNSUPPORTED"; // a valid request we do not support (yet)

export class DebertaError extends Error {
  readonly code: DebertaErrorCode;
  constructor(code: DebertaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DebertaError";
    this.code = code;
  }
}

export class ConfigError extends DebertaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
  }
}

export class WeightsError extends DebertaError {
  constructor(message: string, code: "WEIGHTS_INVALID" | "WEIGHTS_MISSING" | "FILE_NOT_FOUND" = "WEIGHTS_INVALID", options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "WeightsError";
  }
}

export class InputError extends DebertaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INPUT_INVALID", message, options);
    this.name = "InputError";
  }
}

export class BackendUnavailableError extends DebertaError {
  readonly backend: string;
  constructor(backend: string, reason: string, options?: { cause?: unknown }) {
    super("BACKEND_UNAVAILABLE", `backend "${backend}" is not available: ${reason}`, options);
    this.name = "BackendUnavailableError";
    this.backend = backend;
  }
}

/** A tensor, model, pipeline or backend was used after `dispose()` / `destroy()`. */
export class DisposedError extends DebertaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DISPOSED", message, options);
    this.name = "DisposedError";
  }
}

/**
 * An optional package that one path needs is not installed (e.g. `@huggingface/hub`, only for downloads in Node).
 * `packageName` is what to install.
 */
export class MissingDependencyError extends DebertaError {
  readonly packageName: string;
  constructor(packageName: string, neededFor: string, options?: { cause?: unknown }) {
    super("DEPENDENCY_MISSING", `${neededFor} needs the package "${packageName}", which is not installed: npm install ${packageName}`, options);
    this.name = "MissingDependencyError";
    this.packageName = packageName;
  }
}
