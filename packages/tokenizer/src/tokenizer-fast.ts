/**
 * `DebertaV2TokenizerFast`: the semantics of Hugging Face's Rust `tokenizers` running DeBERTa's `tokenizer.json`
 * (or the pipeline transformers' converter builds from `spm.model`): added-token splitting, the normalizer
 * sequence, Metaspace pre-tokenization, the Unigram model with fused `[UNK]`, the template post-processor,
 * truncation with overflowing windows, padding, character offsets and word ids.
 */
import { TokenMatcher, type AddedToken } from "./added-vocabulary.js";
import { BatchEncoding } from "./batch-encoding.js";
import type { Decoder } from "./decoder.js";
import { Encoding } from "./encoding.js";
import { TokenizerError } from "./errors.js";
import { NormalizedString } from "./normalized-string.js";
import { normalizeStr, type Normalizer } from "./normalizer.js";
import { describe, normalizeInputs, pick, resolveOptions, type OffsetsUnit, type ResolvedOptions, type TextInput, type TokenizeOptions } from "./options.js";
import { padEncodings } from "./padding.js";
import type { PreTokenizer } from "./pre-tokenizer.js";
import type { TemplateProcessing } from "./post-processor.js";
import { DebertaV2TokenizerBase, type TokenizeTextOptions } from "./tokenizer-base.js";
import type { TokenizerConfig } from "./tokenizer-config.js";
import { truncateEncodings, type TruncationParams } from "./truncation.js";
import { TokenSink, type UnigramModel } from "./unigram.js";
import { toWellFormed } from "./unicode.js";
import { FastPath } from "./fast-path.js";
import { WordCache } from "./word-cache.js";
import type { LoadOptions, TokenizerSource } from "./load.js";
import { tokenizerLoader } from "./loaders.js";

export interface FastTokenizerParts {
  model: UnigramModel;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: TemplateProcessing | null;
  decoder: Decoder | null;
  addedTokens: AddedToken[];
}

/** One encoded sequence before post-processing, in flat typed form (the fast path's output). */
export interface RawSequence {
  ids: number[];
  tokens: string[];
  offsets: number[];
  words: (number | null)[];
}

/** Stop tokenizing words once this many tokens are produced (tokenizers' early truncation). */
export interface TokenBudget {
  maxLength: number;
  direction: "left" | "right";
}

export interface DebertaV2TokenizerFast {
  /** transformers' `__call__`. */
  (text: TextInput, options?: TokenizeOptions): BatchEncoding;
}

export class DebertaV2TokenizerFast extends DebertaV2TokenizerBase {
  readonly model: UnigramModel;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: TemplateProcessing | null;
  readonly decoder: Decoder | null;
  readonly addedTokens: readonly AddedToken[];
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly rawMatcher: TokenMatcher;
  private readonly normMatcher: TokenMatcher;
  private readonly sink = new TokenSink(1024);
  private unitBuf = new Uint16Array(256);
  private cpOfUnit = new Int32Array(256);
  /** Specialised single-pass encoder for DeBERTa's pipeline shape (null when the pipeline differs). */
  private readonly fastPath: FastPath | null;
  /** Use the generic pipeline even when the fast path applies (for testing). */
  useFastPath = true;

  /**
   * The per-word result cache of the fast path (on by default; tokenizers has one too). Turning it off gives the
   * raw Viterbi speed; results are identical either way.
   */
  get useWordCache(): boolean {
    return this.fastPath?.cache != null;
  }
  set useWordCache(on: boolean) {
    if (this.fastPath) this.fastPath.cache = on ? (this.fastPath.cache ?? new WordCache()) : null;
  }
  /** Whether the specialised single-pass encoder applies to this pipeline (DeBERTa's shape). */
  get hasFastPath(): boolean {
    return this.fastPath !== null;
  }

  constructor(parts: FastTokenizerParts, config: TokenizerConfig) {
    super(config);
    this.model = parts.model;
    this.normalizer = parts.normalizer;
    this.preTokenizer = parts.preTokenizer;
    this.postProcessor = parts.postProcessor;
    this.decoder = parts.decoder;
    this.addedTokens = parts.addedTokens;
    for (const t of parts.addedTokens) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
    }
    this.rawMatcher = new TokenMatcher(parts.addedTokens.filter((t) => !t.normalized).map((t) => ({ pattern: t.content, token: t })));
    this.normMatcher = new TokenMatcher(
      parts.addedTokens.filter((t) => t.normalized).map((t) => ({ pattern: normalizeStr(this.normalizer, t.content), token: t })),
    );
    this.fastPath = FastPath.create(this.model, this.normalizer, this.preTokenizer, this.normMatcher);
    return this.makeCallable();
  }

  /**
   * Loads the fast tokenizer from a model folder's files (tokenizer.json preferred, else spm.model), like
   * transformers' `DebertaV2TokenizerFast.from_pretrained`. For a folder path in Node, use
   * `@deberta-js/tokenizer/node`.
   */
  static async fromPretrained(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2TokenizerFast> {
    return tokenizerLoader<DebertaV2TokenizerFast>("fast")(source, options);
  }
  static from_pretrained(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2TokenizerFast> {
    return tokenizerLoader<DebertaV2TokenizerFast>("fast")(source, options);
  }

  get size(): number {
    let max = this.model.vocab.length;
    for (const t of this.addedTokens) if (t.id + 1 > max) max = t.id + 1;
    return max;
  }
  get vocabSize(): number {
    return this.model.vocab.length;
  }
  get vocab_size(): number {
    return this.vocabSize;
  }

  tokenToId(token: string): number | undefined {
    const a = this.addedByContent.get(token);
    if (a) return a.id;
    return this.model.tokenToId(token);
  }
  token_to_id(token: string): number | undefined {
    return this.tokenToId(token);
  }

  /**
   * Token string of an id. As in tokenizers, a `normalized: true` added token reads back in its normalized form
   * (with do_lower_case, DeBERTa's [UNK] reads "[unk]").
   */
  idToToken(id: number): string | undefined {
    const a = this.addedById.get(id);
    if (a) return a.normalized ? this.normalizedContent(a) : a.content;
    return this.model.idToToken(id);
  }
  private readonly normalizedContents = new Map<number, string>();
  private normalizedContent(t: AddedToken): string {
    let s = this.normalizedContents.get(t.id);
    if (s === undefined) {
      s = normalizeStr(this.normalizer, t.content);
      this.normalizedContents.set(t.id, s);
    }
    return s;
  }
  id_to_token(id: number): string | undefined {
    return this.idToToken(id);
  }

  /** Whether `token` is an added token marked special (these are dropped by `skipSpecialTokens`). */
  isSpecialToken(token: string): boolean {
    return this.addedByContent.get(token)?.special === true;
  }

  /**
   * Encodes one sequence (no special tokens, no truncation): tokenizers' `encode_single_sequence`.
   * Offsets are in UTF-16 code units of `text` (or code points with `unit = "code_point"`).
   */
  encodeSequence(text: string, typeId = 0, unit: OffsetsUnit = "utf16", budget?: TokenBudget): Encoding {
    if (typeof text !== "string") throw new TokenizerError(`text must be a string, got ${typeof text}`, "INVALID_ARGUMENT");
    const clean = toWellFormed(text);
    const raw = (this.useFastPath && this.fastPath?.encode(clean, this.rawMatcher, budget)) || this.encodeGeneric(clean, budget);
    const n = raw.ids.length;
    if (unit === "code_point") toCodePointOffsets(clean, raw.offsets);
    return new Encoding(raw.ids, new Array(n).fill(typeId), raw.tokens, raw.offsets, raw.words, new Array(n).fill(0), new Array(n).fill(1));
  }

  /** Ids of one sequence (no special tokens), through the fast path when it applies. */
  private sequenceIds(text: string): number[] {
    if (typeof text !== "string") throw new TokenizerError(`text must be a string, got ${describe(text)}`, "INVALID_ARGUMENT");
    const clean = toWellFormed(text);
    const r = (this.useFastPath && this.fastPath?.encode(clean, this.rawMatcher, undefined, true)) || this.encodeGeneric(clean);
    return r.ids;
  }

  /**
   * transformers' `encode`: the ids of one text (or pair), special tokens added by default. Without truncation
   * or padding options this takes a lean route that builds no `Encoding` objects.
   */
  override encode(text: string, options?: TokenizeOptions): number[] {
    if (options) {
      for (const k in options) {
        if (!LEAN_ENCODE_KEYS.has(k)) return super.encode(text, options);
      }
    }
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`, "INVALID_ARGUMENT");
    const pair = options ? pick(options, "textPair", "text_pair") : undefined;
    if (pair !== undefined && pair !== null && typeof pair !== "string") {
      throw new TokenizerError(`encode: textPair must be a string, got ${describe(pair)}`, "INVALID_ARGUMENT");
    }
    const add = options ? (pick(options, "addSpecialTokens", "add_special_tokens") ?? true) : true;
    const a = this.sequenceIds(text);
    const b = pair === undefined || pair === null ? null : this.sequenceIds(pair);
    if (!add || !this.postProcessor) return b ? a.concat(b) : a;
    const out: number[] = [];
    for (const piece of b ? this.postProcessor.pair : this.postProcessor.single) {
      if (piece.kind === "sequence") {
        const src = piece.id === "A" ? a : b!;
        for (let i = 0; i < src.length; i++) out.push(src[i]!);
      } else for (const id of this.postProcessor.specialTokens.get(piece.id)!.ids) out.push(id);
    }
    return out;
  }

  /** The generic pipeline, built from the component objects (reference implementation of the fast path). */
  encodeGeneric(text: string, budget?: TokenBudget): RawSequence {
    type Split = { ns: NormalizedString; token: { id: number; value: string; start: number; end: number } | null };
    const splits: Split[] = [];
    for (const [a, b, id] of this.rawMatcher.findMatches(text)) {
      if (id >= 0) {
        splits.push({ ns: NormalizedString.fromOriginal(text, a, b), token: { id, value: text.slice(a, b), start: a, end: b } });
        continue;
      }
      if (a === b) continue;
      const ns = NormalizedString.fromOriginal(text, a, b);
      this.normalizer?.normalize(ns);
      if (ns.isEmpty()) continue;
      if (this.normMatcher.isEmpty) {
        splits.push({ ns, token: null });
        continue;
      }
      const str = ns.toString();
      const cpIdx = utf16ToCp(str);
      for (const [x, y, nid] of this.normMatcher.findMatches(str)) {
        const cx = cpIdx[x]!;
        const cy = cpIdx[y]!;
        if (cx === cy) continue;
        const part = ns.slice(cx, cy);
        if (nid >= 0) {
          const [s, e] = part.originalSpan(0, part.length);
          splits.push({ ns: part, token: { id: nid, value: str.slice(x, y), start: s, end: e } });
        } else splits.push({ ns: part, token: null });
      }
    }
    // Pre-tokenize the non-token splits, keeping the order.
    const words: Split[] = [];
    if (this.preTokenizer) {
      for (const sp of splits) {
        if (sp.token) words.push(sp);
        else for (const w of this.preTokenizer.preTokenize([sp.ns])) words.push({ ns: w, token: null });
      }
    } else words.push(...splits.filter((s) => s.token || !s.ns.isEmpty()));

    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: number[] = [];
    const wordIds: (number | null)[] = [];
    // With a token budget, tokenizers (0.2x) tokenizes words from the truncation side and stops after the first
    // model-tokenized word that brings the token count (added tokens included) to the budget; the remaining words
    // are dropped and the kept ones renumbered from 0.
    let first = 0;
    let last = words.length;
    const perWord: RawSequence[] = new Array(words.length);
    if (budget) {
      let count = 0;
      if (budget.direction === "right") {
        last = 0;
        while (last < words.length) {
          const w = words[last]!;
          perWord[last] = this.tokenizeWord(w);
          count += perWord[last]!.ids.length;
          last++;
          if (!w.token && count >= budget.maxLength) break;
        }
      } else {
        first = words.length;
        while (first > 0) {
          first--;
          const w = words[first]!;
          perWord[first] = this.tokenizeWord(w);
          count += perWord[first]!.ids.length;
          if (!w.token && count >= budget.maxLength) break;
        }
      }
    } else {
      for (let i = 0; i < words.length; i++) perWord[i] = this.tokenizeWord(words[i]!);
    }
    for (let i = first; i < last; i++) {
      const w = perWord[i]!;
      for (let t = 0; t < w.ids.length; t++) {
        ids.push(w.ids[t]!);
        tokens.push(w.tokens[t]!);
        offsets.push(w.offsets[2 * t]!, w.offsets[2 * t + 1]!);
        wordIds.push(i - first);
      }
    }
    return { ids, tokens, offsets, words: wordIds };
  }

  private tokenizeWord(w: { ns: NormalizedString; token: { id: number; value: string; start: number; end: number } | null }): RawSequence {
    if (w.token) return { ids: [w.token.id], tokens: [w.token.value], offsets: [w.token.start, w.token.end], words: [] };
    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: number[] = [];
    const sink = this.sink;
    const vocab = this.model.vocab;
    // Word as UTF-16 units, with the code point index of each unit.
    const cps = w.ns.cps;
    let nu = 0;
    for (const c of cps) nu += c > 0xffff ? 2 : 1;
    if (this.unitBuf.length < nu) {
      this.unitBuf = new Uint16Array(nu * 2);
      this.cpOfUnit = new Int32Array(nu * 2 + 1);
    }
    const units = this.unitBuf;
    const cpOf = this.cpOfUnit;
    let u = 0;
    for (let k = 0; k < cps.length; k++) {
      const c = cps[k]!;
      if (c > 0xffff) {
        units[u] = 0xd800 + ((c - 0x10000) >> 10);
        cpOf[u++] = k;
        units[u] = 0xdc00 + ((c - 0x10000) & 0x3ff);
        cpOf[u++] = k;
      } else {
        units[u] = c;
        cpOf[u++] = k;
      }
    }
    sink.reset();
    this.model.encodeInto(units, 0, nu, sink);
    for (let t = 0; t < sink.length; t++) {
      const id = sink.ids[t]!;
      ids.push(id);
      tokens.push(sink.overrides?.get(t) ?? vocab[id]!);
      const cs = cpOf[sink.starts[t]!]!;
      const ce = cpOf[sink.ends[t]! - 1]!;
      offsets.push(w.ns.starts[cs]!, w.ns.ends[ce]!);
    }
    return { ids, tokens, offsets, words: [] };
  }

  /** tokenizers' `post_process`: truncation (special tokens counted), then the template. */
  postProcess(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean, trunc: TruncationParams | null): Encoding {
    if (trunc) {
      const nAdded = addSpecialTokens && this.postProcessor ? this.postProcessor.addedTokens(pair !== null) : 0;
      const maxLength = trunc.maxLength - nAdded;
      if (maxLength < 0) {
        throw new TokenizerError(`max_length (${trunc.maxLength}) is smaller than the number of special tokens the template adds (${nAdded})`, "INVALID_ARGUMENT");
      }
      if (maxLength < trunc.stride) {
        throw new TokenizerError(
          `stride (${trunc.stride}) is greater than the effective max length ${maxLength} (= max_length ${trunc.maxLength} - ${nAdded} special tokens)`,
          "INVALID_ARGUMENT",
        );
      }
      truncateEncodings(encoding, pair, { ...trunc, maxLength });
    }
    if (this.postProcessor) return this.postProcessor.process(encoding, pair, addSpecialTokens);
    const parts = pair ? [encoding, pair] : [encoding];
    parts.forEach((e, i) => e.setSequenceId(i));
    return Encoding.merge(parts);
  }

  /** Encodes rows of [text, pair] with resolved options into padded encodings (one per row, overflow inside). */
  encodeRows(rows: Array<[string, string | null]>, o: ResolvedOptions): Encoding[] {
    const trunc: TruncationParams | null =
      o.truncation === "do_not_truncate" || o.maxLength === null
        ? null
        : { maxLength: o.maxLength, strategy: o.truncation, stride: o.stride, direction: o.truncationSide };
    const out: Encoding[] = [];
    for (const [a, b] of rows) {
      // With truncation, tokenizers 0.23 stops tokenizing each sequence once max_length tokens are produced
      // (whole words, from the truncation side); the dropped words yield no overflowing windows (see the
      // `earlyTruncation` option).
      const early = o.earlyTruncation === "auto" ? !o.returnOverflowingTokens : o.earlyTruncation;
      const budget = trunc && early ? { maxLength: trunc.maxLength, direction: trunc.direction } : undefined;
      const ea = this.encodeSequence(a, 0, o.offsetsUnit, budget);
      const eb = b === null ? null : this.encodeSequence(b, 1, o.offsetsUnit, budget);
      out.push(this.postProcess(ea, eb, o.addSpecialTokens, trunc));
    }
    if (o.padding !== "do_not_pad") {
      const padToken = this.specialTokens.pad!;
      padEncodings(out, {
        length: o.padding === "max_length" ? o.maxLength : null,
        padToMultipleOf: o.padToMultipleOf,
        direction: o.paddingSide,
        padId: this.tokenToId(padToken) ?? 0,
        padTypeId: 0,
        padToken,
      });
    }
    return out;
  }

  encodePlus(text: TextInput, options?: TokenizeOptions): BatchEncoding {
    const opts = options ?? {};
    const { rows, batched } = normalizeInputs(text, pick(opts, "textPair", "text_pair"));
    const o = resolveOptions(opts, {
      modelMaxLength: this.modelMaxLength,
      paddingSide: this.paddingSide,
      truncationSide: this.truncationSide,
      hasPadToken: this.specialTokens.pad !== null && this.tokenToId(this.specialTokens.pad) !== undefined,
    });
    const mains = this.encodeRows(rows, o);
    const encodings: Encoding[] = [];
    const mapping: number[] = [];
    mains.forEach((e, i) => {
      encodings.push(e);
      mapping.push(i);
      if (o.returnOverflowingTokens) {
        for (const ov of e.overflowing) {
          encodings.push(ov);
          mapping.push(i);
        }
      }
    });
    const fields: Partial<BatchEncoding> & { input_ids: number[][] } = { input_ids: encodings.map((e) => e.ids) };
    if (o.returnTokenTypeIds) fields.token_type_ids = encodings.map((e) => e.typeIds);
    if (o.returnAttentionMask) fields.attention_mask = encodings.map((e) => e.attentionMask);
    if (o.returnSpecialTokensMask) fields.special_tokens_mask = encodings.map((e) => e.specialTokensMask);
    if (o.returnOffsetsMapping) fields.offset_mapping = encodings.map((e) => e.offsets);
    if (o.returnLength) fields.length = encodings.map((e) => e.length);
    if (o.returnOverflowingTokens) fields.overflow_to_sample_mapping = mapping;
    if (!batched && !o.returnOverflowingTokens) {
      const flat: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) flat[k] = k === "overflow_to_sample_mapping" ? v : (v as unknown[])[0];
      return new BatchEncoding(flat as unknown as BatchEncoding, encodings, false);
    }
    return new BatchEncoding(fields, encodings, true);
  }

  tokenize(text: string, options?: TokenizeTextOptions): string[] {
    if (typeof text !== "string") throw new TokenizerError(`tokenize: text must be a string, got ${describe(text)}`, "INVALID_ARGUMENT");
    const add = options?.addSpecialTokens ?? options?.add_special_tokens ?? false;
    const r = this.encodePlus(text, { textPair: options?.pair ?? null, addSpecialTokens: add });
    return r.tokens(0);
  }

  protected decodeIds(ids: number[], skipSpecialTokens: boolean): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const t = this.idToToken(id);
      if (t === undefined) continue; // tokenizers drops ids outside the vocabulary
      if (skipSpecialTokens && this.isSpecialToken(t)) continue;
      tokens.push(t);
    }
    return this.decoder ? this.decoder.decode(tokens) : tokens.join(" ");
  }
}

const LEAN_ENCODE_KEYS = new Set(["addSpecialTokens", "add_special_tokens", "textPair", "text_pair"]);

function utf16ToCp(s: string): Int32Array {
  const out = new Int32Array(s.length + 1);
  let cp = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = cp;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      out[++i] = cp;
    }
    cp++;
  }
  out[s.length] = cp;
  return out;
}

/** Rewrites UTF-16 offsets of `text` as code point offsets, in place. */
export function toCodePointOffsets(text: string, offsets: number[]): void {
  if (!/[\uD800-\uDBFF]/.test(text)) return;
  const map = utf16ToCp(text);
  for (let i = 0; i < offsets.length; i++) offsets[i] = map[offsets[i]!]!;
}
