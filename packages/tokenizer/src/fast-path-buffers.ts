/** The fast path's growable typed buffers: normalized / pre-tokenized text with spans, and the output tokens. */

/** Growable typed buffers. */
export class Buf {
  u: Uint16Array;
  s: Int32Array;
  e: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.u = new Uint16Array(cap);
    this.s = new Int32Array(cap);
    this.e = new Int32Array(cap);
  }
  ensure(extra: number): void {
    const need = this.n + extra;
    if (need <= this.u.length) return;
    let cap = this.u.length * 2;
    while (cap < need) cap *= 2;
    const u = new Uint16Array(cap);
    u.set(this.u.subarray(0, this.n));
    const s = new Int32Array(cap);
    s.set(this.s.subarray(0, this.n));
    const e = new Int32Array(cap);
    e.set(this.e.subarray(0, this.n));
    this.u = u;
    this.s = s;
    this.e = e;
  }
}

/** Output accumulator: typed buffers, turned into exact-size arrays at the end. */
export class Out {
  ids = new Int32Array(1024);
  offs = new Int32Array(2048);
  words = new Int32Array(1024);
  /** Token strings that are not vocab[id] (added tokens, unknown characters), by token index. */
  overrides: Map<number, string> | null = null;
  n = 0;
  reset(): void {
    this.n = 0;
    this.overrides = null;
  }
  grow(): void {
    const cap = this.ids.length * 2;
    const ids = new Int32Array(cap);
    ids.set(this.ids);
    const offs = new Int32Array(cap * 2);
    offs.set(this.offs);
    const words = new Int32Array(cap);
    words.set(this.words);
    this.ids = ids;
    this.offs = offs;
    this.words = words;
  }
}
