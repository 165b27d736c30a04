/**
 * `CudaBackend`: the core `Backend` on an NVIDIA GPU. Tensors live in device memory from a caching pool; every op
 * enqueues kernels or cuBLASLt calls on one stream and returns at once; `read` is the only wait.
 *
 * Dtypes: `f32`, and `f16` stored as IEEE half — or, with `{ half: "bf16" }`, as bfloat16 (the contract's "f16"
 * dtype then means "the 16-bit float type", converted to/from IEEE half bits at `upload`/`read`; see README).
 * Every kernel computes in f32 (sums, softmax, LayerNorm statistics, GEMM accumulation), so the DeBERTa-v3
 * fp16 overflow does not occur.
 */
import {
  type Activation,
  type QuantizedWeight,
  type AttentionArgs,
  type AttentionResult,
  type Backend,
  DebertaError,
  type DType,
  disentangledAttentionReference,
  DisposedError,
  type FloatDType,
  InputError,
  opContract,
  type SequenceLayout,
  shapeSize,
  Tensor,
  type TensorData,
  broadcastStrides,
  coalesceDims,
  sameShape,
  stridesOf,
} from "@deberta-js/core";
import { ATTENTION_THREADS, chooseAttentionKernel } from "./attention-plan.js";
import type { Device } from "./device.js";
import { CudaError } from "./driver.js";
import { isSuffixOf } from "./geometry.js";
import { chooseEpilogue, type GemmDtype, matmulCalls, rowMajorGemm } from "./gemm-plan.js";
import { LayoutBufferCache } from "./layout-buffers.js";
import { ACT_CODES } from "./kernels/index.js";
import { QLINEAR_TILE } from "./kernels/quantized-linear.cu.js";
import { MAX_RANK } from "./launch-params.js";
import { MemoryPool } from "./memory-pool.js";

export interface CudaBackendOptions {
  /** The 16-bit float type behind the "f16" dtype (default "f16"). */
  half?: "f16" | "bf16";
  /** Attention kernel: "auto" (tensor cores for f16/bf16 on sm_80+), "mma", "scalar", or "reference" (core's composition of primitives). */
  attention?: "auto" | "mma" | "scalar" | "reference";
  /** Cached free device memory above which freed blocks go back to the driver (default unlimited). */
  maxCachedBytes?: number;
}

/** Device storage of a tensor, shared by its views (and by the tensor `moveTo` hands ownership to). */
export interface CudaStorage {
  ptr: bigint;
  bytes: number;
  freed?: boolean;
}

const THREADS = 256;
/** Lowest finite values, for HF's masked_fill(finfo.min). */
const LOWEST = { f32: -3.4028234663852886e38, f16: -65504, bf16: -3.3895313892515355e38 } as const;

export class CudaBackend implements Backend {
  readonly name = "cuda";
  readonly half: "f16" | "bf16";
  /** The kernel the last `disentangledAttention` ran ("reference" for core's composition), for logs and tests. */
  lastAttentionKernel = "";
  private readonly pool: MemoryPool;
  /**
   * Storage nobody disposed goes back to the pool once no tensor references it any more. The registry watches the
   * storage object (not a Tensor: views and `moveTo` make several tensors share one storage).
   */
  private readonly finalizer: FinalizationRegistry<{ ptr: bigint }>;
  private readonly layouts: LayoutBufferCache;
  private readonly maxBlocks: number;
  private destroyed = false;

  constructor(
    readonly device: Device,
    private readonly options: CudaBackendOptions = {},
  ) {
    this.half = options.half ?? "f16";
    this.pool = new MemoryPool(
      (n) => device.memAlloc(n),
      (p) => device.memFree(p),
      options.maxCachedBytes,
    );
    this.finalizer = new FinalizationRegistry((token) => {
      if (!this.destroyed) this.pool.release(token.ptr);
    });
    this.layouts = new LayoutBufferCache(device, this.pool, () => this.destroyed);
    this.maxBlocks = Math.max(1, device.info.multiprocessors) * 32;
  }

  supportsDtype(dtype: FloatDType): boolean {
    return dtype === "f32" || dtype === "f16";
  }

  /**
   * Compiles every kernel module now (in parallel, through the disk cache) instead of at first use: call once at
   * start-up to keep NVRTC out of the first forward pass.
   */
  async warmup(): Promise<{ module: string; ms: number; fromCache: boolean }[]> {
    return this.device.precompile ? this.device.precompile() : [];
  }

  /** Returns the memory pool's cached free blocks to the driver (tensors in use are untouched). */
  releaseCachedMemory(): void {
    this.pool.trim();
  }

  /** Pool statistics (bytes in use / cached, device allocations). */
  memoryStats() {
    return this.pool.stats();
  }

  // ── storage ───────────────────────────────────────────────────────────────────────────────────────────────

  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    const host = opContract.upload(this, data, shape, dtype);
    const size = host.length;
    const t = this.alloc(shape, dtype);
    const s = t.storage as CudaStorage;
    if (dtype === "f16" && this.half === "bf16") {
      const tmp = this.pool.allocate(size * 2);
      this.device.upload(tmp, host);
      this.launch1d("djs_cast_f16_bf16", size, [tmp, s.ptr, size]);
      this.pool.release(tmp);
    } else {
      this.device.upload(s.ptr, host);
    }
    return t;
  }

  async read(t: Tensor): Promise<TensorData> {
    opContract.read(this, t);
    const s = this.storageOf(t, "read");
    const n = t.size;
    if (t.dtype === "f32") {
      const out = new Float32Array(n);
      await this.device.download(s.ptr, out);
      return out;
    }
    if (t.dtype === "i32") {
      const out = new Int32Array(n);
      await this.device.download(s.ptr, out);
      return out;
    }
    const out = new Uint16Array(n);
    if (this.half === "bf16") {
      const tmp = this.pool.allocate(n * 2);
      this.launch1d("djs_cast_bf16_f16", n, [s.ptr, tmp, n]);
      try {
        await this.device.download(tmp, out);
      } finally {
        this.pool.release(tmp);
      }
    } else {
      await this.device.download(s.ptr, out);
    }
    return out;
  }

  dispose(t: Tensor): void {
    const s = t.storage as CudaStorage;
    if (this.destroyed || s.freed) return;
    s.freed = true;
    this.finalizer.unregister(s);
    this.pool.release(s.ptr);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.releaseAll();
    this.device.destroy();
  }

  sync(): Promise<void> {
    return this.device.synchronize();
  }

  // ── primitives ────────────────────────────────────────────────────────────────────────────────────────────

  cast(x: Tensor, dtype: FloatDType): Tensor {
    opContract.cast(this, x, dtype);
    const src = this.storageOf(x, "cast");
    const out = this.alloc(x.shape, dtype);
    const n = x.size;
    if (x.dtype === dtype) this.device.copy(this.ptr(out), src.ptr, n * bytesOf(dtype));
    else if (dtype === "f16") this.launch1d(`djs_cast_f32_${this.half}`, n, [src.ptr, this.ptr(out), n]);
    else this.launch1d(`djs_cast_${this.half}_f32`, n, [src.ptr, this.ptr(out), n]);
    return out;
  }

  matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean; alpha?: number } = {}): Tensor {
    const { M, N, K, transA, transB, batchA, batchB, outBatch } = opContract.matmul(this, a, b, opts);
    if (K === 0) throw new DebertaError("UNSUPPORTED", `matmul: inner dimension 0 is not supported by the CUDA backend ([${a.shape}] · [${b.shape}])`);
    const { t: bb, tmp } = this.sameDtype(b, a.dtype);
    try {
      const out = this.alloc([...outBatch, M, N], a.dtype);
      if (out.size === 0) return out;
      const calls = matmulCalls({
        M,
        N,
        K,
        transA,
        transB,
        batchA,
        batchB,
        outBatch,
        a: this.ptr(a),
        b: this.ptr(bb),
        c: this.ptr(out),
        alpha: opts.alpha ?? 1,
        dtype: this.gemmDtype(a.dtype),
        elementBytes: bytesOf(a.dtype),
        supported: this.device.gemmSupported?.bind(this.device),
      });
      for (const call of calls) this.device.gemm(call);
      return out;
    } finally {
      tmp?.dispose();
    }
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, 0, "add", opContract.add(this, a, b).shape);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, 1, "mul", opContract.mul(this, a, b).shape);
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const { V, D, N } = opContract.gather(this, table, ids);
    const out = this.alloc([N, D], table.dtype);
    const n = N * D;
    if (n > 0) this.launch1d(`djs_gather_${this.move(table.dtype)}`, n, [this.ptr(table), this.ptr(ids), this.ptr(out), n, D, V]);
    return out;
  }

  /** int8 embedding rows dequantized on the device: the table stays packed in device memory (no host copy). */
  gatherQuantized(table: QuantizedWeight, ids: Tensor, dtype: FloatDType): Tensor {
    const { V, D, N } = opContract.gatherQuantized(this, table, ids, dtype);
    const out = this.alloc([N, D], dtype);
    const n = N * D;
    if (n > 0) this.launch1d(`djs_gather_int8_${this.storage(dtype)}`, n, [this.ptr(table.data), this.ptr(table.scales), this.ptr(ids), this.ptr(out), n, D, V]);
    return out;
  }

  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
    const { axis: ax, shape: outShape } = opContract.takeAlongAxis(this, x, idx, axis);
    const r = x.rank;
    if (r > MAX_RANK) throw new DebertaError("UNSUPPORTED", `takeAlongAxis: rank ${r} > ${MAX_RANK} is not supported by the CUDA backend`);
    const out = this.alloc(outShape, x.dtype);
    const n = out.size;
    if (n === 0) return out;
    const xs = stridesOf(x.shape);
    const s0 = outShape.map((d, i) => (i === ax || (x.shape[i] === 1 && d !== 1) ? 0 : xs[i]));
    const s1 = broadcastStrides(idx.shape, outShape);
    this.launch1d(`djs_take_${this.move(x.dtype)}`, n, [
      this.ptr(x),
      this.ptr(idx),
      this.ptr(out),
      n,
      { rank: r, axis: ax, dims: outShape, s0, s1, s2: [xs[ax], x.shape[ax]] },
    ]);
    return out;
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    opContract.layerNorm(this, x, gamma, beta, eps);
    return this.norm(x, undefined, gamma, beta, eps);
  }

  addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    opContract.addLayerNorm(this, x, residual, gamma, beta, eps);
    return this.norm(x, residual, gamma, beta, eps);
  }

  activation(x: Tensor, act: Activation): Tensor {
    opContract.activation(this, x, act);
    const code = ACT_CODES[act];
    const out = this.alloc(x.shape, x.dtype);
    const n = x.size;
    if (n > 0) this.launch1d(`djs_act_${this.storage(x.dtype)}`, n, [this.ptr(x), this.ptr(out), n, code]);
    return out;
  }

  softmax(x: Tensor, mask?: Tensor): Tensor {
    opContract.softmax(this, x, mask);
    const out = this.alloc(x.shape, x.dtype);
    if (x.size === 0) return out;
    const n = x.shape[x.rank - 1];
    const rows = x.size / n;
    let maskPtr = 0n;
    let maskKind = 0;
    let s0: number[] = [];
    if (mask) {
      maskPtr = this.ptr(mask);
      maskKind = this.maskKind(mask.dtype);
      s0 = broadcastStrides(mask.shape, x.shape);
    }
    if (x.rank > MAX_RANK) throw new DebertaError("UNSUPPORTED", `softmax: rank ${x.rank} > ${MAX_RANK} is not supported by the CUDA backend`);
    const lowest = LOWEST[this.storage(x.dtype)];
    this.launchRows(`djs_softmax_${this.storage(x.dtype)}`, rows, [
      this.ptr(x),
      maskPtr,
      maskKind,
      this.ptr(out),
      rows,
      n,
      { rank: x.rank, dims: x.shape, s0 },
      lowest,
    ]);
    return out;
  }

  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor {
    const { T, Cin, Cout, k } = opContract.conv1d(this, x, weight, bias, layout);
    const cols = this.alloc([T, Cin * k], x.dtype);
    try {
      const n = T * Cin * k;
      const lb = this.layouts.get(layout);
      const seqLen = layout.kind === "padded" ? layout.seqLen : 0;
      if (n > 0) {
        this.launch1d(`djs_im2col_${this.move(x.dtype)}`, n, [this.ptr(x), this.ptr(cols), lb.offsets, lb.table.batch, seqLen, T, Cin, k]);
      }
      return this.linear(cols, weight.reshape([Cout, Cin * k]), bias);
    } finally {
      cols.dispose();
    }
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const { shape: outShape } = opContract.transpose(this, x, perm);
    const out = this.alloc(outShape, x.dtype);
    const n = x.size;
    if (n === 0) return out;
    const xs = stridesOf(x.shape);
    const c = coalesceDims(
      outShape,
      [perm.map((p) => xs[p])],
    );
    if (c.dims.length > MAX_RANK) throw new DebertaError("UNSUPPORTED", `transpose: [${x.shape}] by [${perm}] needs rank ${c.dims.length} > ${MAX_RANK}`);
    this.launch1d(`djs_permute_${this.move(x.dtype)}`, n, [this.ptr(x), this.ptr(out), n, { rank: c.dims.length, dims: c.dims, s0: c.strides[0] }]);
    return out;
  }

  // ── fused ops ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Dequantize-in-GEMM from the packed words. */
  quantizedLinear(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
    const { rows: M, inF: K, outF: N, shape } = opContract.quantizedLinear(this, x, weight, bias, act);
    const { t: bz, tmp: bt } = bias ? this.sameDtype(bias, x.dtype) : { t: undefined, tmp: undefined };
    try {
      const out = this.alloc(shape, x.dtype);
      if (out.size === 0) return out;
      const T = QLINEAR_TILE;
      this.device.launch(`djs_qlinear_${weight.layout}_${this.storage(x.dtype)}`, [Math.ceil(N / T), Math.ceil(M / T), 1], [T * T, 1, 1], 0, [
        this.ptr(x),
        this.ptr(weight.data),
        this.ptr(weight.scales),
        weight.table ? this.ptr(weight.table) : 0n,
        bz ? this.ptr(bz) : 0n,
        this.ptr(out),
        M,
        N,
        K,
        weight.blockSize,
        ACT_CODES[act ?? "linear"],
      ]);
      return out;
    } finally {
      bt?.dispose();
    }
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    const { inF, outF, rows, shape } = opContract.linear(this, x, weight, bias, act);
    const { t: w, tmp: wt } = this.sameDtype(weight, x.dtype);
    const { t: bz, tmp: bt } = bias ? this.sameDtype(bias, x.dtype) : { t: undefined, tmp: undefined };
    try {
      const out = this.alloc(shape, x.dtype);
      if (out.size === 0) return out;
      const dtype = this.gemmDtype(x.dtype);
      const { epilogue, postAct } = chooseEpilogue(act, !!bz, dtype);
      this.device.gemm(
        rowMajorGemm({
          M: rows,
          N: outF,
          K: inF,
          transA: false,
          transB: true,
          a: this.ptr(x),
          b: this.ptr(w),
          c: this.ptr(out),
          bias: bz ? this.ptr(bz) : 0n,
          dtype,
          epilogue,
        }),
      );
      if (postAct) {
        const n = out.size;
        this.launch1d(`djs_act_${this.storage(x.dtype)}`, n, [this.ptr(out), this.ptr(out), n, ACT_CODES[postAct]]);
      }
      return out;
    } finally {
      wt?.dispose();
      bt?.dispose();
    }
  }

  disentangledAttention(args: AttentionArgs): AttentionResult {
    const { q, k, v, spec, layout } = args;
    const { H, D: d, HD: ld, T, relative, relLength } = opContract.disentangledAttention(this, args);
    const c2p = spec.c2p;
    const p2c = spec.p2c;
    if (args.outputAttentions || this.options.attention === "reference") return this.attentionReference(args);
    const choice = chooseAttentionKernel({
      headDim: d,
      storage: this.storage(q.dtype),
      c2p,
      p2c,
      computeCapability: this.device.info.computeCapability,
      maxSharedOptin: this.device.info.maxSharedOptin,
      prefer: this.options.attention === "mma" || this.options.attention === "scalar" ? this.options.attention : "auto",
    });
    if ("reason" in choice) return this.attentionReference(args);
    const context = this.alloc([T, ld], q.dtype);
    if (T === 0) return { context };
    const lb = this.layouts.get(layout);
    const tiles = this.layouts.tiles(lb, choice.kind);
    const rel = relative ? this.ptr(args.relIndex!) : 0n;
    const relLen = relative ? relLength : 1;
    let maskPtr = 0n;
    let maskKind = 0;
    if (layout.kind === "padded" && args.mask) {
      maskPtr = this.ptr(args.mask);
      maskKind = this.maskKind(args.mask.dtype);
    }
    this.lastAttentionKernel = choice.kernel;
    this.device.launch(choice.kernel, [tiles.count, H, 1], [ATTENTION_THREADS, 1, 1], choice.smem, [
      this.ptr(q),
      this.ptr(k),
      this.ptr(v),
      c2p ? this.ptr(args.posKey!) : 0n,
      p2c ? this.ptr(args.posQuery!) : 0n,
      rel,
      (relLen - 1) / 2,
      relLen,
      maskPtr,
      maskKind,
      this.ptr(context),
      lb.offsets,
      tiles.ptr,
      ld,
      d,
      (c2p ? 1 : 0) | (p2c ? 2 : 0),
      Math.LOG2E / spec.scale,
    ]);
    return { context };
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  private attentionReference(args: AttentionArgs): AttentionResult {
    this.lastAttentionKernel = "reference";
    return disentangledAttentionReference(this, args);
  }

  private norm(x: Tensor, res: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    const D = x.shape[x.rank - 1];
    const out = this.alloc(x.shape, x.dtype);
    if (x.size === 0) return out;
    const { t: rr, tmp: rt } = res ? this.sameDtype(res, x.dtype) : { t: undefined, tmp: undefined };
    const { t: g, tmp: gt } = this.sameDtype(gamma, x.dtype);
    const { t: b, tmp: bt } = this.sameDtype(beta, x.dtype);
    const rows = x.size / D;
    this.launchRows(`djs_layernorm_${this.storage(x.dtype)}`, rows, [this.ptr(x), rr ? this.ptr(rr) : 0n, this.ptr(g), this.ptr(b), this.ptr(out), rows, D, eps]);
    for (const t of [rt, gt, bt]) t?.dispose();
    return out;
  }

  private binary(a: Tensor, b: Tensor, op: 0 | 1, what: string, outShape: number[]): Tensor {
    const { t: bb, tmp } = this.sameDtype(b, a.dtype);
    try {
      const out = this.alloc(outShape, a.dtype);
      const n = out.size;
      if (n === 0) return out;
      const suf = this.storage(a.dtype);
      const pa = this.ptr(a);
      const pb = this.ptr(bb);
      const po = this.ptr(out);
      const aFull = sameShape(a.shape, outShape) || a.size === n;
      const bFull = sameShape(b.shape, outShape) || b.size === n;
      if (aFull && bFull) this.launch1d(`djs_binary_flat_${suf}`, n, [pa, pb, po, n, op, 0, 1]);
      else if (aFull && isSuffixOf(b.shape, outShape)) this.launch1d(`djs_binary_flat_${suf}`, n, [pa, pb, po, n, op, 1, b.size]);
      else if (bFull && isSuffixOf(a.shape, outShape)) this.launch1d(`djs_binary_flat_${suf}`, n, [pa, pb, po, n, op, 2, a.size]);
      else {
        const c = coalesceDims(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
        if (c.dims.length > MAX_RANK) throw new DebertaError("UNSUPPORTED", `${what}: [${a.shape}] with [${b.shape}] needs rank ${c.dims.length} > ${MAX_RANK}`);
        this.launch1d(`djs_binary_${suf}`, n, [pa, pb, po, n, op, { rank: c.dims.length, dims: c.dims, s0: c.strides[0], s1: c.strides[1] }]);
      }
      return out;
    } finally {
      tmp?.dispose();
    }
  }

  /** `t` in dtype `dtype`: itself, or a converted temporary the caller disposes. */
  private sameDtype(t: Tensor, dtype: DType): { t: Tensor; tmp?: Tensor } {
    if (t.dtype === dtype) return { t };
    if (t.dtype === "i32" || dtype === "i32") throw new InputError(`an i32 tensor [${t.shape}] was given where ${dtype} is expected`);
    const c = this.cast(t, dtype as FloatDType);
    return { t: c, tmp: c };
  }

  private alloc(shape: readonly number[], dtype: DType): Tensor {
    const size = shapeSize(shape);
    if (size > 2 ** 31 - 1) throw new InputError(`tensor [${shape}] has ${size} elements; the CUDA backend indexes with int32`);
    if (this.destroyed) throw new CudaError("the CUDA backend was destroyed", 0);
    const bytes = Math.max(1, size) * bytesOf(dtype);
    const s: CudaStorage = { ptr: this.pool.allocate(bytes), bytes };
    this.finalizer.register(s, { ptr: s.ptr }, s);
    return new Tensor(this, s, [...shape], dtype);
  }

  private storageOf(t: Tensor, what: string): CudaStorage {
    if (t.backend !== this) throw new InputError(`${what}: tensor [${t.shape}] belongs to backend "${t.backend.name}", not this CUDA backend`);
    const s = t.storage as CudaStorage;
    if (s.freed || t.isDisposed) throw new DisposedError(`${what}: tensor [${t.shape}] ${t.dtype} was used after dispose()`);
    return s;
  }

  private ptr(t: Tensor): bigint {
    return this.storageOf(t, "op").ptr;
  }

  /** Kernel suffix of a float dtype's storage. */
  private storage(dtype: DType): "f32" | "f16" | "bf16" {
    return dtype === "f32" ? "f32" : this.half;
  }

  private gemmDtype(dtype: DType): GemmDtype {
    if (dtype === "i32") throw new InputError("matmul: i32 operands are not supported");
    return this.storage(dtype);
  }

  private move(dtype: DType): "b4" | "b2" {
    return bytesOf(dtype) === 4 ? "b4" : "b2";
  }

  private maskKind(dtype: DType): number {
    return dtype === "f32" ? 1 : dtype === "i32" ? 4 : this.half === "f16" ? 2 : 3;
  }

  private launch1d(kernel: string, n: number, args: Parameters<Device["launch"]>[4]): void {
    const blocks = Math.max(1, Math.min(Math.ceil(n / THREADS), this.maxBlocks));
    this.device.launch(kernel, [blocks, 1, 1], [THREADS, 1, 1], 0, args);
  }

  /** One warp per row, 4 rows per block. */
  private launchRows(kernel: string, rows: number, args: Parameters<Device["launch"]>[4]): void {
    this.device.launch(kernel, [Math.max(1, Math.ceil(rows / 4)), 1, 1], [128, 1, 1], 0, args);
  }
}

function bytesOf(dtype: DType): number {
  return dtype === "f16" ? 2 : 4;
}
