/**
 * A double-array trie over UTF-16 code units, used to find every vocabulary piece that starts at a position.
 *
 * Code units are first mapped to a dense alphabet (1..K; 0 = the unit occurs in no piece, so a walk stops at once).
 * A transition from state `s` on code `c` goes to `t = base[s] + c` when `check[t] === s`. `value[t]` holds the
 * piece id whose string ends at `t`, or -1. Lookups are a few typed-array reads with no allocation.
 */
export class VocabTrie {
  /** Code unit -> dense code (0 = not in the alphabet). */
  readonly alphabet: Uint16Array | Uint32Array;
  readonly base: Int32Array;
  readonly check: Int32Array;
  readonly value: Int32Array;
  /** Length (code units) of the longest key. */
  readonly maxKeyLength: number;

  /**
   * @param keys piece strings (non-empty)
   * @param values the value for each key; -1 entries are skipped. When a string occurs twice, the later value wins.
   */
  constructor(keys: readonly string[], values: ArrayLike<number>) {
    // 1. Deduplicate (later wins) and collect the alphabet.
    const map = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) {
      const v = values[i]!;
      if (v < 0) continue;
      const k = keys[i]!;
      if (k.length === 0) continue;
      map.set(k, v);
    }
    const sorted = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const used = new Uint8Array(0x10000);
    let maxLen = 0;
    for (const k of sorted) {
      if (k.length > maxLen) maxLen = k.length;
      for (let i = 0; i < k.length; i++) used[k.charCodeAt(i)] = 1;
    }
    this.maxKeyLength = maxLen;
    let K = 0;
    const alphabetSize = used.reduce((a, b) => a + b, 0);
    const alphabet = alphabetSize < 0xffff ? new Uint16Array(0x10000) : new Uint32Array(0x10000);
    for (let u = 0; u < 0x10000; u++) if (used[u]) alphabet[u] = ++K;
    this.alphabet = alphabet;

    // 2. Build the double array from the sorted keys (monotone codes keep the sort order).
    const keyCodes: Uint32Array[] = sorted.map((k) => {
      const a = new Uint32Array(k.length);
      for (let i = 0; i < k.length; i++) a[i] = alphabet[k.charCodeAt(i)]!;
      return a;
    });
    const keyValues = sorted.map((k) => map.get(k)!);

    let cap = Math.max(1024, keyCodes.length * 2 + K + 2);
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
      for (let i = cap; i <= ncap; i++) np[i] = i;
      base = nb;
      check = nc;
      value = nv;
      parent = np;
      cap = ncap;
    };
    let maxUsed = 0;
    const occupy = (slot: number, owner: number) => {
      check[slot] = owner;
      parent[slot] = slot + 1;
      if (slot > maxUsed) maxUsed = slot;
    };
    occupy(0, -2); // the root

    // Iterative DFS over (state, lo, hi, depth): keys[lo..hi) share the prefix of length depth ending at state.
    const stack: number[] = [0, 0, keyCodes.length, 0];
    const labels: number[] = [];
    const starts: number[] = [];
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const hi = stack.pop()!;
      let lo = stack.pop()!;
      const state = stack.pop()!;
      // A key that ends exactly here (sorted first).
      if (keyCodes[lo]!.length === depth) {
        value[state] = keyValues[lo]!;
        lo++;
      }
      if (lo >= hi) continue;
      labels.length = 0;
      starts.length = 0;
      for (let i = lo; i < hi; i++) {
        const c = keyCodes[i]![depth]!;
        if (labels.length === 0 || labels[labels.length - 1] !== c) {
          labels.push(c);
          starts.push(i);
        }
      }
      starts.push(hi);
      // Find the smallest base >= 0 where every child slot is free.
      const first = labels[0]!;
      const lastLabel = labels[labels.length - 1]!;
      if (first >= cap) grow(first + 1);
      let pos = findFree(first);
      if (pos >= cap) grow(pos + 1);
      let b: number;
      for (;;) {
        b = pos - first;
        if (b + lastLabel >= cap) grow(b + lastLabel + 1);
        let ok = true;
        for (let j = 1; j < labels.length; j++) {
          if (check[b + labels[j]!] !== -1) {
            ok = false;
            break;
          }
        }
        if (ok) break;
        pos = findFree(pos + 1);
        if (pos >= cap) grow(pos + 1);
      }
      base[state] = b;
      for (let j = 0; j < labels.length; j++) occupy(b + labels[j]!, state);
      // Push children in reverse so the smallest label is processed first.
      for (let j = labels.length - 1; j >= 0; j--) {
        stack.push(b + labels[j]!, starts[j]!, starts[j + 1]!, depth + 1);
      }
    }
    // Trim, keeping K + 1 slots of slack so base[s] + c never reads past the end.
    const size = maxUsed + K + 2;
    this.base = size <= cap ? base.slice(0, size) : growTo(base, size, 0);
    this.check = size <= cap ? check.slice(0, size) : growTo(check, size, -1);
    this.value = size <= cap ? value.slice(0, size) : growTo(value, size, -1);
    // Root's check is -2 (not a child of anything); states >= 0 are never equal to -1/-2.
  }

  /** Exact lookup (for tests and the slow paths): the value of `s`, or -1. */
  get(s: string): number {
    let state = 0;
    for (let i = 0; i < s.length; i++) {
      const c = this.alphabet[s.charCodeAt(i)]!;
      if (c === 0) return -1;
      const t = this.base[state]! + c;
      if (this.check[t] !== state) return -1;
      state = t;
    }
    return s.length === 0 ? -1 : this.value[state]!;
  }
}

function growTo(a: Int32Array, size: number, fill: number): Int32Array {
  const out = new Int32Array(size).fill(fill);
  out.set(a.subarray(0, Math.min(a.length, size)));
  return out;
}
