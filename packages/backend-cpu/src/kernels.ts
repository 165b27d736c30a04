/**
 * The compiled kernel sets behind the CPU backend (csrc/, one C source): the native Node-API addon (AVX-512 /
 * AVX2+FMA / SSE2 chosen at run time) and — where no addon loads — the TypeScript ops of `CpuBackend`.
 *
 * Both expose the same small surface (`KernelSet`): f32 typed arrays in, results written into caller-owned arrays.
 */
export interface KernelSet {
  /** e.g. "native-avx2". */
  readonly name: string;
  /**
   * Where tensor storage lives when the kernels can read it without a copy (WASM on a shared memory: views onto
   * linear memory); absent when every operand is passed as-is (native) or must be copied in (non-shared WASM).
   */
  readonly heap?: KernelHeap;
  readonly threads: number;
  setThreads(n: number): void;
  /** W [n, k] (torch Linear weight) → GEMM panels, kept where the kernels can read them. */
  packB(w: Float32Array, n: number, k: number): PackedWeight;
  /** Frees what `packB` returned. */
  freePacked(p: PackedWeight): void;
  /** c[m, n] = act(alpha · a[m, k] · Wᵀ + bias); act 0 = none, 1 = exact GELU. */
  gemm(m: number, n: number, k: number, a: Float32Array, bp: PackedWeight, c: Float32Array, bias: Float32Array | null, act: number, alpha: number): void;
  /**
   * Several GEMMs of one `a[m, k]` in one parallel region (a reads `a` once): `cs[i][m, ns[i]] = a · Wᵢᵀ + biases[i]`,
   * each bit-identical to its own `gemm` call.
   */
  gemmMulti(m: number, k: number, a: Float32Array, ns: readonly number[], bps: readonly PackedWeight[], cs: readonly Float32Array[], biases: readonly (Float32Array | null)[]): void;
  /** int8 codes `[n, k]` (bytes) and row absmax `scb` (weight = code · scb / 127) → panels for `qgemmI8`. */
  packI8(codes: Uint8Array, scb: Float32Array, n: number, k: number): PackedWeight;
  /** c[m, n] = act(dynamic-int8(a[m, k]) · Wᵀ + bias): activations quantized per row, int32 dot products. */
  qgemmI8(m: number, n: number, k: number, a: Float32Array, packed: PackedWeight, c: Float32Array, bias: Float32Array | null, act: number): void;
  /** A quantized weight in its storage layout, where `dqgemm` can read it (native: the same arrays, no copy). */
  holdQuantized(data: Uint8Array, scales: Float32Array, table: Float32Array | null): PackedWeight;
  /** c[m, n] = act(a · dequant(W)ᵀ + bias), decoded panel by panel; layout 0 = int4 (codebook + block scale), 1 = int8. */
  dqgemm(m: number, n: number, k: number, a: Float32Array, held: PackedWeight, layout: 0 | 1, block: number, c: Float32Array, bias: Float32Array | null, act: number): void;
  layerNorm(x: Float32Array, res: Float32Array | null, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void;
  gelu(x: Float32Array): void;
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    posKey: Float32Array | null,
    posQuery: Float32Array | null,
    relIndex: Int32Array | null,
    mask: Float32Array | null,
    maskStride: number,
    seqStart: Int32Array,
    seqLen: Int32Array,
    maxLen: number,
    heads: number,
    headDim: number,
    invScale: number,
    lowest: number,
    context: Float32Array,
    probs: Float32Array | null,
  ): void;
}

/**
 * Tensor storage allocated inside the kernels' memory: the arrays it returns are passed to the kernels by address,
 * with nothing copied in or out. Each must be handed back to `free` exactly once and not used afterwards.
 */
export interface KernelHeap {
  f32(n: number): Float32Array;
  f16(n: number): Uint16Array;
  i32(n: number): Int32Array;
  /** Whether `a` views this heap's memory (the kernels take it by address). */
  owns(a: ArrayBufferView): boolean;
  /** Frees an array this heap returned (true); anything else — another heap's, a JS array, a second free — is left alone (false). */
  free(a: Float32Array | Uint16Array | Int32Array): boolean;
  /** Bytes allocated and not yet freed (tensors, packed weights, the kernels' own scratch). */
  readonly inUseBytes: number;
  /** Bytes the memory holds now (it grows, never shrinks). */
  readonly memoryBytes: number;
}

/** A weight in GEMM panel layout (a Float32Array for native, a pointer into linear memory for WASM). */
export type PackedWeight = unknown;

/** Which kernels the CPU backend runs: compiled native code, WebAssembly, or its TypeScript ops. */
export type CpuKernels = "native" | "wasm" | "js";

export function isCpuKernels(s: string): s is CpuKernels {
  return s === "native" || s === "wasm" || s === "js";
}
