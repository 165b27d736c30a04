/**
 * The one error type this package throws on bad input. It mirrors `@deberta-js/core`'s `DebertaError` shape
 * (`name`, `code`, message naming the file or argument at fault) without depending on core: this package has no
 * dependencies on other workspace packages.
 */
export type TokenizerErrorReason =
  | "FILE_NOT_FOUND" // a required tokenizer file is absent
  | "FILE_CORRUPT" // a file is truncated, malformed or inconsistent
  | "UNSUPPORTED" // a valid file or option that this package does not implement
  | "INVALID_ARGUMENT"; // a call argument has the wrong type or value

export class TokenizerError extends Error {
  readonly code = "TOKENIZER_INVALID" as const;
  readonly reason: TokenizerErrorReason;
  constructor(message: string, reason: TokenizerErrorReason = "INVALID_ARGUMENT", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TokenizerError";
    this.reason = reason;
  }
}

export function invalidArgument(message: string): TokenizerError {
  return new TokenizerError(message, "INVALID_ARGUMENT");
}

export function corruptFile(file: string, message: string, cause?: unknown): TokenizerError {
  return new TokenizerError(`${file}: ${message}`, "FILE_CORRUPT", cause === undefined ? undefined : { cause });
}
