/**
 * Shared batching of the pipelines: rows are sorted by length (longest first, stable), cut into batches of
 * `batchSize`, and each batch is padded to its own longest row only — so similar lengths share a batch and little
 * compute goes to padding. Results come back in the callers' order.
 */
import { type DebertaV2Config, type HostInputs, readInputs } from "@deberta-js/core";

/** One tokenized row: ids and their attention mask / token types (the tokenizer's, unpadded). */
export interface Row {
  ids: readonly number[];
  typeIds?: readonly number[];
}

export interface BatchOptions {
  /** Rows per forward pass (default 8). */
  batchSize?: number;
  /** Id of the padding token (the tokenizer's; default the config's `pad_token_id`). */
  padId?: number;
}

/** Row indexes by descending length (ties keep input order), cut into batches. */
export function planBatches(lengths: readonly number[], batchSize: number): number[][] {
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be at least 1 (got ${batchSize})`);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * Right-pads `rows` to their longest into validated model inputs. Token types are passed only when the model has
 * token-type embeddings (`type_vocab_size > 0`), as HF ignores them otherwise.
 */
export function padRows(rows: readonly Row[], config: DebertaV2Config, padId = config.pad_token_id): HostInputs {
  const L = Math.max(...rows.map((r) => r.ids.length));
  const B = rows.length;
  const ids = new Int32Array(B * L).fill(padId);
  const mask = new Int32Array(B * L);
  const withTypes = config.type_vocab_size > 0;
  const types = withTypes ? new Int32Array(B * L) : undefined;
  rows.forEach((r, b) => {
    for (let i = 0; i < r.ids.length; i++) {
      ids[b * L + i] = r.ids[i];
      mask[b * L + i] = 1;
      if (types && r.typeIds) types[b * L + i] = r.typeIds[i];
    }
  });
  return readInputs(
    {
      input_ids: { data: ids, dims: [B, L] },
      attention_mask: { data: mask, dims: [B, L] },
      ...(types ? { token_type_ids: { data: types, dims: [B, L] } } : {}),
    },
    config,
  );
}

/**
 * Runs `run` on length-sorted, per-batch padded batches of `rows` and returns its per-row results in input order.
 * `run` gets the padded inputs and the indexes (into `rows`) of the batch's rows, and returns one result per row.
 */
export async function runBatched<R>(
  rows: readonly Row[],
  config: DebertaV2Config,
  options: BatchOptions,
  run: (host: HostInputs, indexes: number[]) => Promise<R[]> | R[],
): Promise<R[]> {
  const results = new Array<R>(rows.length);
  for (const indexes of planBatches(
    rows.map((r) => r.ids.length),
    options.batchSize ?? 8,
  )) {
    const host = padRows(
      indexes.map((i) => rows[i]),
      config,
      options.padId,
    );
    const out = await run(host, indexes);
    indexes.forEach((i, k) => (results[i] = out[k]));
  }
  return results;
}
