import type { SequenceLayout } from "../layout.js";
import type { Tensor } from "../tensor.js";

/** What every layer of one forward pass shares: computed once per batch by the encoder. */
export interface EncoderContext {
  layout: SequenceLayout;
  /** f32 `[batch, seqLen]` 0/1 (padded layouts only). */
  mask?: Tensor;
  /** `[tokens, 1]` 0/1 in the compute dtype (padded layouts with padding only): zeroes padded rows. */
  maskColumn?: Tensor;
  /** `[2 * span, hidden]` relative embeddings (after the encoder LayerNorm when `norm_rel_ebd` says so). */
  relEmbeddings?: Tensor;
  /** i32 `[2 * maxLen - 1]` relative index table (`relativeIndexTable`). */
  relIndex?: Tensor;
}
