import { packedLayout, paddedLayout } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { attentionSmemBytes, chooseAttentionKernel, paddedHeadDim, queryTiles, sequenceTable } from "./attention-plan.js";

describe("attention planning", () => {
  it("tiles a packed batch by its real lengths only", () => {
    const t = sequenceTable(packedLayout([3, 64, 65, 0, 130]));
    expect([...t.offsets]).toEqual([0, 3, 67, 132, 132, 262]);
    expect(t.maxLen).toBe(130);
    expect([...queryTiles(t.offsets, 64)]).toEqual([0, 0, 1, 0, 2, 0, 2, 64, 4, 0, 4, 64, 4, 128]);
  });

  it("tiles a padded batch by seqLen", () => {
    const t = sequenceTable(paddedLayout(2, 70, new Array(140).fill(1)));
    expect([...t.offsets]).toEqual([0, 70, 140]);
    expect([...queryTiles(t.offsets, 32)]).toEqual([0, 0, 0, 32, 0, 64, 1, 0, 1, 32, 1, 64]);
  });

  it("pads head sizes to an instantiated kernel", () => {
    expect([1, 8, 16, 17, 24, 64, 96, 128].map(paddedHeadDim)).toEqual([16, 16, 16, 32, 32, 64, 128, 128]);
    expect(paddedHeadDim(129)).toBeUndefined();
  });

  it("sizes shared memory as the kernels carve it", () => {
    // mma, d=64, c2p+p2c: K 64x72, Vt 64x72, PK/PQ 128x72 halves; C2P/P2C 4x16x84 floats; 64 key flags
    expect(attentionSmemBytes("mma", 64, true, true)).toBe(2 * (64 * 72 + 64 * 72 + 2 * 128 * 72) + 4 * (2 * 4 * 16 * 84 + 64));
    expect(attentionSmemBytes("scalar", 16, false, false)).toBe(4 * (32 * 17 * 3 + 32 * 33 + 32));
    expect(attentionSmemBytes("mma", 64, true, true)).toBeLessThan(100 * 1024);
  });

  it("uses tensor cores for f16/bf16 on sm_80+, the scalar kernel otherwise, and explains when neither fits", () => {
    const base = { headDim: 64, c2p: true, p2c: true, maxSharedOptin: 227 * 1024 };
    expect(chooseAttentionKernel({ ...base, storage: "f16", computeCapability: [9, 0] })).toMatchObject({ kind: "mma", kernel: "djs_attn_mma_f16_d64" });
    expect(chooseAttentionKernel({ ...base, storage: "bf16", computeCapability: [8, 0] })).toMatchObject({ kernel: "djs_attn_mma_bf16_d64" });
    expect(chooseAttentionKernel({ ...base, storage: "f16", computeCapability: [7, 5] })).toMatchObject({ kernel: "djs_attn_scalar_f16_d64" });
    expect(chooseAttentionKernel({ ...base, storage: "f32", computeCapability: [9, 0] })).toMatchObject({ kernel: "djs_attn_scalar_f32_d64" });
    expect(chooseAttentionKernel({ ...base, storage: "f16", computeCapability: [9, 0], prefer: "scalar" })).toMatchObject({ kind: "scalar" });
    expect(chooseAttentionKernel({ ...base, headDim: 200, storage: "f16", computeCapability: [9, 0] })).toEqual({ reason: "head size 200 > 128" });
    const tight = chooseAttentionKernel({ ...base, headDim: 128, storage: "f32", computeCapability: [8, 6], maxSharedOptin: 99 * 1024 });
    expect("reason" in tight && tight.reason).toMatch(/shared memory/);
  });
});
