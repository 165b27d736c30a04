/**
 * The Unigram model with the semantics of Hugging Face's Rust `tokenizers` (`models::unigram::Unigram`):
 * `encode_optimized` Viterbi in f64, every vocabulary entry (control and byte pieces included) in the trie,
 * unknown characters fused into one `[UNK]`, optional byte fallback.
 */
import { TokenizerError } from "./errors.js";
import { VocabTrie } from "./trie.js";

export const K_UNK_PENALTY = 10.0;

export interface UnigramOptions {
  unkId: number | null;
  byteFallback?: boolean;
  /** tokenizers always fuses unknown tokens for Unigram; exposed for completeness. */
  fuseUnk?: boolean;
}

/**
 * Output buffer for token ids and their spans (code-unit positions in the encoded buffer). Grows as needed; the
 * encoder appends to it, so one sink serves a whole sequence without per-token allocation.
 */
export class TokenSink {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Token strings that are not `vocab[id]` (fused unknowns, byte-fallback tokens, added tokens); sparse. */
  overrides: Map<number, string> | null = null;
  length = 0;
  constructor(capacity = 256) {
    this.ids = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }
  reset(): void {
    this.length = 0;
    this.overrides = null;
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.ids.length) return;
    let cap = this.ids.length * 2;
    while (cap < need) cap *= 2;
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.length));
    const st = new Int32Array(cap);
    st.set(this.starts.subarray(0, this.length));
    const en = new Int32Array(cap);
    en.set(this.ends.subarray(0, this.length));
    this.ids = ids;
    this.starts = st;
    this.ends = en;
  }
  push(id: number, start: number, end: number): void {
    if (this.length >= this.ids.length) this.reserve(1);
    const i = this.length++;
    this.ids[i] = id;
    this.starts[i] = start;
    this.ends[i] = end;
  }
  setOverride(index: number, token: string): void {
    (this.overrides ??= new Map()).set(index, token);
  }
}

export class UnigramModel {
  readonly vocab: readonly string[];
  readonly scores: Float64Array;
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly minScore: number;
  readonly unkScore: number;
  readonly trie: VocabTrie;
  /** Per trie state: the score of the piece ending there (saves a dependent lookup in Viterbi). */
  private readonly stateScore: Float64Array;
  private tokenToIdMap: Map<string, number> | null = null;
  private byteIds: Int32Array | null = null;
  // Viterbi scratch, reused across calls (no per-call allocation once grown).
  private bestScore = new Float64Array(64);
  private bestStart = new Int32Array(64);
  private bestId = new Int32Array(64);

  constructor(vocab: readonly string[], scores: ArrayLike<number>, options: UnigramOptions) {
    if (vocab.length === 0) throw new TokenizerError("Unigram model: the vocabulary is empty", "FILE_CORRUPT");
    if (scores.length !== vocab.length) throw new TokenizerError("Unigram model: vocab and scores differ in length", "FILE_CORRUPT");
    this.vocab = vocab;
    const sc = new Float64Array(scores.length);
    for (let i = 0; i < sc.length; i++) sc[i] = scores[i]!;
    this.scores = sc;
    const unkId = options.unkId;
    if (unkId !== null && (unkId < 0 || unkId >= vocab.length || !Number.isInteger(unkId))) {
      throw new TokenizerError(`Unigram model: unk_id ${unkId} is out of range (vocabulary of ${vocab.length})`, "FILE_CORRUPT");
    }
    this.unkId = unkId;
    this.byteFallback = options.byteFallback ?? false;
    this.fuseUnk = options.fuseUnk ?? true;
    let min = Infinity;
    for (let i = 0; i < this.scores.length; i++) if (this.scores[i]! < min) min = this.scores[i]!;
    this.minScore = min;
    this.unkScore = min - K_UNK_PENALTY;
    const ids = new Int32Array(vocab.length);
    for (let i = 0; i < ids.length; i++) ids[i] = i;
    this.trie = new VocabTrie(vocab, ids);
    const tv = this.trie.value;
    this.stateScore = new Float64Array(tv.length);
    for (let t = 0; t < tv.length; t++) if (tv[t]! >= 0) this.stateScore[t] = this.scores[tv[t]!]!;
    if (this.byteFallback) {
      const b = new Int32Array(256).fill(-1);
      for (let x = 0; x < 256; x++) b[x] = this.tokenToId(`<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`) ?? -1;
      this.byteIds = b;
    }
  }

  /** Id of a token string (the last one when a string occurs twice, as tokenizers' HashMap does). */
  tokenToId(token: string): number | undefined {
    const v = this.trie.get(token);
    return v >= 0 ? v : undefined;
  }

  /** Full string -> id map (built lazily). */
  vocabMap(): Map<string, number> {
    if (!this.tokenToIdMap) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.vocab.length; i++) m.set(this.vocab[i]!, i);
      this.tokenToIdMap = m;
    }
    return this.tokenToIdMap;
  }

  private grow(n: number): void {
    let cap = this.bestScore.length;
    while (cap < n) cap *= 2;
    this.bestScore = new Float64Array(cap);
    this.bestStart = new Int32Array(cap);
    this.bestId = new Int32Array(cap);
  }

  /**
   * Tokenizes `units[start..end)` (one pre-tokenized word, UTF-16 code units) and appends the tokens to `sink`
   * with spans in buffer positions. `text` (optional) gives the same word as a string, used only to build
   * unknown-token strings; without it they are decoded from `units`.
   */
  encodeInto(units: Uint16Array, start: number, end: number, sink: TokenSink): void {
    const n = end - start;
    if (n <= 0) return;
    if (n + 1 > this.bestScore.length) this.grow(n + 1);
    const bestScore = this.bestScore;
    const bestStart = this.bestStart;
    const bestId = this.bestId;
    const trie = this.trie;
    const alpha = trie.alphabet;
    const bc = trie.bc;
    const value = trie.value;
    const stateScore = this.stateScore;
    const unkScore = this.unkScore;
    const unkId = this.unkId ?? -1;
    for (let k = 1; k <= n; k++) bestStart[k] = -1;
    bestScore[0] = 0;
    bestStart[0] = 0;
    let i = 0;
    while (i < n) {
      const u = units[start + i]!;
      const mblen = u >= 0xd800 && u <= 0xdbff && i + 1 < n ? 2 : 1;
      const sc = bestScore[i]!;
      let hasSingle = false;
      let s = 0;
      for (let j = i; j < n; j++) {
        const c = alpha[units[start + j]!]!;
        if (c === 0) break;
        const t = bc[2 * s]! + c;
        if (bc[2 * t + 1] !== s) break;
        s = t;
        const id = value[t]!;
        if (id >= 0) {
          const e = j + 1;
          const cand = stateScore[t]! + sc;
          if (bestStart[e] === -1 || cand > bestScore[e]!) {
            bestScore[e] = cand;
            bestStart[e] = i;
            bestId[e] = id;
          }
          if (e - i === mblen) hasSingle = true;
        }
      }
      if (!hasSingle) {
        if (unkId < 0) {
          throw new TokenizerError("Unigram model: the text has a character outside the vocabulary and the model has no unk_id", "FILE_CORRUPT");
        }
        const e = i + mblen;
        const cand = unkScore + sc;
        if (bestStart[e] === -1 || cand > bestScore[e]!) {
          bestScore[e] = cand;
          bestStart[e] = i;
          bestId[e] = unkId;
        }
      }
      i += mblen;
    }
    // Backtrack: count tokens, then write them in order.
    let count = 0;
    for (let e = n; e > 0; e = bestStart[e]!) count++;
    sink.reserve(count);
    const first = sink.length;
    let w = first + count;
    for (let e = n; e > 0; e = bestStart[e]!) {
      w--;
      sink.ids[w] = bestId[e]!;
      sink.starts[w] = start + bestStart[e]!;
      sink.ends[w] = start + e;
    }
    sink.length = first + count;
    // Fuse runs of unknown tokens, and resolve the ids of unknown strings as tokenizers does (lookup by string).
    if (unkId >= 0) {
      let hasUnk = false;
      for (let k = first; k < sink.length; k++) if (sink.ids[k] === unkId) hasUnk = true;
      if (hasUnk) this.fixUnknowns(units, first, sink);
    }
  }

  private fixUnknowns(units: Uint16Array, first: number, sink: TokenSink): void {
    const unkId = this.unkId!;
    // Collect the final token list for this word (rare path: allocation is fine).
    const ids: number[] = [];
    const st: number[] = [];
    const en: number[] = [];
    const over: (string | undefined)[] = [];
    const total = sink.length;
    let k = first;
    while (k < total) {
      if (sink.ids[k] === unkId && this.fuseUnk) {
        const s0 = sink.starts[k]!;
        let e0 = sink.ends[k]!;
        k++;
        while (k < total && sink.ids[k] === unkId) {
          e0 = sink.ends[k]!;
          k++;
        }
        const str = String.fromCharCode(...units.subarray(s0, e0));
        const known = this.tokenToId(str);
        if (known !== undefined) {
          ids.push(known);
          st.push(s0);
          en.push(e0);
          over.push(undefined);
        } else if (this.byteFallback && this.byteIds) {
          const bytes = new TextEncoder().encode(str);
          let all = true;
          for (const b of bytes) if (this.byteIds[b]! < 0) all = false;
          if (all) {
            for (const b of bytes) {
              ids.push(this.byteIds[b]!);
              st.push(s0);
              en.push(e0);
              over.push(undefined);
            }
          } else {
            ids.push(unkId);
            st.push(s0);
            en.push(e0);
            over.push(str);
          }
        } else {
          ids.push(unkId);
          st.push(s0);
          en.push(e0);
          over.push(str);
        }
      } else {
        const id = sink.ids[k]!;
        ids.push(id);
        st.push(sink.starts[k]!);
        en.push(sink.ends[k]!);
        // A non-fused unknown keeps its raw text as its token string.
        over.push(id === unkId ? String.fromCharCode(...units.subarray(sink.starts[k]!, sink.ends[k]!)) : undefined);
        k++;
      }
    }
    sink.length = first;
    sink.reserve(ids.length);
    for (let j = 0; j < ids.length; j++) {
      const idx = sink.length;
      sink.push(ids[j]!, st[j]!, en[j]!);
      const o = over[j];
      if (o !== undefined && o !== this.vocab[ids[j]!]) sink.setOverride(idx, o);
    }
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }
}
