/**
 * `WebGpuBackend`: the core `Backend` on a `GPUDevice`, with WGSL compute kernels.
 *
 * - Every op records a dispatch into one command encoder (one compute pass); nothing is submitted until a tensor is
 *   read, `sync()` is called, a tensor is exported to the GPU (`toOrtGpuTensor`), or `maxDispatchesPerSubmit` is
 *   reached. A forward pass is therefore one submit, and no data comes back until an output is asked for.
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
  DisposedError,
  type DType,
  type FloatDType,
  type MatmulOptions,
  type SequenceLayout,
  Tensor,
  type TensorData,
  OrtTensor,
  layoutBatch,
  broadcastStrides,
  coalesceDims,
  sameShape,
  sizeOf,
  stridesOf,
  opContract,
} from "@deberta-js/core";
import { BufferPool, type PooledBuffer } from "./buffer-pool.js";
import { BufferUsage, MapMode } from "./gpu-constants.js";
import { PipelineCache, type KernelVariant } from "./pipelines.js";
import { GpuStorage, bytesPerElement, planChunks } from "./storage.js";
import { UniformArena } from "./uniforms.js";
import { type KernelTiming, Profiler } from "./profiler.js";
import { attentionKernel, attentionParams, attentionSharedBytes } from "./kernels/attention.wgsl.js";
import { IM2COL_WG, im2colKernel, im2colParams } from "./kernels/conv1d.wgsl.js";
import { EW_MAX_RANK, EW_WG, binaryKernel, binaryParams, unaryKernel, unaryParams } from "./kernels/elementwise.wgsl.js";
import { GATHER_WG, TAKE_MAX_RANK, gatherKernel, gatherParams, takeAlongAxisKernel, takeParams } from "./kernels/gather.wgsl.js";
import { ROW_WG, layerNormKernel, layerNormParams, layerNormRowKernel, layerNormWorkgroup } from "./kernels/layernorm.wgsl.js";
import { ATTN_ROW_WG, attentionRowKernel } from "./kernels/attention-row.wgsl.js";
import { DIRECT_R, DIRECT_WG, matmulDirectKernel } from "./kernels/matmul-direct.wgsl.js";
import { MATMUL_MAX_BATCH_RANK, matmulKernel, matmulParams } from "./kernels/matmul.wgsl.js";
import { QLINEAR_R, QLINEAR_WG, qlinearParams, quantizedLinearKernel } from "./kernels/quantized-linear.wgsl.js";
import { SOFTMAX_MAX_RANK, softmaxKernel, softmaxParams } from "./kernels/softmax.wgsl.js";
import { TRANSPOSE_MAX_RANK, TRANSPOSE_WG, transposeKernel, transposeParams } from "./kernels/transpose.wgsl.js";

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

export type KernelProfile = "gpu" | "cpu";

/** "cpu" for adapters that run on the CPU (SwiftShader, llvmpipe / lavapipe, fallback adapters), else "gpu". */
export function kernelProfileFor(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } | undefined): KernelProfile {
  if (!info) return "gpu";
  if (info.isFallbackAdapter) return "cpu";
  const text = `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.device ?? ""} ${info.description ?? ""}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text) ? "cpu" : "gpu";
}

const DEFAULT_MAX_DISPATCHES = 4096;
const MAX_GROUPS = 65535;

export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  readonly device: GPUDevice;
  /** Largest buffer the backend creates (bytes). */
  readonly maxBufferBytes: number;
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  private readonly uniforms: UniformArena;
  private readonly f16: boolean;
  private readonly maxDispatches: number;
  private readonly maxWorkgroupStorage: number;
  /** The kernel family in use (see `WebGpuBackendOptions.kernels`). */
  readonly kernels: KernelProfile;
  private readonly options: WebGpuBackendOptions;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  /** Index of the encoder being recorded; bumped at each submit (see `BufferPool`). */
  private epoch = 0;
  private pendingErrors: Promise<GPUError | null>[] = [];
  private lostReason: string | null = null;
  private destroyed = false;
  private readonly layoutCache = new Map<string, PooledBuffer>();
  private readonly layoutKeys = new WeakMap<SequenceLayout, string>();
  /** Submits so far (tests check batching). */
  submits = 0;
  private readonly profiler: Profiler | null;

  constructor(device: GPUDevice, options: WebGpuBackendOptions = {}) {
    this.device = device;
    this.options = options;
    const lim = device.limits;
    const deviceMax = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    this.maxBufferBytes = Math.max(256, Math.min(options.maxBufferBytes ?? deviceMax, deviceMax));
    this.maxWorkgroupStorage = lim.maxComputeWorkgroupStorageSize;
    this.pool = new BufferPool(device, this.maxBufferBytes, options.poolBytes);
    this.pipelines = new PipelineCache(device);
    this.uniforms = new UniformArena(device, lim.minUniformBufferOffsetAlignment);
    this.f16 = (options.f16 ?? true) && device.features.has("shader-f16");
    this.maxDispatches = options.maxDispatchesPerSubmit ?? DEFAULT_MAX_DISPATCHES;
    this.kernels = options.kernels ?? kernelProfileFor((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    this.pushScopes();
    this.profiler = options.profile && device.features.has("timestamp-query") ? new Profiler(device) : null;
    device.lost?.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  supportsDtype(dtype: FloatDType): boolean {
    return dtype === "f32" || (dtype === "f16" && this.f16);
  }

  /**
   * GPU time per kernel variant since the last call (submits pending work first). Empty unless the backend was
   * created with `profile: true` on an adapter with `timestamp-query`.
   */
  async profileReport(): Promise<KernelTiming[]> {
    if (!this.profiler) return [];
    this.flush();
    const r = await this.profiler.report();
    this.profiler.reset();
    return r;
  }

  /** Bytes held in GPU buffers by this backend's pool (live tensors + free buffers kept for reuse). */
  get bytesAllocated(): number {
    return this.pool.bytesAllocated;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  // ── storage ───────────────────────────────────────────────────────────────────────────────────────────────

  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    this.assertUsable();
    // The contract's upload rule: the right typed array per dtype (f32 → f16 rounded on the host), never a
    // reinterpretation of another array's values.
    const typed = opContract.upload(this, data, shape, dtype);
    const n = typed.length;
    const chunkElems = this.plan(shape, dtype, "upload");
    const bpe = bytesPerElement(dtype);
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, n * bpe);
    const chunks: PooledBuffer[] = [];
    const nChunks = Math.max(1, Math.ceil(n / chunkElems));
    for (let c = 0; c < nChunks; c++) {
      const from = c * chunkElems * bpe;
      const len = Math.min(chunkElems, n - c * chunkElems) * bpe;
      chunks.push(this.writeBytes(bytes.subarray(from, from + len)));
    }
    return new Tensor(this, this.pool.adopt(new GpuStorage(chunks, chunkElems, n, dtype), chunks), [...shape], dtype);
  }

  async read(t: Tensor): Promise<TensorData> {
    this.assertUsable();
    opContract.read(this, t);
    const st = this.storage(t);
    const bpe = bytesPerElement(st.dtype);
    const bytes = st.elems * bpe;
    const staging = this.device.createBuffer({ size: Math.max(4, align4(bytes)), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: "deberta-js read" });
    const enc = this.commandEncoder();
    this.endPass();
    let off = 0;
    for (let c = 0; c < st.chunks.length; c++) {
      const len = align4(st.chunkSize(c) * bpe);
      if (len) enc.copyBufferToBuffer(st.chunks[c].buffer, 0, staging, off, len);
      st.chunks[c].lastUse = this.epoch;
      off += len;
    }
    this.flush();
    const errors = this.pendingErrors.splice(0);
    const [mapped, errs] = await Promise.allSettled([staging.mapAsync(MapMode.READ), Promise.all(errors)]);
    try {
      this.throwErrors(errs.status === "fulfilled" ? errs.value : [], "read");
      if (mapped.status === "rejected") {
        throw new DebertaError("BACKEND_ERROR", `webgpu read of [${t.shape}] ${t.dtype} failed: ${this.lostReason ?? String(mapped.reason)}`, { cause: mapped.reason });
      }
      const copy = staging.getMappedRange(0, Math.max(4, align4(bytes))).slice(0, bytes);
      staging.unmap();
      return st.dtype === "f32" ? new Float32Array(copy) : st.dtype === "f16" ? new Uint16Array(copy) : new Int32Array(copy);
    } finally {
      staging.destroy();
    }
  }

  dispose(t: Tensor): void {
    const st = t.storage as GpuStorage;
    if (!(st instanceof GpuStorage) || st.disposed) return;
    st.disposed = true;
    if (this.destroyed) return;
    this.pool.disown(st);
    for (const pb of st.chunks) this.pool.release(pb);
  }

  async sync(): Promise<void> {
    this.assertUsable();
    this.flush();
    const errors = this.pendingErrors.splice(0);
    await this.device.queue.onSubmittedWorkDone();
    this.throwErrors(await Promise.all(errors), "sync");
  }

  destroy(): void {
    if (this.destroyed) return;
    try {
      if (!this.lostReason) this.flush();
    } catch {
      /* the device may already be gone */
    }
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.layoutCache.clear();
    this.pool.destroy();
    this.uniforms.destroy();
    this.pipelines.clear();
    this.layouts.clear();
    this.profiler?.destroy();
    if (this.options.ownsDevice) this.device.destroy();
    else if (!this.lostReason) {
      // leave a caller's device as we found it: close our error scopes
      this.popScopes();
      this.pendingErrors.length = 0;
    }
    this.options.onDestroy?.();
  }

  /**
   * The tensor as an `onnxruntime-common` GPU tensor (`Tensor.fromGpuBuffer`) on this backend's device: a copy in a
   * buffer of its own (so the backend's pool never recycles it), with `download` and `dispose`. Split tensors are
   * not exportable.
   */
  toOrtGpuTensor(t: Tensor): OrtTensor {
    this.assertUsable();
    const st = this.storage(t);
    const src = st.single("toOrtGpuTensor", t.shape);
    const bytes = st.elems * bytesPerElement(st.dtype);
    const buffer = this.device.createBuffer({ size: Math.max(4, align4(bytes)), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: "deberta-js output" });
    const enc = this.commandEncoder();
    this.endPass();
    enc.copyBufferToBuffer(src.buffer, 0, buffer, 0, Math.max(4, align4(bytes)));
    src.lastUse = this.epoch;
    this.flush();
    const dataType = st.dtype === "f32" ? "float32" : st.dtype === "f16" ? "float16" : "int32";
    const device = this.device;
    const download = async () => {
      const staging = device.createBuffer({ size: buffer.size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
      device.queue.submit([e.finish()]);
      await staging.mapAsync(MapMode.READ);
      const copy = staging.getMappedRange().slice(0, bytes);
      staging.destroy();
      return dataType === "float32" ? new Float32Array(copy) : dataType === "float16" ? new Uint16Array(copy) : new Int32Array(copy);
    };
    return OrtTensor.fromGpuBuffer(buffer as never, {
      dataType,
      dims: [...t.shape],
      download: download as never,
      dispose: () => buffer.destroy(),
    }) as OrtTensor;
  }

  // ── primitives ────────────────────────────────────────────────────────────────────────────────────────────

  cast(x: Tensor, dtype: FloatDType): Tensor {
    this.assertUsable();
    opContract.cast(this, x, dtype);
    return this.unary(x, undefined, dtype, "cast");
  }

  activation(x: Tensor, act: Activation): Tensor {
    this.assertUsable();
    opContract.activation(this, x, act);
    return this.unary(x, act, x.dtype, "activation");
  }

  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    this.assertUsable();
    const { M, N, K, transA, transB, batchA, batchB, outBatch } = opContract.matmul(this, a, b, opts);
    return this.gemm({ a, b, M, N, K, batchA, batchB, outBatch, transA, transB, alpha: opts.alpha ?? 1 });
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    this.assertUsable();
    const { rows: M, inF: K, outF: N, shape } = opContract.linear(this, x, weight, bias, act);
    const y = this.gemm({ a: x.reshape([M, K]), b: weight, M, N, K, batchA: [], batchB: [], outBatch: [], transA: false, transB: true, alpha: 1, bias, act });
    return x.rank === 2 ? y : y.moveTo(shape);
  }

  /** Dequantizes inside the GEMM from the packed u32 words. */
  quantizedLinear(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
    this.assertUsable();
    const { rows: M, inF: K, outF: N, shape } = opContract.quantizedLinear(this, x, weight, bias, act);
    const out = this.alloc(shape, x.dtype, "quantizedLinear");
    if (!out.size) return out;
    const kv = quantizedLinearKernel({ layout: weight.layout, dx: x.dtype, bias: bias?.dtype, act });
    const bindings = [
      undefined,
      this.buf(x, "quantizedLinear input"),
      this.buf(weight.data, "quantizedLinear weight"),
      this.buf(weight.scales, "quantizedLinear scales"),
      weight.table ? this.buf(weight.table) : undefined,
      bias ? this.buf(bias, "quantizedLinear bias") : undefined,
      this.buf(out),
    ];
    const tiles = Math.ceil(M / QLINEAR_R) * Math.ceil(N / QLINEAR_R);
    this.dispatch(kv, qlinearParams.pack({ M, N, K, blockSize: weight.blockSize }), bindings, this.grid1d(tiles, QLINEAR_WG));
    return out;
  }

  add(a: Tensor, b: Tensor): Tensor {
    this.assertUsable();
    return this.binary("add", a, b, opContract.add(this, a, b).shape);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    this.assertUsable();
    return this.binary("mul", a, b, opContract.mul(this, a, b).shape);
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    this.assertUsable();
    const { V, D, N } = opContract.gather(this, table, ids);
    const out = this.alloc([N, D], table.dtype, "gather");
    if (N === 0 || D === 0) return out;
    const st = this.storage(table);
    const idsBuf = this.storage(ids).single("gather", ids.shape);
    const kv = gatherKernel(table.dtype);
    const rowsPerChunk = st.chunkElems / D;
    if (st.split && !Number.isInteger(rowsPerChunk)) st.single("gather (a view that splits rows)", table.shape);
    for (let c = 0; c < st.chunks.length; c++) {
      const rowStart = c * rowsPerChunk;
      const rows = Math.min(rowsPerChunk, V - rowStart);
      this.dispatch(kv, gatherParams.pack({ n: N, D, rowStart, rows }), [undefined, st.chunks[c], idsBuf, this.buf(out)], this.grid1d(N * D, GATHER_WG));
    }
    return out;
  }

  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
    this.assertUsable();
    const r = x.rank;
    const { axis: ax, shape: outShape } = opContract.takeAlongAxis(this, x, idx, axis);
    axis = ax;
    if (r > TAKE_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu takeAlongAxis: rank ${r} > ${TAKE_MAX_RANK}`);
    const xs = stridesOf(x.shape);
    const is = stridesOf(idx.shape);
    const sx = outShape.map((o, i) => (i === axis || (x.shape[i] === 1 && o !== 1) ? 0 : xs[i]));
    const si = outShape.map((o, i) => (idx.shape[i] === 1 && o !== 1 ? 0 : is[i]));
    const out = this.alloc(outShape, x.dtype, "takeAlongAxis");
    const n = out.size;
    if (!n) return out;
    this.dispatch(
      takeAlongAxisKernel(x.dtype),
      takeParams.pack({ n, rank: r, axis, axisStride: xs[axis], axisSize: x.shape[axis], shape: outShape, sx, si }),
      [undefined, this.buf(x, "takeAlongAxis"), this.buf(idx, "takeAlongAxis"), this.buf(out)],
      this.grid1d(n, GATHER_WG),
    );
    return out;
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    this.assertUsable();
    opContract.layerNorm(this, x, gamma, beta, eps);
    return this.norm(x, undefined, gamma, beta, eps);
  }

  addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    this.assertUsable();
    opContract.addLayerNorm(this, x, residual, gamma, beta, eps);
    return this.norm(x, residual, gamma, beta, eps);
  }

  softmax(x: Tensor, mask?: Tensor): Tensor {
    this.assertUsable();
    const { D: C } = opContract.softmax(this, x, mask);
    const out = this.alloc(x.shape, x.dtype, "softmax");
    const rows = C ? x.size / C : 0;
    if (!rows) return out;
    let shape: number[] = [x.size];
    let sm: number[] = [0];
    if (mask) {
      const c = coalesceDims(x.shape, [stridesOf(x.shape), broadcastStrides(mask.shape, x.shape)]);
      if (c.dims.length > SOFTMAX_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu softmax: mask broadcast needs ${c.dims.length} dims > ${SOFTMAX_MAX_RANK}`);
      shape = c.dims;
      sm = c.strides[1];
    }
    this.dispatch(
      softmaxKernel(x.dtype, mask?.dtype, this.kernels === "cpu"),
      softmaxParams.pack({ rows, C, rank: shape.length, shape, sm }),
      [undefined, this.buf(x, "softmax"), mask ? this.buf(mask, "softmax") : undefined, this.buf(out)],
      this.kernels === "cpu" ? this.grid1d(rows, 64) : this.gridRows(rows),
    );
    return out;
  }

  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor {
    this.assertUsable();
    const { Cout, Cin, k, T } = opContract.conv1d(this, x, weight, bias, layout);
    const width = Cin * k;
    const cols = this.alloc([T, width], x.dtype, "conv1d");
    if (T * width) {
      this.dispatch(
        im2colKernel(x.dtype),
        im2colParams.pack({ T, Cin, k, pad: Math.floor((k - 1) / 2), batch: layoutBatch(layout) }),
        [undefined, this.buf(x, "conv1d"), this.layoutMeta(layout), this.buf(cols)],
        this.grid1d(T * width, IM2COL_WG),
      );
    }
    const out = this.gemm({ a: cols, b: weight.reshape([Cout, width]), M: T, N: Cout, K: width, batchA: [], batchB: [], outBatch: [], transA: false, transB: true, alpha: 1, bias });
    cols.dispose();
    return out;
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    this.assertUsable();
    const { shape: outShape } = opContract.transpose(this, x, perm);
    const xs = stridesOf(x.shape);
    const out = this.alloc(outShape, x.dtype, "transpose");
    const n = out.size;
    if (!n) return out;
    const c = coalesceDims(outShape, [perm.map((p) => xs[p])]);
    if (c.dims.length > TRANSPOSE_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu transpose: ${c.dims.length} dims after merging > ${TRANSPOSE_MAX_RANK}`);
    this.dispatch(
      transposeKernel(x.dtype),
      transposeParams.pack({ n, rank: c.dims.length, shape: c.dims, sx: c.strides[0] }),
      [undefined, this.buf(x, "transpose"), this.buf(out)],
      this.grid1d(n, TRANSPOSE_WG),
    );
    return out;
  }

  disentangledAttention(args: AttentionArgs): AttentionResult {
    this.assertUsable();
    const { spec, layout } = args;
    const { H, D, HD, B, L: maxLen, T, relative: rel, relCentre: centre, relRows } = opContract.disentangledAttention(this, args);
    const nRel = rel ? relRows : 1;
    const dtype = args.q.dtype;
    const context = this.alloc([T, HD], dtype, "attention");
    const probs = args.outputAttentions ? this.alloc([B, H, maxLen, maxLen], dtype, "attention probabilities") : undefined;
    if (!T || !B || !maxLen) return probs ? { context, probs } : { context };

    const params = attentionParams.pack({
      B,
      H,
      HD,
      maxLen,
      centre,
      nRel,
      padded: layout.kind === "padded" ? 1 : 0,
      seqLen: layout.kind === "padded" ? layout.seqLen : 0,
      scale: spec.scale,
    });
    const meta = this.layoutMeta(layout);
    const bufs = {
      q: this.buf(args.q, "attention"),
      k: this.buf(args.k, "attention"),
      v: this.buf(args.v, "attention"),
      posK: spec.c2p ? this.buf(args.posKey!, "attention") : undefined,
      posQ: spec.p2c ? this.buf(args.posQuery!, "attention") : undefined,
      rel: rel ? this.buf(args.relIndex!, "attention") : undefined,
    };
    for (const mode of probs ? (["ctx", "probs"] as const) : (["ctx"] as const)) {
      const bindings: (PooledBuffer | undefined)[] = [undefined, bufs.q, bufs.k, mode === "ctx" ? bufs.v : undefined, bufs.posK, bufs.posQ, bufs.rel, meta];
      if (mode === "ctx") bindings[8] = this.buf(context);
      else bindings[9] = this.buf(probs!);
      if (this.kernels === "cpu") {
        const kv = attentionRowKernel({ dtype, headDim: D, c2p: spec.c2p, p2c: spec.p2c, mode });
        this.dispatch(kv, params, bindings, this.grid1d(B * H * maxLen, ATTN_ROW_WG));
        continue;
      }
      const tile = this.attentionTile(D, maxLen, spec.c2p, spec.p2c, mode);
      const kv = attentionKernel({ dtype, headDim: D, bq: tile, bk: tile, c2p: spec.c2p, p2c: spec.p2c, mode });
      const groups = Math.ceil(maxLen / tile);
      if (groups > MAX_GROUPS || H > MAX_GROUPS || B > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu attention: grid ${groups}×${H}×${B} exceeds ${MAX_GROUPS}`);
      this.dispatch(kv, params, bindings, [groups, H, B]);
    }
    return probs ? { context, probs } : { context };
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────

  private storage(t: Tensor): GpuStorage {
    const st = t.storage;
    // Ownership was checked by the op contract; this guards internal misuse (and dispose races) only.
    if (!(st instanceof GpuStorage) || t.backend !== this) throw new DebertaError("BACKEND_ERROR", `webgpu: tensor [${t.shape}] is not this backend's`);
    if (st.disposed) throw new DisposedError(`webgpu: tensor [${t.shape}] ${t.dtype} was used after dispose()`);
    return st;
  }

  /** The single buffer of a tensor (ops that cannot walk split tensors). */
  private buf(t: Tensor, op = "op"): PooledBuffer {
    return this.storage(t).single(op, t.shape);
  }

  private plan(shape: readonly number[], dtype: DType, op: string): number {
    const chunkElems = planChunks(shape, dtype, this.maxBufferBytes);
    if (!chunkElems) {
      const row = (shape[shape.length - 1] ?? 1) * 4;
      throw new DebertaError(
        "UNSUPPORTED",
        `webgpu ${op}: tensor [${shape}] ${dtype} cannot fit this device: one row needs ${row} bytes but the largest buffer is ${this.maxBufferBytes} bytes (maxStorageBufferBindingSize / maxBufferSize)`,
      );
    }
    return chunkElems;
  }

  /** A fresh op output (one buffer; op outputs are never split). */
  private alloc(shape: readonly number[], dtype: DType, op: string): Tensor {
    const n = sizeOf(shape);
    const bytes = n * bytesPerElement(dtype);
    if (bytes > this.maxBufferBytes) {
      throw new DebertaError(
        "UNSUPPORTED",
        `webgpu ${op}: the output [${shape}] ${dtype} needs ${bytes} bytes, more than the device's largest buffer (${this.maxBufferBytes} bytes); use a smaller batch or sequence length`,
      );
    }
    const pb = this.pool.acquire(bytes, { epoch: this.epoch });
    return new Tensor(this, this.pool.adopt(new GpuStorage([pb], Math.max(n, 1), n, dtype), [pb]), [...shape], dtype);
  }

  private writeBytes(bytes: Uint8Array): PooledBuffer {
    const len = bytes.byteLength;
    if (len >= 4 * 2 ** 20) {
      const pb = this.pool.createMapped(len);
      new Uint8Array(pb.buffer.getMappedRange(), 0, len).set(bytes);
      pb.buffer.unmap();
      return pb;
    }
    const pb = this.pool.acquire(len, { epoch: this.epoch, queueWrite: true, exact: len >= 2 ** 20 });
    if (len) {
      const src = len % 4 ? padTo4(bytes) : bytes;
      this.device.queue.writeBuffer(pb.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    }
    return pb;
  }

  /**
   * i32 `[offsets (batch+1)]` + (padded) `[mask (batch·seqLen)]` of a layout, uploaded once and cached by content
   * (the layers of a forward pass, and repeated batches of the same shape and mask, share it).
   */
  private layoutMeta(layout: SequenceLayout): PooledBuffer {
    let key = this.layoutKeys.get(layout);
    if (key === undefined) {
      key = layout.kind === "padded" ? `p${layout.batch},${layout.seqLen}:${layout.mask.join("")}` : `k${layout.offsets.join(",")}`;
      this.layoutKeys.set(layout, key);
    }
    const hit = this.layoutCache.get(key);
    if (hit) {
      this.layoutCache.delete(key);
      this.layoutCache.set(key, hit);
      return hit;
    }
    const B = layoutBatch(layout);
    let data: Int32Array;
    if (layout.kind === "padded") {
      data = new Int32Array(B + 1 + B * layout.seqLen);
      for (let b = 0; b <= B; b++) data[b] = b * layout.seqLen;
      data.set(layout.mask, B + 1);
    } else {
      data = Int32Array.from(layout.offsets);
    }
    const buffer = this.writeBytes(new Uint8Array(data.buffer));
    this.layoutCache.set(key, buffer);
    if (this.layoutCache.size > 8) {
      const [oldest, old] = this.layoutCache.entries().next().value as [string, PooledBuffer];
      this.layoutCache.delete(oldest);
      this.pool.release(old);
    }
    return buffer;
  }

  private unary(x: Tensor, act: Activation | undefined, dtype: DType, op: string): Tensor {
    const src = this.storage(x);
    const n = src.elems;
    // a split input keeps its chunks (a view of it may have another shape); else plan from the shape
    const chunkElems = src.split ? src.chunkElems : this.plan(x.shape, dtype, op);
    let out: Tensor;
    if (chunkElems >= n) out = this.alloc(x.shape, dtype, op);
    else {
      const chunks: PooledBuffer[] = [];
      for (let c = 0; c * chunkElems < n; c++) chunks.push(this.pool.acquire(Math.min(chunkElems, n - c * chunkElems) * bytesPerElement(dtype), { epoch: this.epoch }));
      out = new Tensor(this, this.pool.adopt(new GpuStorage(chunks, chunkElems, n, dtype), chunks), [...x.shape], dtype);
    }
    if (!n) return out;
    const dst = out.storage as GpuStorage;
    const kv = unaryKernel(act, x.dtype, dtype);
    if (!src.split && !dst.split) {
      this.dispatch(kv, unaryParams.pack({ n, inOff: 0, outOff: 0 }), [undefined, src.chunks[0], dst.chunks[0]], this.grid1d(n, EW_WG));
      return out;
    }
    // Split tensors plan their chunks from the shape alone: a split side walks its chunks, an unsplit side (f16
    // fitting one buffer where f32 does not) is addressed with an element offset.
    const walk = src.split ? src : dst;
    for (let c = 0; c < walk.chunks.length; c++) {
      const m = walk.chunkSize(c);
      const off = c * walk.chunkElems;
      this.dispatch(
        kv,
        unaryParams.pack({ n: m, inOff: src.split ? 0 : off, outOff: dst.split ? 0 : off }),
        [undefined, src.split ? src.chunks[c] : src.chunks[0], dst.split ? dst.chunks[c] : dst.chunks[0]],
        this.grid1d(m, EW_WG),
      );
    }
    return out;
  }

  private binary(op: "add" | "mul", a: Tensor, b: Tensor, outShape: number[]): Tensor {
    // The full-shape operand first, so the fast paths apply (both ops commute).
    if (!sameShape(a.shape, outShape) && sameShape(b.shape, outShape) && a.dtype === b.dtype) [a, b] = [b, a];
    const out = this.alloc(outShape, a.dtype, op);
    const n = out.size;
    if (!n) return out;
    let mode: "same" | "tail" | "general";
    let params: Uint32Array;
    const bCore = trimLeadingOnes(b.shape);
    if (sameShape(a.shape, b.shape)) {
      mode = "same";
      params = binaryParams.pack({ n });
    } else if (sameShape(a.shape, outShape) && sameShape(bCore, outShape.slice(outShape.length - bCore.length))) {
      mode = "tail";
      params = binaryParams.pack({ n, nb: Math.max(1, b.size) });
    } else {
      mode = "general";
      const c = coalesceDims(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
      if (c.dims.length > EW_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu ${op}: ${c.dims.length} broadcast dims > ${EW_MAX_RANK}`);
      params = binaryParams.pack({ n, rank: c.dims.length, shape: c.dims, sa: c.strides[0], sb: c.strides[1] });
    }
    this.dispatch(binaryKernel(op, mode, a.dtype, b.dtype, a.dtype), params, [undefined, this.buf(a, op), this.buf(b, op), this.buf(out)], this.grid1d(n, EW_WG));
    return out;
  }

  private norm(x: Tensor, residual: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    const D = x.shape[x.rank - 1] ?? 1;
    const out = this.alloc(x.shape, x.dtype, "layerNorm");
    const rows = D ? x.size / D : 0;
    if (!rows) return out;
    const cpu = this.kernels === "cpu";
    this.dispatch(
      cpu ? layerNormRowKernel(x.dtype, gamma.dtype, !!residual) : layerNormKernel(x.dtype, gamma.dtype, !!residual, layerNormWorkgroup(D)),
      layerNormParams.pack({ rows, D, eps }),
      [undefined, this.buf(x, "layerNorm"), residual ? this.buf(residual, "addLayerNorm") : undefined, this.buf(gamma, "layerNorm"), this.buf(beta, "layerNorm"), this.buf(out)],
      cpu ? this.grid1d(rows, ROW_WG) : this.gridRows(rows),
    );
    return out;
  }

  private gemm(g: {
    a: Tensor;
    b: Tensor;
    M: number;
    N: number;
    K: number;
    batchA: readonly number[];
    batchB: readonly number[];
    outBatch: readonly number[];
    transA: boolean;
    transB: boolean;
    alpha: number;
    bias?: Tensor;
    act?: Activation;
  }): Tensor {
    const { a, M, N, K, outBatch } = g;
    const out = this.alloc([...outBatch, M, N], a.dtype, "matmul");
    const batch = sizeOf(outBatch);
    if (!out.size) return out;
    const aMat = M * K;
    const bMat = K * N;
    const c = coalesceDims(outBatch, [
      broadcastStrides(g.batchA, outBatch).map((s) => s * aMat),
      broadcastStrides(g.batchB, outBatch).map((s) => s * bMat),
      stridesOf(outBatch).map((s) => s * M * N),
    ]);
    if (c.dims.length > MATMUL_MAX_BATCH_RANK) throw new DebertaError("UNSUPPORTED", `webgpu matmul: ${c.dims.length} batch dims > ${MATMUL_MAX_BATCH_RANK}`);
    if (batch > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu matmul: batch ${batch} > ${MAX_GROUPS}`);
    const aBuf = this.buf(a, "matmul (left operand)");
    const bSt = this.storage(g.b);
    if (bSt.split && (!g.transB || g.b.rank !== 2 || batch !== 1)) bSt.single("matmul (right operand, unless 2-D and transposed)", g.b.shape);
    const biasBuf = g.bias ? this.buf(g.bias, "linear bias") : undefined;
    const cpu = this.kernels === "cpu";
    const r = Math.ceil(M / 64) * Math.ceil(N / 64) * batch >= 48 ? 4 : 2;
    const tile = 16 * r;
    const variant = { da: a.dtype, db: g.b.dtype, dout: a.dtype, transA: g.transA, transB: g.transB, bias: g.bias?.dtype, act: g.act, r } as const;
    const kv = cpu ? matmulDirectKernel({ ...variant, vec4: !g.transA && g.transB && K % 4 === 0 }) : matmulKernel(variant);
    const rowsPerChunk = bSt.split ? bSt.chunkElems / K : N;
    if (!Number.isInteger(rowsPerChunk)) bSt.single("matmul (a view that splits rows)", g.b.shape);
    for (let ch = 0; ch < bSt.chunks.length; ch++) {
      const nOff = ch * rowsPerChunk;
      const n = Math.min(rowsPerChunk, N - nOff);
      let groups: [number, number, number];
      if (cpu) {
        groups = this.grid1d(Math.ceil(M / DIRECT_R) * Math.ceil(n / DIRECT_R) * batch, DIRECT_WG);
      } else {
        const gx = Math.ceil(n / tile);
        const gy = Math.ceil(M / tile);
        if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu matmul: ${M}×${n} output needs ${gy}×${gx} tiles > ${MAX_GROUPS}`);
        groups = [gx, gy, batch];
      }
      this.dispatch(
        kv,
        matmulParams.pack({ M, N: n, K, ldc: N, nOff, alpha: g.alpha, batchRank: c.dims.length, bshape: c.dims, sa: c.strides[0], sb: c.strides[1], sc: c.strides[2] }),
        [undefined, aBuf, bSt.chunks[ch], biasBuf, this.buf(out)],
        groups,
      );
    }
    return out;
  }

  /** Largest query/key block whose workgroup memory fits the device, ≤ 16 and ≤ the sequence length. */
  private attentionTile(D: number, maxLen: number, c2p: boolean, p2c: boolean, mode: "ctx" | "probs"): number {
    let t = 16;
    while (t > 1 && (t / 2 >= maxLen || attentionSharedBytes({ headDim: D, bq: t, bk: t, c2p, p2c, mode }) > this.maxWorkgroupStorage)) t /= 2;
    if (attentionSharedBytes({ headDim: D, bq: t, bk: t, c2p, p2c, mode }) > this.maxWorkgroupStorage) {
      throw new DebertaError("UNSUPPORTED", `webgpu attention: head size ${D} needs more workgroup memory than the device's ${this.maxWorkgroupStorage} bytes`);
    }
    return t;
  }

  private grid1d(n: number, wg: number): [number, number, number] {
    const groups = Math.ceil(n / wg);
    const x = Math.min(groups, MAX_GROUPS);
    const y = Math.ceil(groups / x);
    if (y > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu: ${n} elements exceed one dispatch`);
    return [x, y, 1];
  }

  private gridRows(rows: number): [number, number, number] {
    const x = Math.min(rows, MAX_GROUPS);
    const y = Math.ceil(rows / x);
    if (y > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu: ${rows} rows exceed one dispatch`);
    return [x, y, 1];
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: "deberta-js" });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass() {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Records one dispatch; `bindings[i]` is bound at binding i (0 is the parameter uniform). */
  private dispatch(kv: KernelVariant, params: Uint32Array, bindings: (PooledBuffer | undefined)[], groups: [number, number, number]) {
    const pipeline = this.pipelines.get(kv);
    let layout = this.layouts.get(pipeline);
    if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
    const slot = this.uniforms.alloc(params);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot.buffer, offset: slot.offset, size: slot.size } }];
    for (let i = 1; i < bindings.length; i++) {
      const pb = bindings[i];
      if (!pb) continue;
      pb.lastUse = this.epoch;
      entries.push({ binding: i, resource: { buffer: pb.buffer } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries, label: kv.key });
    if (this.profiler) {
      if (this.profiler.full) this.flush();
      this.endPass();
      this.pass = this.commandEncoder().beginComputePass(this.profiler.passDescriptor(kv.key));
    }
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (++this.dispatches >= this.maxDispatches) this.flush();
  }

  /** Submits everything recorded so far. */
  private flush() {
    if (!this.encoder) return;
    this.endPass();
    const afterSubmit = this.profiler?.beforeSubmit(this.encoder);
    this.uniforms.flush(this.device.queue);
    this.device.queue.submit([this.encoder.finish()]);
    afterSubmit?.();
    this.encoder = null;
    this.dispatches = 0;
    this.epoch++;
    this.submits++;
    this.popScopes();
    this.pushScopes();
  }

  private pushScopes() {
    this.device.pushErrorScope("validation");
    this.device.pushErrorScope("out-of-memory");
  }

  private popScopes() {
    this.pendingErrors.push(this.device.popErrorScope(), this.device.popErrorScope());
  }

  private throwErrors(errors: (GPUError | null)[], op: string) {
    const errs = errors.filter((e): e is GPUError => !!e);
    if (this.lostReason) throw new DebertaError("BACKEND_ERROR", `webgpu ${op}: the device was lost (${this.lostReason})`);
    if (!errs.length) return;
    const oom = errs.find((e) => e.constructor?.name === "GPUOutOfMemoryError" || /out of memory|OutOfMemory/i.test(e.message));
    if (oom) {
      throw new DebertaError(
        "BACKEND_ERROR",
        `webgpu ${op}: the GPU${this.options.adapterDescription ? ` (${this.options.adapterDescription})` : ""} ran out of memory (${oom.message.trim()}); the backend held ${(this.pool.bytesAllocated / 2 ** 20).toFixed(1)} MiB in buffers. The model does not fit this device: try f16, a smaller batch, or another backend`,
      );
    }
    throw new DebertaError("BACKEND_ERROR", `webgpu ${op}: ${errs.map((e) => e.message.trim()).join("; ")}`);
  }

  private assertUsable() {
    if (this.destroyed) throw new DebertaError("BACKEND_ERROR", "webgpu: the backend was destroyed");
    if (this.lostReason) throw new DebertaError("BACKEND_ERROR", `webgpu: the device was lost (${this.lostReason})`);
  }
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(bytes.byteLength));
  out.set(bytes);
  return out;
}

function trimLeadingOnes(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length - 1 && shape[i] === 1) i++;
  return shape.slice(i);
}
