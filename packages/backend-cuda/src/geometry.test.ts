import { describe, expect, it } from "vitest";
import { broadcastStrides as stridesFor, coalesceDims as collapseDims, stridesOf as contiguousStrides } from "@deberta-js/core";
import { isSuffixOf } from "./geometry.js";

// The general shape arithmetic is core's; these cases pin what the CUDA kernels rely on.
describe("geometry", () => {
  it("computes contiguous and broadcast strides", () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesFor([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(stridesFor([1, 1, 4], [2, 3, 4])).toEqual([0, 0, 1]);
  });

  it("collapses dims every operand walks contiguously", () => {
    // [B,H,L,L] + mask [B,1,1,L]: H and L(query) merge (both broadcast in the mask)
    const out = [2, 3, 5, 5];
    const c = collapseDims(out, [contiguousStrides(out), stridesFor([2, 1, 1, 5], out)]);
    expect(c.dims).toEqual([2, 15, 5]);
    expect(c.strides).toEqual([
      [75, 5, 1],
      [5, 0, 1],
    ]);
    expect(collapseDims([1, 1], [[0, 0]])).toEqual({ dims: [1], strides: [[0]] });
    // a transpose [0,2,1,3] keeps 4 → 3 dims after dropping nothing
    expect(collapseDims([2, 4, 3, 8], [[96, 8, 32, 1]]).dims).toEqual([2, 4, 3, 8]);
  });

  it("recognises suffix broadcasts", () => {
    expect(isSuffixOf([4], [2, 3, 4])).toBe(true);
    expect(isSuffixOf([1, 3, 4], [2, 3, 4])).toBe(true);
    expect(isSuffixOf([3, 1], [2, 3, 4])).toBe(false);
  });
});
