/**
 * A specialised, single-pass encoder for the DeBERTa-v2/v3 pipeline shape:
 *
 *   normalizer  = Sequence([Lowercase]?, Strip(both), [Precompiled]?, Replace(" {2,}" -> " "))
 *   pre-tokens  = Sequence([Punctuation(Isolated)]?, Metaspace("▁", prepend "always", split))
 *   model       = Unigram
 *
 * It produces exactly what the generic component pipeline (`DebertaV2TokenizerFast.encodeGeneric`) produces —
 * ids, token strings, UTF-16 offsets and word ids — but works on typed-array buffers with per-character lookup
 * tables and no per-character allocation. Inputs it does not handle identically (a lowercase mapping that expands,
 * a normalization rule that deletes characters, very long grapheme clusters, early truncation from the left)
 * are reported with `null` and encoded by the generic pipeline instead. Equivalence is checked by tests that
 * compare both paths (and HF's Rust tokenizers) on fixtures and random inputs.
 */
import type { TokenMatcher } from "./added-vocabulary.js";
import { Buf, Out } from "./fast-path-buffers.js";
import { FastNormalizer, SPACE } from "./fast-normalizer.js";
import {
  LowercaseNormalizer,
  PrecompiledNormalizer,
  ReplaceNormalizer,
  SequenceNormalizer,
  StripNormalizer,
  type Normalizer,
} from "./normalizer.js";
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { MetaspacePreTokenizer, PunctuationPreTokenizer, SequencePreTokenizer, type PreTokenizer } from "./pre-tokenizer.js";
import { isPunctuationCached } from "./unicode.js";
import { TokenSink, type UnigramModel } from "./unigram.js";
import { WordCache } from "./word-cache.js";

export interface FastPathResult {
  ids: number[];
  tokens: string[];
  offsets: number[];
  words: (number | null)[];
}

const META = 0x2581;

export class FastPath {
  private readonly model: UnigramModel;
  private readonly normalizer: FastNormalizer;
  private readonly normMatcher: TokenMatcher;
  /** BMP: 1 for characters that start a normalized added-token pattern (e.g. "["). */
  private readonly patternStart = new Uint8Array(0x10000);
  private readonly splitPunctOn: boolean;
  private readonly words = new Buf(1024);
  private readonly sink = new TokenSink(1024);
  private readonly out = new Out();
  /** Set once the early-truncation budget is reached (checked after each model-tokenized word). */
  private stopped = false;
  private readonly unkId: number;
  private readonly byteFallback: boolean;
  /** Per-word result cache (null: disabled). */
  cache: WordCache | null = new WordCache();
  private wordStarts = new Int32Array(256);

  private constructor(model: UnigramModel, normalizer: FastNormalizer, splitPunct: boolean, normMatcher: TokenMatcher) {
    this.model = model;
    this.unkId = model.unkId ?? -1;
    this.byteFallback = model.byteFallback;
    this.normalizer = normalizer;
    this.normMatcher = normMatcher;
    this.splitPunctOn = splitPunct;
    for (const t of normMatcher.tokens) if (t.pattern.length > 0) this.patternStart[t.pattern.charCodeAt(0)] = 1;
  }

  /** Returns a fast path when the pipeline has DeBERTa's shape, else null. */
  static create(model: UnigramModel, normalizer: Normalizer | null, preTokenizer: PreTokenizer | null, normMatcher: TokenMatcher): FastPath | null {
    // Normalizer shape.
    const ns = normalizer instanceof SequenceNormalizer ? normalizer.normalizers : normalizer ? [normalizer] : [];
    let i = 0;
    let lowercase = false;
    if (ns[i] instanceof LowercaseNormalizer) {
      lowercase = true;
      i++;
    }
    const strip = ns[i];
    if (!(strip instanceof StripNormalizer) || !strip.left || !strip.right) return null;
    i++;
    let charsmap: PrecompiledCharsmap | null = null;
    if (ns[i] instanceof PrecompiledNormalizer) {
      charsmap = (ns[i] as PrecompiledNormalizer).charsmap;
      i++;
    }
    const rep = ns[i];
    if (!(rep instanceof ReplaceNormalizer) || !rep.spaceRuns) return null;
    i++;
    if (i !== ns.length) return null;
    // Pre-tokenizer shape.
    const ps = preTokenizer instanceof SequencePreTokenizer ? preTokenizer.preTokenizers : preTokenizer ? [preTokenizer] : [];
    let j = 0;
    let splitPunct = false;
    if (ps[j] instanceof PunctuationPreTokenizer) {
      if ((ps[j] as PunctuationPreTokenizer).behavior !== "isolated") return null;
      splitPunct = true;
      j++;
    }
    const ms = ps[j];
    if (!(ms instanceof MetaspacePreTokenizer) || ms.replacementCp !== META || ms.prependScheme !== "always" || !ms.split) return null;
    j++;
    if (j !== ps.length) return null;
    if (model.unkId === null) return null;
    return new FastPath(model, new FastNormalizer(lowercase, charsmap), splitPunct, normMatcher);
  }

  /**
   * Encodes `text` (well-formed). Returns null when the generic pipeline must handle this input.
   * `idsOnly` skips token strings, offsets and word ids.
   */
  encode(
    text: string,
    raw: TokenMatcher,
    budget?: { maxLength: number; direction: "left" | "right" },
    idsOnly = false,
  ): FastPathResult | null {
    if (budget && budget.direction === "left") return null;
    const out = this.out;
    out.reset();
    this.stopped = false;
    const maxTokens = budget ? budget.maxLength : Infinity;
    let wordIndex = 0;
    const segments = raw.isEmpty || !raw.mayMatch(text) ? null : raw.findMatches(text);
    const nSeg = segments ? segments.length : 1;
    for (let k = 0; k < nSeg; k++) {
      if (this.stopped) break;
      const a = segments ? segments[k]![0] : 0;
      const b = segments ? segments[k]![1] : text.length;
      const id = segments ? segments[k]![2] : -1;
      if (id >= 0) {
        this.push(id, a, b, wordIndex);
        (out.overrides ??= new Map()).set(out.n - 1, text.slice(a, b));
        wordIndex++;
        continue;
      }
      if (a === b) continue;
      if (!this.normalizer.normalizeSegment(text, a, b)) return null;
      wordIndex = this.encodeNormalized(wordIndex, maxTokens);
    }
    // Exact-size arrays.
    const n = out.n;
    const ids: number[] = new Array(n);
    for (let i = 0; i < n; i++) ids[i] = out.ids[i]!;
    if (idsOnly) return { ids, tokens: EMPTY, offsets: EMPTY_N, words: EMPTY_W };
    const tokens: string[] = new Array(n);
    const offsets: number[] = new Array(2 * n);
    const words: (number | null)[] = new Array(n);
    const vocab = this.model.vocab;
    const ov = out.overrides;
    for (let i = 0; i < n; i++) {
      tokens[i] = (ov !== null ? ov.get(i) : undefined) ?? vocab[out.ids[i]!]!;
      offsets[2 * i] = out.offs[2 * i]!;
      offsets[2 * i + 1] = out.offs[2 * i + 1]!;
      words[i] = out.words[i]!;
    }
    return { ids, tokens, offsets, words };
  }

  private push(id: number, s: number, e: number, word: number): void {
    const out = this.out;
    if (out.n >= out.ids.length) out.grow();
    const i = out.n++;
    out.ids[i] = id;
    out.offs[2 * i] = s;
    out.offs[2 * i + 1] = e;
    out.words[i] = word;
  }

  /**
   * Splits the normalized segment on normalized added tokens, pre-tokenizes each piece and runs the model.
   * Returns the next word index.
   */
  private encodeNormalized(wordIndex: number, maxTokens: number): number {
    const out = this.out;
    const nb = this.normalizer.norm;
    const n = nb.n;
    if (n === 0) return wordIndex;
    if (!this.normMatcher.isEmpty && this.mayContainPattern(nb.u, n)) {
      const str = String.fromCharCode.apply(null, nb.u.subarray(0, n) as unknown as number[]);
      for (const [x, y, id] of this.normMatcher.findMatches(str)) {
        if (x === y) continue;
        if (this.stopped) break;
        if (id >= 0) {
          this.push(id, nb.s[x]!, nb.e[y - 1]!, wordIndex);
          (out.overrides ??= new Map()).set(out.n - 1, str.slice(x, y));
          wordIndex++;
        } else wordIndex = this.preTokenizeAndEncode(x, y, wordIndex, maxTokens);
      }
      return wordIndex;
    }
    return this.preTokenizeAndEncode(0, n, wordIndex, maxTokens);
  }

  private mayContainPattern(u: Uint16Array, n: number): boolean {
    const first = this.patternStart;
    for (let i = 0; i < n; i++) if (first[u[i]!] === 1) return true;
    return false;
  }

  /** Metaspace (and Punctuation) on norm[x..y), then the Unigram model on each word. */
  private preTokenizeAndEncode(x: number, y: number, wordIndex: number, maxTokens: number): number {
    const nw = this.splitWords(x, y);
    const starts = this.wordStarts;
    const wu = this.words.u;
    const cache = this.byteFallback ? null : this.cache;
    for (let k = 0; k < nw; k++) {
      if (this.stopped) break;
      const ws0 = starts[k]!;
      const ws1 = starts[k + 1]!;
      let h = 0;
      if (cache && ws1 - ws0 <= WordCache.MAX_WORD) {
        h = WordCache.hash(wu, ws0, ws1);
        const off = cache.lookup(wu, ws0, ws1, h);
        if (off >= 0) {
          this.emitCached(cache.values, off, ws0, wordIndex, maxTokens);
          wordIndex++;
          continue;
        }
      }
      this.encodeWord(ws0, ws1, h, wordIndex, maxTokens);
      wordIndex++;
    }
    return wordIndex;
  }

  /**
   * Pre-tokenizes norm[x..y) into `this.words` (units with spans) and the word starts `this.wordStarts[0..nw]`;
   * returns the number of words `nw`.
   */
  private splitWords(x: number, y: number): number {
    const nb = this.normalizer.norm;
    const wb = this.words;
    wb.n = 0;
    wb.ensure((y - x) * 2 + 4);
    const U = nb.u;
    const S = nb.s;
    const E = nb.e;
    const wu = wb.u;
    const ws = wb.s;
    const we = wb.e;
    let nw = 0;
    if (this.wordStarts.length < y - x + 2) this.wordStarts = new Int32Array((y - x + 2) * 2);
    const starts = this.wordStarts;
    let w = 0;
    const punct = this.splitPunctOn;
    // Walk the piece; a "sub-piece" boundary comes before and after each punctuation character (Punctuation
    // isolated). Within a sub-piece, every ▁ (former space) starts a word; a sub-piece not starting with ▁ gets a
    // ▁ prepended (aligned to its first character).
    let i = x;
    let subStart = true;
    while (i < y) {
      let c = U[i]!;
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < y) len = 2;
      if (c === SPACE) c = META;
      let isP = false;
      if (punct) {
        if (len === 1) isP = isPunctuationCached(c);
        else isP = isPunctuationCached(((U[i]! - 0xd800) << 10) + (U[i + 1]! - 0xdc00) + 0x10000);
      }
      if (isP) subStart = true;
      if (c === META) {
        starts[nw++] = w;
      } else if (subStart) {
        starts[nw++] = w;
        wu[w] = META;
        ws[w] = S[i]!;
        we[w] = E[i]!;
        w++;
      }
      subStart = isP;
      wu[w] = c;
      ws[w] = S[i]!;
      we[w] = E[i]!;
      w++;
      if (len === 2) {
        wu[w] = U[i + 1]!;
        ws[w] = S[i + 1]!;
        we[w] = E[i + 1]!;
        w++;
      }
      i += len;
    }
    starts[nw] = w;
    wb.n = w;
    return nw;
  }

  /** Appends a cached word's tokens (`vals[off]` = count, then (id, end) pairs relative to the word's start). */
  private emitCached(vals: Int32Array, off: number, ws0: number, wordIndex: number, maxTokens: number): void {
    const out = this.out;
    const { u: wu, s: ws, e: we } = this.words;
    const cnt = vals[off]!;
    while (out.n + cnt > out.ids.length) out.grow();
    const oi = out.ids;
    const oo = out.offs;
    const ow = out.words;
    let m = out.n;
    let prevEnd = ws0;
    for (let t = 0; t < cnt; t++) {
      const id = vals[off + 1 + 2 * t]!;
      const end = ws0 + vals[off + 2 + 2 * t]!;
      oi[m] = id;
      oo[2 * m] = ws[prevEnd]!;
      oo[2 * m + 1] = we[end - 1]!;
      ow[m] = wordIndex;
      if (id === this.unkId) (out.overrides ??= new Map()).set(m, String.fromCharCode.apply(null, wu.subarray(prevEnd, end) as unknown as number[]));
      m++;
      prevEnd = end;
    }
    out.n = m;
    if (m >= maxTokens) this.stopped = true;
  }

  /** Runs the model on words[ws0..ws1), appends its tokens and caches them under hash `h` (0: do not cache). */
  private encodeWord(ws0: number, ws1: number, h: number, wordIndex: number, maxTokens: number): void {
    const out = this.out;
    const { u: wu, s: ws, e: we } = this.words;
    const sink = this.sink;
    sink.reset();
    this.model.encodeInto(wu, ws0, ws1, sink);
    const cnt = sink.length;
    const ids = sink.ids;
    const ts = sink.starts;
    const te = sink.ends;
    const ov = sink.overrides;
    while (out.n + cnt > out.ids.length) out.grow();
    const oi = out.ids;
    const oo = out.offs;
    const ow = out.words;
    let m = out.n;
    for (let t = 0; t < cnt; t++) {
      oi[m] = ids[t]!;
      oo[2 * m] = ws[ts[t]!]!;
      oo[2 * m + 1] = we[te[t]! - 1]!;
      ow[m] = wordIndex;
      if (ov !== null) {
        const o = ov.get(t);
        if (o !== undefined) (out.overrides ??= new Map()).set(m, o);
      }
      m++;
    }
    out.n = m;
    if (m >= maxTokens) this.stopped = true;
    if (h !== 0) this.cache!.insert(wu, ws0, ws1, h, ids, te, 0, cnt, ws0);
  }
}

const EMPTY: string[] = [];
const EMPTY_N: number[] = [];
const EMPTY_W: (number | null)[] = [];
