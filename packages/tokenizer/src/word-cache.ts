/**
 * A cache of Unigram results per pre-tokenized word (tokenizers keeps one too): an open-addressing hash table
 * keyed by the word's UTF-16 units, with keys and results in pooled typed arrays, so a hit costs one hash and one
 * comparison and allocates nothing. When full it is cleared.
 */
export class WordCache {
  private readonly mask: number;
  private readonly maxEntries: number;
  private readonly slots: Int32Array; // per slot: hash, keyOff, keyLen (0 = empty), valOff
  private keys: Uint16Array;
  private vals: Int32Array;
  private keyUsed = 0;
  private valUsed = 0;
  private entries = 0;
  /** Words longer than this (code units) are not cached. */
  static readonly MAX_WORD = 48;
  hits = 0;
  misses = 0;

  constructor(capacity = 1 << 15) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.mask = size - 1;
    this.maxEntries = capacity;
    this.slots = new Int32Array(size * 4);
    this.keys = new Uint16Array(capacity * 8);
    this.vals = new Int32Array(capacity * 8);
  }

  get size(): number {
    return this.entries;
  }

  clear(): void {
    this.slots.fill(0);
    this.keyUsed = 0;
    this.valUsed = 0;
    this.entries = 0;
  }

  static hash(units: Uint16Array, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ units[i]!, 0x01000193);
    return h | 1; // never 0
  }

  /** Offset of the cached result (`vals[off]` = token count, then id / end pairs), or -1. */
  lookup(units: Uint16Array, start: number, end: number, h: number): number {
    const len = end - start;
    const slots = this.slots;
    const keys = this.keys;
    let i = (h >>> 0) & this.mask;
    for (;;) {
      const o = i * 4;
      const kl = slots[o + 2]!;
      if (kl === 0) {
        this.misses++;
        return -1;
      }
      if (slots[o] === h && kl === len) {
        const ko = slots[o + 1]!;
        let eq = true;
        for (let k = 0; k < len; k++) {
          if (keys[ko + k] !== units[start + k]) {
            eq = false;
            break;
          }
        }
        if (eq) {
          this.hits++;
          return slots[o + 3]!;
        }
      }
      i = (i + 1) & this.mask;
    }
  }

  get values(): Int32Array {
    return this.vals;
  }

  /** Stores `count` tokens (ids[k], ends[k] relative to the word start). */
  insert(units: Uint16Array, start: number, end: number, h: number, ids: Int32Array, ends: Int32Array, from: number, count: number, base: number): void {
    const len = end - start;
    if (this.entries >= this.maxEntries || this.keyUsed + len > this.keys.length || this.valUsed + 1 + 2 * count > this.vals.length) {
      if (len > this.keys.length || 1 + 2 * count > this.vals.length) return;
      this.clear();
    }
    const ko = this.keyUsed;
    this.keys.set(units.subarray(start, end), ko);
    this.keyUsed += len;
    const vo = this.valUsed;
    const vals = this.vals;
    vals[vo] = count;
    for (let k = 0; k < count; k++) {
      vals[vo + 1 + 2 * k] = ids[from + k]!;
      vals[vo + 2 + 2 * k] = ends[from + k]! - base;
    }
    this.valUsed += 1 + 2 * count;
    const slots = this.slots;
    let i = (h >>> 0) & this.mask;
    while (slots[i * 4 + 2] !== 0) i = (i + 1) & this.mask;
    const o = i * 4;
    slots[o] = h;
    slots[o + 1] = ko;
    slots[o + 2] = len;
    slots[o + 3] = vo;
    this.entries++;
  }
}
