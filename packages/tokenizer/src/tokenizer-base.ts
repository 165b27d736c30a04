/**
 * What the slow and the fast DeBERTa-v2 tokenizers share: configuration, special tokens, the callable instance
 * (`tok(text, options)` like transformers' `__call__`), and the methods whose names mirror transformers
 * (`encode`, `decode`, `batch_decode`, `tokenize`, `convert_ids_to_tokens`, `convert_tokens_to_ids`), each with a
 * camelCase alias.
 */
import type { BatchEncoding } from "./batch-encoding.js";
import { TokenizerError } from "./errors.js";
import { type TextInput, type TokenizeOptions, describe, checkOptionNames, pick } from "./options.js";
import { allSpecialTokens, type SpecialTokens, type TokenizerConfig } from "./tokenizer-config.js";

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  skip_special_tokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  clean_up_tokenization_spaces?: boolean;
}

export interface TokenizeTextOptions {
  pair?: string | null;
  addSpecialTokens?: boolean;
  add_special_tokens?: boolean;
}

const DECODE_KEYS = new Set(["skipSpecialTokens", "skip_special_tokens", "cleanUpTokenizationSpaces", "clean_up_tokenization_spaces", "spaces_between_special_tokens"]);

export abstract class DebertaV2TokenizerBase {
  readonly config: TokenizerConfig;
  readonly specialTokens: SpecialTokens;
  /** transformers' `model_max_length` (1e30 when the config sets none). */
  modelMaxLength: number;
  paddingSide: "left" | "right";
  truncationSide: "left" | "right";
  readonly doLowerCase: boolean;
  readonly splitByPunct: boolean;

  protected constructor(config: TokenizerConfig) {
    this.config = config;
    this.specialTokens = config.special;
    this.modelMaxLength = config.modelMaxLength;
    this.paddingSide = config.paddingSide;
    this.truncationSide = config.truncationSide;
    this.doLowerCase = config.doLowerCase;
    this.splitByPunct = config.splitByPunct;
  }

  /** Makes the instance callable: `tok(text, options)` is `tok.encodePlus(text, options)`. */
  protected makeCallable(): this {
    const self = this;
    const fn = function tokenizer(text: TextInput, options?: TokenizeOptions): BatchEncoding {
      return self.encodePlus(text, options);
    };
    Object.setPrototypeOf(fn, this);
    return fn as unknown as this;
  }

  /** transformers' `__call__`: encodes one text, a batch, or pairs; returns a `BatchEncoding`. */
  abstract encodePlus(text: TextInput, options?: TokenizeOptions): BatchEncoding;
  /** Number of entries of the vocabulary, added tokens included (transformers' `len(tokenizer)`). */
  abstract get size(): number;
  /** Size of the base vocabulary (SentencePiece pieces), without added tokens. */
  abstract get vocabSize(): number;
  abstract tokenToId(token: string): number | undefined;
  abstract idToToken(id: number): string | undefined;
  protected abstract decodeIds(ids: number[], skipSpecialTokens: boolean): string;
  /** Token strings of `text` (and `pair`), without special tokens unless asked. */
  abstract tokenize(text: string, options?: TokenizeTextOptions): string[];

  encode_plus(text: TextInput, options?: TokenizeOptions): BatchEncoding {
    return this.encodePlus(text, options);
  }
  batch_encode_plus(texts: string[] | Array<[string, string]>, options?: TokenizeOptions): BatchEncoding {
    if (!Array.isArray(texts)) throw new TokenizerError(`batch_encode_plus: expected an array of texts, got ${describe(texts)}`, "INVALID_ARGUMENT");
    return this.encodePlus(texts, options);
  }

  /** transformers' `encode`: the ids of one text (or pair), special tokens added by default. */
  encode(text: string, options?: TokenizeOptions): number[] {
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`, "INVALID_ARGUMENT");
    const pair = options ? pick(options, "textPair", "text_pair") : undefined;
    if (pair !== undefined && pair !== null && typeof pair !== "string") {
      throw new TokenizerError(`encode: textPair must be a string, got ${describe(pair)}`, "INVALID_ARGUMENT");
    }
    const r = this.encodePlus(text, options);
    const ids = r.input_ids;
    return (Array.isArray(ids[0]) ? ids[0] : ids) as number[];
  }

  get padTokenId(): number | undefined {
    return this.specialTokens.pad ? this.tokenToId(this.specialTokens.pad) : undefined;
  }
  get clsTokenId(): number | undefined {
    return this.specialTokens.cls ? this.tokenToId(this.specialTokens.cls) : undefined;
  }
  get sepTokenId(): number | undefined {
    return this.specialTokens.sep ? this.tokenToId(this.specialTokens.sep) : undefined;
  }
  get unkTokenId(): number | undefined {
    return this.specialTokens.unk ? this.tokenToId(this.specialTokens.unk) : undefined;
  }
  get maskTokenId(): number | undefined {
    return this.specialTokens.mask ? this.tokenToId(this.specialTokens.mask) : undefined;
  }
  get pad_token_id(): number | undefined {
    return this.padTokenId;
  }
  get cls_token_id(): number | undefined {
    return this.clsTokenId;
  }
  get sep_token_id(): number | undefined {
    return this.sepTokenId;
  }
  get unk_token_id(): number | undefined {
    return this.unkTokenId;
  }
  get mask_token_id(): number | undefined {
    return this.maskTokenId;
  }
  get model_max_length(): number {
    return this.modelMaxLength;
  }
  /** transformers' `all_special_tokens`. */
  get allSpecialTokens(): string[] {
    return allSpecialTokens(this.specialTokens);
  }
  /** transformers' `all_special_ids`. */
  get allSpecialIds(): number[] {
    return this.allSpecialTokens.map((t) => this.tokenToId(t)).filter((i): i is number => i !== undefined);
  }

  /** Decodes ids to text. `skipSpecialTokens` drops [CLS]/[SEP]/[PAD]/[MASK] and [UNK]. */
  decode(ids: readonly number[] | number, options?: DecodeOptions): string {
    const o = options ?? {};
    checkOptionNames(o, DECODE_KEYS);
    const list = typeof ids === "number" ? [ids] : ids;
    if (!Array.isArray(list)) throw new TokenizerError(`decode: expected an array of token ids, got ${describe(ids)}`, "INVALID_ARGUMENT");
    list.forEach((id, i) => {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new TokenizerError(`decode: ids[${i}] is not a token id (${describe(id)})`, "INVALID_ARGUMENT");
      }
    });
    const skip = (o.skipSpecialTokens ?? o.skip_special_tokens) === true;
    let text = this.decodeIds(list as number[], skip);
    const clean = o.cleanUpTokenizationSpaces ?? o.clean_up_tokenization_spaces ?? this.config.cleanUpTokenizationSpaces;
    if (clean) text = cleanUp(text);
    return text;
  }

  batch_decode(sequences: ReadonlyArray<readonly number[]>, options?: DecodeOptions): string[] {
    if (!Array.isArray(sequences)) throw new TokenizerError(`batch_decode: expected an array of id arrays, got ${describe(sequences)}`, "INVALID_ARGUMENT");
    return sequences.map((s) => this.decode(s, options));
  }
  batchDecode(sequences: ReadonlyArray<readonly number[]>, options?: DecodeOptions): string[] {
    return this.batch_decode(sequences, options);
  }

  /** Token strings of ids (null for an id outside the vocabulary). */
  convert_ids_to_tokens(ids: number, skipSpecialTokens?: boolean): string | null;
  convert_ids_to_tokens(ids: readonly number[], skipSpecialTokens?: boolean): (string | null)[];
  convert_ids_to_tokens(ids: number | readonly number[], skipSpecialTokens = false): string | null | (string | null)[] {
    if (typeof ids === "number") return this.idToToken(ids) ?? null;
    if (!Array.isArray(ids)) throw new TokenizerError(`convert_ids_to_tokens: expected an id or an array of ids, got ${describe(ids)}`, "INVALID_ARGUMENT");
    const special = skipSpecialTokens ? new Set(this.allSpecialIds) : null;
    const out: (string | null)[] = [];
    for (const id of ids) {
      if (special?.has(id)) continue;
      out.push(this.idToToken(id) ?? null);
    }
    return out;
  }
  convertIdsToTokens(ids: readonly number[], skipSpecialTokens = false): (string | null)[] {
    return this.convert_ids_to_tokens(ids, skipSpecialTokens);
  }

  /** Ids of token strings (the [UNK] id for strings outside the vocabulary). */
  convert_tokens_to_ids(tokens: string): number;
  convert_tokens_to_ids(tokens: readonly string[]): number[];
  convert_tokens_to_ids(tokens: string | readonly string[]): number | number[] {
    const one = (t: unknown): number => {
      if (typeof t !== "string") throw new TokenizerError(`convert_tokens_to_ids: expected a token string, got ${describe(t)}`, "INVALID_ARGUMENT");
      const id = this.tokenToId(t);
      if (id !== undefined) return id;
      const unk = this.unkTokenId;
      if (unk === undefined) throw new TokenizerError(`convert_tokens_to_ids: unknown token ${JSON.stringify(t)} and no unk token`, "INVALID_ARGUMENT");
      return unk;
    };
    if (typeof tokens === "string") return one(tokens);
    if (!Array.isArray(tokens)) throw new TokenizerError(`convert_tokens_to_ids: expected a token or an array of tokens, got ${describe(tokens)}`, "INVALID_ARGUMENT");
    return tokens.map(one);
  }
  convertTokensToIds(tokens: readonly string[]): number[] {
    return this.convert_tokens_to_ids(tokens);
  }

  /** The vocabulary as {token: id}, added tokens included. */
  getVocab(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.size; i++) {
      const t = this.idToToken(i);
      if (t !== undefined && !(t in out)) out[t] = i;
    }
    return out;
  }
  get_vocab(): Record<string, number> {
    return this.getVocab();
  }
}

/** transformers' `clean_up_tokenization` (decode with `clean_up_tokenization_spaces`). */
export function cleanUp(s: string): string {
  return s
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
