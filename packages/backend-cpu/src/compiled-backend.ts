/**
 * `CompiledCpuBackend`: the CPU backend with its hot ops — `linear` (packed SGEMM, bias + exact GELU fused),
 * `layerNorm`/`addLayerNorm`, `activation("gelu")` and the fused `disentangledAttention` — run by a compiled
 * kernel set (csrc/, see kernels.ts), multithreaded. f16 `linear` and attention run the same kernels on operands
 * widened to f32 (weights one panel at a time, so an f16 model never holds an f32 copy of a weight) and round the
 * result to f16 once, as the TypeScript f16 ops do. Everything else is `CpuBackend`'s TypeScript, which is also the
 * reference the compiled kernels are tested against.
 *
 * Weights are packed into GEMM panels the first time a tensor is used as a `linear` weight (the first forward pass,
 * i.e. warm-up) and kept until that tensor is disposed.
 */
import {
  Tensor,
  opContract,
  sequenceSpan,
  type Activation,
  type AttentionArgs,
  type AttentionResult,
  type FloatDType,
  type QuantizedWeight,
  f16ToF32Into,
  hostViewOf,
} from "@deberta-js/core";
import { applyActivation } from "./activation.js";
import { CpuBackend, type CpuBackendOptions } from "./backend.js";
import { HeapPool } from "./heap-pool.js";
import type { KernelSet, PackedWeight } from "./kernels.js";
import type { Storage } from "./pool.js";

const LOWEST_F32 = -3.4028234663852886e38;
/** Longest K the int8 GEMM's int32 sums cannot overflow at (127·127·K < 2³¹); longer rows take the float path. */
const MAX_INT8_K = 133143;
/** Floats per widened f16 weight panel (1 MiB: stays in L2, amortises the packing). */
const HALF_PANEL_FLOATS = 262144;

/** Whether a quantized weight runs the int8 × int8 GEMM ("q8": int8 codes, dynamic int8 activations, K in range). */
function usesInt8Gemm(w: QuantizedWeight): boolean {
  return w.layout === "int8" && w.activations === "int8" && w.inFeatures <= MAX_INT8_K;
}

export class CompiledCpuBackend extends CpuBackend {
  /** Packed GEMM panels per weight storage; dropped when the weight is disposed. */
  private readonly packed = new Map<Storage, PackedWeight>();
  /**
   * With a kernel heap: copies in it of small weight operands that live in JS memory (biases and LayerNorm γ/β
   * adopted from the loader), made on first use and freed with the weight, so no op copies them per call.
   */
  private readonly mirrors = new Map<Storage, Float32Array>();

  constructor(
    readonly kernels: KernelSet,
    options: CpuBackendOptions = {},
  ) {
    // with a kernel heap every tensor this backend makes lives where the kernels read it: no copies per op
    super(options, kernels.heap ? new HeapPool(kernels.heap) : undefined);
  }

  /** The kernel set in use and its threads, e.g. `native-avx2 ×2`. */
  get kernelSet(): string {
    return this.kernels.name;
  }
  get threads(): number {
    return this.kernels.threads;
  }

  override dispose(t: Tensor): void {
    const p = this.packed.get(t.storage as Storage);
    if (p !== undefined) {
      this.kernels.freePacked(p);
      this.packed.delete(t.storage as Storage);
    }
    const m = this.mirrors.get(t.storage as Storage);
    if (m !== undefined) {
      this.kernels.heap!.free(m);
      this.mirrors.delete(t.storage as Storage);
    }
    super.dispose(t);
  }

  override destroy(): void {
    for (const p of this.packed.values()) this.kernels.freePacked(p);
    this.packed.clear();
    for (const m of this.mirrors.values()) this.kernels.heap!.free(m);
    this.mirrors.clear();
    super.destroy();
  }

  /** An f32 weight operand where the kernels read it without a copy (its heap mirror), else its storage. */
  private weightOperand(t: Tensor): Float32Array {
    const s = t.storage as Float32Array;
    const heap = this.kernels.heap;
    if (!heap || heap.owns(s)) return s;
    let m = this.mirrors.get(s);
    if (m === undefined) {
      m = heap.f32(s.length);
      m.set(s);
      this.mirrors.set(s, m);
    }
    return m;
  }

  private packedWeight(w: Tensor): PackedWeight {
    const s = w.storage as Float32Array;
    let p = this.packed.get(s);
    if (p === undefined) {
      // [N, K] Linear weights; conv weights [Cout, Cin, k] as [Cout, Cin·k]
      const n = w.shape[0];
      const k = w.shape.slice(1).reduce((a, b) => a * b, 1);
      p = this.kernels.packB(s, n, k);
      this.packed.set(s, p);
    }
    return p;
  }

  override linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    const { inF, outF, rows: T, shape } = opContract.linear(this, x, weight, bias, act);
    if (weight.dtype === "f16") return this.halfLinear(x, weight, bias, act, T, outF, inF, shape);
    if (x.dtype !== "f32" || weight.dtype !== "f32" || (bias && bias.dtype !== "f32")) return super.linear(x, weight, bias, act);
    const out = this.pool.f32(T * outF);
    const fused = act === "gelu" ? 1 : 0;
    this.kernels.gemm(T, outF, inF, x.storage as Float32Array, this.packedWeight(weight), out, bias ? this.weightOperand(bias) : null, fused, 1);
    const y = new Tensor(this, out, shape, "f32");
    if (!act || act === "linear" || fused) return y;
    const z = super.activation(y, act); // other activations: the TypeScript ones
    y.dispose();
    return z;
  }

  /**
   * Several Linears of one input (a layer's Q/K/V) in one compiled call: x is read (WASM: copied in and, packed)
   * once, and one parallel region covers the panels of every weight. Each output is bit-identical to `linear`'s.
   * Operands other than f32: one `linear` per weight.
   */
  linearMany(x: Tensor, weights: readonly Tensor[], biases: readonly (Tensor | undefined)[]): Tensor[] {
    const gs = opContract.linearMany(this, x, weights, biases);
    const allF32 = x.dtype === "f32" && weights.every((w, i) => w.dtype === "f32" && (!biases[i] || biases[i]!.dtype === "f32"));
    if (!allF32 || weights.length > 16) return weights.map((w, i) => this.linear(x, w, biases[i]));
    const { rows: T, inF } = gs[0];
    const outs = gs.map((g) => this.pool.f32(T * g.outF));
    this.kernels.gemmMulti(
      T,
      inF,
      x.storage as Float32Array,
      gs.map((g) => g.outF),
      weights.map((w) => this.packedWeight(w)),
      outs,
      biases.map((b) => (b ? this.weightOperand(b) : null)),
    );
    return outs.map((o, i) => new Tensor(this, o, gs[i].shape, "f32"));
  }

  /** conv1d's im2col rows through the packed SGEMM (f32 weights; packed once like a Linear weight). */
  protected override convRows(rows: number, Cout: number, KK: number, col: Float32Array, W: Float32Array, weight: Tensor, bias: Float32Array, out: Float32Array, t0: number): void {
    if (weight.dtype !== "f32") return super.convRows(rows, Cout, KK, col, W, weight, bias, out, t0);
    this.kernels.gemm(rows, Cout, KK, col, this.packedWeight(weight), out.subarray(t0 * Cout), bias, 0, 1);
  }

  /**
   * Linear with an f16 weight (fp16 compute): panels of output rows are widened to f32 (`f16ToF32Into`: F16C in
   * the native build), packed and multiplied by the compiled SGEMM with bias and GELU fused; only one panel is ever
   * f32. Inputs are widened, the result rounded to `x.dtype` once. Packing per call costs one pass over the weight,
   * small next to the GEMM for the token counts a forward has; the f16 weight is never kept packed (that would be an
   * f32 copy of every weight).
   */
  private halfLinear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act: Activation | undefined, T: number, N: number, K: number, shape: number[]): Tensor {
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const Bv = bias ? this.f32(bias, temps) : null;
    const W = weight.storage as Uint16Array;
    const rows = Math.min(N, Math.max(16, Math.floor(HALF_PANEL_FLOATS / Math.max(1, K))));
    const panel = this.pool.f32(rows * K);
    const part = this.pool.f32(T * rows);
    const out = this.pool.f32(T * N);
    const fused = act === "gelu" ? 1 : 0;
    for (let n0 = 0; n0 < N; n0 += rows) {
      const nr = Math.min(rows, N - n0);
      f16ToF32Into(W.subarray(n0 * K, (n0 + nr) * K), panel, nr * K);
      const packed = this.kernels.packB(panel, nr, K);
      try {
        this.kernels.gemm(T, nr, K, X, packed, part, Bv ? Bv.subarray(n0, n0 + nr) : null, fused, 1);
      } finally {
        this.kernels.freePacked(packed);
      }
      for (let t = 0; t < T; t++) out.set(part.subarray(t * nr, t * nr + nr), t * N + n0);
    }
    temps.push(panel, part);
    this.release(temps);
    if (act && act !== "linear" && !fused) applyActivation(out, 0, out.length, act);
    return this.emit(out, shape, x.dtype);
  }

  /**
   * Quantized Linear in C (csrc/qgemm.c). "q8" weights (`activations: "int8"`) are packed once into int8 panels and
   * run by the int8 dot-product GEMM with dynamic per-row activation quantization; every other quantized weight
   * (int4 codebooks, int8 with float activations) is decoded panel by panel inside the GEMM from its stored bytes.
   * Bias and GELU are fused into the epilogue either way.
   */
  override quantizedLinear(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
    const { outF: N, inF: K, rows: T, shape } = opContract.quantizedLinear(this, x, weight, bias, act);
    if (x.dtype !== "f32" || (bias && bias.dtype !== "f32")) return super.quantizedLinear(x, weight, bias, act);
    const out = this.pool.f32(T * N);
    const fused = act === "gelu" ? 1 : 0;
    const b = bias ? this.weightOperand(bias) : null;
    const X = x.storage as Float32Array;
    if (T > 0) {
      if (usesInt8Gemm(weight)) {
        this.kernels.qgemmI8(T, N, K, X, this.packedQuantized(weight), out, b, fused);
      } else {
        this.kernels.dqgemm(T, N, K, X, this.packedQuantized(weight), weight.layout === "int4" ? 0 : 1, weight.blockSize, out, b, fused);
      }
    }
    const y = new Tensor(this, out, shape, "f32");
    if (!act || act === "linear" || fused) return y;
    const z = super.activation(y, act);
    y.dispose();
    return z;
  }

  /** The kernels' form of a quantized weight, made on first use (warm-up) and kept until its data is disposed. */
  private packedQuantized(w: QuantizedWeight): PackedWeight {
    const s = w.data.storage as Storage;
    let p = this.packed.get(s);
    if (p === undefined) {
      const view = hostViewOf(w, w.data.storage as Int32Array, w.scales.storage as Float32Array, w.table?.storage as Float32Array | undefined);
      p = usesInt8Gemm(w)
          ? this.kernels.packI8(view.data, view.scales, w.outFeatures, w.inFeatures)
          : this.kernels.holdQuantized(view.data, view.scales, view.table ?? null);
      this.packed.set(s, p);
    }
    return p;
  }

  override layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    opContract.layerNorm(this, x, gamma, beta, eps);
    return this.compiledNorm(x, undefined, gamma, beta, eps) ?? super.layerNorm(x, gamma, beta, eps);
  }

  override addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    opContract.addLayerNorm(this, x, residual, gamma, beta, eps);
    return this.compiledNorm(x, residual, gamma, beta, eps) ?? super.addLayerNorm(x, residual, gamma, beta, eps);
  }

  /** Compiled LayerNorm for f32 operands; undefined: not handled here. */
  private compiledNorm(x: Tensor, res: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): Tensor | undefined {
    if ([x, res ?? x, gamma, beta].some((t) => t.dtype !== "f32") || x.rank === 0) return undefined;
    const D = x.shape[x.rank - 1];
    if (D === 0) return undefined;
    const out = this.pool.f32(x.size);
    const f = (t: Tensor) => t.storage as Float32Array;
    this.kernels.layerNorm(f(x), res ? f(res) : null, this.weightOperand(gamma), this.weightOperand(beta), x.size / D, D, eps, out);
    return new Tensor(this, out, [...x.shape], "f32");
  }

  override activation(x: Tensor, act: Activation): Tensor {
    opContract.activation(this, x, act);
    if (act !== "gelu" || x.dtype !== "f32") return super.activation(x, act);
    const out = this.pool.f32(x.size);
    out.set(x.storage as Float32Array);
    this.kernels.gelu(out);
    return new Tensor(this, out, [...x.shape], "f32");
  }

  override disentangledAttention(args: AttentionArgs): AttentionResult {
    const { spec, layout } = args;
    const { T, H, HD, B, L, relative } = opContract.disentangledAttention(this, args);
    const operands = [args.q, args.k, args.v, args.posKey, args.posQuery];
    if (!operands.every((t) => !t || t.dtype === "f32" || t.dtype === "f16")) return super.disentangledAttention(args);
    // f16 operands: the f32 kernel on widened copies, the context (and probs) rounded back to the query's dtype
    const outDtype = args.q.dtype as FloatDType;
    const seqStart = new Int32Array(B);
    const seqLen = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const { start, length } = sequenceSpan(layout, b);
      seqStart[b] = start;
      seqLen[b] = length;
    }
    const temps: Storage[] = [];
    let mask: Float32Array | null = null;
    let maskStride = 0;
    if (layout.kind === "padded") {
      maskStride = layout.seqLen;
      mask = args.mask ? this.f32(args.mask, temps) : Float32Array.from(layout.mask as ArrayLike<number>);
    }
    const context = this.pool.f32(T * HD);
    const probs = args.outputAttentions ? new Float32Array(B * H * L * L) : null;
    const f = (t: Tensor | undefined) => (t ? this.f32(t, temps) : null);
    this.kernels.attention(
      f(args.q)!,
      f(args.k)!,
      f(args.v)!,
      spec.c2p ? f(args.posKey) : null,
      spec.p2c ? f(args.posQuery) : null,
      relative ? (args.relIndex!.storage as Int32Array) : null,
      mask,
      maskStride,
      seqStart,
      seqLen,
      L,
      H,
      spec.headDim,
      1 / spec.scale,
      LOWEST_F32,
      context,
      probs,
    );
    this.release(temps);
    const ctx = this.emit(context, [T, HD], outDtype);
    return probs ? { context: ctx, probs: outDtype === "f32" ? new Tensor(this, probs, [B, H, L, L], "f32") : this.emit(probs, [B, H, L, L], outDtype) } : { context: ctx };
  }
}
