import { describe, expect, it } from "vitest";
import { DebertaV2Config, logBucketPosition, relativeIndexTable } from "../src/index.js";

describe("relative positions", () => {
  it("is the plain distance inside the linear zone", () => {
    for (let r = -8; r <= 8; r++) expect(logBucketPosition(r, 16, 64)).toBe(r);
  });

  it("follows HF's make_log_bucket_position formula beyond the linear zone (bucket 256, max 512)", () => {
    // The formula written out in float64 for a few distances away from rounding boundaries. Agreement with
    // PyTorch's own float32 arithmetic on every distance up to 511 is checked by the long-v3 fixture (512 tokens).
    const expected = (r: number) => Math.ceil((Math.log(Math.abs(r) / 128) / Math.log(511 / 128)) * 127) + 128;
    for (const r of [129, 200, 300, 511]) {
      expect(logBucketPosition(r, 256, 512)).toBe(expected(r));
      expect(logBucketPosition(-r, 256, 512)).toBe(-expected(r));
    }
  });

  it("clamps the table into [0, 2*span)", () => {
    const c = new DebertaV2Config({ relative_attention: true, max_relative_positions: 16, max_position_embeddings: 64, hidden_size: 32, num_attention_heads: 4 });
    const t = relativeIndexTable(24, c);
    expect(t.length).toBe(47);
    // i - j = -23 → -23 + 16 → clamped to 0; i - j = 23 → 39 → clamped to 31.
    expect(t[0]).toBe(0);
    expect(t[46]).toBe(31);
    expect(t[23]).toBe(16); // i == j
  });
});
