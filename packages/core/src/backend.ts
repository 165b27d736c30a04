/**
 * The `Backend` interface: everything the DeBERTa model graph asks of a compute device.
 *
 * Small on purpose (compare tfjs-core's `KernelBackend` and onnxruntime's registered execution providers):
 *  - storage: `upload`, `read` (the only call that waits), `dispose`;
 *  - required primitive ops — a backend that implements these is correct;
 *  - optional fused ops — a backend that implements these is fast. When a backend lacks one, core runs a reference
 *    fallback built from the primitives (`ops/reference.ts`), so model code never changes.
 *
 * Conventions every op follows:
 *  - Tensors are dense, row-major and contiguous. Ops never modify their inputs; each returns a new tensor the
 *    caller owns (and disposes). Shapes are validated by core before an op is called.
 *  - Float ops take and return the same float dtype (`f32`, or `f16` when `supportsDtype("f16")`); ids and index
 *    tables are `i32`. f16 backends should accumulate sums, softmax and LayerNorm statistics in f32.
 *  - Ops are enqueued; errors may surface at `read`. Everything except `read` is synchronous to call.
 *
 * The semantics of each op are pinned down by the naive float64 implementations in `testing/reference-ops.ts`,
 * and `runConformance` from `@deberta-js/core/testing` checks a backend against them.
 */
import type { DType, FloatDType, TensorData } from "./dtype.js";
import { BackendUnavailableError } from "./errors.js";
import type { SequenceLayout } from "./layout.js";
import type { QuantizedWeight } from "./quant/quantized-weight.js";
import type { Tensor } from "./tensor.js";

/** Hugging Face `ACT2FN` names DeBERTa configs use (`hidden_act`, `conv_act`, `pooler_hidden_act`). */
export type Activation =
  | "gelu" // exact erf GELU
  | "gelu_new" // tanh approximation (also "gelu_pytorch_tanh")
  | "gelu_pytorch_tanh"
  | "gelu_fast"
  | "quick_gelu" // x * sigmoid(1.702 x)
  | "relu"
  | "tanh"
  | "sigmoid"
  | "silu" // also "swish"
  | "swish"
  | "linear"; // identity

export const ACTIVATIONS: readonly Activation[] = [
  "gelu",
  "gelu_new",
  "gelu_pytorch_tanh",
  "gelu_fast",
  "quick_gelu",
  "relu",
  "tanh",
  "sigmoid",
  "silu",
  "swish",
  "linear",
];

export interface MatmulOptions {
  /** Use `a` transposed in its last two dims. */
  transA?: boolean;
  /** Use `b` transposed in its last two dims (e.g. `x · Wᵀ` with torch's `[out, in]` weights). */
  transB?: boolean;
  /** Multiply the product by this (default 1). */
  alpha?: number;
}

/** What the disentangled attention needs to know besides its tensors. */
export interface AttentionSpec {
  numHeads: number;
  headDim: number;
  /** Content→position term `q_i · posKey[idx(i,j)]` is present (needs `posKey`). */
  c2p: boolean;
  /** Position→content term `k_j · posQuery[idx(i,j)]` is present (needs `posQuery`). */
  p2c: boolean;
  /** Scores are `(q·k + c2p + p2c) / scale`, with HF's `scale = sqrt(headDim * (1 + c2p + p2c))`. */
  scale: number;
  /** Attention span S: `posKey`/`posQuery` have `2S` rows. */
  span: number;
  /** `position_buckets` (0: no log buckets) and `max_position_embeddings`, for backends that compute the index. */
  buckets: number;
  maxPosition: number;
}

export interface AttentionArgs {
  /** `[tokens, numHeads * headDim]`, projections with bias applied. Head h is columns `h*headDim…`. */
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** `[2 * span, numHeads * headDim]`: relative embeddings through the key projection (c2p). */
  posKey?: Tensor;
  /** `[2 * span, numHeads * headDim]`: relative embeddings through the query projection (p2c). */
  posQuery?: Tensor;
  /**
   * i32 `[2 * maxLen - 1]`: `relIndex[(i - j) + maxLen - 1] = clamp(bucket(i - j) + span, 0, 2*span - 1)`,
   * the row of posKey/posQuery for query i and key j (HF's float32 log-bucket arithmetic done on the host, so every
   * backend agrees with PyTorch bit for bit on the index). Present whenever c2p or p2c is. Read it from its
   * centre (`length = 2 * n - 1` for some n ≥ maxLen): a longer table is valid too.
   */
  relIndex?: Tensor;
  /**
   * `[batch, seqLen]` 0/1 mask (f32 or the compute dtype) for padded layouts; absent for packed layouts. It always
   * equals `layout.mask`, so a backend may read either (e.g. to save a storage binding).
   */
  mask?: Tensor;
  layout: SequenceLayout;
  spec: AttentionSpec;
  /** Also return the probabilities `[batch, numHeads, maxLen, maxLen]` (HF `output_attentions`). */
  outputAttentions?: boolean;
}

export interface AttentionResult {
  /** `[tokens, numHeads * headDim]` */
  context: Tensor;
  /** `[batch, numHeads, maxLen, maxLen]` when asked for (packed layouts: 0 outside each sequence). */
  probs?: Tensor;
}

/**
 * Semantics of the fused disentangled attention (HF `DisentangledSelfAttention`), per sequence and head, with
 * m the 0/1 mask (all ones for packed layouts) and idx(i,j) = relIndex[i - j + maxLen - 1]:
 *
 *   s[i][j] = ( q_i·k_j + [c2p] q_i·posKey[idx(i,j)] + [p2c] k_j·posQuery[idx(i,j)] ) / scale
 *   s[i][j] = lowest finite value of the dtype   where m_i * m_j == 0
 *   p[i]    = softmax(s[i])            (a fully masked row i is therefore uniform over all keys, as in HF)
 *   ctx_i   = Σ_j p[i][j] v_j
 */

export interface Backend {
  /** Registry name, e.g. "cpu", "webgpu", "cuda". */
  readonly name: string;
  /** Float dtypes this backend computes in. Every backend supports "f32". */
  supportsDtype(dtype: FloatDType): boolean;

  // ── storage ─────────────────────────────────────────────────────────────────────────────────────────────────
  /** Copies host data to the device. f16 data is given as raw IEEE half bits. */
  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor;
  /**
   * Optional: like `upload`, but the backend may keep `data` itself as the tensor's storage instead of copying it
   * (host-memory backends). The caller hands `data` over and never touches it again. Weight loading uses it so a
   * streamed tensor is read once into what becomes its final storage.
   */
  adopt?(data: TensorData, shape: readonly number[], dtype: DType): Tensor;
  /**
   * Optional: like `upload`, but the backend may wait while copying, so a large tensor never sits whole in a
   * transfer buffer (WebGPU in a browser: the renderer↔GPU shared memory, which Chromium keeps once grown).
   * Weight loading prefers it to `upload`.
   */
  uploadAsync?(data: TensorData, shape: readonly number[], dtype: DType): Promise<Tensor>;
  /** Copies device data back: Float32Array (f32), Uint16Array half bits (f16), Int32Array (i32). */
  read(t: Tensor): Promise<TensorData>;
  /** Frees a tensor's storage. Called by `Tensor.dispose()`; never call it on a view. */
  dispose(t: Tensor): void;
  /** Frees everything this backend holds (pipelines, pools, contexts). The backend is unusable afterwards. */
  destroy?(): void;
  /** Waits until all enqueued work has finished (benchmarks use it). */
  sync?(): Promise<void>;

  // ── required primitives ─────────────────────────────────────────────────────────────────────────────────────
  /** f32 ↔ f16 conversion (a copy when the dtype already matches). */
  cast(x: Tensor, dtype: FloatDType): Tensor;
  /**
   * Batched matrix product. `a`: `[...batchA, M, K]` (`[..., K, M]` with transA), `b`: `[...batchB, K, N]`
   * (`[..., N, K]` with transB); batch dims broadcast numpy-style (b may be 2-D). Result `[...batch, M, N]` · alpha.
   */
  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor;
  /** Elementwise with numpy broadcasting (shapes aligned from the right). */
  add(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor): Tensor;
  /** Rows of `table` `[V, D]` at i32 `ids` `[N]` → `[N, D]`. Ids are validated by core (0 ≤ id < V). */
  gather(table: Tensor, ids: Tensor): Tensor;
  /**
   * numpy `take_along_axis`: `x` and i32 `idx` have the same rank; dims other than `axis` broadcast; output dim
   * `axis` has idx's size. Used for HF's c2p/p2c `torch.gather`.
   */
  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor;
  /** torch LayerNorm over the last dim (biased variance), `gamma`/`beta` `[D]`. */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor;
  /** Elementwise activation. */
  activation(x: Tensor, act: Activation): Tensor;
  /**
   * Softmax over the last dim. With `mask` (broadcastable to x, any dtype), entries where mask == 0 are replaced by
   * the dtype's lowest finite value first — HF's `masked_fill(finfo.min)`: a fully masked row becomes uniform.
   */
  softmax(x: Tensor, mask?: Tensor): Tensor;
  /**
   * 1-D convolution along each sequence of `layout`, on token rows: `x` `[tokens, Cin]`, `weight` `[Cout, Cin, k]`
   * (torch Conv1d), `bias` `[Cout]`, zero padding `(k-1)/2` at each sequence's ends → `[tokens, Cout]`.
   */
  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor;
  /** A contiguous copy with dims permuted (`perm[i]` is the source dim of output dim i). */
  transpose(x: Tensor, perm: readonly number[]): Tensor;

  // ── optional fused ops (reference fallbacks in core `ops/reference.ts`) ───────────────────────────────────
  /** `act(x · weightᵀ + bias)`: x `[T, in]`, weight `[out, in]`, bias `[out]`. */
  linear?(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor;
  /**
   * Several Linears of one input, e.g. an attention layer's query/key/value projections: `y_i = x · weights[i]ᵀ +
   * biases[i]` for each i, x `[T, in]`, `weights[i]` `[out_i, in]`, `biases[i]` `[out_i]` or undefined → one `[T,
   * out_i]` tensor per weight. Same numbers as separate `linear` calls; a backend gains by reading x once and running
   * all the products in one pass (one parallel region, one upload of x). Core falls back to separate `linear` calls
   * when a backend lacks it or a weight is quantized.
   */
  linearMany?(x: Tensor, weights: readonly Tensor[], biases: readonly (Tensor | undefined)[]): Tensor[];
  /**
   * `act(x · dequant(weight)ᵀ + bias)` with a quantized weight (layouts in `quant/quantized-weight.ts`): x
   * `[T, in]` f32/f16, weight `[out, in]` kept quantized, bias `[out]` → `[T, out]` in x's dtype. The weight must
   * never be expanded to float whole (dequantize inside the GEMM, or tile by tile). The fallback dequantizes a
   * host copy per call; `runConformance` checks this op against the host dequantization.
   */
  quantizedLinear?(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor;
  /**
   * Rows of an int8 row-wise quantized table `[V, D]` (`quantize_embeddings`) at i32 `ids` `[N]`, dequantized as
   * `dequantizeRows` does → `[N, D]` in `dtype`. Core checked the layout; the backend checks ids (0 ≤ id < V). The
   * fallback (`ops/quantized-gather.ts`) dequantizes from the table's host copy at the host ids.
   */
  gatherQuantized?(table: QuantizedWeight, ids: Tensor, dtype: FloatDType): Tensor;
  /**
   * True when `quantizedLinear` honours `weight.activations === "int8"` (dynamic per-row int8 activations, the
   * numerics of `int8DynamicGemmHost`) for f32 inputs; otherwise such weights get the float-activation product.
   */
  readonly int8Activations?: boolean;
  /** `LayerNorm(x + residual)`. */
  addLayerNorm?(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor;
  /** The whole disentangled attention, see the semantics above. */
  disentangledAttention?(args: AttentionArgs): AttentionResult;
}

// ── registry ──────────────────────────────────────────────────────────────────────────────────────────────────

export type BackendAvailability = { available: true } | { available: false; reason: string };

export interface BackendFactory<Options = unknown> {
  readonly name: string;
  /** Higher wins when no backend is named. cpu = 0. */
  readonly priority: number;
  /** Cheap check: can this backend start here? Says why not. */
  isAvailable(): Promise<BackendAvailability>;
  create(options?: Options): Promise<Backend>;
}

const registry = new Map<string, BackendFactory<any>>();

/** Registers a backend under its name (replacing an earlier registration of the same name). */
export function registerBackend(factory: BackendFactory<any>): void {
  registry.set(factory.name, factory);
}

export function registeredBackends(): BackendFactory[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority);
}

/**
 * Creates a backend by name, or the highest-priority available one. Throws `BackendUnavailableError` with the
 * backend's own reason when it cannot start; with no name given it falls back down the priority list.
 */
export async function createBackend(name?: string, options?: unknown): Promise<Backend> {
  if (name) {
    const f = registry.get(name);
    if (!f) {
      const known = [...registry.keys()].join(", ") || "none";
      throw new BackendUnavailableError(
        name,
        `no backend registered under this name (registered: ${known}); import its package, e.g. "@deberta-js/backend-${name}"`,
      );
    }
    const a = await f.isAvailable();
    if (!a.available) throw new BackendUnavailableError(name, a.reason);
    return f.create(options);
  }
  const reasons: string[] = [];
  for (const f of registeredBackends()) {
    const a = await f.isAvailable();
    if (a.available) return f.create(options);
    reasons.push(`${f.name}: ${a.reason}`);
  }
  throw new BackendUnavailableError("(any)", reasons.length ? reasons.join("; ") : "no backend registered");
}
