/**
 * Placeholder: the specialised single-pass encoder is introduced once the generic pipeline is verified.
 */
import type { TokenMatcher } from "./added-vocabulary.js";
import type { Normalizer } from "./normalizer.js";
import type { PreTokenizer } from "./pre-tokenizer.js";
import type { UnigramModel } from "./unigram.js";

export interface FastPathResult {
  ids: number[];
  tokens: string[];
  offsets: number[];
  words: (number | null)[];
}

export class FastPath {
  static create(_m: UnigramModel, _n: Normalizer | null, _p: PreTokenizer | null, _norm: TokenMatcher): FastPath | null {
    return null;
  }
  encode(_text: string, _raw: TokenMatcher): FastPathResult {
    throw new Error("unreachable");
  }
}
