import { describe, expect, it } from "vitest";
import { broadcastShapes, broadcastStrides, coalesce, stridesOf } from "./shape.js";

describe("shape helpers", () => {
  it("broadcasts numpy-style and gives 0 strides on broadcast dims", () => {
    expect(broadcastShapes("add", [2, 1, 5], [3, 1])).toEqual([2, 3, 5]);
    expect(() => broadcastShapes("add", [2, 3], [4])).toThrow(/do not broadcast/);
    expect(broadcastStrides([3, 1], [2, 3, 5])).toEqual([0, 1, 0]);
  });

  it("merges dims contiguous in every operand", () => {
    const out = [2, 3, 4];
    expect(coalesce(out, [stridesOf(out), stridesOf(out)])).toEqual({ shape: [24], strides: [[1], [1]] });
    // a bias over the last dim: the leading dims merge, the broadcast pattern stays
    expect(coalesce(out, [stridesOf(out), broadcastStrides([4], out)])).toEqual({ shape: [6, 4], strides: [[4, 1], [0, 1]] });
    expect(coalesce([1, 1], [[0, 0]])).toEqual({ shape: [1], strides: [[0]] });
  });
});
