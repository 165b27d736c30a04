/**
 * One encoded sequence (or pair), as tokenizers' `Encoding`: ids, type ids, token strings, offsets, word ids,
 * special-token and attention masks, sequence ranges and the overflowing windows produced by truncation.
 * `merge`, `truncate` and `pad` follow the Rust implementation, including how overflowing windows combine.
 */
import { TokenizerError } from "./errors.js";

export type TruncationDirection = "right" | "left";
export type PaddingDirection = "right" | "left";

export class Encoding {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  /** Flat [start0, end0, start1, end1, ...] character offsets into the sequence each token came from. */
  offsetsFlat: number[];
  words: (number | null)[];
  specialTokensMask: number[];
  attentionMask: number[];
  /** sequence id -> [start, end) token range. */
  sequenceRanges: Map<number, [number, number]>;
  overflowing: Encoding[];

  constructor(
    ids: number[] = [],
    typeIds: number[] = [],
    tokens: string[] = [],
    offsetsFlat: number[] = [],
    words: (number | null)[] = [],
    specialTokensMask: number[] = [],
    attentionMask: number[] = [],
    sequenceRanges: Map<number, [number, number]> = new Map(),
    overflowing: Encoding[] = [],
  ) {
    this.ids = ids;
    this.typeIds = typeIds;
    this.tokens = tokens;
    this.offsetsFlat = offsetsFlat;
    this.words = words;
    this.specialTokensMask = specialTokensMask;
    this.attentionMask = attentionMask;
    this.sequenceRanges = sequenceRanges;
    this.overflowing = overflowing;
  }

  get length(): number {
    return this.ids.length;
  }

  /** [start, end) character offsets of each token (see the tokenizer's `offsetsUnit`). Specials and padding: [0, 0]. */
  get offsets(): Array<[number, number]> {
    const out: Array<[number, number]> = new Array(this.ids.length);
    for (let i = 0; i < out.length; i++) out[i] = [this.offsetsFlat[2 * i]!, this.offsetsFlat[2 * i + 1]!];
    return out;
  }

  /** Word index of each token within its sequence; null for special and padding tokens. */
  get wordIds(): (number | null)[] {
    return this.words.slice();
  }
  /** HF Python name. */
  word_ids(): (number | null)[] {
    return this.words.slice();
  }

  get nSequences(): number {
    return this.sequenceRanges.size === 0 ? 1 : this.sequenceRanges.size;
  }

  /** Which sequence (0 or 1) each token belongs to; null for special and padding tokens. */
  get sequenceIds(): (number | null)[] {
    const out: (number | null)[] = new Array(this.ids.length).fill(null);
    const n = this.nSequences;
    for (let seq = 0; seq < n; seq++) {
      const r = this.sequenceRanges.get(seq) ?? [0, this.ids.length];
      for (let i = r[0]; i < r[1]; i++) out[i] = seq;
    }
    return out;
  }
  sequence_ids(): (number | null)[] {
    return this.sequenceIds;
  }

  /** The token range of a sequence. */
  sequenceRange(seq: number): [number, number] {
    return this.sequenceRanges.get(seq) ?? [0, this.ids.length];
  }

  /** Token index containing character `pos` of sequence `seq`, or null. */
  charToToken(pos: number, seq = 0): number | null {
    const [a, b] = this.sequenceRange(seq);
    for (let i = a; i < b; i++) {
      if (this.specialTokensMask[i] === 1 && this.offsetsFlat[2 * i] === this.offsetsFlat[2 * i + 1]) continue;
      if (pos >= this.offsetsFlat[2 * i]! && pos < this.offsetsFlat[2 * i + 1]!) return i;
    }
    return null;
  }

  /** [start, end) character span of a token, or null for tokens without one. */
  tokenToChars(token: number): [number, number] | null {
    if (token < 0 || token >= this.ids.length) return null;
    return [this.offsetsFlat[2 * token]!, this.offsetsFlat[2 * token + 1]!];
  }

  /** Word index of a token. */
  tokenToWord(token: number): number | null {
    return this.words[token] ?? null;
  }

  /** Marks every token as belonging to sequence `seq` (overflowing windows included, as tokenizers does). */
  setSequenceId(seq: number): void {
    this.sequenceRanges.set(seq, [0, this.ids.length]);
    for (const o of this.overflowing) o.setSequenceId(seq);
  }

  setTypeIds(typeId: number): void {
    this.typeIds = new Array(this.ids.length).fill(typeId);
  }

  clone(): Encoding {
    return new Encoding(
      this.ids.slice(),
      this.typeIds.slice(),
      this.tokens.slice(),
      this.offsetsFlat.slice(),
      this.words.slice(),
      this.specialTokensMask.slice(),
      this.attentionMask.slice(),
      new Map([...this.sequenceRanges].map(([k, v]) => [k, [v[0], v[1]] as [number, number]])),
      this.overflowing.map((o) => o.clone()),
    );
  }

  private sliceRange(start: number, stop: number): Encoding {
    return new Encoding(
      this.ids.slice(start, stop),
      this.typeIds.slice(start, stop),
      this.tokens.slice(start, stop),
      this.offsetsFlat.slice(2 * start, 2 * stop),
      this.words.slice(start, stop),
      this.specialTokensMask.slice(start, stop),
      this.attentionMask.slice(start, stop),
      new Map(),
      [],
    );
  }

  /**
   * tokenizers' `Encoding::truncate`: keeps `maxLength` tokens and moves the rest into `overflowing` windows of
   * `maxLength` tokens that overlap by `stride`.
   */
  truncate(maxLength: number, stride: number, direction: TruncationDirection): void {
    const len = this.ids.length;
    if (maxLength >= len) return;
    if (maxLength === 0) {
      const o = new Encoding(
        this.ids,
        this.typeIds,
        this.tokens,
        this.offsetsFlat,
        this.words,
        this.specialTokensMask,
        this.attentionMask,
        this.sequenceRanges,
        this.overflowing,
      );
      this.ids = [];
      this.typeIds = [];
      this.tokens = [];
      this.offsetsFlat = [];
      this.words = [];
      this.specialTokensMask = [];
      this.attentionMask = [];
      this.sequenceRanges = new Map();
      this.overflowing = [o];
      return;
    }
    if (stride >= maxLength) {
      throw new TokenizerError(
        `truncation: stride (${stride}) must be strictly less than the maximum length of the truncated sequence (${maxLength}; special tokens already subtracted)`,
        "INVALID_ARGUMENT",
      );
    }
    this.sequenceRanges.clear();
    const step = maxLength - stride;
    const parts: Array<[number, number]> = [];
    if (direction === "right") {
      for (let start = 0; start < len; start += step) {
        const stop = Math.min(start + maxLength, len);
        parts.push([start, stop]);
        if (stop === len) break;
      }
    } else {
      for (let s = len - 1; s >= 0; s -= step) {
        const stop = s + 1;
        const start = Math.max(0, stop - maxLength);
        parts.push([start, stop]);
        if (start === 0) break;
      }
    }
    const main = this.sliceRange(parts[0]![0], parts[0]![1]);
    for (let i = 1; i < parts.length; i++) main.overflowing.push(this.sliceRange(parts[i]![0], parts[i]![1]));
    this.ids = main.ids;
    this.typeIds = main.typeIds;
    this.tokens = main.tokens;
    this.offsetsFlat = main.offsetsFlat;
    this.words = main.words;
    this.specialTokensMask = main.specialTokensMask;
    this.attentionMask = main.attentionMask;
    this.sequenceRanges = main.sequenceRanges;
    this.overflowing = main.overflowing;
  }

  /** tokenizers' `Encoding::merge_with` (growing_offsets = false), including the overflowing combinations. */
  mergeWith(pair: Encoding): void {
    const overflowings: Encoding[] = [];
    for (const selfO of this.overflowing) {
      const n1 = selfO.clone();
      n1.mergeWith(pair.clone());
      overflowings.push(n1);
      for (const otherO of pair.overflowing) {
        const n2 = selfO.clone();
        n2.mergeWith(otherO.clone());
        overflowings.push(n2);
      }
    }
    for (const otherO of pair.overflowing) {
      const n = this.clone();
      n.mergeWith(otherO.clone());
      overflowings.push(n);
    }
    const originalLen = this.ids.length;
    for (const [seq, r] of pair.sequenceRanges) this.sequenceRanges.set(seq, [originalLen + r[0], originalLen + r[1]]);
    this.ids.push(...pair.ids);
    this.typeIds.push(...pair.typeIds);
    this.tokens.push(...pair.tokens);
    this.offsetsFlat.push(...pair.offsetsFlat);
    this.words.push(...pair.words);
    this.specialTokensMask.push(...pair.specialTokensMask);
    this.attentionMask.push(...pair.attentionMask);
    this.overflowing = overflowings;
  }

  static merge(encodings: Encoding[]): Encoding {
    const out = new Encoding();
    for (const e of encodings) out.mergeWith(e);
    return out;
  }

  /** tokenizers' `Encoding::pad`: pads this encoding and every overflowing window to `targetLength`. */
  pad(targetLength: number, padId: number, padTypeId: number, padToken: string, direction: PaddingDirection): void {
    for (const o of this.overflowing) o.pad(targetLength, padId, padTypeId, padToken, direction);
    const len = this.ids.length;
    if (len >= targetLength) return;
    const n = targetLength - len;
    const fill = <T>(v: T): T[] => new Array<T>(n).fill(v);
    const offs = new Array<number>(2 * n).fill(0);
    if (direction === "left") {
      this.ids = [...fill(padId), ...this.ids];
      this.typeIds = [...fill(padTypeId), ...this.typeIds];
      this.tokens = [...fill(padToken), ...this.tokens];
      this.offsetsFlat = [...offs, ...this.offsetsFlat];
      this.words = [...fill<number | null>(null), ...this.words];
      this.specialTokensMask = [...fill(1), ...this.specialTokensMask];
      this.attentionMask = [...fill(0), ...this.attentionMask];
      for (const r of this.sequenceRanges.values()) {
        r[0] += n;
        r[1] += n;
      }
    } else {
      this.ids.push(...fill(padId));
      this.typeIds.push(...fill(padTypeId));
      this.tokens.push(...fill(padToken));
      this.offsetsFlat.push(...offs);
      this.words.push(...fill<number | null>(null));
      this.specialTokensMask.push(...fill(1));
      this.attentionMask.push(...fill(0));
    }
  }
}
