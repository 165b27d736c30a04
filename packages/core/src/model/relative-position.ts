/**
 * DeBERTa's relative positions: for query i and key j the distance `i - j`, squashed into log buckets beyond
 * `position_buckets / 2`, then shifted into a row of the `2 * span` relative-embedding table.
 *
 * HF computes the log buckets in float32 (`torch.log` of a float32 ratio); `Math.fround` at each step reproduces
 * that, so the indices agree with PyTorch's. The index depends on `i - j` only, so one table of `2L - 1` entries
 * serves every (i, j) pair: `relIndex[(i - j) + L - 1]`.
 */
import type { DebertaV2Config } from "../config.js";

/** HF `make_log_bucket_position` for one distance. */
export function logBucketPosition(rel: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const sign = Math.sign(rel);
  const abs = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
  if (abs <= mid) return rel;
  const f = Math.fround;
  const ratio = f(Math.log(f(abs / mid)));
  const denom = f(Math.log(f((maxPosition - 1) / mid)));
  const logPos = Math.ceil(f(f(ratio / denom) * (mid - 1))) + mid;
  return logPos * sign;
}

/** The bucketed relative position of query i to key j (HF `build_relative_position`). */
export function relativePosition(i: number, j: number, buckets: number, maxPosition: number): number {
  const rel = i - j;
  return buckets > 0 && maxPosition > 0 ? logBucketPosition(rel, buckets, maxPosition) : rel;
}

/** What the relative index depends on: `AttentionSpec` carries exactly these. */
export interface RelativeSpec {
  /** Attention span S: the relative-embedding table has `2S` rows. */
  span: number;
  /** `position_buckets` (0: plain distances). */
  buckets: number;
  /** `max_position_embeddings` as HF uses it for the log buckets. */
  maxPosition: number;
}

/**
 * `relIndex[(i - j) + maxLen - 1] = clamp(bucket(i - j) + span, 0, 2*span - 1)` for every distance a sequence of
 * `maxLen` tokens has. Both c2p (`posKey[idx(i,j)]`) and p2c (`posQuery[idx(i,j)]`) use it. The one definition the
 * model, core's reference attention and the conformance kit share. Takes an `AttentionSpec` (or a config).
 */
export function relativeIndexTable(maxLen: number, spec: RelativeSpec | DebertaV2Config): Int32Array {
  const { span, buckets, maxPosition } = "attSpan" in spec ? { span: spec.attSpan, buckets: spec.position_buckets, maxPosition: spec.maxRelativePositions } : spec;
  const out = new Int32Array(Math.max(1, 2 * maxLen - 1));
  for (let d = -(maxLen - 1); d <= maxLen - 1; d++) {
    const b = relativePosition(d, 0, buckets, maxPosition);
    out[d + maxLen - 1] = Math.min(Math.max(b + span, 0), 2 * span - 1);
  }
  return out;
}
