/**
 * What the pipelines need from a tokenizer, as a small interface: encode a text or a (text, pair) with HF's
 * truncation / stride / overflow options, and map ids ↔ tokens ↔ text. `DebertaV2TokenizerFast` from
 * `@deberta-js/tokenizer` is adapted to it by `asPipelineTokenizer`; tests may pass their own.
 */

/** One encoded row (a window, when the input overflowed), unpadded. Offsets index the JS string (UTF-16). */
export interface TokenizedRow {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  /** Word index within its segment; null for special tokens. */
  wordIds: Array<number | null>;
  /** 0 for the text, 1 for the pair; null for special tokens. */
  sequenceIds: Array<number | null>;
  specialTokensMask: number[];
}

export type TruncationOption = boolean | "longest_first" | "only_first" | "only_second" | "do_not_truncate";

export interface EncodeOptions {
  pair?: string;
  addSpecialTokens?: boolean;
  truncation?: TruncationOption;
  /** Default: the tokenizer's `modelMaxLength` when truncating. */
  maxLength?: number;
  /** Overlap of overflowing windows, in tokens. */
  stride?: number;
  /** Also return the windows truncation cut off (HF `return_overflowing_tokens`). */
  returnOverflowing?: boolean;
}

export interface PipelineTokenizer {
  /** The main row, then the overflowing windows when asked for. */
  encode(text: string, options?: EncodeOptions): TokenizedRow[];
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** HF `convert_tokens_to_string` (the decoder over token strings). */
  tokensToString(tokens: string[]): string;
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  readonly padTokenId: number;
  readonly maskTokenId: number | undefined;
  readonly maskToken: string | undefined;
  readonly unkTokenId: number | undefined;
  readonly clsTokenId: number | undefined;
  /** `model_max_length` of tokenizer_config.json (HF's huge sentinel when unset). */
  readonly modelMaxLength: number;
}
