/**
 * Packed ↔ padded rows: the one place that knows how token rows of a packed layout map onto a `[batch, seqLen]`
 * grid. Core (model outputs, the reference attention), heads and backends that fall back to core use it.
 *
 * Padding slots of the grid read the first row of their sequence (any real row would do: they are masked or
 * zeroed), so a gather never reads outside the tensor.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { InputError } from "../errors.js";
import { layoutBatch, layoutMaxLen, layoutTokens, sequenceSpan, type SequenceLayout } from "../layout.js";
import type { Tensor } from "../tensor.js";

export interface PackingIndex {
  batch: number;
  /** Grid width: ≥ the longest sequence. */
  seqLen: number;
  tokens: number;
  /** `[batch * seqLen]`: the token row each grid slot reads (a real row for padding slots too). */
  toPadded: Int32Array;
  /** `[tokens]`: the grid slot each token row lands in. */
  toPacked: Int32Array;
  /** `[batch * seqLen]` 1 for real tokens, 0 for padding. */
  mask: Float32Array;
}

/** The host index tables of `layout` on a grid of `seqLen` (default: the longest sequence) columns. */
export function packingIndex(layout: SequenceLayout, seqLen = layoutMaxLen(layout)): PackingIndex {
  const B = layoutBatch(layout);
  const T = layoutTokens(layout);
  if (seqLen < layoutMaxLen(layout)) throw new InputError(`packingIndex: a grid of ${seqLen} columns cannot hold a sequence of ${layoutMaxLen(layout)} tokens`);
  const toPadded = new Int32Array(B * seqLen);
  const toPacked = new Int32Array(T);
  const mask = new Float32Array(B * seqLen);
  for (let b = 0; b < B; b++) {
    const { start, length } = sequenceSpan(layout, b);
    for (let i = 0; i < seqLen; i++) {
      const slot = b * seqLen + i;
      const real = i < length && (layout.kind === "packed" || layout.mask[slot] === 1);
      toPadded[slot] = i < length ? start + i : start;
      if (real) mask[slot] = 1;
      if (i < length) toPacked[start + i] = slot;
    }
  }
  return { batch: B, seqLen, tokens: T, toPadded, toPacked, mask };
}

/** The 0/1 grid mask `[batch, seqLen]` of `layout` as a tensor of `dtype`. */
export function gridMask(be: Backend, layout: SequenceLayout, dtype: FloatDType, seqLen?: number): Tensor {
  const { batch, seqLen: L, mask } = packingIndex(layout, seqLen);
  return be.upload(mask, [batch, L], dtype);
}

/**
 * Token rows `[tokens, D]` → `[batch, seqLen, D]` on the grid, padding slots zero. For model outputs of packed runs
 * (`seqLen` the inputs' padded length). Intermediates are the caller's scope's.
 */
export function padRows(be: Backend, x: Tensor, layout: SequenceLayout, seqLen?: number): Tensor {
  const idx = packingIndex(layout, seqLen);
  const D = x.shape[x.rank - 1];
  const gathered = be.gather(x, be.upload(idx.toPadded, [idx.toPadded.length], "i32"));
  const mask = be.upload(idx.mask, [idx.mask.length, 1], x.dtype === "f16" ? "f16" : "f32");
  return be.mul(gathered, mask).moveTo([idx.batch, idx.seqLen, D]);
}

/** Grid rows `[batch * seqLen, D]` → the token rows `[tokens, D]` of `layout`. */
export function packRows(be: Backend, x: Tensor, layout: SequenceLayout, seqLen?: number): Tensor {
  const idx = packingIndex(layout, seqLen);
  return be.gather(x, be.upload(idx.toPacked, [idx.tokens], "i32"));
}

/** Token rows `[tokens, D]` → grid rows `[batch * seqLen, D]` (padding slots copy a real row: mask them). */
export function gridRows(be: Backend, x: Tensor, layout: SequenceLayout, seqLen?: number): Tensor {
  const idx = packingIndex(layout, seqLen);
  return be.gather(x, be.upload(idx.toPadded, [idx.toPadded.length], "i32"));
}
