/**
 * Resource limits for the tokenizer files this package parses (the same names as `@deberta-js/core`'s limits;
 * this package depends on no other workspace package, so it keeps its own copy). See the README's "Security".
 * Raise them for the whole process with `setTokenizerLimits()` when a trusted file needs more.
 */
import { TokenizerError } from "./errors.js";

export interface TokenizerLimits {
  /** Inflated size of tokenizer.json.gz. */
  maxInflatedBytes: number;
  /** Nesting depth of Sequence normalizers / pre-tokenizers / post-processors. */
  maxNestingDepth: number;
  /** Steps (in units of text length) a Replace regex may take per normalized string: linear-time engine, so this is a sanity cap. */
  maxRegexPatternLength: number;
  /**
   * Bytes of one JSON file (tokenizer.json — inflated when gzipped — and the side files). The largest real DeBERTa
   * tokenizer.json (mDeBERTa, 250k pieces) is ~16 MB.
   */
  maxJsonBytes: number;
  /**
   * Objects + arrays in one JSON file, counted by a byte scan before `JSON.parse`: V8 spends ~90 bytes and a lot of
   * GC per `{}` (32 MiB of `[{},{},…]` is GiBs and a minute), and aborts the process outright on an array of ~2^28
   * elements. A 250k-piece vocabulary is ~250k arrays; 2M `{}` parse in ~1.5 s and ~250 MB.
   */
  maxJsonContainers: number;
}

export const DEFAULT_TOKENIZER_LIMITS: Readonly<TokenizerLimits> = Object.freeze({
  maxInflatedBytes: 512 * 2 ** 20,
  maxNestingDepth: 64,
  maxRegexPatternLength: 4096,
  maxJsonBytes: 64 * 2 ** 20,
  maxJsonContainers: 2_000_000,
});

let current: TokenizerLimits = { ...DEFAULT_TOKENIZER_LIMITS };

export function getTokenizerLimits(): TokenizerLimits {
  return current;
}

/** Changes limits for the whole process; returns the previous values. */
export function setTokenizerLimits(overrides: Partial<TokenizerLimits>): TokenizerLimits {
  const prev = current;
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in DEFAULT_TOKENIZER_LIMITS)) throw new TokenizerError(`setTokenizerLimits: unknown limit "${k}"`, "INVALID_ARGUMENT");
    if (!(typeof v === "number" && v > 0 && (Number.isSafeInteger(v) || v === Infinity))) {
      throw new TokenizerError(`setTokenizerLimits: ${k} must be a positive integer, got ${String(v)}`, "INVALID_ARGUMENT");
    }
  }
  current = { ...current, ...overrides };
  return prev;
}

export function resetTokenizerLimits(): void {
  current = { ...DEFAULT_TOKENIZER_LIMITS };
}

export function tokenizerLimitHint(name: keyof TokenizerLimits): string {
  return `limit ${name} = ${current[name]}; raise it with setTokenizerLimits({ ${name}: … }) if the file is trusted`;
}
