/**
 * Truncation strategies. `truncateEncodings` is tokenizers' (used by the fast tokenizer); `truncateSequences` is
 * transformers' Python `truncate_sequences` (used by the slow tokenizer). They split a pair differently under
 * `longest_first`, exactly as the two Hugging Face classes do.
 */
import type { Encoding, TruncationDirection } from "./encoding.js";
import { TokenizerError } from "./errors.js";

export type TruncationStrategy = "longest_first" | "only_first" | "only_second" | "do_not_truncate";

export const TRUNCATION_STRATEGIES: readonly string[] = ["longest_first", "only_first", "only_second", "do_not_truncate"];

export interface TruncationParams {
  maxLength: number;
  strategy: Exclude<TruncationStrategy, "do_not_truncate">;
  stride: number;
  direction: TruncationDirection;
}

/** Normalizes a user-facing `truncation` option (`true`, `false`, a strategy name) or throws naming it. */
export function parseTruncation(value: unknown): TruncationStrategy | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true) return "longest_first";
  if (value === false) return "do_not_truncate";
  if (typeof value === "string" && TRUNCATION_STRATEGIES.includes(value)) return value as TruncationStrategy;
  throw new TokenizerError(
    `unknown truncation strategy ${JSON.stringify(value)}: expected true, false, "longest_first", "only_first", "only_second" or "do_not_truncate"`,
    "INVALID_ARGUMENT",
  );
}

/** tokenizers' `truncate_encodings`. `params.maxLength` already excludes the special tokens. */
export function truncateEncodings(encoding: Encoding, pair: Encoding | null, params: TruncationParams): void {
  if (params.maxLength === 0) {
    encoding.truncate(0, params.stride, params.direction);
    pair?.truncate(0, params.stride, params.direction);
    return;
  }
  const total = encoding.length + (pair ? pair.length : 0);
  if (total <= params.maxLength) return;
  const toRemove = total - params.maxLength;
  if (params.strategy === "longest_first") {
    if (pair) {
      let n1 = encoding.length;
      let n2 = pair.length;
      let swap = false;
      if (n1 > n2) {
        swap = true;
        [n1, n2] = [n2, n1];
      }
      if (n1 > params.maxLength) n2 = n1;
      else n2 = Math.max(n1, params.maxLength - n1);
      if (n1 + n2 > params.maxLength) {
        n1 = Math.floor(params.maxLength / 2);
        n2 = n1 + (params.maxLength % 2);
      }
      if (swap) [n1, n2] = [n2, n1];
      encoding.truncate(n1, params.stride, params.direction);
      pair.truncate(n2, params.stride, params.direction);
    } else {
      encoding.truncate(total - toRemove, params.stride, params.direction);
    }
  } else {
    let target: Encoding;
    if (params.strategy === "only_first") target = encoding;
    else if (pair) target = pair;
    else throw new TokenizerError('truncation "only_second" needs a pair of sequences (textPair), but only one was given', "INVALID_ARGUMENT");
    if (target.length > toRemove) target.truncate(target.length - toRemove, params.stride, params.direction);
    else {
      throw new TokenizerError(
        `truncation "${params.strategy}": the sequence to truncate (${target.length} tokens) is too short to fit max_length; remove ${toRemove} tokens`,
        "INVALID_ARGUMENT",
      );
    }
  }
}

/**
 * transformers' Python `truncate_sequences` (slow tokenizers): returns the kept ids and the overflowing tokens
 * (`stride` tokens of context included).
 */
export function truncateSequences(
  ids: number[],
  pairIds: number[] | null,
  numTokensToRemove: number,
  strategy: Exclude<TruncationStrategy, "do_not_truncate">,
  stride: number,
  side: TruncationDirection,
): { ids: number[]; pairIds: number[] | null; overflowing: number[] } {
  if (numTokensToRemove <= 0) return { ids, pairIds, overflowing: [] };
  let overflowing: number[] = [];
  if (strategy === "only_first" || (strategy === "longest_first" && pairIds === null)) {
    if (ids.length > numTokensToRemove) {
      const windowLen = Math.min(ids.length, stride + numTokensToRemove);
      if (side === "left") {
        overflowing = ids.slice(0, windowLen);
        ids = ids.slice(numTokensToRemove);
      } else {
        overflowing = ids.slice(ids.length - windowLen);
        ids = ids.slice(0, ids.length - numTokensToRemove);
      }
    } else {
      throw new TokenizerError(
        `truncation: we need to remove ${numTokensToRemove} tokens to fit max_length, but the first sequence has only ${ids.length}; use "longest_first" or "only_second"`,
        "INVALID_ARGUMENT",
      );
    }
  } else if (strategy === "longest_first") {
    const lenPair = pairIds ? pairIds.length : 0;
    const lenIds = ids.length;
    const firstRemove = Math.min(Math.abs(lenPair - lenIds), numTokensToRemove);
    const secondRemove = numTokensToRemove - firstRemove;
    let idsToMove: number;
    let pairToMove: number;
    if (lenIds > lenPair) {
      idsToMove = firstRemove + Math.floor(secondRemove / 2);
      pairToMove = secondRemove - Math.floor(secondRemove / 2);
    } else {
      idsToMove = Math.floor(secondRemove / 2);
      pairToMove = firstRemove + secondRemove - Math.floor(secondRemove / 2);
    }
    if (side === "right") {
      if (idsToMove > 0) ids = ids.slice(0, Math.max(0, ids.length - idsToMove));
      if (pairIds && pairToMove > 0) pairIds = pairIds.slice(0, Math.max(0, pairIds.length - pairToMove));
    } else {
      ids = ids.slice(idsToMove);
      if (pairIds) pairIds = pairIds.slice(pairToMove);
    }
  } else if (strategy === "only_second" && pairIds) {
    if (pairIds.length > numTokensToRemove) {
      const windowLen = Math.min(pairIds.length, stride + numTokensToRemove);
      if (side === "right") {
        overflowing = pairIds.slice(pairIds.length - windowLen);
        pairIds = pairIds.slice(0, pairIds.length - numTokensToRemove);
      } else {
        overflowing = pairIds.slice(0, windowLen);
        pairIds = pairIds.slice(numTokensToRemove);
      }
    } else {
      throw new TokenizerError(
        `truncation: we need to remove ${numTokensToRemove} tokens to fit max_length, but the second sequence has only ${pairIds.length}; use "longest_first" or "only_first"`,
        "INVALID_ARGUMENT",
      );
    }
  }
  return { ids, pairIds, overflowing };
}
