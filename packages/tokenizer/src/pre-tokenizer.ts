/**
 * tokenizers' pre-tokenizers used by DeBERTa-v2/v3: Metaspace (with `prepend_scheme` and `split`), Punctuation and
 * Sequence. A pre-tokenizer turns one normalized string into the list of words the model tokenizes separately.
 */
import { TokenizerError } from "./errors.js";
import { checkDepth } from "./normalizer.js";
import { NormalizedString, type SplitBehavior } from "./normalized-string.js";
import { isPunctuation } from "./unicode.js";

export interface PreTokenizer {
  readonly type: string;
  /** Splits every string of `splits` and returns the new list (empty pieces dropped). */
  preTokenize(splits: NormalizedString[]): NormalizedString[];
}

export type PrependScheme = "always" | "first" | "never";

export class MetaspacePreTokenizer implements PreTokenizer {
  readonly type = "Metaspace";
  readonly replacementCp: number;
  constructor(
    readonly replacement = "\u2581",
    readonly prependScheme: PrependScheme = "always",
    readonly split = true,
  ) {
    const cp = replacement.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp) !== replacement) {
      throw new TokenizerError(`Metaspace: "replacement" must be exactly one character, got ${JSON.stringify(replacement)}`, "FILE_CORRUPT");
    }
    this.replacementCp = cp;
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    const r = this.replacementCp;
    for (const s of splits) {
      s.replaceChar(0x20, r);
      if (this.prependScheme === "always" || (this.prependScheme === "first" && s.shift === 0)) {
        if (s.cps.length > 0 && s.cps[0] !== r) s.prepend(this.replacement);
      }
      if (this.split) {
        for (const p of s.split((c) => c === r, "merged_with_next")) out.push(p);
      } else if (!s.isEmpty()) out.push(s);
    }
    return out;
  }
}

export class PunctuationPreTokenizer implements PreTokenizer {
  readonly type = "Punctuation";
  constructor(readonly behavior: SplitBehavior = "isolated") {}
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const s of splits) for (const p of s.split(isPunctuation, this.behavior)) out.push(p);
    return out;
  }
}

export class SequencePreTokenizer implements PreTokenizer {
  readonly type = "Sequence";
  constructor(readonly preTokenizers: PreTokenizer[]) {}
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    let cur = splits;
    for (const p of this.preTokenizers) cur = p.preTokenize(cur);
    return cur;
  }
}

const BEHAVIORS: Record<string, SplitBehavior> = {
  Removed: "removed",
  Isolated: "isolated",
  MergedWithPrevious: "merged_with_previous",
  MergedWithNext: "merged_with_next",
  Contiguous: "contiguous",
};

export function preTokenizerFromJson(json: unknown, where = "tokenizer.json: pre_tokenizer", depth = 0): PreTokenizer | null {
  if (json === null || json === undefined) return null;
  checkDepth(depth, where);
  if (typeof json !== "object") throw new TokenizerError(`${where}: expected an object`, "FILE_CORRUPT");
  const j = json as Record<string, unknown>;
  switch (j.type) {
    case "Sequence": {
      if (!Array.isArray(j.pretokenizers)) throw new TokenizerError(`${where}: Sequence without "pretokenizers"`, "FILE_CORRUPT");
      return new SequencePreTokenizer(
        j.pretokenizers.map((p, i) => preTokenizerFromJson(p, depth === 0 ? `${where}.pretokenizers[${i}]` : `${where}[${i}]`, depth + 1)).filter((p): p is PreTokenizer => p !== null),
      );
    }
    case "Metaspace": {
      const replacement = typeof j.replacement === "string" ? j.replacement : "\u2581";
      let scheme: PrependScheme;
      if (typeof j.prepend_scheme === "string") {
        if (j.prepend_scheme !== "always" && j.prepend_scheme !== "first" && j.prepend_scheme !== "never") {
          throw new TokenizerError(`${where}: unknown prepend_scheme ${JSON.stringify(j.prepend_scheme)}`, "FILE_CORRUPT");
        }
        scheme = j.prepend_scheme;
      } else {
        // Older files: add_prefix_space (default true).
        scheme = j.add_prefix_space === false ? "never" : "always";
      }
      return new MetaspacePreTokenizer(replacement, scheme, j.split !== false);
    }
    case "Punctuation": {
      const b = typeof j.behavior === "string" ? BEHAVIORS[j.behavior] : "isolated";
      if (!b) throw new TokenizerError(`${where}: unknown behavior ${JSON.stringify(j.behavior)}`, "FILE_CORRUPT");
      return new PunctuationPreTokenizer(b);
    }
    default:
      throw new TokenizerError(`${where}: pre-tokenizer type ${JSON.stringify(j.type)} is not supported`, "UNSUPPORTED");
  }
}
