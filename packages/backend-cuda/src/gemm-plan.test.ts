import { describe, expect, it } from "vitest";
import { chooseEpilogue, matrixBatchStrides, EPILOGUE, gemmLayouts, matmulCalls, planBatches, planKey, pointerAlignment, rowMajorGemm } from "./gemm-plan.js";
import { computeTypeFor, COMPUTE_32F, COMPUTE_32F_FAST_TF32, CUDA_DATA_TYPE, DESC, descAttributes } from "./cublaslt.js";

/** Column-major reference of a GemmCall on plain arrays (what cuBLASLt computes), to check the row-major mapping. */
function runColumnMajor(c: ReturnType<typeof rowMajorGemm>, mem: Map<bigint, Float64Array>): void {
  const A = mem.get(c.A)!;
  const B = mem.get(c.B)!;
  const C = mem.get(c.C)!;
  for (let b = 0; b < c.batch; b++)
    for (let j = 0; j < c.n; j++)
      for (let i = 0; i < c.m; i++) {
        let s = 0;
        for (let p = 0; p < c.k; p++) {
          const a = c.transa ? A[b * c.strideA + p + i * c.lda] : A[b * c.strideA + i + p * c.lda];
          const bb = c.transb ? B[b * c.strideB + j + p * c.ldb] : B[b * c.strideB + p + j * c.ldb];
          s += a * bb;
        }
        C[b * c.strideC + i + j * c.ldc] = c.alpha * s;
      }
}

describe("row-major GEMMs on cuBLASLt's column-major API", () => {
  for (const transA of [false, true])
    for (const transB of [false, true]) {
      it(`computes a${transA ? "ᵀ" : ""}·b${transB ? "ᵀ" : ""} row-major`, () => {
        const M = 3;
        const K = 4;
        const N = 5;
        const a = Float64Array.from({ length: M * K }, (_, i) => i + 1);
        const b = Float64Array.from({ length: K * N }, (_, i) => (i % 7) - 3);
        const c = new Float64Array(M * N);
        const mem = new Map([
          [1n, a],
          [2n, b],
          [3n, c],
        ]);
        runColumnMajor(rowMajorGemm({ M, N, K, transA, transB, a: 1n, b: 2n, c: 3n, dtype: "f32", alpha: 2 }), mem);
        const at = (i: number, p: number) => (transA ? a[p * M + i] : a[i * K + p]);
        const bt = (p: number, j: number) => (transB ? b[j * K + p] : b[p * N + j]);
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let p = 0; p < K; p++) s += at(i, p) * bt(p, j);
            expect(c[i * N + j]).toBe(2 * s);
          }
      });
    }

  it("describes layouts as stored (before op)", () => {
    const call = rowMajorGemm({ M: 7, N: 5, K: 3, transA: false, transB: true, a: 0n, b: 0n, c: 0n, dtype: "f16" });
    expect(call).toMatchObject({ transa: true, transb: false, m: 5, n: 7, k: 3, lda: 3, ldb: 3, ldc: 5 });
    expect(gemmLayouts(call)).toEqual({ a: [3, 5, 3], b: [3, 7, 3], c: [5, 7, 5] });
  });

  it("chooses epilogues: bias always fused, tanh-GELU/ReLU fused in half precision, exact GELU as a kernel", () => {
    expect(chooseEpilogue(undefined, true, "f16")).toEqual({ epilogue: EPILOGUE.BIAS });
    expect(chooseEpilogue("linear", false, "f32")).toEqual({ epilogue: EPILOGUE.DEFAULT });
    expect(chooseEpilogue("relu", true, "f32")).toEqual({ epilogue: EPILOGUE.RELU_BIAS });
    expect(chooseEpilogue("gelu_new", true, "f16")).toEqual({ epilogue: EPILOGUE.GELU_BIAS });
    expect(chooseEpilogue("gelu_pytorch_tanh", false, "bf16")).toEqual({ epilogue: EPILOGUE.GELU });
    expect(chooseEpilogue("gelu_new", true, "f32")).toEqual({ epilogue: EPILOGUE.BIAS, postAct: "gelu_new" });
    expect(chooseEpilogue("gelu", true, "f16")).toEqual({ epilogue: EPILOGUE.BIAS, postAct: "gelu" });
    expect(chooseEpilogue("tanh", false, "f16")).toEqual({ epilogue: EPILOGUE.DEFAULT, postAct: "tanh" });
  });

  it("uses plain f32 compute (no TF32) unless asked, f32 accumulation for halves", () => {
    expect(computeTypeFor("f32", false)).toBe(COMPUTE_32F);
    expect(computeTypeFor("f32", true)).toBe(COMPUTE_32F_FAST_TF32);
    expect(computeTypeFor("f16", true)).toBe(COMPUTE_32F);
    expect(computeTypeFor("bf16", false)).toBe(COMPUTE_32F);
    expect(CUDA_DATA_TYPE).toEqual({ f32: 0, f16: 2, bf16: 14 });
    const attrs = descAttributes(rowMajorGemm({ M: 2, N: 2, K: 2, transA: false, transB: true, a: 0n, b: 0n, c: 0n, dtype: "f16", bias: 8n }));
    expect(attrs.map(([a, v]) => [a, new DataView(v.buffer).getInt32(0, true)])).toEqual([
      [DESC.TRANSA, 1],
      [DESC.TRANSB, 0],
      [DESC.EPILOGUE, EPILOGUE.BIAS],
    ]);
  });

  it("merges broadcast batch dims into one strided batch where the strides allow", () => {
    // q·posKᵀ of the reference attention: [B,H,L,d] x [1,H,S,d]
    const out = [2, 3];
    const sa = matrixBatchStrides([2, 3], out, 40);
    const sb = matrixBatchStrides([1, 3], out, 16);
    const sc = matrixBatchStrides(out, out, 10);
    expect(sa).toEqual([120, 40]);
    expect(sb).toEqual([0, 16]);
    const p = planBatches(out, sa, sb, sc);
    expect(p).toMatchObject({ count: 3, strideA: 40, strideB: 16, strideC: 10 });
    expect(p.outer).toEqual([
      [0, 0, 0],
      [120, 0, 30],
    ]);
    // b fully broadcast: one batch of 6 with stride 0
    const q = planBatches([2, 3], [120, 40], [0, 0], [30, 10]);
    expect(q).toMatchObject({ count: 6, strideA: 40, strideB: 0, strideC: 10, outer: [[0, 0, 0]] });
  });

  it("keys plans by shape, dtype, epilogue and pointer alignment", () => {
    expect(pointerAlignment(0x1000n)).toBe(256);
    expect(pointerAlignment(0x1008n)).toBe(8);
    const base = { M: 4, N: 4, K: 4, transA: false, transB: false, b: 0x2000n, c: 0x3000n, dtype: "f16" as const };
    expect(planKey(rowMajorGemm({ ...base, a: 0x1000n }))).not.toBe(planKey(rowMajorGemm({ ...base, a: 0x1002n })));
    expect(planKey(rowMajorGemm({ ...base, a: 0x1000n }))).toBe(planKey(rowMajorGemm({ ...base, a: 0x5000n })));
  });
  describe("matmulCalls (Backend.matmul → cuBLASLt calls)", () => {
    const base = { M: 4, N: 6, K: 5, transA: false, transB: false, a: 0x1000n, b: 0x2000n, c: 0x3000n, alpha: 0.5, dtype: "f32" as const, elementBytes: 4 };

    it("flattens a's batch into rows when b is shared and a is not transposed", () => {
      const calls = matmulCalls({ ...base, batchA: [2, 3], batchB: [], outBatch: [2, 3] });
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ m: 6, n: 24, k: 5, batch: 1, A: 0x2000n, B: 0x1000n, C: 0x3000n, alpha: 0.5 });
    });

    it("uses strided batches over the merged dims, one call per outer index, offsets in bytes", () => {
      // a [2,3,M,K] · b [3,K,N]: b repeats over the outer dim, so 2 calls of a 3-matrix batch
      const calls = matmulCalls({ ...base, batchA: [2, 3], batchB: [3], outBatch: [2, 3] });
      expect(calls.map((c) => ({ batch: c.batch, A: c.A, B: c.B, C: c.C, sA: c.strideA, sB: c.strideB, sC: c.strideC }))).toEqual([
        { batch: 3, A: 0x2000n, B: 0x1000n, C: 0x3000n, sA: 30, sB: 20, sC: 24 },
        { batch: 3, A: 0x2000n, B: 0x1000n + 60n * 4n, C: 0x3000n + 72n * 4n, sA: 30, sB: 20, sC: 24 },
      ]);
    });

    it("splits a strided batch the device refuses into one call per matrix", () => {
      const calls = matmulCalls({ ...base, transA: true, batchA: [3], batchB: [3], outBatch: [3], supported: (c) => c.batch === 1 });
      expect(calls.map((c) => [c.batch, c.A - 0x2000n, c.B - 0x1000n, c.C - 0x3000n])).toEqual([
        [1, 0n, 0n, 0n],
        [1, 120n, 80n, 96n],
        [1, 240n, 160n, 192n],
      ]);
    });
  });
});
