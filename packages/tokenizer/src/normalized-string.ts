/**
 * A string being normalized, with the alignment of every normalized character to a span of the original text —
 * the TypeScript counterpart of tokenizers' `NormalizedString`. Every operation reproduces the Rust semantics
 * (including `transform_range`'s alignment rules), because token offsets are derived from these alignments.
 *
 * Differences in representation, not in results: characters are code points (Rust works on UTF-8 bytes, but all
 * bytes of a character always share one alignment), and alignments are absolute UTF-16 offsets into the original
 * JS string (Rust keeps byte offsets relative to each slice plus a shift, and converts to characters at the end).
 */
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { graphemeEnd } from "./grapheme.js";
import { codePoints, isRustWhitespace, lowercaseCodePoint, utf8Length } from "./unicode.js";

export type SplitBehavior = "removed" | "isolated" | "merged_with_previous" | "merged_with_next" | "contiguous";

export class NormalizedString {
  constructor(
    public cps: number[],
    public starts: number[],
    public ends: number[],
    /** Original offset where this string (or slice) starts: Rust's `original_shift`. */
    public shift: number,
  ) {}

  /** The original text `text[start..end)` (UTF-16 offsets), not yet normalized. */
  static fromOriginal(text: string, start: number, end: number): NormalizedString {
    const cps: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cps.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
          starts.push(i);
          ends.push(i + 2);
          i++;
          continue;
        }
      }
      cps.push(c);
      starts.push(i);
      ends.push(i + 1);
    }
    return new NormalizedString(cps, starts, ends, start);
  }

  get length(): number {
    return this.cps.length;
  }

  isEmpty(): boolean {
    return this.cps.length === 0;
  }

  toString(): string {
    let s = "";
    for (let i = 0; i < this.cps.length; i += 4096) s += String.fromCodePoint(...this.cps.slice(i, i + 4096));
    return s;
  }

  /** Original span [start, end) covered by normalized characters [a, b) (Rust `convert_offsets`). */
  originalSpan(a: number, b: number): [number, number] {
    if (a >= b) return [this.shift, this.shift];
    return [this.starts[a]!, this.ends[b - 1]!];
  }

  /**
   * Rust `transform` (= `transform_range` over the whole string). `dest` holds [char, change] pairs:
   * change 0 replaces the next original character, 1 inserts a new one, -N replaces and removes N following ones.
   */
  transform(dest: ArrayLike<number>, initialOffset: number): void {
    const oldS = this.starts;
    const oldE = this.ends;
    const cps: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let p = initialOffset;
    for (let k = 0; k < dest.length; k += 2) {
      const c = dest[k]!;
      const change = dest[k + 1]!;
      let s: number;
      let e: number;
      if (change > 0) {
        if (p < 1) {
          s = this.shift;
          e = this.shift;
        } else {
          s = oldS[p - 1]!;
          e = oldE[p - 1]!;
        }
      } else {
        s = oldS[p]!;
        e = oldE[p]!;
        p += 1;
        if (change < 0) p += -change;
      }
      cps.push(c);
      starts.push(s);
      ends.push(e);
    }
    this.cps = cps;
    this.starts = starts;
    this.ends = ends;
  }

  /** Rust `lowercase`: `char::to_lowercase` per character. */
  lowercase(): void {
    const dest: number[] = [];
    let changed = false;
    for (const c of this.cps) {
      const lc = lowercaseCodePoint(c);
      if (lc.length === 1 && lc.charCodeAt(0) === c) {
        dest.push(c, 0);
        continue;
      }
      changed = true;
      const parts = codePoints(lc);
      for (let i = 0; i < parts.length; i++) dest.push(parts[i]!, i > 0 ? 1 : 0);
    }
    if (changed) this.transform(dest, 0);
  }

  /** Rust `lrstrip`: removes leading/trailing `char::is_whitespace` characters. */
  strip(left: boolean, right: boolean): void {
    const n = this.cps.length;
    let lead = 0;
    if (left) while (lead < n && isRustWhitespace(this.cps[lead]!)) lead++;
    let trail = 0;
    if (right) while (trail < n - lead && isRustWhitespace(this.cps[n - 1 - trail]!)) trail++;
    if (lead === 0 && trail === 0) return;
    if (left && lead === n) {
      this.cps = [];
      this.starts = [];
      this.ends = [];
      return;
    }
    this.cps = this.cps.slice(lead, n - trail);
    this.starts = this.starts.slice(lead, n - trail);
    this.ends = this.ends.slice(lead, n - trail);
  }

  /**
   * tokenizers' `Precompiled` normalizer: each extended grapheme cluster shorter than 6 UTF-8 bytes is replaced by
   * the SHORTEST rule that is a prefix of it (the rest of the cluster is dropped); otherwise each character is
   * replaced by its own rule, if any.
   */
  precompiled(cm: PrecompiledCharsmap): void {
    const cps = this.cps;
    const n = cps.length;
    const dest: number[] = [];
    let modified = false;
    const replace = (oldCount: number, norm: string) => {
      const news = codePoints(norm);
      const diff = news.length - oldCount;
      for (const c of news) dest.push(c, 0);
      if (diff > 0) {
        for (let k = 0; k < diff; k++) dest[dest.length - 1 - 2 * k] = 1;
      } else if (diff < 0 && dest.length > 0) {
        dest[dest.length - 1] += diff;
      }
    };
    let i = 0;
    while (i < n) {
      const j = graphemeEnd(cps, i, n);
      if (j - i > 1) {
        let bytes = 0;
        for (let k = i; k < j; k++) bytes += utf8Length(cps[k]!);
        if (bytes < 6) {
          const v = cm.firstPrefix(cps, i, j);
          if (v >= 0) {
            modified = true;
            replace(j - i, cm.replacement(v));
            i = j;
            continue;
          }
        }
      }
      for (let k = i; k < j; k++) {
        const c = cps[k]!;
        const v = cm.singleValue(c);
        if (v >= 0) {
          modified = true;
          replace(1, cm.replacement(v));
        } else dest.push(c, 0);
      }
      i = j;
    }
    if (modified) this.transform(dest, 0);
  }

  /**
   * Rust `replace(pattern, content)` for the matches `[start, end)` (code point ranges, non-overlapping, in order).
   */
  replaceRanges(matches: ReadonlyArray<readonly [number, number]>, content: string): void {
    if (matches.length === 0) return;
    const rep = codePoints(content);
    const cps: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let last = 0;
    for (const [a, b] of matches) {
      for (let k = last; k < a; k++) {
        cps.push(this.cps[k]!);
        starts.push(this.starts[k]!);
        ends.push(this.ends[k]!);
      }
      // Inserted characters take the alignment of the character before the insertion point, which is the last
      // removed one (or, for an empty match, the one before it).
      const ref = b - 1;
      for (const c of rep) {
        cps.push(c);
        if (ref >= 0) {
          starts.push(this.starts[ref]!);
          ends.push(this.ends[ref]!);
        } else {
          starts.push(this.shift);
          ends.push(this.shift);
        }
      }
      last = b;
    }
    for (let k = last; k < this.cps.length; k++) {
      cps.push(this.cps[k]!);
      starts.push(this.starts[k]!);
      ends.push(this.ends[k]!);
    }
    this.cps = cps;
    this.starts = starts;
    this.ends = ends;
  }

  /** Replaces every occurrence of one character by another (1:1, alignments unchanged). */
  replaceChar(from: number, to: number): void {
    const cps = this.cps;
    for (let i = 0; i < cps.length; i++) if (cps[i] === from) cps[i] = to;
  }

  /** Rust `prepend`: the new characters take the alignment of the first character. Empty strings stay empty. */
  prepend(s: string): void {
    if (this.cps.length === 0) return;
    const add = codePoints(s);
    const s0 = this.starts[0]!;
    const e0 = this.ends[0]!;
    this.cps = [...add, ...this.cps];
    this.starts = [...add.map(() => s0), ...this.starts];
    this.ends = [...add.map(() => e0), ...this.ends];
  }

  slice(a: number, b: number): NormalizedString {
    return new NormalizedString(
      this.cps.slice(a, b),
      this.starts.slice(a, b),
      this.ends.slice(a, b),
      a < b ? this.starts[a]! : this.shift,
    );
  }

  /**
   * Rust `split(pattern, behavior)` for a per-character pattern; empty pieces are dropped (as
   * `PreTokenizedString::split` does).
   */
  split(isDelimiter: (cp: number) => boolean, behavior: SplitBehavior): NormalizedString[] {
    const n = this.cps.length;
    // Matches: [start, end, isMatch]
    const m: Array<[number, number, boolean]> = [];
    let lastOffset = 0;
    for (let i = 0; i < n; i++) {
      if (isDelimiter(this.cps[i]!)) {
        if (lastOffset < i) m.push([lastOffset, i, false]);
        m.push([i, i + 1, true]);
        lastOffset = i + 1;
      }
    }
    if (n > lastOffset) m.push([lastOffset, n, false]);
    if (n === 0) m.push([0, 0, false]);
    let parts: Array<[number, number, boolean]>; // [start, end, remove]
    switch (behavior) {
      case "isolated":
        parts = m.map(([a, b]) => [a, b, false]);
        break;
      case "removed":
        parts = m.map(([a, b, isMatch]) => [a, b, isMatch]);
        break;
      case "contiguous": {
        parts = [];
        let prev = false;
        for (const [a, b, isMatch] of m) {
          if (isMatch === prev && parts.length > 0) parts[parts.length - 1]![1] = b;
          else parts.push([a, b, false]);
          prev = isMatch;
        }
        break;
      }
      case "merged_with_previous": {
        parts = [];
        let prev = false;
        for (const [a, b, isMatch] of m) {
          if (isMatch && !prev && parts.length > 0) parts[parts.length - 1]![1] = b;
          else parts.push([a, b, false]);
          prev = isMatch;
        }
        break;
      }
      case "merged_with_next": {
        parts = [];
        let prev = false;
        for (let k = m.length - 1; k >= 0; k--) {
          const [a, b, isMatch] = m[k]!;
          if (isMatch && !prev && parts.length > 0) parts[parts.length - 1]![0] = a;
          else parts.push([a, b, false]);
          prev = isMatch;
        }
        parts.reverse();
        break;
      }
    }
    const out: NormalizedString[] = [];
    for (const [a, b, remove] of parts) {
      if (remove || a >= b) continue;
      out.push(this.slice(a, b));
    }
    return out;
  }
}
