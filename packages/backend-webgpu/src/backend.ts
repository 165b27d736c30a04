/**
 * `WebGpuBackend`: the core `Backend` on a `GPUDevice`, with WGSL compute kernels.
 *
 * The backend validates each op with core's op contract and hands it to an op function (`ops/`), which plans the
 * dispatches (`launch.ts`: workgroup counts, tiles, kernel family) and records them on the `Recorder`
 * (`recorder.ts`: encoder, submits, error scopes, device loss). Tensor memory is `memory.ts` (pooled buffers, row
 * chunks), host ↔ GPU copies `transfers.ts`.
 *
 * - Every op records a dispatch into one command encoder; nothing is submitted until a tensor is read, `sync()` is
 *   called, a tensor is exported to the GPU (`toOrtGpuTensor`), or `maxDispatchesPerSubmit` is reached. A forward
 *   pass is therefore one submit, and no data comes back until an output is asked for.
 * - Pipelines are compiled once per shader variant (`PipelineCache`), buffers come from a size-bucketed pool
 *   (`BufferPool`), kernel parameters from a uniform arena written once per submit (`UniformArena`).
 * - Tensors bigger than the largest buffer are split in row chunks (`GpuStorage`); gather and linear/matmul with the
 *   split tensor as the transposed right operand walk the chunks (the embedding table and the tied MLM decoder).
 * - f16 when the device has `shader-f16`: f16 storage, f32 arithmetic inside the kernels.
 * - Validation and out-of-memory errors are caught with error scopes around each submit and thrown from the next
 *   `read` / `sync` as `DebertaError("BACKEND_ERROR")`, naming the device's limits when memory ran out.
 */
import {
  type QuantizedWeight,
  type Activation,
  type AttentionArgs,
  type AttentionResult,
  type Backend,
  DebertaError,
  type DType,
  type FloatDType,
  type MatmulOptions,
  type SequenceLayout,
  type Tensor,
  type TensorData,
  type OrtTensor,
  opContract,
} from "@deberta-js/core";
import { BufferPool } from "./buffer-pool.js";
import { type KernelProfile, kernelProfileFor } from "./launch.js";
import { LayoutMetaCache } from "./layout-meta.js";
import { GpuMemory } from "./memory.js";
import type { KernelTiming } from "./profiler.js";
import { DawnRecorder, type Recorder } from "./recorder.js";
import { Transfers } from "./transfers.js";
import { disentangledAttention } from "./ops/attention.js";
import type { OpContext } from "./ops/context.js";
import { conv1d } from "./ops/conv1d.js";
import { binary, unary } from "./ops/elementwise.js";
import { gemm, quantizedLinear } from "./ops/gemm.js";
import { gather, gatherQuantized, takeAlongAxis, transpose } from "./ops/indexing.js";
import { layerNorm, softmax } from "./ops/rows.js";
import { TAKE_MAX_RANK } from "./kernels/gather.wgsl.js";

export { type KernelProfile, kernelProfileFor } from "./launch.js";

export interface WebGpuBackendOptions {
  /**
   * Largest buffer the backend creates, in bytes (default: the device's `min(maxStorageBufferBindingSize,
   * maxBufferSize)`). Bigger tensors are split in row chunks. Tests set it low to exercise the chunked paths.
   */
  maxBufferBytes?: number;
  /** Free buffers kept for reuse beyond this many bytes are destroyed (default 512 MiB). */
  poolBytes?: number;
  /** Dispatches recorded before an automatic submit (default 4096). */
  maxDispatchesPerSubmit?: number;
  /** Compute in f16 when the device has `shader-f16` (default true). */
  f16?: boolean;
  /** `destroy()` also destroys the device (true when the backend requested the device itself). */
  ownsDevice?: boolean;
  /** Adapter description for messages (e.g. "google swiftshader"). */
  adapterDescription?: string;
  /** Called by `destroy()` after everything is freed (the Node entry drops its Dawn instance here). */
  onDestroy?: () => void;
  /**
   * Kernel family. "gpu": tiled kernels with workgroup memory and barriers (real GPUs). "cpu": barrier-free
   * kernels, one invocation per output block / row / query, for adapters that run on the CPU (SwiftShader,
   * lavapipe), where every barrier is a fiber switch. Default: "cpu" when the adapter is a CPU / fallback one.
   */
  kernels?: KernelProfile;
  /**
   * Time every kernel with GPU timestamps (needs `timestamp-query`, which `createWebGpuBackend` requests when this
   * is set); read the totals with `profileReport()`.
   */
  profile?: boolean;
}

const DEFAULT_MAX_DISPATCHES = 4096;

interface OwnerParts {
  memory: GpuMemory;
  transfers: Transfers;
  ctx: OpContext;
}

export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  readonly device: GPUDevice;
  /** Largest buffer the backend creates (bytes). */
  readonly maxBufferBytes: number;
  /** The kernel family in use (see `WebGpuBackendOptions.kernels`). */
  readonly kernels: KernelProfile;
  private readonly f16: boolean;
  private readonly options: WebGpuBackendOptions;
  private readonly pool: BufferPool;
  private readonly recorder: Recorder;
  private readonly layoutMetas: LayoutMetaCache;
  /** Memory, transfers and op context per tensor owner (see `parts`). */
  private readonly owners = new WeakMap<Backend, OwnerParts>();
  private readonly maxWorkgroupStorage: number;
  private destroyed = false;

  /** `recorder`: where ops record their dispatches (default: the device's own; tests pass a fake one). */
  constructor(device: GPUDevice, options: WebGpuBackendOptions = {}, recorder?: Recorder) {
    this.device = device;
    this.options = options;
    const lim = device.limits;
    const deviceMax = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    this.maxBufferBytes = Math.max(256, Math.min(options.maxBufferBytes ?? deviceMax, deviceMax));
    this.f16 = (options.f16 ?? true) && device.features.has("shader-f16");
    this.kernels = options.kernels ?? kernelProfileFor((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    this.pool = new BufferPool(device, this.maxBufferBytes, options.poolBytes);
    this.recorder =
      recorder ??
      new DawnRecorder(device, {
        maxDispatches: options.maxDispatchesPerSubmit ?? DEFAULT_MAX_DISPATCHES,
        profile: options.profile,
        adapterDescription: options.adapterDescription,
        bytesHeld: () => this.pool.bytesAllocated,
      });
    this.maxWorkgroupStorage = lim.maxComputeWorkgroupStorageSize;
    this.layoutMetas = new LayoutMetaCache((bytes) => this.parts().transfers.writeBytes(bytes), this.pool);
  }

  /**
   * Tensors belong to the object an op was called on (`this`): the backend itself, or a wrapper of it such as core's
   * `withInjectedFailure` proxy, so the op contract's ownership check holds for the wrapper's tensors too.
   */
  private parts(): OwnerParts {
    let p = this.owners.get(this);
    if (!p) {
      const memory = new GpuMemory(this, this.pool, this.maxBufferBytes, () => this.recorder.epoch);
      const ctx: OpContext = {
        recorder: this.recorder,
        memory,
        kernels: this.kernels,
        maxWorkgroupStorage: this.maxWorkgroupStorage,
        layoutMeta: (layout: SequenceLayout) => this.layoutMetas.get(layout),
      };
      this.owners.set(this, (p = { memory, transfers: new Transfers(this.device, memory, this.recorder), ctx }));
    }
    return p;
  }

  supportsDtype(dtype: FloatDType): boolean {
    return dtype === "f32" || (dtype === "f16" && this.f16);
  }

  /**
   * GPU time per kernel variant since the last call (submits pending work first). Empty unless the backend was
   * created with `profile: true` on an adapter with `timestamp-query`.
   */
  profileReport(): Promise<KernelTiming[]> {
    return this.recorder.profileReport();
  }

  /** Bytes held in GPU buffers by this backend's pool (live tensors + free buffers kept for reuse). */
  get bytesAllocated(): number {
    return this.pool.bytesAllocated;
  }

  get pipelineCount(): number {
    return this.recorder.pipelineCount;
  }

  /** Submits so far (tests check batching). */
  get submits(): number {
    return this.recorder.submits;
  }

  // ── storage ───────────────────────────────────────────────────────────────────────────────────────────────

  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    this.assertUsable();
    // The contract's upload rule: the right typed array per dtype (f32 → f16 rounded on the host), never a
    // reinterpretation of another array's values.
    return this.parts().transfers.upload(opContract.upload(this, data, shape, dtype), shape, dtype);
  }

  /** `upload` in slices, waiting for the queue between them (see `Transfers.uploadAsync`); weight loading uses it. */
  async uploadAsync(data: TensorData, shape: readonly number[], dtype: DType): Promise<Tensor> {
    this.assertUsable();
    return this.parts().transfers.uploadAsync(opContract.upload(this, data, shape, dtype), shape, dtype);
  }

  read(t: Tensor): Promise<TensorData> {
    this.assertUsable();
    opContract.read(this, t);
    return this.parts().transfers.read(t);
  }

  dispose(t: Tensor): void {
    this.parts().memory.release(t, !this.destroyed);
  }

  async sync(): Promise<void> {
    this.assertUsable();
    this.recorder.flush();
    const errors = this.recorder.takeErrors();
    await this.device.queue.onSubmittedWorkDone();
    this.recorder.throwErrors(await errors, "sync");
  }

  destroy(): void {
    if (this.destroyed) return;
    try {
      if (!this.recorder.lostReason) this.recorder.flush();
    } catch {
      /* the device may already be gone */
    }
    this.destroyed = true;
    this.layoutMetas.clear();
    this.pool.destroy();
    this.recorder.close(!!this.options.ownsDevice);
    if (this.options.ownsDevice) this.device.destroy();
    this.options.onDestroy?.();
  }

  /**
   * The tensor as an `onnxruntime-common` GPU tensor (`Tensor.fromGpuBuffer`) on this backend's device: a copy in a
   * buffer of its own (so the backend's pool never recycles it), with `download` and `dispose`. Split tensors are
   * not exportable.
   */
  toOrtGpuTensor(t: Tensor): OrtTensor {
    this.assertUsable();
    return this.parts().transfers.toOrtGpuTensor(t);
  }

  // ── ops: the contract validates, an op function plans and records ─────────────────────────────────────────

  cast(x: Tensor, dtype: FloatDType): Tensor {
    this.assertUsable();
    opContract.cast(this, x, dtype);
    return unary(this.parts().ctx, x, undefined, dtype, "cast");
  }

  activation(x: Tensor, act: Activation): Tensor {
    this.assertUsable();
    opContract.activation(this, x, act);
    return unary(this.parts().ctx, x, act, x.dtype, "activation");
  }

  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    this.assertUsable();
    const { M, N, K, transA, transB, batchA, batchB, outBatch } = opContract.matmul(this, a, b, opts);
    return gemm(this.parts().ctx, { a, b, M, N, K, batchA, batchB, outBatch, transA, transB, alpha: opts.alpha ?? 1 });
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    this.assertUsable();
    const { rows: M, inF: K, outF: N, shape } = opContract.linear(this, x, weight, bias, act);
    const y = gemm(this.parts().ctx, { a: x.reshape([M, K]), b: weight, M, N, K, batchA: [], batchB: [], outBatch: [], transA: false, transB: true, alpha: 1, bias, act });
    return x.rank === 2 ? y : y.moveTo(shape);
  }

  /** Dequantizes inside the GEMM from the packed u32 words. */
  quantizedLinear(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
    this.assertUsable();
    const { rows: M, inF: K, outF: N, shape } = opContract.quantizedLinear(this, x, weight, bias, act);
    return quantizedLinear(this.parts().ctx, x, weight, bias, act, { M, N, K, shape });
  }

  add(a: Tensor, b: Tensor): Tensor {
    this.assertUsable();
    return binary(this.parts().ctx, "add", a, b, opContract.add(this, a, b).shape);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    this.assertUsable();
    return binary(this.parts().ctx, "mul", a, b, opContract.mul(this, a, b).shape);
  }

  /** int8 embedding rows dequantized in the shader: the table stays packed on the GPU (no host copy). */
  gatherQuantized(table: QuantizedWeight, ids: Tensor, dtype: FloatDType): Tensor {
    this.assertUsable();
    return gatherQuantized(this.parts().ctx, table, ids, dtype, opContract.gatherQuantized(this, table, ids, dtype));
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    this.assertUsable();
    return gather(this.parts().ctx, table, ids, opContract.gather(this, table, ids));
  }

  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
    this.assertUsable();
    const { axis: ax, shape } = opContract.takeAlongAxis(this, x, idx, axis);
    if (x.rank > TAKE_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu takeAlongAxis: rank ${x.rank} > ${TAKE_MAX_RANK}`);
    return takeAlongAxis(this.parts().ctx, x, idx, ax, shape);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    this.assertUsable();
    opContract.layerNorm(this, x, gamma, beta, eps);
    return layerNorm(this.parts().ctx, x, undefined, gamma, beta, eps);
  }

  addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    this.assertUsable();
    opContract.addLayerNorm(this, x, residual, gamma, beta, eps);
    return layerNorm(this.parts().ctx, x, residual, gamma, beta, eps);
  }

  softmax(x: Tensor, mask?: Tensor): Tensor {
    this.assertUsable();
    return softmax(this.parts().ctx, x, mask, opContract.softmax(this, x, mask).D);
  }

  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor {
    this.assertUsable();
    return conv1d(this.parts().ctx, x, weight, bias, layout, opContract.conv1d(this, x, weight, bias, layout));
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    this.assertUsable();
    return transpose(this.parts().ctx, x, perm, opContract.transpose(this, x, perm).shape);
  }

  disentangledAttention(args: AttentionArgs): AttentionResult {
    this.assertUsable();
    return disentangledAttention(this.parts().ctx, args, opContract.disentangledAttention(this, args));
  }

  private assertUsable() {
    if (this.destroyed) throw new DebertaError("BACKEND_ERROR", "webgpu: the backend was destroyed");
    const lost = this.recorder.lostReason;
    if (lost) throw new DebertaError("BACKEND_ERROR", `webgpu: the device was lost (${lost})`);
  }
}
