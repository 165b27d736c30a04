/**
 * A double-array trie over UTF-16 code units, used to find every vocabulary piece that starts at a position.
 *
 * Code units are first mapped to a dense alphabet (1..K; 0 = the unit occurs in no piece, so a walk stops at once).
 * A transition from state `s` on code `c` goes to `t = base[s] + c` when `check[t] === s`. `value[t]` holds the
 * piece id whose string ends at `t`, or -1. Lookups are a few typed-array reads with no allocation.
 *
 * Construction avoids sorting and per-key allocation (it runs once per load, mostly before the JIT warms up):
 * keys go into a temporary linked trie whose child lookup is an open-addressing hash on (parent, code), then the
 * nodes are placed breadth-first into the double array with a union-find "next free slot" search.
 */
export class VocabTrie {
  /** Code unit -> dense code (0 = not in the alphabet). */
  readonly alphabet: Uint16Array;
  /**
   * Interleaved [base, check] per state: `t = bc[2 * s] + c` is a child of `s` when `bc[2 * t + 1] === s` (one
   * cache line per transition).
   */
  readonly bc: Int32Array;
  readonly value: Int32Array;
  /** Length (code units) of the longest key. */
  readonly maxKeyLength: number;

  /**
   * @param keys piece strings
   * @param values the value for each key; negative entries (and empty keys) are skipped. When a string occurs
   *   twice, the later value wins.
   */
  constructor(keys: readonly string[], values: ArrayLike<number>) {
    // 1. Alphabet: dense codes in code-unit order.
    const used = new Uint8Array(0x10000);
    let totalChars = 0;
    let maxLen = 0;
    for (let i = 0; i < keys.length; i++) {
      if (values[i]! < 0) continue;
      const k = keys[i]!;
      totalChars += k.length;
      if (k.length > maxLen) maxLen = k.length;
      for (let j = 0; j < k.length; j++) used[k.charCodeAt(j)] = 1;
    }
    this.maxKeyLength = maxLen;
    const alphabet = new Uint16Array(0x10000);
    let K = 0;
    for (let u = 0; u < 0x10000; u++) if (used[u]) alphabet[u] = ++K;
    this.alphabet = alphabet;

    // 2. Temporary linked trie.
    const maxNodes = totalChars + 1;
    const firstChild = new Int32Array(maxNodes).fill(-1);
    const nextSibling = new Int32Array(maxNodes).fill(-1);
    const label = new Int32Array(maxNodes);
    const nodeValue = new Int32Array(maxNodes).fill(-1);
    let nodeCount = 1;
    // Children of the root in a direct table; deeper children through an interleaved hash of
    // [parent + 1, code, child] triples (0 = empty slot, so the zero-filled allocation needs no fill; one cache
    // line per probe). Real node counts are about half the characters, so the load factor stays below 1/2.
    const rootChild = new Int32Array(K + 1).fill(-1);
    let hbits = 1;
    while (1 << hbits < maxNodes) hbits++;
    const hmask = (1 << hbits) - 1;
    const hshift = 32 - hbits;
    const table = new Int32Array((hmask + 1) * 3);
    for (let i = 0; i < keys.length; i++) {
      const v = values[i]!;
      if (v < 0) continue;
      const k = keys[i]!;
      if (k.length === 0) continue;
      let c = alphabet[k.charCodeAt(0)]!;
      let node = rootChild[c]!;
      if (node < 0) {
        node = nodeCount++;
        label[node] = c;
        nextSibling[node] = firstChild[0]!;
        firstChild[0] = node;
        rootChild[c] = node;
      }
      for (let j = 1; j < k.length; j++) {
        c = alphabet[k.charCodeAt(j)]!;
        // Multiplicative hashing: the high bits of the product are the well-mixed ones.
        let h = Math.imul(Math.imul(node, 0x27d4eb2d) + c, 0x9e3779b1) >>> hshift;
        const key = node + 1;
        let child = -1;
        for (;;) {
          const o = h * 3;
          const p = table[o]!;
          if (p === 0) break;
          if (p === key && table[o + 1] === c) {
            child = table[o + 2]!;
            break;
          }
          h = (h + 1) & hmask;
        }
        if (child < 0) {
          child = nodeCount++;
          label[child] = c;
          nextSibling[child] = firstChild[node]!;
          firstChild[node] = child;
          const o = h * 3;
          table[o] = key;
          table[o + 1] = c;
          table[o + 2] = child;
        }
        node = child;
      }
      nodeValue[node] = v;
    }

    // 3. Breadth-first placement into the double array.
    let cap = Math.max(1024, nodeCount + K + 2);
    let base = new Int32Array(cap);
    let check = new Int32Array(cap).fill(-1);
    let value = new Int32Array(cap).fill(-1);
    // Union-find "next free slot at or after i": parent[i] === i while slot i is free.
    let parent = new Int32Array(cap + 1);
    for (let i = 0; i <= cap; i++) parent[i] = i;
    const findFree = (x: number): number => {
      let r = x;
      while (parent[r] !== r) r = parent[r]!;
      while (parent[x] !== r) {
        const n = parent[x]!;
        parent[x] = r;
        x = n;
      }
      return r;
    };
    const grow = (need: number) => {
      if (need < cap) return;
      let ncap = cap;
      while (ncap <= need) ncap *= 2;
      const nb = new Int32Array(ncap);
      nb.set(base);
      const nc = new Int32Array(ncap).fill(-1);
      nc.set(check);
      const nv = new Int32Array(ncap).fill(-1);
      nv.set(value);
      const np = new Int32Array(ncap + 1);
      np.set(parent);
      for (let i = cap + 1; i <= ncap; i++) np[i] = i;
      np[cap] = cap;
      base = nb;
      check = nc;
      value = nv;
      parent = np;
      cap = ncap;
    };
    let maxUsed = 0;
    check[0] = -2;
    parent[0] = 1;
    const slotOf = new Int32Array(nodeCount);
    const queue = new Int32Array(nodeCount);
    let qh = 0;
    let qt = 0;
    queue[qt++] = 0;
    slotOf[0] = 0;
    const labels: number[] = [];
    while (qh < qt) {
      const node = queue[qh++]!;
      const state = slotOf[node]!;
      value[state] = nodeValue[node]!;
      let ch = firstChild[node]!;
      if (ch < 0) continue;
      labels.length = 0;
      let minL = 0x7fffffff;
      let maxL = 0;
      for (; ch >= 0; ch = nextSibling[ch]!) {
        const l = label[ch]!;
        labels.push(l);
        if (l < minL) minL = l;
        if (l > maxL) maxL = l;
      }
      if (minL >= cap) grow(minL + 1);
      let pos = findFree(minL);
      let b: number;
      for (;;) {
        if (pos >= cap) grow(pos + 1);
        b = pos - minL;
        if (b + maxL >= cap) grow(b + maxL + 1);
        let ok = true;
        for (let j = 0; j < labels.length; j++) {
          if (check[b + labels[j]!] !== -1) {
            ok = false;
            break;
          }
        }
        if (ok) break;
        pos = findFree(pos + 1);
      }
      base[state] = b;
      for (ch = firstChild[node]!; ch >= 0; ch = nextSibling[ch]!) {
        const slot = b + label[ch]!;
        check[slot] = state;
        parent[slot] = slot + 1;
        if (slot > maxUsed) maxUsed = slot;
        slotOf[ch] = slot;
        queue[qt++] = ch;
      }
    }
    // Trim, keeping K + 1 slots of slack so base[s] + c never reads past the end.
    const size = maxUsed + K + 2;
    if (size > cap) grow(size);
    const bc = new Int32Array(2 * size);
    for (let i = 0; i < size; i++) {
      bc[2 * i] = base[i]!;
      bc[2 * i + 1] = check[i]!;
    }
    this.bc = bc;
    this.value = value.slice(0, size);
  }

  /** Exact lookup: the value of `s`, or -1. */
  get(s: string): number {
    if (s.length === 0) return -1;
    let state = 0;
    for (let i = 0; i < s.length; i++) {
      const c = this.alphabet[s.charCodeAt(i)]!;
      if (c === 0) return -1;
      const t = this.bc[2 * state]! + c;
      if (this.bc[2 * t + 1] !== state) return -1;
      state = t;
    }
    return this.value[state]!;
  }
}
