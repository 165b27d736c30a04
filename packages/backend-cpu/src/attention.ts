/**
 * The fused disentangled attention on the CPU, one (sequence, head) at a time:
 *
 *   S = Q_h K_hᵀ                                   (GEMM, kᵀ read in place)
 *   S[i][j] += q_i · posKey[idx(i,j)]              (c2p)
 *   S[i][j] += k_j · posQuery[idx(i,j)]            (p2c)
 *   P = softmax((S / scale) masked)                (row by row, float64)
 *   ctx_h = P V_h                                  (GEMM, written straight into the context rows)
 *
 * The relative terms never materialise HF's `[B, H, L, 2S]` products: idx(i,j) depends on i − j only and is
 * monotone in it, so a sequence of n tokens uses a contiguous range of R ≤ min(2n − 1, 2S) relative rows. One
 * GEMM per (sequence, head) and term gives the `[n, R]` products q_i·posKey[r] (k_j·posQuery[r]) in a reused
 * scratch buffer, and the scores pick theirs by idx(i,j).
 */
import type { AttentionSpec, SequenceLayout } from "@deberta-js/core";
import { layoutBatch, layoutMaxLen, sequenceSpan } from "@deberta-js/core";
import { gemm } from "./gemm.js";

export interface AttentionBuffers {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  posKey?: Float32Array;
  posQuery?: Float32Array;
  relIndex?: Int32Array;
  /** 0/1 per token of a padded layout (`[batch * seqLen]`); absent: all ones. */
  mask?: ArrayLike<number>;
  layout: SequenceLayout;
  spec: AttentionSpec;
  /** Score of a masked pair: the dtype's lowest finite value. */
  lowest: number;
  /** `[tokens, H*d]`, fully written. */
  context: Float32Array;
  /** `[batch, H, maxLen, maxLen]`; entries outside a packed sequence are left untouched (callers zero them). */
  probs?: Float32Array;
}

let scores = new Float32Array(0);
let row = new Float64Array(0);
let relProducts = new Float32Array(0);
let seqMask = new Uint8Array(0);

export function disentangledAttention(a: AttentionBuffers): void {
  const { spec, layout, q, k, v, context, probs, lowest } = a;
  const H = spec.numHeads;
  const d = spec.headDim;
  const HD = H * d;
  const B = layoutBatch(layout);
  const L = layoutMaxLen(layout);
  const inv = 1 / spec.scale;
  const rel = a.relIndex;
  const centre = rel ? (rel.length - 1) >> 1 : 0;
  const pk = spec.c2p ? a.posKey! : undefined;
  const pq = spec.p2c ? a.posQuery! : undefined;
  if (scores.length < L * L) scores = new Float32Array(L * L);
  if (row.length < L) {
    row = new Float64Array(L);
    seqMask = new Uint8Array(L);
  }
  const S = scores;
  const m = seqMask;
  for (let b = 0; b < B; b++) {
    const { start, length: n } = sequenceSpan(layout, b);
    if (n === 0) continue;
    let anyMasked = false;
    for (let i = 0; i < n; i++) {
      m[i] = layout.kind === "padded" && a.mask ? (a.mask[b * layout.seqLen + i] === 0 ? 0 : 1) : 1;
      if (!m[i]) anyMasked = true;
    }
    let rLo = 0;
    let R = 0;
    if (rel && (pk || pq)) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = centre - (n - 1); t <= centre + (n - 1); t++) {
        lo = Math.min(lo, rel[t]);
        hi = Math.max(hi, rel[t]);
      }
      rLo = lo;
      R = hi - lo + 1;
      if (relProducts.length < n * R) relProducts = new Float32Array(n * R);
    }
    const rp = relProducts;
    for (let h = 0; h < H; h++) {
      const hOff = start * HD + h * d;
      gemm(n, n, d, 1, q, hOff, HD, 1, k, hOff, 1, HD, S, 0, n, false);
      if (rel && (pk || pq)) {
        // The relative rows this sequence uses form the contiguous range [rLo, rLo + R) (relIndex is monotone in
        // i − j, and R ≤ min(2n − 1, 2S)): one GEMM per term gives every (token, relative row) product.
        if (pk) {
          gemm(n, R, d, 1, q, hOff, HD, 1, pk, rLo * HD + h * d, 1, HD, rp, 0, R, false);
          for (let i = 0; i < n; i++) {
            const so = i * n;
            const ro = i * R - rLo;
            const base = i + centre;
            for (let j = 0; j < n; j++) S[so + j] += rp[ro + rel[base - j]];
          }
        }
        if (pq) {
          gemm(n, R, d, 1, k, hOff, HD, 1, pq, rLo * HD + h * d, 1, HD, rp, 0, R, false);
          for (let i = 0; i < n; i++) {
            const so = i * n;
            const base = i + centre;
            for (let j = 0; j < n; j++) S[so + j] += rp[j * R - rLo + rel[base - j]];
          }
        }
      }
      // masked softmax, row by row, in float64
      for (let i = 0; i < n; i++) {
        const so = i * n;
        let max = -Infinity;
        const mi = m[i];
        for (let j = 0; j < n; j++) {
          const s = anyMasked && (mi === 0 || m[j] === 0) ? lowest : S[so + j] * inv;
          row[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const e = Math.exp(row[j] - max);
          row[j] = e;
          sum += e;
        }
        const r = 1 / sum;
        for (let j = 0; j < n; j++) S[so + j] = row[j] * r;
        if (probs) probs.set(S.subarray(so, so + n), ((b * H + h) * L + i) * L);
      }
      gemm(n, d, n, 1, S, 0, n, 1, v, hOff, HD, 1, context, hOff, HD, false);
    }
  }
  // Keep the scratch for the next call only while it is small: one long sequence must not pin its L² scores
  // (259 MiB at 8,192 tokens) for the life of the process.
  if (scores.length > RETAINED_SCRATCH_FLOATS || relProducts.length > RETAINED_SCRATCH_FLOATS) releaseAttentionScratch();
}

/** Most float32 elements of attention scratch kept between calls (16 MiB). */
export const RETAINED_SCRATCH_FLOATS = 4 * 2 ** 20;

/** Frees the module's attention scratch (the backend's `destroy()` calls this). */
export function releaseAttentionScratch(): void {
  scores = new Float32Array(0);
  row = new Float64Array(0);
  relProducts = new Float32Array(0);
  seqMask = new Uint8Array(0);
}

/** Bytes of attention scratch currently held (tests). */
export function attentionScratchBytes(): number {
  return scores.byteLength + row.byteLength + relProducts.byteLength + seqMask.byteLength;
}
