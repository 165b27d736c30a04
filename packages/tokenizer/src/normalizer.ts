/**
 * tokenizers' normalizers used by DeBERTa-v2/v3 (and other SentencePiece conversions): Sequence, Lowercase,
 * Strip, Precompiled, Replace. Each works on a `NormalizedString`, keeping alignments exactly as the Rust
 * implementation does.
 */
import { RE2JS } from "re2js";
import { TokenizerError } from "./errors.js";
import { getTokenizerLimits, tokenizerLimitHint } from "./limits.js";
import { NormalizedString } from "./normalized-string.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";

export interface Normalizer {
  readonly type: string;
  normalize(s: NormalizedString): void;
}

export class LowercaseNormalizer implements Normalizer {
  readonly type = "Lowercase";
  normalize(s: NormalizedString): void {
    s.lowercase();
  }
}

export class StripNormalizer implements Normalizer {
  readonly type = "Strip";
  constructor(
    readonly left = true,
    readonly right = true,
  ) {}
  normalize(s: NormalizedString): void {
    s.strip(this.left, this.right);
  }
}

export class PrecompiledNormalizer implements Normalizer {
  readonly type = "Precompiled";
  constructor(readonly charsmap: PrecompiledCharsmap) {}
  normalize(s: NormalizedString): void {
    s.precompiled(this.charsmap);
  }
}

/**
 * `Replace(pattern, content)`. A `String` pattern is literal; a `Regex` pattern (Oniguruma syntax in tokenizers)
 * runs on RE2JS, a linear-time engine (a JavaScript port of RE2): no pattern from a tokenizer file can backtrack
 * catastrophically (`(a+)+$` is linear here; V8's backtracking engine took 20 s+ and cannot be interrupted), and
 * an empty match advances by one code point, never into a surrogate pair. The price: backreferences and
 * lookaround, which Oniguruma has, are refused as UNSUPPORTED when the file is loaded — no published
 * DeBERTa/SentencePiece tokenizer uses them (DeBERTa's is `" {2,}"`, which also has a regex-free fast path).
 */
export class ReplaceNormalizer implements Normalizer {
  readonly type = "Replace";
  private readonly regex: RE2JS;
  /** True for DeBERTa's `" {2,}"`: runs of two or more U+0020, replaced without a regex. */
  readonly spaceRuns: boolean;
  constructor(
    readonly pattern: { String: string } | { Regex: string },
    readonly content: string,
  ) {
    const source = "String" in pattern ? RE2JS.quote(pattern.String) : pattern.Regex;
    const max = getTokenizerLimits().maxRegexPatternLength;
    if (source.length > max) {
      throw new TokenizerError(`Replace normalizer: pattern of ${source.length} characters is too long (${tokenizerLimitHint("maxRegexPatternLength")})`, "UNSUPPORTED");
    }
    try {
      this.regex = RE2JS.compile(source);
    } catch (e) {
      throw new TokenizerError(
        `Replace normalizer: cannot compile the pattern ${JSON.stringify(source)} with the linear-time regex engine (backreferences and lookaround are not supported): ${(e as Error).message}`,
        "UNSUPPORTED",
        { cause: e },
      );
    }
    this.spaceRuns = "Regex" in pattern && pattern.Regex === " {2,}" && content === " ";
  }
  normalize(s: NormalizedString): void {
    const matches: Array<[number, number]> = [];
    if (this.spaceRuns) {
      const cps = s.cps;
      const n = cps.length;
      for (let i = 0; i < n; i++) {
        if (cps[i] === 0x20 && i + 1 < n && cps[i + 1] === 0x20) {
          let j = i + 2;
          while (j < n && cps[j] === 0x20) j++;
          matches.push([i, j]);
          i = j - 1;
        }
      }
    } else {
      const text = s.toString();
      // Map UTF-16 match positions to code point indices.
      const cpIndex = utf16ToCodePointIndex(text);
      const m = this.regex.matcher(text);
      while (m.find()) matches.push([cpIndex[m.start()]!, cpIndex[m.end()]!]);
    }
    s.replaceRanges(matches, this.content);
  }
}

export class SequenceNormalizer implements Normalizer {
  readonly type = "Sequence";
  constructor(readonly normalizers: Normalizer[]) {}
  normalize(s: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(s);
  }
}

/** Nested Sequences recurse when built and when run: bounded so a crafted file cannot overflow the stack. */
export function checkDepth(depth: number, where: string): void {
  const max = getTokenizerLimits().maxNestingDepth;
  if (depth > max) throw new TokenizerError(`${where}: nested more than ${max} levels deep (${tokenizerLimitHint("maxNestingDepth")})`, "FILE_CORRUPT");
}

function utf16ToCodePointIndex(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = cp;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[i + 1] = cp;
        i++;
      }
    }
    cp++;
  }
  out[text.length] = cp;
  return out;
}

/** Decodes base64 without Node's Buffer (browser-safe). */
export function base64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/[^A-Za-z0-9+/]/g, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  const table = new Int16Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | table[clean.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** Builds a normalizer from its tokenizer.json description. */
export function normalizerFromJson(json: unknown, where = "tokenizer.json: normalizer", depth = 0): Normalizer | null {
  if (json === null || json === undefined) return null;
  checkDepth(depth, where);
  if (typeof json !== "object") throw new TokenizerError(`${where}: expected an object`, "FILE_CORRUPT");
  const j = json as Record<string, unknown>;
  switch (j.type) {
    case "Sequence": {
      if (!Array.isArray(j.normalizers)) throw new TokenizerError(`${where}: Sequence without "normalizers"`, "FILE_CORRUPT");
      return new SequenceNormalizer(
        j.normalizers.map((n, i) => normalizerFromJson(n, depth === 0 ? `${where}.normalizers[${i}]` : `${where}[${i}]`, depth + 1)).filter((n): n is Normalizer => n !== null),
      );
    }
    case "Lowercase":
      return new LowercaseNormalizer();
    case "Strip":
      return new StripNormalizer(j.strip_left !== false, j.strip_right !== false);
    case "Precompiled": {
      if (typeof j.precompiled_charsmap !== "string") {
        // An empty charsmap serializes as null: the normalizer does nothing.
        if (j.precompiled_charsmap === null || j.precompiled_charsmap === undefined) return null;
        throw new TokenizerError(`${where}: Precompiled without a base64 "precompiled_charsmap"`, "FILE_CORRUPT");
      }
      const bytes = base64ToBytes(j.precompiled_charsmap);
      if (bytes.length === 0) return null;
      return new PrecompiledNormalizer(new PrecompiledCharsmap(bytes, `${where} (Precompiled)`));
    }
    case "Replace": {
      const p = j.pattern as Record<string, unknown> | undefined;
      if (!p || (typeof p.String !== "string" && typeof p.Regex !== "string") || typeof j.content !== "string") {
        throw new TokenizerError(`${where}: Replace needs "pattern" {String|Regex} and "content"`, "FILE_CORRUPT");
      }
      return new ReplaceNormalizer(typeof p.String === "string" ? { String: p.String } : { Regex: p.Regex as string }, j.content);
    }
    default:
      throw new TokenizerError(`${where}: normalizer type ${JSON.stringify(j.type)} is not supported`, "UNSUPPORTED");
  }
}

/** Normalizes a plain string (used for the patterns of `normalized: true` added tokens). */
export function normalizeStr(n: Normalizer | null, s: string): string {
  if (!n) return s;
  const ns = NormalizedString.fromOriginal(s, 0, s.length);
  n.normalize(ns);
  return ns.toString();
}
