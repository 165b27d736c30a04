import { describe, expect, it } from "vitest";
import { broadcastShapes, broadcastStrides, coalesceDims, stridesOf } from "../src/index.js";

describe("shape arithmetic", () => {
  it("broadcasts like numpy and names the op when it cannot", () => {
    expect(broadcastShapes([2, 1, 5], [3, 1], "add")).toEqual([2, 3, 5]);
    expect(() => broadcastShapes([2, 3], [4], "add")).toThrow(/add: shapes \[2,3\] and \[4\] do not broadcast/);
    expect(broadcastStrides([3, 1], [2, 3, 5])).toEqual([0, 1, 0]);
    expect(() => broadcastStrides([4], [2, 3])).toThrow(/does not broadcast/);
  });

  it("merges dims every operand walks contiguously", () => {
    const out = [2, 3, 4];
    expect(coalesceDims(out, [stridesOf(out), stridesOf(out)])).toEqual({ dims: [24], strides: [[1], [1]] });
    expect(coalesceDims(out, [stridesOf(out), broadcastStrides([4], out)])).toEqual({ dims: [6, 4], strides: [[4, 1], [0, 1]] });
    expect(coalesceDims([1, 1], [[0, 0]])).toEqual({ dims: [1], strides: [[0]] });
  });
});
