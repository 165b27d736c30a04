/**
 * `DebertaV2TokenizerFast` (`@deberta-js/tokenizer`) → the pipelines' `PipelineTokenizer`. Encodings come from the
 * fast tokenizer's `Encoding`s (word ids, sequence ids, special-token mask) with offsets as UTF-16 indexes into the
 * JS string, so `text.slice(start, end)` is the token's text.
 */
import { DebertaError, type ModelFiles } from "@deberta-js/core";
import { loadFastTokenizer } from "@deberta-js/tokenizer";
import { isModelFiles } from "../load.js";
import type { EncodeOptions, PipelineTokenizer, TokenizedRow } from "./tokenizer.js";

interface EncodingLike {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  readonly wordIds: Array<number | null>;
  readonly sequenceIds: Array<number | null>;
  specialTokensMask: number[];
}

interface BatchEncodingLike {
  input_ids: number[] | number[][];
  offset_mapping?: Array<[number, number]> | Array<Array<[number, number]>>;
  readonly encodings: EncodingLike[] | undefined;
  readonly isBatched: boolean;
}

/** The part of `DebertaV2TokenizerFast` the adapter uses. */
export interface FastTokenizerLike {
  encodePlus(text: string, options?: Record<string, unknown>): BatchEncodingLike;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  readonly padTokenId: number | undefined;
  readonly maskTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  readonly clsTokenId: number | undefined;
  readonly modelMaxLength: number;
  /** tokenizers' decoder: `decode(tokens)` is HF's `convert_tokens_to_string`. */
  readonly decoder?: { decode(tokens: string[]): string } | null;
}

export type TokenizerSource = PipelineTokenizer | FastTokenizerLike | ModelFiles | string;

function isPipelineTokenizer(x: unknown): x is PipelineTokenizer {
  return typeof x === "object" || typeof x === "function" ? typeof (x as PipelineTokenizer).tokensToString === "function" && typeof (x as PipelineTokenizer).encode === "function" && !("encodePlus" in (x as object)) : false;
}

/** HF's Metaspace decoder over token strings: "▁" → " ", without the first token's leading space. */
export function metaspaceTokensToString(tokens: string[]): string {
  return tokens
    .map((t, i) => {
      const s = t.replace(/▁/g, " ");
      return i === 0 && s.startsWith(" ") ? s.slice(1) : s;
    })
    .join("");
}

export function asPipelineTokenizer(tok: FastTokenizerLike | PipelineTokenizer): PipelineTokenizer {
  if (isPipelineTokenizer(tok)) return tok;
  const fast = tok as FastTokenizerLike;
  const maskId = fast.maskTokenId;
  const rows = (text: string, o: EncodeOptions, truncation: EncodeOptions["truncation"], overflow: boolean): TokenizedRow[] => {
    const be = fast.encodePlus(text, {
      ...(o.pair !== undefined ? { textPair: o.pair } : {}),
      addSpecialTokens: o.addSpecialTokens ?? true,
      truncation: truncation ?? false,
      ...(truncation && o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
      ...(truncation && o.stride !== undefined ? { stride: o.stride } : {}),
      returnOverflowingTokens: overflow,
      returnOffsetsMapping: true,
      returnSpecialTokensMask: true,
    });
    const encs = be.encodings;
    if (!encs) throw new DebertaError("UNSUPPORTED", "pipelines need the fast tokenizer (DebertaV2TokenizerFast): word ids and offsets");
    const offsets = (be.isBatched ? be.offset_mapping : [be.offset_mapping]) as Array<Array<[number, number]>>;
    return encs.map((e, r) => ({
      ids: [...e.ids],
      typeIds: [...e.typeIds],
      tokens: [...e.tokens],
      offsets: offsets[r].map(([a, b]) => [a, b] as [number, number]),
      wordIds: e.wordIds,
      sequenceIds: e.sequenceIds,
      specialTokensMask: [...e.specialTokensMask],
    }));
  };
  return {
    encode(text: string, o: EncodeOptions = {}): TokenizedRow[] {
      const truncating = o.truncation !== undefined && o.truncation !== false && o.truncation !== "do_not_truncate";
      if (o.returnOverflowing && truncating) {
        const maxLength = o.maxLength ?? fast.modelMaxLength;
        const target = o.pair === undefined ? (o.truncation === "only_second" ? -1 : 0) : o.truncation === "only_second" ? 1 : o.truncation === "only_first" ? 0 : -1;
        if (target >= 0 && maxLength < 1e20) return windows(rows(text, o, false, false)[0], target, maxLength, o.stride ?? 0);
      }
      return rows(text, o, o.truncation, o.returnOverflowing ?? false);
    },
    idToToken: (id) => fast.idToToken(id),
    tokenToId: (t) => fast.tokenToId(t),
    tokensToString: (tokens) => (fast.decoder ? fast.decoder.decode(tokens) : metaspaceTokensToString(tokens)),
    decode: (ids, o) => fast.decode(ids, { skipSpecialTokens: o?.skipSpecialTokens ?? false }),
    padTokenId: fast.padTokenId ?? 0,
    maskTokenId: maskId,
    maskToken: maskId === undefined ? undefined : fast.idToToken(maskId),
    unkTokenId: fast.unkTokenId,
    clsTokenId: fast.clsTokenId,
    modelMaxLength: fast.modelMaxLength,
  };
}

/**
 * Overflowing windows of one sequence of a full (untruncated) encoding, as tokenizers' `truncate` + template make
 * them: the sequence `target` is cut into windows of `maxLength − (everything else)` tokens that overlap by
 * `stride`, until its end; each window keeps the special tokens and the other sequence around it, and its tokens'
 * word ids and offsets. (tokenizers 0.23.x stops tokenizing at `max_length` and so drops the windows past the
 * second — huggingface/tokenizers#2091 — which would leave long contexts unread; we window the whole text.)
 */
export function windows(full: TokenizedRow, target: number, maxLength: number, stride: number): TokenizedRow[] {
  if (full.ids.length <= maxLength) return [full];
  let first = -1;
  let last = -1;
  full.sequenceIds.forEach((s, i) => {
    if (s === target) {
      if (first < 0) first = i;
      last = i;
    }
  });
  const len = first < 0 ? 0 : last - first + 1;
  const n = maxLength - (full.ids.length - len);
  if (n <= 0) {
    throw new DebertaError(
      "INPUT_INVALID",
      `truncation: the ${target === 1 ? "first sequence (e.g. the question)" : "other sequence"} and special tokens take ${full.ids.length - len} tokens, ` +
        `which leaves no room within max_length ${maxLength}`,
    );
  }
  if (stride >= n) {
    throw new DebertaError("INPUT_INVALID", `truncation: stride (${stride}) must be less than the ${n} tokens of each window (max_length ${maxLength} minus the rest)`);
  }
  const out: TokenizedRow[] = [];
  const take = (a: number, b: number) => {
    const pick = <T>(xs: readonly T[]) => [...xs.slice(0, first), ...xs.slice(first + a, first + b), ...xs.slice(last + 1)];
    out.push({
      ids: pick(full.ids),
      typeIds: pick(full.typeIds),
      tokens: pick(full.tokens),
      offsets: pick(full.offsets),
      wordIds: pick(full.wordIds),
      sequenceIds: pick(full.sequenceIds),
      specialTokensMask: pick(full.specialTokensMask),
    });
  };
  for (let start = 0; start < len; start += n - stride) {
    const stop = Math.min(start + n, len);
    take(start, stop);
    if (stop === len) break;
  }
  return out;
}

export async function loadPipelineTokenizer(source: Exclude<TokenizerSource, string>): Promise<PipelineTokenizer> {
  if (isModelFiles(source)) return asPipelineTokenizer(await loadFastTokenizer(source));
  return asPipelineTokenizer(source);
}
