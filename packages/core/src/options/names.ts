/**
 * Option names, checked once: every public entry point (`fromPretrained`, `pipeline`, a pipeline call, the Auto
 * classes) declares the names it accepts as `OptionSpec`s and passes what the user gave through `normalizeOptions`.
 * Known aliases are mapped onto the documented (Hugging Face / transformers.js) spelling; anything else is an
 * `UnknownOptionError` naming the option and the closest known one — so plain-JavaScript users get the same check
 * TypeScript gives (`device: "webgpu"` is never silently ignored).
 */
import { InputError } from "../errors.js";

export interface OptionSpec {
  /** The documented spelling (HF / transformers.js where they have one), e.g. "cache_dir". */
  readonly name: string;
  /** Other accepted spellings, e.g. our earlier camelCase "cacheDir". */
  readonly aliases?: readonly string[];
}

/** An option no entry point knows. `suggestion` is the closest known name, when one is close. */
export class UnknownOptionError extends InputError {
  readonly option: string;
  readonly suggestion?: string;
  constructor(context: string, option: string, suggestion: string | undefined, known: readonly string[]) {
    const hint = suggestion ? `; did you mean "${suggestion}"?` : `; known options: ${known.join(", ")}`;
    super(`${context}: unknown option "${option}"${hint}`);
    this.name = "UnknownOptionError";
    this.option = option;
    this.suggestion = suggestion;
  }
}

/** Levenshtein distance (small strings only: option names). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** `topK`, `top-k`, `TopK` and `topk` all fold to "topk", so spelling-style differences count as near matches. */
const fold = (s: string) => s.toLowerCase().replace(/[_-]/g, "");

/** The candidate closest to `word` (style differences first, then edit distance ≤ ⅓ of the length, at least 2). */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const folded = candidates.find((c) => fold(c) === fold(word));
  if (folded) return folded;
  // "cacheDirectory" → "cache_dir": one name extends the other.
  const w = fold(word);
  const prefix = candidates.filter((c) => fold(c).length >= 4 && (w.startsWith(fold(c)) || fold(c).startsWith(w)) && w.length >= 4);
  if (prefix.length) return prefix.sort((a, b) => b.length - a.length)[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(fold(word), fold(c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * `given` with every key mapped to its documented spelling. Undefined values are dropped. Throws
 * `UnknownOptionError` for a name no spec knows, and `InputError` when an option is given under two spellings.
 */
export function normalizeOptions(given: object | undefined, specs: readonly OptionSpec[], context: string): Record<string, unknown> {
  if (given === undefined || given === null) return {};
  if (typeof given !== "object" || Array.isArray(given)) throw new InputError(`${context}: options must be an object, got ${Array.isArray(given) ? "an array" : typeof given}`);
  const canonical = new Map<string, string>();
  for (const s of specs) {
    canonical.set(s.name, s.name);
    for (const a of s.aliases ?? []) canonical.set(a, s.name);
  }
  const out: Record<string, unknown> = {};
  const spelledAs: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    const name = canonical.get(key);
    if (name === undefined) {
      const near = closestName(key, [...canonical.keys()]);
      throw new UnknownOptionError(context, key, near && canonical.get(near), specs.map((s) => s.name));
    }
    if (value === undefined) continue;
    if (name in out && out[name] !== value) {
      throw new InputError(`${context}: "${key}" and "${spelledAs[name]}" are the same option; pass one of them`);
    }
    out[name] = value;
    spelledAs[name] = key;
  }
  return out;
}
