/**
 * The result of calling a tokenizer (transformers' `BatchEncoding`): `input_ids`, `token_type_ids`,
 * `attention_mask` and, on request, `offset_mapping`, `special_tokens_mask`, `overflow_to_sample_mapping`,
 * `length` — flat arrays for a single text, arrays of rows for a batch (or when overflowing windows are returned).
 * `encodings` keeps the per-row `Encoding` objects of the fast tokenizer (word ids, sequence ids, tokens).
 */
import type { Encoding } from "./encoding.js";
import { TokenizerError } from "./errors.js";

type Rows<T> = T[] | T[][];

// Kept under symbols: not enumerable data, so JSON.stringify / Object.entries show only the arrays.
const ENCODINGS = Symbol("encodings");
const BATCHED = Symbol("isBatched");

export class BatchEncoding {
  input_ids: Rows<number>;
  declare token_type_ids?: Rows<number>;
  declare attention_mask?: Rows<number>;
  declare offset_mapping?: Array<[number, number]> | Array<Array<[number, number]>>;
  declare special_tokens_mask?: Rows<number>;
  declare overflow_to_sample_mapping?: number[];
  declare length?: number | number[];
  /** Python-slow-style truncation outputs (slow tokenizer with `returnOverflowingTokens`). */
  declare overflowing_tokens?: number[] | number[][];
  declare num_truncated_tokens?: number | number[];
  declare [ENCODINGS]: Encoding[] | undefined;
  declare [BATCHED]: boolean;

  /** One `Encoding` per row (fast tokenizer only; undefined for the slow tokenizer, as in transformers). */
  get encodings(): Encoding[] | undefined {
    return this[ENCODINGS];
  }
  /** Whether the arrays are batched (one row per encoding). */
  get isBatched(): boolean {
    return this[BATCHED];
  }

  constructor(fields: Partial<BatchEncoding> & { input_ids: Rows<number> }, encodings: Encoding[] | undefined, isBatched: boolean) {
    this.input_ids = fields.input_ids;
    for (const k of [
      "token_type_ids",
      "attention_mask",
      "offset_mapping",
      "special_tokens_mask",
      "overflow_to_sample_mapping",
      "length",
      "overflowing_tokens",
      "num_truncated_tokens",
    ] as const) {
      if (fields[k] !== undefined) (this as Record<string, unknown>)[k] = fields[k];
    }
    this[ENCODINGS] = encodings;
    this[BATCHED] = isBatched;
  }

  private encodingAt(batchIndex: number, what: string): Encoding {
    if (!this.encodings) {
      throw new TokenizerError(`${what}() is not available when using the slow (Python-style) tokenizer; use DebertaV2TokenizerFast`, "UNSUPPORTED");
    }
    const e = this.encodings[batchIndex];
    if (!e) throw new TokenizerError(`${what}(${batchIndex}): batch index out of range (${this.encodings.length} rows)`, "INVALID_ARGUMENT");
    return e;
  }

  /** Word index of each token of row `batchIndex` (null for special and padding tokens). */
  wordIds(batchIndex = 0): (number | null)[] {
    return this.encodingAt(batchIndex, "wordIds").wordIds;
  }
  word_ids(batchIndex = 0): (number | null)[] {
    return this.encodingAt(batchIndex, "word_ids").wordIds;
  }
  /** Sequence (0 or 1) of each token of row `batchIndex` (null for special and padding tokens). */
  sequenceIds(batchIndex = 0): (number | null)[] {
    return this.encodingAt(batchIndex, "sequenceIds").sequenceIds;
  }
  sequence_ids(batchIndex = 0): (number | null)[] {
    return this.encodingAt(batchIndex, "sequence_ids").sequenceIds;
  }
  /** Token strings of row `batchIndex`. */
  tokens(batchIndex = 0): string[] {
    return this.encodingAt(batchIndex, "tokens").tokens.slice();
  }
  /** Token index of character `charIndex` in row `batchIndex` (sequence `sequenceIndex`), or null. */
  charToToken(batchIndex: number, charIndex: number, sequenceIndex = 0): number | null {
    return this.encodingAt(batchIndex, "charToToken").charToToken(charIndex, sequenceIndex);
  }
  char_to_token(batchIndex: number, charIndex: number, sequenceIndex = 0): number | null {
    return this.charToToken(batchIndex, charIndex, sequenceIndex);
  }
  tokenToChars(batchIndex: number, tokenIndex: number): [number, number] | null {
    return this.encodingAt(batchIndex, "tokenToChars").tokenToChars(tokenIndex);
  }
  token_to_chars(batchIndex: number, tokenIndex: number): [number, number] | null {
    return this.tokenToChars(batchIndex, tokenIndex);
  }

  /** Plain JSON (the arrays only). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (v !== undefined) out[k] = v;
    return out;
  }
}
