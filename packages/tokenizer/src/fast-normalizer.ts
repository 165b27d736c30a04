/**
 * The fast path's normalizer: Lowercase? + Strip(both) + Precompiled? + Replace(" {2,}" → " ") in one pass over a
 * segment, into UTF-16 units with the original span of each (`norm`). Per-BMP-character lookup tables (lowercase,
 * precompiled rule, "plain" character) are filled on first use. Inputs it cannot normalize exactly as the generic
 * pipeline does are reported with `false` (the caller then uses the generic pipeline).
 */
import { graphemeEnd } from "./grapheme.js";
import { F_CONTROL, F_JOINS_PREV, F_MAY_JOIN_NEXT, flagsAt, graphemeFlags } from "./grapheme-flags.js";
import { Buf } from "./fast-path-buffers.js";
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { isRustWhitespace, lowercaseCodePoint, utf8Length } from "./unicode.js";

export const SPACE = 0x20;

export class FastNormalizer {
  /** The normalized segment: UTF-16 units `u`, each with its source span `[s, e)`. */
  readonly norm = new Buf(1024);
  private readonly charsmap: PrecompiledCharsmap | null;
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
  private cpScratch: number[] = [];

  constructor(lowercase: boolean, charsmap: PrecompiledCharsmap | null) {
    this.charsmap = charsmap;
    this.flags = graphemeFlags();
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

  /** Lowercase + Strip + Precompiled + space-run Replace of text[a..b) into `this.norm`. False: bail out. */
  normalizeSegment(text: string, a: number, b: number): boolean {
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
}

function isWs(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d) || (c >= 0x85 && isRustWhitespace(c));
}
