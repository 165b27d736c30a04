/**
 * Call options of the tokenizers, with transformers' names in camelCase and their snake_case aliases, and
 * transformers' rules for resolving padding / truncation / max_length (`_get_padding_truncation_strategies`).
 */
import type { PaddingDirection, TruncationDirection } from "./encoding.js";
import { TokenizerError } from "./errors.js";
import { parsePadding, type PaddingStrategy } from "./padding.js";
import { parseTruncation, type TruncationStrategy } from "./truncation.js";

/** Offsets are UTF-16 code-unit indexes into the JS string by default; "code_point" gives Python/Rust indexes. */
export type OffsetsUnit = "utf16" | "code_point";

export interface TokenizeOptions {
  /** Second sequence(s): one per text. */
  textPair?: string | string[] | null;
  text_pair?: string | string[] | null;
  /** Add [CLS]/[SEP] (default true). */
  addSpecialTokens?: boolean;
  add_special_tokens?: boolean;
  /** true/"longest": pad to the longest row; "max_length": pad to maxLength (or model_max_length). */
  padding?: boolean | PaddingStrategy;
  /** true/"longest_first", "only_first", "only_second", false/"do_not_truncate". */
  truncation?: boolean | TruncationStrategy;
  maxLength?: number | null;
  max_length?: number | null;
  /** Overlap (tokens) between overflowing windows. */
  stride?: number;
  padToMultipleOf?: number | null;
  pad_to_multiple_of?: number | null;
  paddingSide?: PaddingDirection;
  padding_side?: PaddingDirection;
  truncationSide?: TruncationDirection;
  truncation_side?: TruncationDirection;
  returnOverflowingTokens?: boolean;
  return_overflowing_tokens?: boolean;
  returnOffsetsMapping?: boolean;
  return_offsets_mapping?: boolean;
  returnSpecialTokensMask?: boolean;
  return_special_tokens_mask?: boolean;
  returnAttentionMask?: boolean;
  return_attention_mask?: boolean;
  returnTokenTypeIds?: boolean;
  return_token_type_ids?: boolean;
  returnLength?: boolean;
  return_length?: boolean;
  offsetsUnit?: OffsetsUnit;
  offsets_unit?: OffsetsUnit;
  /**
   * Fast tokenizer only. tokenizers 0.23 stops tokenizing a sequence once `max_length` tokens exist when truncation
   * is on (its "early exit"), which changes how a pair is split and drops the text that overflowing windows should
   * cover (tokenizers issue #2091). "auto" (default) reproduces 0.23 exactly unless `returnOverflowingTokens` is set,
   * where the whole text is tokenized (0.22 behaviour) so the windows cover it; `true` / `false` force either.
   */
  earlyTruncation?: boolean | "auto";
  early_truncation?: boolean | "auto";
  /** Accepted for compatibility; only undefined/null (plain arrays) is supported. */
  return_tensors?: null;
  returnTensors?: null;
  /** Accepted for compatibility; must be false/undefined. */
  is_split_into_words?: boolean;
  isSplitIntoWords?: boolean;
  /** Accepted for compatibility (transformers' logging switch). */
  verbose?: boolean;
}

export interface ResolvedOptions {
  addSpecialTokens: boolean;
  padding: PaddingStrategy;
  truncation: TruncationStrategy;
  maxLength: number | null;
  stride: number;
  padToMultipleOf: number | null;
  paddingSide: PaddingDirection;
  truncationSide: TruncationDirection;
  returnOverflowingTokens: boolean;
  returnOffsetsMapping: boolean;
  returnSpecialTokensMask: boolean;
  returnAttentionMask: boolean;
  returnTokenTypeIds: boolean;
  returnLength: boolean;
  offsetsUnit: OffsetsUnit;
  earlyTruncation: boolean | "auto";
}

const PAIRS: Array<[keyof TokenizeOptions, keyof TokenizeOptions]> = [
  ["textPair", "text_pair"],
  ["addSpecialTokens", "add_special_tokens"],
  ["maxLength", "max_length"],
  ["padToMultipleOf", "pad_to_multiple_of"],
  ["paddingSide", "padding_side"],
  ["truncationSide", "truncation_side"],
  ["returnOverflowingTokens", "return_overflowing_tokens"],
  ["returnOffsetsMapping", "return_offsets_mapping"],
  ["returnSpecialTokensMask", "return_special_tokens_mask"],
  ["returnAttentionMask", "return_attention_mask"],
  ["returnTokenTypeIds", "return_token_type_ids"],
  ["returnLength", "return_length"],
  ["offsetsUnit", "offsets_unit"],
  ["returnTensors", "return_tensors"],
  ["isSplitIntoWords", "is_split_into_words"],
  ["earlyTruncation", "early_truncation"],
];
const KNOWN = new Set<string>(["padding", "truncation", "stride", "verbose", ...PAIRS.flat()]);

/** LARGE_INTEGER in transformers: a model_max_length above it means "no limit". */
export const LARGE_INTEGER = 1e20;

/** Reads an option by its camelCase or snake_case name (both given: they must agree). */
export function pick<K extends keyof TokenizeOptions>(opts: TokenizeOptions, camel: K, snake: keyof TokenizeOptions): TokenizeOptions[K] {
  const a = opts[camel];
  const b = opts[snake] as TokenizeOptions[K];
  if (a !== undefined && b !== undefined && a !== b) {
    throw new TokenizerError(`options "${String(camel)}" and "${String(snake)}" are aliases but have different values`, "INVALID_ARGUMENT");
  }
  return a !== undefined ? a : b;
}

export function checkOptionNames(opts: object, allowed: Set<string> = KNOWN): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.has(k)) throw new TokenizerError(`unknown tokenizer option "${k}"`, "INVALID_ARGUMENT");
  }
}

function nonNegInt(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new TokenizerError(`option "${name}" must be a non-negative integer, got ${JSON.stringify(v)}`, "INVALID_ARGUMENT");
  }
  return v;
}

export interface TokenizerDefaults {
  modelMaxLength: number;
  paddingSide: PaddingDirection;
  truncationSide: TruncationDirection;
  hasPadToken: boolean;
}

export function resolveOptions(opts: TokenizeOptions | undefined, d: TokenizerDefaults): ResolvedOptions {
  const o = opts ?? {};
  if (typeof o !== "object") throw new TokenizerError(`tokenizer options must be an object, got ${typeof o}`, "INVALID_ARGUMENT");
  checkOptionNames(o);
  const rt = pick(o, "returnTensors", "return_tensors");
  if (rt !== undefined && rt !== null) {
    throw new TokenizerError(`option "return_tensors" is not supported (${JSON.stringify(rt)}): results are plain arrays`, "UNSUPPORTED");
  }
  if (pick(o, "isSplitIntoWords", "is_split_into_words")) {
    throw new TokenizerError(`option "is_split_into_words" is not supported`, "UNSUPPORTED");
  }
  let padding = parsePadding(o.padding) ?? "do_not_pad";
  let truncation = parseTruncation(o.truncation);
  const ml = pick(o, "maxLength", "max_length");
  let maxLength = ml === undefined || ml === null ? null : nonNegInt(ml, "max_length");
  // transformers: max_length alone (no padding, truncation unset) activates truncation.
  if (maxLength !== null && padding === "do_not_pad" && truncation === undefined) truncation = "longest_first";
  truncation ??= "do_not_truncate";
  if (padding === "max_length" && maxLength === null) {
    if (d.modelMaxLength > LARGE_INTEGER) padding = "do_not_pad";
    else maxLength = d.modelMaxLength;
  }
  if (truncation !== "do_not_truncate" && maxLength === null) {
    if (d.modelMaxLength > LARGE_INTEGER) truncation = "do_not_truncate";
    else maxLength = d.modelMaxLength;
  }
  if (padding !== "do_not_pad" && !d.hasPadToken) {
    throw new TokenizerError("padding was requested but the tokenizer has no padding token", "INVALID_ARGUMENT");
  }
  const pm = pick(o, "padToMultipleOf", "pad_to_multiple_of");
  const padToMultipleOf = pm === undefined || pm === null ? null : nonNegInt(pm, "pad_to_multiple_of") || null;
  if (truncation !== "do_not_truncate" && padding !== "do_not_pad" && padToMultipleOf && maxLength !== null && maxLength % padToMultipleOf !== 0) {
    throw new TokenizerError(
      `truncation and padding are both activated but max_length (${maxLength}) is not a multiple of pad_to_multiple_of (${padToMultipleOf})`,
      "INVALID_ARGUMENT",
    );
  }
  const side = (v: unknown, name: string, dflt: "left" | "right"): "left" | "right" => {
    if (v === undefined || v === null) return dflt;
    if (v !== "left" && v !== "right") throw new TokenizerError(`option "${name}" must be "left" or "right", got ${JSON.stringify(v)}`, "INVALID_ARGUMENT");
    return v;
  };
  const bool = (v: unknown, name: string, dflt: boolean): boolean => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") throw new TokenizerError(`option "${name}" must be a boolean, got ${JSON.stringify(v)}`, "INVALID_ARGUMENT");
    return v;
  };
  const unit = pick(o, "offsetsUnit", "offsets_unit") ?? "utf16";
  if (unit !== "utf16" && unit !== "code_point") {
    throw new TokenizerError(`option "offsets_unit" must be "utf16" or "code_point", got ${JSON.stringify(unit)}`, "INVALID_ARGUMENT");
  }
  return {
    addSpecialTokens: bool(pick(o, "addSpecialTokens", "add_special_tokens"), "add_special_tokens", true),
    padding,
    truncation,
    maxLength,
    stride: o.stride === undefined ? 0 : nonNegInt(o.stride, "stride"),
    padToMultipleOf,
    paddingSide: side(pick(o, "paddingSide", "padding_side"), "padding_side", d.paddingSide),
    truncationSide: side(pick(o, "truncationSide", "truncation_side"), "truncation_side", d.truncationSide),
    returnOverflowingTokens: bool(pick(o, "returnOverflowingTokens", "return_overflowing_tokens"), "return_overflowing_tokens", false),
    returnOffsetsMapping: bool(pick(o, "returnOffsetsMapping", "return_offsets_mapping"), "return_offsets_mapping", false),
    returnSpecialTokensMask: bool(pick(o, "returnSpecialTokensMask", "return_special_tokens_mask"), "return_special_tokens_mask", false),
    returnAttentionMask: bool(pick(o, "returnAttentionMask", "return_attention_mask"), "return_attention_mask", true),
    returnTokenTypeIds: bool(pick(o, "returnTokenTypeIds", "return_token_type_ids"), "return_token_type_ids", true),
    returnLength: bool(pick(o, "returnLength", "return_length"), "return_length", false),
    offsetsUnit: unit,
    earlyTruncation: (() => {
      const v = pick(o, "earlyTruncation", "early_truncation");
      if (v === undefined || v === null) return "auto";
      if (v !== true && v !== false && v !== "auto") {
        throw new TokenizerError(`option "early_truncation" must be true, false or "auto", got ${JSON.stringify(v)}`, "INVALID_ARGUMENT");
      }
      return v;
    })(),
  };
}

export type TextInput = string | string[] | Array<[string, string]>;

/** Validates the text / text_pair arguments; returns the rows and whether the input was a batch. */
export function normalizeInputs(text: unknown, textPair: unknown): { rows: Array<[string, string | null]>; batched: boolean } {
  const isStr = (v: unknown): v is string => typeof v === "string";
  if (isStr(text)) {
    if (textPair === undefined || textPair === null) return { rows: [[text, null]], batched: false };
    if (!isStr(textPair)) {
      throw new TokenizerError(`textPair must be a string when text is a string, got ${describe(textPair)}`, "INVALID_ARGUMENT");
    }
    return { rows: [[text, textPair]], batched: false };
  }
  if (!Array.isArray(text)) {
    throw new TokenizerError(`text must be a string or an array of strings (or of [text, pair] arrays), got ${describe(text)}`, "INVALID_ARGUMENT");
  }
  const rows: Array<[string, string | null]> = [];
  if (textPair !== undefined && textPair !== null) {
    if (!Array.isArray(textPair) || textPair.length !== text.length) {
      throw new TokenizerError(
        `textPair must be an array of ${text.length} strings (one per text), got ${describe(textPair)}`,
        "INVALID_ARGUMENT",
      );
    }
  }
  text.forEach((t, i) => {
    if (isStr(t)) {
      const p = Array.isArray(textPair) ? textPair[i] : null;
      if (p !== null && p !== undefined && !isStr(p)) {
        throw new TokenizerError(`textPair[${i}] must be a string, got ${describe(p)}`, "INVALID_ARGUMENT");
      }
      rows.push([t, p ?? null]);
    } else if (Array.isArray(t) && t.length === 2 && isStr(t[0]) && isStr(t[1])) {
      if (Array.isArray(textPair)) throw new TokenizerError(`text[${i}] is a [text, pair] array, so textPair must not be given`, "INVALID_ARGUMENT");
      rows.push([t[0], t[1]]);
    } else {
      throw new TokenizerError(`text[${i}] must be a string or a [text, pair] array of two strings, got ${describe(t)}`, "INVALID_ARGUMENT");
    }
  });
  return { rows, batched: true };
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}
