/**
 * Character classes with the exact definitions the reference implementations use (Rust `char` methods, Python
 * `str` methods), which differ from JavaScript's own `\s` and `toLowerCase` in places.
 */

/** Rust `char::is_whitespace` (the Unicode White_Space property). Unlike JS `\s`, excludes U+FEFF, includes U+0085. */
export function isRustWhitespace(cp: number): boolean {
  if (cp <= 0x20) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  if (cp < 0x85) return false;
  return (
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Python `str.isspace()` for one character (used by `str.strip()` in the slow tokenizer's decode). */
export function isPythonSpace(cp: number): boolean {
  if (cp <= 0x20) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
  return isRustWhitespace(cp);
}

const P_RE = /\p{P}/u;
/**
 * Rust `is_ascii_punctuation() || is_punctuation()` (tokenizers' Punctuation pre-tokenizer), which is the same set
 * as transformers' `_is_punctuation` (ASCII 33-47, 58-64, 91-96, 123-126, or a Unicode `P*` category).
 */
export function isPunctuation(cp: number): boolean {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return P_RE.test(String.fromCodePoint(cp));
}

const punctTable = new Uint8Array(0x10000).fill(2);
/** `isPunctuation` through a BMP cache. */
export function isPunctuationCached(cp: number): boolean {
  if (cp >= 0x10000) return isPunctuation(cp);
  let v = punctTable[cp]!;
  if (v === 2) {
    v = isPunctuation(cp) ? 1 : 0;
    punctTable[cp] = v;
  }
  return v === 1;
}

const lowerCache = new Map<number, string>();
/**
 * Rust `char::to_lowercase` for one code point: the full (unconditional) lowercase mapping, no Final_Sigma context.
 * JS `toLowerCase` on a lone character gives the same mapping (Final_Sigma needs a preceding cased letter).
 */
export function lowercaseCodePoint(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);
  let s = lowerCache.get(cp);
  if (s === undefined) {
    s = String.fromCodePoint(cp).toLowerCase();
    lowerCache.set(cp, s);
  }
  return s;
}

/** UTF-8 byte length of a code point. */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Replaces lone surrogates with U+FFFD, as converting the string to UTF-8 does for both reference libraries. */
export function toWellFormed(s: string): string {
  // Fast check: most strings have no surrogates at all.
  if (!/[\uD800-\uDFFF]/.test(s)) return s;
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      out += s.slice(last, i) + "\uFFFD";
      last = i + 1;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += s.slice(last, i) + "\uFFFD";
      last = i + 1;
    }
  }
  return out + s.slice(last);
}

/** Code points of a string. */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}
