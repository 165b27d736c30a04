import { DebertaV2Config } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { padRows, planBatches, runBatched } from "./batching.js";

describe("batching", () => {
  it("sorts by length, longest first, stable, and cuts batches", () => {
    expect(planBatches([3, 7, 5, 7, 1], 2)).toEqual([[1, 3], [2, 0], [4]]);
    expect(() => planBatches([1], 0)).toThrow(RangeError);
  });

  it("pads each batch to its own longest row; token types only with type embeddings", () => {
    const v3 = new DebertaV2Config({ vocab_size: 100, hidden_size: 8, num_attention_heads: 2, type_vocab_size: 0 });
    const host = padRows([{ ids: [1, 5, 2], typeIds: [0, 0, 0] }, { ids: [1, 2], typeIds: [0, 1] }], v3, 0);
    expect([host.batch, host.seqLen]).toEqual([2, 3]);
    expect(Array.from(host.ids)).toEqual([1, 5, 2, 1, 2, 0]);
    expect(Array.from(host.mask)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(host.tokenTypes).toBeUndefined();
    const v2 = new DebertaV2Config({ vocab_size: 100, hidden_size: 8, num_attention_heads: 2, type_vocab_size: 2 });
    expect(Array.from(padRows([{ ids: [1, 2], typeIds: [0, 1] }, { ids: [1] }], v2).tokenTypes!)).toEqual([0, 1, 0, 0]);
  });

  it("returns results in input order and pads per batch", async () => {
    const config = new DebertaV2Config({ vocab_size: 100, hidden_size: 8, num_attention_heads: 2 });
    const rows = [[1, 2], [1, 3, 3, 3, 2], [1, 4, 2], [1, 5, 5, 2]].map((ids) => ({ ids }));
    const seen: number[] = [];
    const out = await runBatched(rows, config, { batchSize: 2 }, (host, idx) => {
      seen.push(host.seqLen);
      return idx.map((i) => `row${i}:${host.seqLen}`);
    });
    expect(seen).toEqual([5, 3]);
    expect(out).toEqual(["row0:3", "row1:5", "row2:3", "row3:5"]);
  });
});
