// Overflowing windows as tokenizers builds them (Encoding::truncate + the template), on a hand-made encoding.
import { describe, expect, it } from "vitest";
import { metaspaceTokensToString, windows } from "./tokenizer-adapter.js";
import type { TokenizedRow } from "./tokenizer.js";

// [CLS] q0 q1 [SEP] c0 … c6 [SEP]
const full: TokenizedRow = {
  ids: [1, 10, 11, 2, 20, 21, 22, 23, 24, 25, 26, 2],
  typeIds: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
  tokens: ["[CLS]", "q0", "q1", "[SEP]", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "[SEP]"],
  offsets: [[0, 0], [0, 1], [1, 2], [0, 0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [0, 0]],
  wordIds: [null, 0, 1, null, 0, 1, 2, 3, 4, 5, 6, null],
  sequenceIds: [null, 0, 0, null, 1, 1, 1, 1, 1, 1, 1, null],
  specialTokensMask: [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
};

describe("overflow windows (only_second + stride)", () => {
  it("windows of max_length − rest tokens overlapping by stride, until the end, specials and question kept", () => {
    // max_length 9 → 9 − 5 = 4 context tokens per window; stride 1 → step 3: c0-3, c3-6
    const w = windows(full, 1, 9, 1);
    expect(w.map((r) => r.tokens.join(" "))).toEqual(["[CLS] q0 q1 [SEP] c0 c1 c2 c3 [SEP]", "[CLS] q0 q1 [SEP] c3 c4 c5 c6 [SEP]"]);
    expect(w[1].wordIds).toEqual([null, 0, 1, null, 3, 4, 5, 6, null]);
    expect(w[1].offsets[4]).toEqual([3, 4]);
    expect(w[1].typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // stride 2 → step 2: c0-3, c2-5, c4-6
    expect(windows(full, 1, 9, 2).map((r) => r.tokens.slice(4, -1).join(""))).toEqual(["c0c1c2c3", "c2c3c4c5", "c4c5c6"]);
  });

  it("fits: one row; no room or stride too large: errors naming the limit", () => {
    expect(windows(full, 1, 12, 0)).toEqual([full]);
    expect(() => windows(full, 1, 5, 0)).toThrow(/no room within max_length 5/);
    expect(() => windows(full, 1, 8, 3)).toThrow(/stride \(3\)/);
  });

  it("a single sequence (token classification) is windowed the same way", () => {
    const single: TokenizedRow = {
      ids: [1, 20, 21, 22, 23, 24, 2],
      typeIds: [0, 0, 0, 0, 0, 0, 0],
      tokens: ["[CLS]", "a", "b", "c", "d", "e", "[SEP]"],
      offsets: [[0, 0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [0, 0]],
      wordIds: [null, 0, 1, 2, 3, 4, null],
      sequenceIds: [null, 0, 0, 0, 0, 0, null],
      specialTokensMask: [1, 0, 0, 0, 0, 0, 1],
    };
    expect(windows(single, 0, 5, 1).map((r) => r.tokens.join(""))).toEqual(["[CLS]abc[SEP]", "[CLS]cde[SEP]"]);
  });
});

describe("Metaspace tokens → string", () => {
  it("▁ becomes a space, without the first token's leading space", () => {
    expect(metaspaceTokensToString(["▁Hello", "▁wor", "ld", "!"])).toBe("Hello world!");
  });
});
