/**
 * Where the sequences of a batch live in the flat `[tokens, hidden]` activations.
 *
 * Token-wise work (linear layers, GELU, LayerNorm, residuals) never needs to know; only attention and the v2 conv
 * layer do. So the same model code runs
 *  - `padded` batches: `batch × seqLen` rows, every sequence padded to `seqLen`, with a 0/1 attention mask —
 *    exactly what Hugging Face computes, padded positions included;
 *  - `packed` batches: sequences of different lengths concatenated, `offsets[b]..offsets[b+1]` — only real tokens
 *    cost anything. (Packed batches have no padding, so every mask value is 1.)
 */
export type SequenceLayout = PaddedLayout | PackedLayout;

export interface PaddedLayout {
  readonly kind: "padded";
  readonly batch: number;
  readonly seqLen: number;
  /** `[batch * seqLen]` 0/1 attention mask, row-major. Any pattern is allowed (left padding too). */
  readonly mask: Uint8Array;
}

export interface PackedLayout {
  readonly kind: "packed";
  /** `batch + 1` offsets into the token rows; sequence `b` is rows `offsets[b]` to `offsets[b+1]`. */
  readonly offsets: Int32Array;
}

export function paddedLayout(batch: number, seqLen: number, mask?: ArrayLike<number>): PaddedLayout {
  const m = new Uint8Array(batch * seqLen);
  if (mask) for (let i = 0; i < m.length; i++) m[i] = mask[i] ? 1 : 0;
  else m.fill(1);
  return { kind: "padded", batch, seqLen, mask: m };
}

export function packedLayout(lengths: ArrayLike<number>): PackedLayout {
  const offsets = new Int32Array(lengths.length + 1);
  for (let b = 0; b < lengths.length; b++) offsets[b + 1] = offsets[b] + lengths[b];
  return { kind: "packed", offsets };
}

export function layoutBatch(l: SequenceLayout): number {
  return l.kind === "padded" ? l.batch : l.offsets.length - 1;
}

/** Number of token rows the layout spans. */
export function layoutTokens(l: SequenceLayout): number {
  return l.kind === "padded" ? l.batch * l.seqLen : l.offsets[l.offsets.length - 1];
}

/** Length of the longest sequence (the `L` of `[batch, heads, L, L]` attention probabilities). */
export function layoutMaxLen(l: SequenceLayout): number {
  if (l.kind === "padded") return l.seqLen;
  let m = 0;
  for (let b = 0; b + 1 < l.offsets.length; b++) m = Math.max(m, l.offsets[b + 1] - l.offsets[b]);
  return m;
}

/** First row and length of sequence `b`. */
export function sequenceSpan(l: SequenceLayout, b: number): { start: number; length: number } {
  if (l.kind === "padded") return { start: b * l.seqLen, length: l.seqLen };
  return { start: l.offsets[b], length: l.offsets[b + 1] - l.offsets[b] };
}

/** 0/1 mask value of the token at position `i` of sequence `b` (always 1 in a packed layout). */
export function maskAt(l: SequenceLayout, b: number, i: number): number {
  return l.kind === "padded" ? l.mask[b * l.seqLen + i] : 1;
}
