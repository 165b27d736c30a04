/**
 * Added tokens (tokenizers' `AddedVocabulary`): tokens such as `[CLS]` or `[MASK]` written in the raw text are
 * recognised as one token before any normalization. Tokens with `normalized: false` are matched on the raw text;
 * tokens with `normalized: true` (DeBERTa's `[UNK]`) are matched on each normalized piece, against their own
 * normalized form. Matching is leftmost-longest, with the `lstrip` / `rstrip` / `single_word` options.
 */
import { TokenizerError } from "./errors.js";
import { isRustWhitespace } from "./unicode.js";

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export function addedTokenFromJson(json: unknown, where: string, id?: number): AddedToken {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TokenizerError(`${where}: an added token must be an object, got ${json === null ? "null" : Array.isArray(json) ? "a list" : typeof json}`, "FILE_CORRUPT");
  }
  const j = json as Record<string, unknown>;
  const tid = id ?? j.id;
  if (typeof j.content !== "string" || typeof tid !== "number" || !Number.isInteger(tid) || tid < 0 || tid > MAX_TOKEN_ID) {
    throw new TokenizerError(`${where}: an added token needs a string "content" and an integer "id"`, "FILE_CORRUPT");
  }
  return {
    id: tid,
    content: j.content,
    singleWord: j.single_word === true,
    lstrip: j.lstrip === true,
    rstrip: j.rstrip === true,
    normalized: j.normalized === undefined ? j.special !== true : j.normalized === true,
    special: j.special === true,
  };
}

/** Token ids are int32 in encodings and model inputs (tokenizers: u32); anything above is a corrupt file. */
export const MAX_TOKEN_ID = 2 ** 31 - 1;

/** A match or a gap: [start, end) UTF-16 or code point positions depending on the caller, id or -1. */
export type Segment = [start: number, end: number, id: number];

const WORD_RE = /[\p{Alphabetic}\p{N}_]/u;

export class TokenMatcher {
  private readonly regex: RegExp | null;
  private readonly byContent = new Map<string, AddedToken>();
  /** Distinct first characters of the patterns: a text without any of them has no match. */
  private readonly firstChars: string[];
  constructor(
    readonly tokens: ReadonlyArray<{ pattern: string; token: AddedToken }>,
  ) {
    const pats = tokens.filter((t) => t.pattern.length > 0);
    for (const t of pats) if (!this.byContent.has(t.pattern)) this.byContent.set(t.pattern, t.token);
    // Longest first: JS alternation is leftmost-first, which then equals leftmost-longest.
    const sorted = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.regex = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "gu") : null;
    this.firstChars = [...new Set(sorted.map((p) => p[0]!))];
  }

  /** Quick pre-check: false when `s` cannot contain any pattern. */
  mayMatch(s: string): boolean {
    if (this.firstChars.length > 8) return true;
    for (const c of this.firstChars) if (s.indexOf(c) >= 0) return true;
    return false;
  }

  get isEmpty(): boolean {
    return this.regex === null;
  }

  /**
   * Splits `s` into gaps (id -1) and added-token matches (UTF-16 positions), as `AddedVocabulary::find_matches`.
   */
  findMatches(s: string): Segment[] {
    if (!this.regex || s.length === 0 || !this.mayMatch(s)) return [[0, s.length, -1]];
    const out: Segment[] = [];
    let startOffset = 0;
    this.regex.lastIndex = 0;
    for (let m = this.regex.exec(s); m !== null; m = this.regex.exec(s)) {
      let start = m.index;
      let stop = start + m[0].length;
      const tok = this.byContent.get(m[0])!;
      if (tok.singleWord) {
        const startSpace = start === 0 || !endsWithWord(s, start);
        const stopSpace = stop === s.length || !startsWithWord(s, stop);
        if (!startSpace || !stopSpace) continue;
      }
      if (tok.lstrip) {
        let ns = start;
        while (ns > 0 && isRustWhitespace(s.codePointAt(ns - 1)!)) ns--;
        start = Math.max(ns, startOffset);
      }
      if (tok.rstrip) {
        while (stop < s.length && isRustWhitespace(s.codePointAt(stop)!)) stop++;
      }
      if (start > startOffset) out.push([startOffset, start, -1]);
      out.push([start, stop, tok.id]);
      startOffset = stop;
      this.regex.lastIndex = stop;
    }
    if (startOffset !== s.length) out.push([startOffset, s.length, -1]);
    return out;
  }
}

function endsWithWord(s: string, end: number): boolean {
  let i = end - 1;
  if (i > 0 && s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff) i--;
  return WORD_RE.test(String.fromCodePoint(s.codePointAt(i)!));
}
function startsWithWord(s: string, start: number): boolean {
  return WORD_RE.test(String.fromCodePoint(s.codePointAt(start)!));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
