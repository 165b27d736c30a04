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
import { GCB, graphemeEnd, graphemeProps } from "./grapheme.js";
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
import { isRustWhitespace, lowercaseCodePoint, utf8Length, isPunctuationCached } from "./unicode.js";
import { TokenSink, type UnigramModel } from "./unigram.js";
import { WordCache } from "./word-cache.js";

export interface FastPathResult {
  ids: number[];
  tokens: string[];
  offsets: number[];
  words: (number | null)[];
}

/** Output accumulator: typed buffers, turned into exact-size arrays at the end. */
class Out {
  ids = new Int32Array(1024);
  offs = new Int32Array(2048);
  words = new Int32Array(1024);
  /** Token strings that are not vocab[id] (added tokens, unknown characters), by token index. */
  overrides: Map<number, string> | null = null;
  n = 0;
  reset(): void {
    this.n = 0;
    this.overrides = null;
  }
  grow(): void {
    const cap = this.ids.length * 2;
    const ids = new Int32Array(cap);
    ids.set(this.ids);
    const offs = new Int32Array(cap * 2);
    offs.set(this.offs);
    const words = new Int32Array(cap);
    words.set(this.words);
    this.ids = ids;
    this.offs = offs;
    this.words = words;
  }
}

const SPACE = 0x20;
const META = 0x2581;

// Per-BMP-character flags for the grapheme fast check.
const F_JOINS_PREV = 1; // Extend, ZWJ, SpacingMark: joins the previous character unless that one is a control
const F_MAY_JOIN_NEXT = 2; // Prepend, CR, Hangul L/V/T/LV/LVT, Regional Indicator
const F_CONTROL = 4; // Control, CR, LF

// Per-BMP-character grapheme flags, computed on first use (0xff = not computed yet).
const flagTable = new Uint8Array(0x10000).fill(0xff);
for (let cp = 0x20; cp < 0x7f; cp++) flagTable[cp] = 0;
function graphemeFlags(): Uint8Array {
  return flagTable;
}
function flagsOf(cp: number): number {
  const g = graphemeProps(cp) & 0x0f;
  let f = 0;
  if (g === GCB.Extend || g === GCB.ZWJ || g === GCB.SpacingMark) f |= F_JOINS_PREV;
  if (g === GCB.Prepend || g === GCB.CR || g === GCB.L || g === GCB.V || g === GCB.T || g === GCB.LV || g === GCB.LVT || g === GCB.RI) f |= F_MAY_JOIN_NEXT;
  if (g === GCB.Control || g === GCB.CR || g === GCB.LF) f |= F_CONTROL;
  return f;
}
const astralFlags = new Map<number, number>();
function flagsAt(table: Uint8Array, cp: number): number {
  if (cp < 0x10000) {
    let f = table[cp]!;
    if (f === 0xff) {
      f = cp >= 0xd800 && cp <= 0xdfff ? 0 : flagsOf(cp);
      table[cp] = f;
    }
    return f;
  }
  let f = astralFlags.get(cp);
  if (f === undefined) {
    f = flagsOf(cp);
    astralFlags.set(cp, f);
  }
  return f;
}

/** Growable typed buffers. */
class Buf {
  u: Uint16Array;
  s: Int32Array;
  e: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.u = new Uint16Array(cap);
    this.s = new Int32Array(cap);
    this.e = new Int32Array(cap);
  }
  ensure(extra: number): void {
    const need = this.n + extra;
    if (need <= this.u.length) return;
    let cap = this.u.length * 2;
    while (cap < need) cap *= 2;
    const u = new Uint16Array(cap);
    u.set(this.u.subarray(0, this.n));
    const s = new Int32Array(cap);
    s.set(this.s.subarray(0, this.n));
    const e = new Int32Array(cap);
    e.set(this.e.subarray(0, this.n));
    this.u = u;
    this.s = s;
    this.e = e;
  }
}

export class FastPath {
  private readonly charsmap: PrecompiledCharsmap | null;
  private readonly model: UnigramModel;
  private readonly normMatcher: TokenMatcher;
  /** BMP: lowercase mapping when it is one BMP character (0xFFFF: expands or astral, take the slow route). */
  private readonly lower: Uint16Array | null;
  /** BMP: -1 no rule, -2 rule deletes the character, else index into `reps`. */
  private readonly rule: Int32Array | null;
  private readonly reps: Uint16Array[] = [];
  private readonly repIds = new Map<number, number>();
  private readonly flags: Uint8Array;
  /**
   * BMP: the one output unit of a "plain" character — lowercased, then its rule applied, both one BMP unit, and no
   * grapheme join flags — or 0xFFFF when the character needs the general route.
   */
  private readonly plain: Uint16Array;
  /** BMP: 1 for characters that start a normalized added-token pattern (e.g. "["). */
  private readonly patternStart = new Uint8Array(0x10000);
  private readonly splitPunctOn: boolean;
  private readonly norm = new Buf(1024);
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
  private cpScratch: number[] = [];

  private constructor(model: UnigramModel, lowercase: boolean, charsmap: PrecompiledCharsmap | null, splitPunct: boolean, normMatcher: TokenMatcher) {
    this.model = model;
    this.unkId = model.unkId ?? -1;
    this.byteFallback = model.byteFallback;
    this.charsmap = charsmap;
    this.normMatcher = normMatcher;
    this.flags = graphemeFlags();
    this.splitPunctOn = splitPunct;
    this.lower = lowercase ? new Uint16Array(0x10000).fill(0xfffe) : null;
    if (charsmap) {
      const r = new Int32Array(0x10000).fill(-1);
      for (let c = 0; c < 0x10000; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        const v = charsmap.singleValue(c);
        if (v >= 0) r[c] = this.repIndex(v);
      }
      this.rule = r;
    } else this.rule = null;
    this.plain = new Uint16Array(0x10000).fill(0xfffe);
    for (const t of normMatcher.tokens) if (t.pattern.length > 0) this.patternStart[t.pattern.charCodeAt(0)] = 1;
  }

  /** Lowercase of a BMP character when it is one BMP character, else 0xffff (computed on first use). */
  private lowerOf(c: number): number {
    const t = this.lower!;
    let l = t[c]!;
    if (l === 0xfffe) {
      if (c >= 0xd800 && c <= 0xdfff) l = c;
      else {
        const s = lowercaseCodePoint(c);
        l = s.length === 1 ? s.charCodeAt(0) : 0xffff;
      }
      t[c] = l;
    }
    return l;
  }

  /** The `plain` entry of a BMP character (computed on first use). */
  private plainOf(c: number): number {
    let x = 0xffff;
    compute: {
      if (c >= 0xd800 && c <= 0xdfff) break compute;
      if (flagsAt(this.flags, c) !== 0) break compute;
      let y = c;
      if (this.lower) {
        y = this.lowerOf(c);
        if (y === 0xffff || flagsAt(this.flags, y) !== 0) break compute;
      }
      if (this.rule) {
        const r = this.rule[y]!;
        if (r === -2) break compute;
        if (r >= 0) {
          const rep = this.reps[r]!;
          if (rep.length !== 1 || (rep[0]! >= 0xd800 && rep[0]! <= 0xdfff)) break compute;
          y = rep[0]!;
        }
      }
      if (y >= 0xfffe) break compute;
      x = y;
    }
    this.plain[c] = x;
    return x;
  }

  private repIndex(value: number): number {
    let i = this.repIds.get(value);
    if (i === undefined) {
      const s = this.charsmap!.replacement(value);
      if (s.length === 0) i = -2;
      else {
        const u = new Uint16Array(s.length);
        for (let k = 0; k < s.length; k++) u[k] = s.charCodeAt(k);
        i = this.reps.length;
        this.reps.push(u);
      }
      this.repIds.set(value, i);
    }
    return i;
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
    return new FastPath(model, lowercase, charsmap, splitPunct, normMatcher);
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
      if (!this.normalizeSegment(text, a, b)) return null;
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

  /** Lowercase + Strip + Precompiled + space-run Replace of text[a..b) into `this.norm`. False: bail out. */
  private normalizeSegment(text: string, a: number, b: number): boolean {
    const buf = this.norm;
    buf.n = 0;
    // Strip: Rust whitespace at both ends of the (lowercased) text; lowercasing never changes whitespace-ness.
    while (a < b && isWs(text.charCodeAt(a))) a++;
    while (b > a && isWs(text.charCodeAt(b - 1))) b--;
    if (a >= b) return true;
    buf.ensure((b - a) * 2 + 8);
    const lower = this.lower;
    const rule = this.rule;
    const flags = this.flags;
    const reps = this.reps;
    let u = buf.u;
    let S = buf.s;
    let E = buf.e;
    let n = 0;
    let i = a;
    const plain = this.plain;
    while (i < b) {
      // Hot path: a plain BMP character not followed by a joining one.
      {
        const c0 = text.charCodeAt(i);
        let x = plain[c0]!;
        if (x === 0xfffe) x = this.plainOf(c0);
        if (x !== 0xffff) {
          const nx = i + 1 < b ? text.charCodeAt(i + 1) : 0x20;
          if (nx < 0x300 || (nx < 0xd800 && (flagsAt(flags, nx) & F_JOINS_PREV) === 0)) {
            if (x === SPACE && n > 0 && u[n - 1] === SPACE) {
              S[n - 1] = i;
              E[n - 1] = i + 1;
            } else {
              u[n] = x;
              S[n] = i;
              E[n] = i + 1;
              n++;
            }
            i++;
            continue;
          }
        }
      }
      // Current character (code point) and its span.
      let c = text.charCodeAt(i);
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < b) {
        c = ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000;
        len = 2;
      }
      if (lower) {
        if (c < 0x10000) {
          const l = this.lowerOf(c);
          if (l === 0xffff) return false;
          c = l;
        } else {
          const l = lowercaseCodePoint(c);
          const lc = l.codePointAt(0)!;
          if (l.length !== (lc > 0xffff ? 2 : 1)) return false;
          c = lc;
        }
      }
      // Is the grapheme cluster more than this one character?
      const f = flagsAt(flags, c);
      let complex = (f & F_MAY_JOIN_NEXT) !== 0;
      const ni = i + len;
      if (!complex && ni < b) {
        let nc = text.charCodeAt(ni);
        if (nc >= 0xd800 && nc <= 0xdbff && ni + 1 < b) nc = ((nc - 0xd800) << 10) + (text.charCodeAt(ni + 1) - 0xdc00) + 0x10000;
        if ((flagsAt(flags, nc) & F_JOINS_PREV) !== 0 && (f & F_CONTROL) === 0) complex = true;
      }
      if (complex && this.charsmap) {
        buf.n = n;
        const r = this.cluster(text, i, b);
        if (r < 0) return false;
        // `cluster` wrote into the buffer and returns the next input position.
        i = r;
        u = buf.u;
        S = buf.s;
        E = buf.e;
        n = buf.n;
        continue;
      }
      // Single-character cluster: its own rule, if any.
      let ri = -1;
      if (rule) {
        if (c < 0x10000) ri = rule[c]!;
        else {
          const v = this.charsmap!.singleValue(c);
          ri = v < 0 ? -1 : this.repIndexAstral(v);
        }
      }
      if (ri === -2) return false; // deletion rules shift alignments in tokenizers; use the generic path
      if (ri === -1) {
        if (c === SPACE && n > 0 && u[n - 1] === SPACE) {
          S[n - 1] = i;
          E[n - 1] = i + len;
        } else if (c < 0x10000) {
          u[n] = c;
          S[n] = i;
          E[n] = i + len;
          n++;
        } else {
          u[n] = 0xd800 + ((c - 0x10000) >> 10);
          u[n + 1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
          S[n] = S[n + 1] = i;
          E[n] = E[n + 1] = i + len;
          n += 2;
        }
      } else {
        const rep = reps[ri]!;
        if (n + rep.length + 2 > u.length) {
          buf.n = n;
          buf.ensure(rep.length + (b - i) * 2 + 8);
          u = buf.u;
          S = buf.s;
          E = buf.e;
        }
        for (let k = 0; k < rep.length; k++) {
          const x = rep[k]!;
          if (x === SPACE && n > 0 && u[n - 1] === SPACE) {
            S[n - 1] = i;
            E[n - 1] = i + len;
          } else {
            u[n] = x;
            S[n] = i;
            E[n] = i + len;
            n++;
          }
        }
      }
      i = ni;
      if (n + 8 > u.length) {
        buf.n = n;
        buf.ensure((b - i) * 2 + 16);
        u = buf.u;
        S = buf.s;
        E = buf.e;
      }
    }
    buf.n = n;
    return true;
  }

  private repIndexAstral(value: number): number {
    return this.repIndex(value);
  }

  /**
   * A grapheme cluster of several characters starting at text[i]: applies tokenizers' `Precompiled` rules
   * (whole cluster below 6 UTF-8 bytes: shortest prefix rule; otherwise per character) and writes the result into
   * the buffer. Returns the next input position, or -1 to bail out.
   */
  private cluster(text: string, i: number, b: number): number {
    const cps = this.cpScratch;
    const pos: number[] = [];
    cps.length = 0;
    // Lowercased code points from i and their original positions, up to a position where no cluster can
    // continue (the last character neither extends nor starts a join, and the next one does not join back).
    const MAX = 256;
    let j = i;
    while (j < b && cps.length < MAX) {
      let c = text.charCodeAt(j);
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && j + 1 < b) {
        c = ((c - 0xd800) << 10) + (text.charCodeAt(j + 1) - 0xdc00) + 0x10000;
        len = 2;
      }
      if (this.lower) {
        const l = lowercaseCodePoint(c);
        const lc = l.codePointAt(0)!;
        if (l.length !== (lc > 0xffff ? 2 : 1)) return -1;
        c = lc;
      }
      cps.push(c);
      pos.push(j);
      j += len;
      if (cps.length >= 2 && (flagsAt(this.flags, c) & (F_MAY_JOIN_NEXT | F_JOINS_PREV)) === 0 && j < b) {
        let nc = text.charCodeAt(j);
        if (nc >= 0xd800 && nc <= 0xdbff && j + 1 < b) nc = ((nc - 0xd800) << 10) + (text.charCodeAt(j + 1) - 0xdc00) + 0x10000;
        if ((flagsAt(this.flags, nc) & F_JOINS_PREV) === 0) break;
      }
    }
    pos.push(j);
    const end = graphemeEnd(cps, 0, cps.length);
    if (end === cps.length && cps.length >= MAX) return -1; // cluster may be longer than the window
    const k = end;
    const cm = this.charsmap!;
    let bytes = 0;
    for (let q = 0; q < k; q++) bytes += utf8Length(cps[q]!);
    if (k > 1 && bytes < 6) {
      const v = cm.firstPrefix(cps, 0, k);
      if (v >= 0) {
        const rep = cm.replacement(v);
        if (rep.length === 0) return -1;
        // Replace k characters by m: r_1..r_min take the spans of the first characters; extra ones the last
        // consumed span; with fewer, the last replacement character takes its own span (the rest is dropped).
        const repCps: number[] = [];
        for (let q = 0; q < rep.length; q++) {
          const cc = rep.codePointAt(q)!;
          repCps.push(cc);
          if (cc > 0xffff) q++;
        }
        const m = repCps.length;
        for (let r = 0; r < m; r++) {
          const src = r < k ? r : k - 1;
          this.emit(repCps[r]!, pos[src]!, pos[src + 1]!);
        }
        return pos[k]!;
      }
    }
    for (let q = 0; q < k; q++) {
      const c = cps[q]!;
      const v = cm.singleValue(c);
      if (v < 0) this.emit(c, pos[q]!, pos[q + 1]!);
      else {
        const rep = cm.replacement(v);
        if (rep.length === 0) return -1;
        for (let r = 0; r < rep.length; r++) {
          const cc = rep.codePointAt(r)!;
          this.emit(cc, pos[q]!, pos[q + 1]!);
          if (cc > 0xffff) r++;
        }
      }
    }
    return pos[k]!;
  }

  /** Appends one code point with its span, collapsing space runs. */
  private emit(c: number, s: number, e: number): void {
    const buf = this.norm;
    buf.ensure(2);
    const n = buf.n;
    if (c === SPACE && n > 0 && buf.u[n - 1] === SPACE) {
      buf.s[n - 1] = s;
      buf.e[n - 1] = e;
      return;
    }
    if (c < 0x10000) {
      buf.u[n] = c;
      buf.s[n] = s;
      buf.e[n] = e;
      buf.n = n + 1;
    } else {
      buf.u[n] = 0xd800 + ((c - 0x10000) >> 10);
      buf.u[n + 1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
      buf.s[n] = buf.s[n + 1] = s;
      buf.e[n] = buf.e[n + 1] = e;
      buf.n = n + 2;
    }
  }

  /**
   * Splits the normalized segment on normalized added tokens, pre-tokenizes each piece and runs the model.
   * Returns the next word index.
   */
  private encodeNormalized(wordIndex: number, maxTokens: number): number {
    const out = this.out;
    const nb = this.norm;
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
    const out = this.out;
    const nb = this.norm;
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
    // Model, word by word (through the word cache when enabled).
    const sink = this.sink;
    const model = this.model;
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
          const vals = cache.values;
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
          wordIndex++;
          continue;
        }
      }
      sink.reset();
      model.encodeInto(wu, ws0, ws1, sink);
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
      if (h !== 0) cache!.insert(wu, ws0, ws1, h, ids, te, 0, cnt, ws0);
      wordIndex++;
    }
    return wordIndex;
  }
}

const EMPTY: string[] = [];
const EMPTY_N: number[] = [];
const EMPTY_W: (number | null)[] = [];

function isWs(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d) || (c >= 0x85 && isRustWhitespace(c));
}
