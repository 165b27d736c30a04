// CPU attention scratch is bounded and released (issue 13): one long sequence used to pin its L² scores for the
// life of the process, even after backend.destroy().
import { paddedLayout } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { RETAINED_SCRATCH_FLOATS, attentionScratchBytes, disentangledAttention, releaseAttentionScratch } from "../src/attention.js";
import { createCpuBackend } from "../src/index.js";

function attend(L: number): void {
  const H = 1;
  const d = 2;
  const n = L * H * d;
  disentangledAttention({
    q: new Float32Array(n).fill(0.1),
    k: new Float32Array(n).fill(0.2),
    v: new Float32Array(n).fill(0.3),
    layout: paddedLayout(1, L),
    spec: { numHeads: H, headDim: d, c2p: false, p2c: false, scale: Math.sqrt(d), span: 0, buckets: 0, maxPosition: L },
    lowest: -3.4e38,
    context: new Float32Array(n),
  });
}

describe("CPU attention scratch", () => {
  it("a sequence whose L² scores exceed the retained size is released right after the call", () => {
    const L = Math.ceil(Math.sqrt(RETAINED_SCRATCH_FLOATS)) + 64;
    attend(L);
    expect(attentionScratchBytes()).toBe(0);
  });
  it("small scratch is kept for reuse, and backend.destroy() releases it", () => {
    attend(64);
    expect(attentionScratchBytes()).toBeGreaterThan(0);
    createCpuBackend().destroy();
    expect(attentionScratchBytes()).toBe(0);
    releaseAttentionScratch();
  });
});
