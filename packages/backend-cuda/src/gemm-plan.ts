/**
 * The pure part of the GEMMs: row-major tensor products mapped onto cuBLASLt's column-major `D = op(A)·op(B)`,
 * epilogue choice, and broadcast batch dims split into one strided batch plus outer loops.
 *
 * Row-major `C[M,N] = a·b` is column-major `Cᵀ[N,M] = bᵀ·aᵀ`, and a row-major `[r, c]` buffer read column-major is
 * its transpose `[c, r]` with leading dimension c. So cuBLASLt gets the b buffer as its A operand and the a buffer
 * as its B operand, m = N, n = M, and no data moves.
 */
import { broadcastStrides } from "@deberta-js/core";
import type { Activation } from "@deberta-js/core";

export type GemmDtype = "f32" | "f16" | "bf16";

/** `cublasLtEpilogue_t` values used here. */
export const EPILOGUE = {
  DEFAULT: 1,
  RELU: 2,
  BIAS: 4,
  RELU_BIAS: 6,
  GELU: 32,
  GELU_BIAS: 36,
} as const;
export type Epilogue = (typeof EPILOGUE)[keyof typeof EPILOGUE];

/** One column-major cuBLASLt matmul, `C = alpha·op(A)·op(B) + beta·C` then the epilogue. Strides in elements. */
export interface GemmCall {
  transa: boolean;
  transb: boolean;
  m: number;
  n: number;
  k: number;
  batch: number;
  lda: number;
  ldb: number;
  ldc: number;
  strideA: number;
  strideB: number;
  strideC: number;
  A: bigint;
  B: bigint;
  C: bigint;
  /** 0n: none. */
  bias: bigint;
  alpha: number;
  beta: number;
  dtype: GemmDtype;
  epilogue: Epilogue;
}

export interface RowMajorGemm {
  /** Row-major a: `[M, K]` (`[K, M]` with transA), b: `[K, N]` (`[N, K]` with transB), c: `[M, N]`. */
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  a: bigint;
  b: bigint;
  c: bigint;
  batch?: number;
  /** Batch strides in elements (0 broadcasts). */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  alpha?: number;
  bias?: bigint;
  dtype: GemmDtype;
  epilogue?: Epilogue;
}

export function rowMajorGemm(r: RowMajorGemm): GemmCall {
  return {
    transa: r.transB,
    transb: r.transA,
    m: r.N,
    n: r.M,
    k: r.K,
    batch: r.batch ?? 1,
    lda: r.transB ? r.K : r.N,
    ldb: r.transA ? r.M : r.K,
    ldc: r.N,
    strideA: r.strideB ?? 0,
    strideB: r.strideA ?? 0,
    strideC: r.strideC ?? r.M * r.N,
    A: r.b,
    B: r.a,
    C: r.c,
    bias: r.bias ?? 0n,
    alpha: r.alpha ?? 1,
    beta: 0,
    dtype: r.dtype,
    epilogue: r.epilogue ?? (r.bias ? EPILOGUE.BIAS : EPILOGUE.DEFAULT),
  };
}

/**
 * Which cuBLASLt epilogue computes `act(x·Wᵀ + bias)`, and which activation (if any) a separate kernel applies
 * after it. cuBLASLt's GELU is the tanh approximation, so it serves `gelu_new` / `gelu_pytorch_tanh` only, and only
 * in half precision (f32 keeps our exact kernel for parity); HF's `gelu` (erf) always runs as a kernel.
 */
export function chooseEpilogue(act: Activation | undefined, hasBias: boolean, dtype: GemmDtype): { epilogue: Epilogue; postAct?: Activation } {
  const plain = hasBias ? EPILOGUE.BIAS : EPILOGUE.DEFAULT;
  if (!act || act === "linear") return { epilogue: plain };
  if (act === "relu") return { epilogue: hasBias ? EPILOGUE.RELU_BIAS : EPILOGUE.RELU };
  if ((act === "gelu_new" || act === "gelu_pytorch_tanh") && dtype !== "f32") {
    return { epilogue: hasBias ? EPILOGUE.GELU_BIAS : EPILOGUE.GELU };
  }
  return { epilogue: plain, postAct: act };
}

/** Element strides of a batch `shape`'s dims seen through the broadcast batch `out`, for matrices of `matrixSize`. */
export function matrixBatchStrides(shape: readonly number[], out: readonly number[], matrixSize: number): number[] {
  return broadcastStrides(shape, out, "matmul batch dims").map((s) => s * matrixSize);
}

export interface BatchPlan {
  /** Matrices in the strided batch of each call. */
  count: number;
  strideA: number;
  strideB: number;
  strideC: number;
  /** Element offsets (a, b, c) of each call: one entry per combination of the dims that could not be merged. */
  outer: [number, number, number][];
}

/**
 * Merges the innermost batch dims into one strided batch while every operand's stride continues its run
 * (`stride[d] == run stride × run length`, which covers broadcast zero strides); the remaining outer dims become
 * separate calls.
 */
export function planBatches(out: readonly number[], sa: readonly number[], sb: readonly number[], sc: readonly number[]): BatchPlan {
  let count = 1;
  let strideA = 0;
  let strideB = 0;
  let strideC = 0;
  let d = out.length - 1;
  for (; d >= 0; d--) {
    const n = out[d];
    if (n === 1) continue;
    if (count === 1) {
      count = n;
      strideA = sa[d];
      strideB = sb[d];
      strideC = sc[d];
      continue;
    }
    if (sa[d] === strideA * count && sb[d] === strideB * count && sc[d] === strideC * count) {
      count *= n;
      continue;
    }
    break;
  }
  const outerDims: number[] = [];
  for (let i = 0; i <= d; i++) if (out[i] !== 1) outerDims.push(i);
  const outer: [number, number, number][] = [];
  const idx = new Array<number>(outerDims.length).fill(0);
  for (;;) {
    let oa = 0;
    let ob = 0;
    let oc = 0;
    outerDims.forEach((dim, i) => {
      oa += idx[i] * sa[dim];
      ob += idx[i] * sb[dim];
      oc += idx[i] * sc[dim];
    });
    outer.push([oa, ob, oc]);
    let i = outerDims.length - 1;
    while (i >= 0 && ++idx[i] === out[outerDims[i]]) idx[i--] = 0;
    if (i < 0) break;
  }
  return { count, strideA, strideB, strideC, outer };
}

export interface MatmulCallsArgs {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  batchA: readonly number[];
  batchB: readonly number[];
  outBatch: readonly number[];
  a: bigint;
  b: bigint;
  c: bigint;
  alpha: number;
  dtype: GemmDtype;
  /** Bytes per element of the operands. */
  elementBytes: number;
  /** Whether cuBLASLt takes a strided-batch call (else it is split into one call per matrix). */
  supported?: (call: GemmCall) => boolean;
}

/**
 * The cuBLASLt calls of a batched row-major `Backend.matmul`: one `[batch·M, K]` GEMM when b is shared by every
 * batch and a is not transposed (a's batch rows are contiguous), else strided batches over the dims `planBatches`
 * merges, one call per remaining outer index — and per matrix where the device refuses the strided batch.
 */
export function matmulCalls(g: MatmulCallsArgs): GemmCall[] {
  const { M, N, K, transA, transB, alpha, dtype } = g;
  if (g.batchB.every((d) => d === 1) && !transA) {
    const rows = g.batchA.reduce((p, d) => p * d, 1) * M;
    return [rowMajorGemm({ M: rows, N, K, transA, transB, a: g.a, b: g.b, c: g.c, alpha, dtype })];
  }
  const es = g.elementBytes;
  const sa = matrixBatchStrides(g.batchA, g.outBatch, M * K);
  const sb = matrixBatchStrides(g.batchB, g.outBatch, K * N);
  const sc = matrixBatchStrides(g.outBatch, g.outBatch, M * N);
  const plan = planBatches(g.outBatch, sa, sb, sc);
  const calls: GemmCall[] = [];
  for (const [oa, ob, oc] of plan.outer) {
    const call = rowMajorGemm({
      M,
      N,
      K,
      transA,
      transB,
      a: g.a + BigInt(oa * es),
      b: g.b + BigInt(ob * es),
      c: g.c + BigInt(oc * es),
      batch: plan.count,
      strideA: plan.strideA,
      strideB: plan.strideB,
      strideC: plan.strideC,
      alpha,
      dtype,
    });
    if (plan.count > 1 && g.supported && !g.supported(call)) {
      for (let i = 0; i < plan.count; i++) {
        calls.push({
          ...call,
          batch: 1,
          A: call.A + BigInt(i * call.strideA * es),
          B: call.B + BigInt(i * call.strideB * es),
          C: call.C + BigInt(i * call.strideC * es),
        });
      }
    } else calls.push(call);
  }
  return calls;
}

/** Largest power of two ≤ 256 dividing the address (cuBLASLt's MIN_ALIGNMENT preferences). */
export function pointerAlignment(p: bigint): number {
  let a = 256;
  while (a > 1 && p % BigInt(a) !== 0n) a >>= 1;
  return a;
}

/** The key under which a cuBLASLt plan (descriptors + chosen algorithm) is cached. */
export function planKey(c: GemmCall): string {
  return [
    c.dtype,
    c.transa ? "T" : "N",
    c.transb ? "T" : "N",
    c.m,
    c.n,
    c.k,
    c.batch,
    c.lda,
    c.ldb,
    c.ldc,
    c.strideA,
    c.strideB,
    c.strideC,
    c.epilogue,
    pointerAlignment(c.A),
    pointerAlignment(c.B),
    pointerAlignment(c.C),
  ].join(",");
}

/** cuBLASLt matrix layouts (rows, cols, ld as stored, before op) of a call. */
export function gemmLayouts(c: GemmCall): { a: [number, number, number]; b: [number, number, number]; c: [number, number, number] } {
  return {
    a: c.transa ? [c.k, c.m, c.lda] : [c.m, c.k, c.lda],
    b: c.transb ? [c.n, c.k, c.ldb] : [c.k, c.n, c.ldb],
    c: [c.m, c.n, c.ldc],
  };
}
