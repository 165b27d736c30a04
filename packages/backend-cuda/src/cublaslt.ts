/**
 * cuBLASLt matmuls. Every shape gets a plan once — matmul descriptor (compute type, transposes, epilogue), the
 * three matrix layouts with their strided batches, and the algorithm cuBLASLt's heuristic picks for them — then each
 * call is two FFI calls (bias pointer, matmul).
 *
 * Numerics: `CUBLAS_COMPUTE_32F` with f32 scale for every dtype, so f16/bf16 inputs run on tensor cores with f32
 * accumulation, and f32 inputs run in true f32 (TF32 only with the `tf32` option, `CUBLAS_COMPUTE_32F_FAST_TF32`),
 * which is what the fp32 parity with PyTorch's CPU fixtures needs.
 */
import { CudaError, toPtr } from "./driver.js";
import { openLibrary } from "./ffi.js";
import { EPILOGUE, type GemmCall, type GemmDtype, gemmLayouts, planKey, pointerAlignment } from "./gemm-plan.js";

type Fn = (...args: any[]) => any;

/** cudaDataType_t. */
export const CUDA_DATA_TYPE: Record<GemmDtype, number> = { f32: 0, f16: 2, bf16: 14 };
/** cublasComputeType_t. */
export const COMPUTE_32F = 68;
export const COMPUTE_32F_FAST_TF32 = 77;
/** cublasLtMatmulDescAttributes_t. */
export const DESC = { COMPUTE_TYPE: 0, SCALE_TYPE: 1, TRANSA: 3, TRANSB: 4, EPILOGUE: 7, BIAS_POINTER: 8 } as const;
/** cublasLtMatrixLayoutAttribute_t. */
export const LAYOUT = { BATCH_COUNT: 5, STRIDED_BATCH_OFFSET: 6 } as const;
/** cublasLtMatmulPreferenceAttributes_t. */
export const PREF = { MAX_WORKSPACE_BYTES: 1, MIN_ALIGNMENT_A: 5, MIN_ALIGNMENT_B: 6, MIN_ALIGNMENT_C: 7, MIN_ALIGNMENT_D: 8 } as const;
/** sizeof(cublasLtMatmulAlgo_t) and sizeof(cublasLtMatmulHeuristicResult_t). */
export const ALGO_BYTES = 64;
export const HEURISTIC_BYTES = 96;

const PROTOTYPES = {
  cublasLtGetVersion: "size_t cublasLtGetVersion()",
  cublasLtCreate: "int cublasLtCreate(_Out_ void **handle)",
  cublasLtDestroy: "int cublasLtDestroy(void *handle)",
  cublasLtMatmulDescCreate: "int cublasLtMatmulDescCreate(_Out_ void **desc, int computeType, int scaleType)",
  cublasLtMatmulDescDestroy: "int cublasLtMatmulDescDestroy(void *desc)",
  cublasLtMatmulDescSetAttribute: "int cublasLtMatmulDescSetAttribute(void *desc, int attr, const void *buf, size_t size)",
  cublasLtMatrixLayoutCreate: "int cublasLtMatrixLayoutCreate(_Out_ void **layout, int type, uint64_t rows, uint64_t cols, int64_t ld)",
  cublasLtMatrixLayoutDestroy: "int cublasLtMatrixLayoutDestroy(void *layout)",
  cublasLtMatrixLayoutSetAttribute: "int cublasLtMatrixLayoutSetAttribute(void *layout, int attr, const void *buf, size_t size)",
  cublasLtMatmulPreferenceCreate: "int cublasLtMatmulPreferenceCreate(_Out_ void **pref)",
  cublasLtMatmulPreferenceDestroy: "int cublasLtMatmulPreferenceDestroy(void *pref)",
  cublasLtMatmulPreferenceSetAttribute: "int cublasLtMatmulPreferenceSetAttribute(void *pref, int attr, const void *buf, size_t size)",
  cublasLtMatmulAlgoGetHeuristic:
    "int cublasLtMatmulAlgoGetHeuristic(void *handle, void *desc, void *a, void *b, void *c, void *d, void *pref, int requested, void *results, _Out_ int *returned)",
  cublasLtMatmul:
    "int cublasLtMatmul(void *handle, void *desc, const void *alpha, uint64_t A, void *Adesc, uint64_t B, void *Bdesc, const void *beta, uint64_t C, void *Cdesc, uint64_t D, void *Ddesc, const void *algo, uint64_t workspace, size_t workspaceSize, void *stream)",
} as const;

const STATUS_NAMES: Record<number, string> = {
  0: "CUBLAS_STATUS_SUCCESS",
  1: "CUBLAS_STATUS_NOT_INITIALIZED",
  3: "CUBLAS_STATUS_ALLOC_FAILED",
  7: "CUBLAS_STATUS_INVALID_VALUE",
  8: "CUBLAS_STATUS_ARCH_MISMATCH",
  11: "CUBLAS_STATUS_MAPPING_ERROR",
  13: "CUBLAS_STATUS_EXECUTION_FAILED",
  14: "CUBLAS_STATUS_INTERNAL_ERROR",
  15: "CUBLAS_STATUS_NOT_SUPPORTED",
  16: "CUBLAS_STATUS_LICENSE_ERROR",
};

export function cublasStatusName(code: number): string {
  return `${STATUS_NAMES[code] ?? "CUBLAS_STATUS_UNKNOWN"} (${code})`;
}

/** The attribute values a plan sets, as (attribute, little-endian bytes) pairs: pure, so tests can check them. */
export function descAttributes(c: GemmCall): [number, Uint8Array][] {
  return [
    [DESC.TRANSA, i32(c.transa ? 1 : 0)],
    [DESC.TRANSB, i32(c.transb ? 1 : 0)],
    [DESC.EPILOGUE, u32(c.epilogue)],
  ];
}

export function computeTypeFor(dtype: GemmDtype, tf32: boolean): number {
  return dtype === "f32" && tf32 ? COMPUTE_32F_FAST_TF32 : COMPUTE_32F;
}

function i32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}
function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}
function i64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
  return b;
}
function u64(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

interface Plan {
  desc: bigint;
  a: bigint;
  b: bigint;
  c: bigint;
  algo: Buffer;
  workspace: number;
  hasBias: boolean;
}

export class CublasLt {
  private handle = 0n;
  private readonly plans = new Map<string, Plan>();
  private readonly alpha = new Float32Array(1);
  private readonly beta = new Float32Array(1);
  private ws = { workspace: 0n, workspaceBytes: 0, stream: 0n, tf32: false };

  private constructor(
    readonly path: string,
    private readonly fn: Record<keyof typeof PROTOTYPES, Fn>,
  ) {}

  static load(path: string): CublasLt {
    const lib = openLibrary(path);
    const fn = {} as Record<keyof typeof PROTOTYPES, Fn>;
    for (const [name, proto] of Object.entries(PROTOTYPES)) (fn as Record<string, Fn>)[name] = lib.func(proto);
    return new CublasLt(path, fn);
  }

  /** A fresh handle state (own plans, workspace, stream) sharing the bound library. */
  session(): CublasLt {
    return new CublasLt(this.path, this.fn);
  }

  version(): string {
    const v = Number(this.fn.cublasLtGetVersion());
    return `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`;
  }

  private check(code: number, call: string): void {
    if (code !== 0) throw new CudaError(`${call}: ${cublasStatusName(code)}`, code);
  }

  /**
   * Creates the handle. `workspace` is a device buffer of `workspaceBytes` the matmuls may use; `stream` the
   * stream they run on.
   */
  init(opts: { workspace: bigint; workspaceBytes: number; stream: bigint; tf32: boolean }): void {
    const h: unknown[] = [null];
    this.check(this.fn.cublasLtCreate(h), "cublasLtCreate");
    this.handle = toPtr(h[0]);
    this.ws = opts;
  }

  private plan(c: GemmCall): Plan | undefined {
    const key = planKey(c);
    const cached = this.plans.get(key);
    if (cached) return cached;
    const out: unknown[] = [null];
    const type = CUDA_DATA_TYPE[c.dtype];
    this.check(this.fn.cublasLtMatmulDescCreate(out, computeTypeFor(c.dtype, this.ws.tf32), CUDA_DATA_TYPE.f32), "cublasLtMatmulDescCreate");
    const desc = toPtr(out[0]);
    for (const [attr, bytes] of descAttributes(c)) {
      this.check(this.fn.cublasLtMatmulDescSetAttribute(desc, attr, bytes, bytes.length), `cublasLtMatmulDescSetAttribute(${attr})`);
    }
    const shapes = gemmLayouts(c);
    const layout = (shape: [number, number, number], stride: number): bigint => {
      const o: unknown[] = [null];
      this.check(this.fn.cublasLtMatrixLayoutCreate(o, type, shape[0], shape[1], shape[2]), "cublasLtMatrixLayoutCreate");
      const l = toPtr(o[0]);
      if (c.batch > 1) {
        const n = i32(c.batch);
        const s = i64(stride);
        this.check(this.fn.cublasLtMatrixLayoutSetAttribute(l, LAYOUT.BATCH_COUNT, n, 4), "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
        this.check(this.fn.cublasLtMatrixLayoutSetAttribute(l, LAYOUT.STRIDED_BATCH_OFFSET, s, 8), "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
      }
      return l;
    };
    const a = layout(shapes.a, c.strideA);
    const b = layout(shapes.b, c.strideB);
    const cl = layout(shapes.c, c.strideC);
    const po: unknown[] = [null];
    this.check(this.fn.cublasLtMatmulPreferenceCreate(po), "cublasLtMatmulPreferenceCreate");
    const pref = toPtr(po[0]);
    const setPref = (attr: number, bytes: Uint8Array) =>
      this.check(this.fn.cublasLtMatmulPreferenceSetAttribute(pref, attr, bytes, bytes.length), `cublasLtMatmulPreferenceSetAttribute(${attr})`);
    setPref(PREF.MAX_WORKSPACE_BYTES, u64(this.ws.workspaceBytes));
    setPref(PREF.MIN_ALIGNMENT_A, u32(pointerAlignment(c.A)));
    setPref(PREF.MIN_ALIGNMENT_B, u32(pointerAlignment(c.B)));
    setPref(PREF.MIN_ALIGNMENT_C, u32(pointerAlignment(c.C)));
    setPref(PREF.MIN_ALIGNMENT_D, u32(pointerAlignment(c.C)));
    const results = Buffer.alloc(HEURISTIC_BYTES);
    const returned = [0];
    const status = this.fn.cublasLtMatmulAlgoGetHeuristic(this.handle, desc, a, b, cl, cl, pref, 1, results, returned) as number;
    this.fn.cublasLtMatmulPreferenceDestroy(pref);
    if (status !== 0 || returned[0] < 1) {
      this.fn.cublasLtMatmulDescDestroy(desc);
      for (const l of [a, b, cl]) this.fn.cublasLtMatrixLayoutDestroy(l);
      if (status !== 0 && status !== 15) this.check(status, `cublasLtMatmulAlgoGetHeuristic(${key})`);
      return undefined;
    }
    const plan: Plan = {
      desc,
      a,
      b,
      c: cl,
      algo: Buffer.from(results.subarray(0, ALGO_BYTES)),
      workspace: Number(results.readBigUInt64LE(ALGO_BYTES)),
      hasBias: c.epilogue === EPILOGUE.BIAS || c.epilogue === EPILOGUE.RELU_BIAS || c.epilogue === EPILOGUE.GELU_BIAS,
    };
    this.plans.set(key, plan);
    return plan;
  }

  /** Whether cuBLASLt has an algorithm for this call (the backend splits the batch when not). */
  supports(c: GemmCall): boolean {
    return this.plan(c) !== undefined;
  }

  matmul(c: GemmCall): void {
    const p = this.plan(c);
    if (!p) throw new CudaError(`cublasLtMatmulAlgoGetHeuristic: no algorithm for ${planKey(c)}`, 15);
    if (p.hasBias) {
      const bias = u64(c.bias);
      this.check(this.fn.cublasLtMatmulDescSetAttribute(p.desc, DESC.BIAS_POINTER, bias, 8), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
    }
    this.alpha[0] = c.alpha;
    this.beta[0] = c.beta;
    this.check(
      this.fn.cublasLtMatmul(this.handle, p.desc, this.alpha, c.A, p.a, c.B, p.b, this.beta, c.C, p.c, c.C, p.c, p.algo, this.ws.workspace, this.ws.workspaceBytes, this.ws.stream),
      `cublasLtMatmul(${planKey(c)})`,
    );
  }

  destroy(): void {
    for (const p of this.plans.values()) {
      this.fn.cublasLtMatmulDescDestroy(p.desc);
      for (const l of [p.a, p.b, p.c]) this.fn.cublasLtMatrixLayoutDestroy(l);
    }
    this.plans.clear();
    if (this.handle) this.fn.cublasLtDestroy(this.handle);
    this.handle = 0n;
  }
}

