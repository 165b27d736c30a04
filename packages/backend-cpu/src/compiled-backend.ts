/**
 * `CompiledCpuBackend`: the CPU backend with its hot ops — `linear` (packed SGEMM, bias + exact GELU fused),
 * `layerNorm`/`addLayerNorm`, `activation("gelu")` and the fused `disentangledAttention` — run by a compiled
 * kernel set (csrc/, see kernels.ts), multithreaded. Everything else, and every f16 op, is `CpuBackend`'s
 * TypeScript, which is also the reference the compiled kernels are tested against.
 *
 * Weights are packed into GEMM panels the first time a tensor is used as a `linear` weight (the first forward pass,
 * i.e. warm-up) and kept until that tensor is disposed.
 */
import {
  InputError,
  Tensor,
  layoutBatch,
  layoutMaxLen,
  layoutTokens,
  sequenceSpan,
  type Activation,
  type AttentionArgs,
  type AttentionResult,
  type FloatDType,
} from "@deberta-js/core";
import { CpuBackend, type CpuBackendOptions } from "./backend.js";
import type { KernelSet, PackedWeight } from "./kernels.js";
import type { Storage } from "./pool.js";

const LOWEST_F32 = -3.4028234663852886e38;

export class CompiledCpuBackend extends CpuBackend {
  /** Packed GEMM panels per weight storage; dropped when the weight is disposed. */
  private readonly packed = new Map<Storage, PackedWeight>();

  constructor(
    readonly kernels: KernelSet,
    options: CpuBackendOptions = {},
  ) {
    super(options);
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
    super.dispose(t);
  }

  override destroy(): void {
    for (const p of this.packed.values()) this.kernels.freePacked(p);
    this.packed.clear();
    super.destroy();
  }

  private packedWeight(w: Tensor): PackedWeight {
    const s = w.storage as Float32Array;
    let p = this.packed.get(s);
    if (p === undefined) {
      const [n, k] = w.shape;
      p = this.kernels.packB(s, n, k);
      this.packed.set(s, p);
    }
    return p;
  }

  override linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    if (x.dtype !== "f32" || weight.dtype !== "f32" || (bias && bias.dtype !== "f32") || weight.rank !== 2) {
      return super.linear(x, weight, bias, act);
    }
    const inF = x.shape[x.rank - 1];
    const [outF, wIn] = weight.shape;
    if (wIn !== inF) throw new InputError(`linear: weight [${weight.shape}] must be [out, ${inF}] for x [${x.shape}]`);
    if (bias && bias.size !== outF) throw new InputError(`linear: bias has ${bias.size} elements, expected ${outF}`);
    const T = inF === 0 ? 0 : x.size / inF;
    const out = this.pool.f32(T * outF);
    const fused = act === "gelu" ? 1 : 0;
    this.kernels.gemm(T, outF, inF, x.storage as Float32Array, this.packedWeight(weight), out, bias ? (bias.storage as Float32Array) : null, fused, 1);
    const y = new Tensor(this, out, [...x.shape.slice(0, -1), outF], "f32");
    if (!act || act === "linear" || fused) return y;
    const z = super.activation(y, act); // other activations: the TypeScript ones
    y.dispose();
    return z;
  }

  override layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    return this.compiledNorm(x, undefined, gamma, beta, eps) ?? super.layerNorm(x, gamma, beta, eps);
  }

  override addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    if (residual.size !== x.size) return super.addLayerNorm(x, residual, gamma, beta, eps);
    return this.compiledNorm(x, residual, gamma, beta, eps) ?? super.addLayerNorm(x, residual, gamma, beta, eps);
  }

  /** Compiled LayerNorm for f32 operands; undefined: not handled here. */
  private compiledNorm(x: Tensor, res: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): Tensor | undefined {
    if ([x, res ?? x, gamma, beta].some((t) => t.dtype !== "f32") || x.rank === 0) return undefined;
    const D = x.shape[x.rank - 1];
    if (gamma.size !== D || beta.size !== D) throw new InputError(`layerNorm: gamma/beta must have ${D} elements, got ${gamma.size}/${beta.size}`);
    if (D === 0) return undefined;
    const out = this.pool.f32(x.size);
    const f = (t: Tensor) => t.storage as Float32Array;
    this.kernels.layerNorm(f(x), res ? f(res) : null, f(gamma), f(beta), x.size / D, D, eps, out);
    return new Tensor(this, out, [...x.shape], "f32");
  }

  override activation(x: Tensor, act: Activation): Tensor {
    if (act !== "gelu" || x.dtype !== "f32") return super.activation(x, act);
    const out = this.pool.f32(x.size);
    out.set(x.storage as Float32Array);
    this.kernels.gelu(out);
    return new Tensor(this, out, [...x.shape], "f32");
  }

  override disentangledAttention(args: AttentionArgs): AttentionResult {
    const { spec, layout } = args;
    const f32 = [args.q, args.k, args.v, args.posKey, args.posQuery].every((t) => !t || t.dtype === "f32");
    if (!f32) return super.disentangledAttention(args);
    const T = layoutTokens(layout);
    const H = spec.numHeads;
    const HD = H * spec.headDim;
    for (const [name, t] of [["q", args.q], ["k", args.k], ["v", args.v]] as const) {
      if (t.size !== T * HD) throw new InputError(`disentangledAttention: ${name} [${t.shape}] must be [${T}, ${HD}]`);
    }
    if ((spec.c2p || spec.p2c) && !args.relIndex) throw new InputError("disentangledAttention: relIndex is required with c2p/p2c");
    if (spec.c2p && !args.posKey) throw new InputError("disentangledAttention: c2p needs posKey");
    if (spec.p2c && !args.posQuery) throw new InputError("disentangledAttention: p2c needs posQuery");
    const B = layoutBatch(layout);
    const L = layoutMaxLen(layout);
    if (args.relIndex && args.relIndex.size < 2 * L - 1) {
      throw new InputError(`disentangledAttention: relIndex has ${args.relIndex.size} entries, needs 2*maxLen-1 = ${2 * L - 1}`);
    }
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
    const f = (t: Tensor | undefined) => (t ? (t.storage as Float32Array) : null);
    this.kernels.attention(
      f(args.q)!,
      f(args.k)!,
      f(args.v)!,
      spec.c2p ? f(args.posKey) : null,
      spec.p2c ? f(args.posQuery) : null,
      args.relIndex ? (args.relIndex.storage as Int32Array) : null,
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
    const ctx = new Tensor(this, context, [T, HD], "f32");
    return probs ? { context: ctx, probs: new Tensor(this, probs, [B, H, L, L], "f32" as FloatDType) } : { context: ctx };
  }
}
