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
  return {
    encode(text: string, o: EncodeOptions = {}): TokenizedRow[] {
      const truncation = o.truncation === undefined ? false : o.truncation;
      const be = fast.encodePlus(text, {
        ...(o.pair !== undefined ? { textPair: o.pair } : {}),
        addSpecialTokens: o.addSpecialTokens ?? true,
        truncation,
        ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
        ...(o.stride !== undefined ? { stride: o.stride } : {}),
        returnOverflowingTokens: o.returnOverflowing ?? false,
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

export async function loadPipelineTokenizer(source: Exclude<TokenizerSource, string>): Promise<PipelineTokenizer> {
  if (isModelFiles(source)) return asPipelineTokenizer(await loadFastTokenizer(source));
  return asPipelineTokenizer(source);
}
