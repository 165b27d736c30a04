/**
 * SentencePiece's precompiled normalization rules (`normalizer_spec.precompiled_charsmap`, also embedded base64 in
 * tokenizer.json's `Precompiled` normalizer). The blob is `<u32 LE trie size><Darts-clone double array><pool>`:
 * the double array maps UTF-8 byte strings to offsets of NUL-terminated UTF-8 replacements in the pool.
 *
 * Two lookups are exposed, because the two reference libraries use the rules differently:
 * - SentencePiece (`longestPrefix`): at each position, the LONGEST rule that is a prefix of the remaining text;
 * - tokenizers' `Precompiled` (`firstPrefix`): the SHORTEST rule that is a prefix of a chunk (a grapheme cluster
 *   or one character); the rest of the chunk is then dropped.
 * Both walk the double array one code point (its UTF-8 bytes) at a time; rules never end inside a character.
 */
import { corruptFile } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly pool: Uint8Array;
  private readonly replacements = new Map<number, string>();
  /** Per BMP code point: state after consuming it from the root (-1: no rule starts with it). */
  private readonly bmpState: Int32Array;
  /** Per BMP code point: pool offset of the rule that is exactly this character (-1: none). */
  private readonly bmpValue: Int32Array;
  /** Walk result of `step`: pool offset of a rule ending here, or -1. */
  private lastValue = -1;

  constructor(blob: Uint8Array, readonly file = "precompiled_charsmap") {
    if (blob.length <= 4) throw corruptFile(file, "precompiled charsmap is too short");
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize >= blob.length || trieSize % 4 !== 0 || trieSize + 4 > blob.length) {
      throw corruptFile(file, `precompiled charsmap: trie size ${trieSize} does not fit a blob of ${blob.length} bytes`);
    }
    const n = trieSize / 4;
    if (n === 0) throw corruptFile(file, "precompiled charsmap: empty trie");
    this.units = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.units[i] = view.getUint32(4 + i * 4, true);
    this.pool = blob.slice(4 + trieSize);
    try {
      utf8.decode(this.pool);
    } catch (e) {
      throw corruptFile(file, "precompiled charsmap: the replacement pool is not valid UTF-8", e);
    }
    this.bmpState = new Int32Array(0x10000);
    this.bmpValue = new Int32Array(0x10000);
    const root = this.root();
    for (let cp = 0; cp < 0x10000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) {
        this.bmpState[cp] = -1;
        this.bmpValue[cp] = -1;
        continue;
      }
      const s = this.stepSlow(root, cp);
      this.bmpState[cp] = s;
      this.bmpValue[cp] = s < 0 ? -1 : this.lastValue;
      // Check every single-character rule now, so a corrupt offset fails at load rather than mid-encode.
      if (this.bmpValue[cp]! >= 0) this.replacement(this.bmpValue[cp]!);
    }
  }

  private root(): number {
    const u = this.units[0]!;
    return ((u >>> 10) << ((u & 0x200) >>> 6)) >>> 0;
  }

  /** Feeds one byte; returns the new node position, or -1. Sets `lastValue`. */
  private stepByte(pos: number, byte: number): number {
    const units = this.units;
    const id = (pos ^ byte) >>> 0;
    if (id >= units.length) return -1;
    const unit = units[id]!;
    if ((unit & 0x800000ff) >>> 0 !== byte) return -1;
    const next = (id ^ (((unit >>> 10) << ((unit & 0x200) >>> 6)) >>> 0)) >>> 0;
    if ((unit >>> 8) & 1) {
      if (next >= units.length) return -1;
      this.lastValue = units[next]! & 0x7fffffff;
    } else this.lastValue = -1;
    return next;
  }

  /** Feeds the UTF-8 bytes of `cp` from node `pos`; returns the new node, or -1. Sets `lastValue`. */
  private stepSlow(pos: number, cp: number): number {
    this.lastValue = -1;
    if (cp === 0) return -1; // a NUL byte ends every search (tokenizers stops there; no rule contains it)
    if (cp < 0x80) return this.stepByte(pos, cp);
    let p = pos;
    if (cp < 0x800) {
      p = this.stepByte(p, 0xc0 | (cp >> 6));
      if (p < 0) return -1;
      return this.stepByte(p, 0x80 | (cp & 0x3f));
    }
    if (cp < 0x10000) {
      p = this.stepByte(p, 0xe0 | (cp >> 12));
      if (p < 0) return -1;
      p = this.stepByte(p, 0x80 | ((cp >> 6) & 0x3f));
      if (p < 0) return -1;
      return this.stepByte(p, 0x80 | (cp & 0x3f));
    }
    p = this.stepByte(p, 0xf0 | (cp >> 18));
    if (p < 0) return -1;
    p = this.stepByte(p, 0x80 | ((cp >> 12) & 0x3f));
    if (p < 0) return -1;
    p = this.stepByte(p, 0x80 | ((cp >> 6) & 0x3f));
    if (p < 0) return -1;
    return this.stepByte(p, 0x80 | (cp & 0x3f));
  }

  /** Replacement string at a pool offset. */
  replacement(value: number): string {
    let s = this.replacements.get(value);
    if (s === undefined) {
      if (value < 0 || value > this.pool.length) throw corruptFile(this.file, `precompiled charsmap: replacement offset ${value} is out of range`);
      let e = value;
      while (e < this.pool.length && this.pool[e] !== 0) e++;
      try {
        s = utf8.decode(this.pool.subarray(value, e));
      } catch (err) {
        throw corruptFile(this.file, `precompiled charsmap: replacement offset ${value} is not at the start of a UTF-8 character`, err);
      }
      this.replacements.set(value, s);
    }
    return s;
  }

  /** Pool offset of the rule for exactly this one character, or -1. */
  singleValue(cp: number): number {
    if (cp < 0x10000) return this.bmpValue[cp]!;
    const s = this.stepSlow(this.root(), cp);
    return s < 0 ? -1 : this.lastValue;
  }

  /** Whether any rule starts with this character (so a longer match may follow). */
  startsRule(cp: number): boolean {
    if (cp < 0x10000) return this.bmpState[cp]! >= 0;
    return this.stepSlow(this.root(), cp) >= 0;
  }

  private firstStep(cp: number): number {
    if (cp < 0x10000) {
      const s = this.bmpState[cp]!;
      this.lastValue = s < 0 ? -1 : this.bmpValue[cp]!;
      return s;
    }
    return this.stepSlow(this.root(), cp);
  }

  /**
   * tokenizers' `transform`: the SHORTEST rule that is a prefix of `cps[start..end)`; returns its pool offset or -1.
   */
  firstPrefix(cps: ArrayLike<number>, start: number, end: number): number {
    let s = this.firstStep(cps[start]!);
    if (s < 0) return -1;
    if (this.lastValue >= 0) return this.lastValue;
    for (let i = start + 1; i < end; i++) {
      s = this.stepSlow(s, cps[i]!);
      if (s < 0) return -1;
      if (this.lastValue >= 0) return this.lastValue;
    }
    return -1;
  }

  /**
   * SentencePiece's `NormalizePrefix` lookup: the LONGEST rule that is a prefix of `cps[start..end)`.
   * Returns the pool offset (or -1) and stores the rule length in code points in `matchLength`.
   */
  matchLength = 0;
  longestPrefix(cps: ArrayLike<number>, start: number, end: number): number {
    let best = -1;
    this.matchLength = 0;
    let s = this.firstStep(cps[start]!);
    if (s < 0) return -1;
    if (this.lastValue >= 0) {
      best = this.lastValue;
      this.matchLength = 1;
    }
    for (let i = start + 1; i < end; i++) {
      s = this.stepSlow(s, cps[i]!);
      if (s < 0) break;
      if (this.lastValue >= 0) {
        best = this.lastValue;
        this.matchLength = i - start + 1;
      }
    }
    return best;
  }
}
