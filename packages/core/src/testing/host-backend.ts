/**
 * `HostBackend`: a `Backend` whose every op is the float64 reference of `reference-ops.ts`, rounded to the storage
 * dtype. Slow and exact — the yardstick for backend authors (wrap it and replace one op at a time), and what the
 * conformance kit's own tests run against.
 *
 * Storage: Float32Array (f32), Uint16Array half bits (f16), Int32Array (i32).
 */
import type { Activation, AttentionArgs, AttentionResult, Backend, MatmulOptions } from "../backend.js";
import type { DType, FloatDType, TensorData } from "../dtype.js";
import { opContract } from "../ops/contract.js";
import type { SequenceLayout } from "../layout.js";
import { Tensor } from "../tensor.js";
import { dequantize } from "../quant/dequantize.js";
import { hostViewOf, type QuantizedWeight } from "../quant/quantized-weight.js";
import {
  fromTensorData,
  refActivation,
  refAdd,
  refAddLayerNorm,
  refConv1d,
  refDisentangledAttention,
  refGather,
  refLayerNorm,
  refLinear,
  refMatmul,
  refMul,
  refSoftmax,
  refTakeAlongAxis,
  refTranspose,
  toTensorData,
  type HostArray,
  type HostResult,
} from "./reference-ops.js";

export interface HostBackendOptions {
  /** Registry name (default "host"). */
  name?: string;
  /** Implement the optional fused ops (default true). With false, core's reference fallbacks run instead. */
  fused?: boolean;
  /** Claim f16 support (default true). */
  f16?: boolean;
}

export class HostBackend implements Backend {
  readonly name: string;
  private readonly f16: boolean;
  /** Live tensors (storage objects) — lets tests check for leaks. */
  readonly live = new Set<unknown>();

  linear?: (x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation) => Tensor;
  addLayerNorm?: (x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number) => Tensor;
  linearMany?: (x: Tensor, weights: readonly Tensor[], biases: readonly (Tensor | undefined)[]) => Tensor[];
  disentangledAttention?: (args: AttentionArgs) => AttentionResult;
  quantizedLinear?: (x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation) => Tensor;

  constructor(options: HostBackendOptions = {}) {
    this.name = options.name ?? "host";
    this.f16 = options.f16 ?? true;
    if (options.fused ?? true) {
      this.linear = (x, weight, bias, act) =>
        opContract.linear(this, x, weight, bias, act) &&
        this.out(refLinear(this.host(x), this.host(weight), bias && this.host(bias), act), x.dtype as FloatDType);
      this.addLayerNorm = (x, residual, gamma, beta, eps) =>
        opContract.addLayerNorm(this, x, residual, gamma, beta, eps) &&
        this.out(refAddLayerNorm(this.host(x), this.host(residual), this.host(gamma), this.host(beta), eps), x.dtype as FloatDType);
      this.linearMany = (x, weights, biases) =>
        opContract.linearMany(this, x, weights, biases) &&
        weights.map((w, i) => this.out(refLinear(this.host(x), this.host(w), biases[i] && this.host(biases[i]!)), x.dtype as FloatDType));
      this.disentangledAttention = (args) => this.attention(args);
      this.quantizedLinear = (x, w, bias, act) => {
        opContract.quantizedLinear(this, x, w, bias, act);
        const view = hostViewOf(w, w.data.storage as Int32Array, w.scales.storage as Float32Array, w.table?.storage as Float32Array | undefined);
        const weight = { shape: [w.outFeatures, w.inFeatures], data: Float64Array.from(dequantize(view)) };
        return this.out(refLinear(this.host(x), weight, bias && this.host(bias), act), x.dtype as FloatDType);
      };
    }
  }

  supportsDtype(dtype: FloatDType): boolean {
    return dtype === "f32" || (dtype === "f16" && this.f16);
  }

  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    const typed = opContract.upload(this, data, shape, dtype);
    const storage = typed.slice();
    this.live.add(storage);
    return new Tensor(this, storage, [...shape], dtype);
  }

  async read(t: Tensor): Promise<TensorData> {
    opContract.read(this, t);
    return (t.storage as TensorData).slice();
  }

  dispose(t: Tensor): void {
    this.live.delete(t.storage);
  }

  cast(x: Tensor, dtype: FloatDType): Tensor {
    opContract.cast(this, x, dtype);
    return this.fromValues(fromTensorData(x.storage as TensorData), x.shape, dtype);
  }

  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
    opContract.matmul(this, a, b, opts);
    return this.out(refMatmul(this.host(a), this.host(b), opts), a.dtype as FloatDType);
  }

  add(a: Tensor, b: Tensor): Tensor {
    opContract.add(this, a, b);
    return this.out(refAdd(this.host(a), this.host(b)), a.dtype);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    opContract.mul(this, a, b);
    return this.out(refMul(this.host(a), this.host(b)), a.dtype);
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    opContract.gather(this, table, ids);
    return this.out(refGather(this.host(table), this.host(ids)), table.dtype);
  }

  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
    opContract.takeAlongAxis(this, x, idx, axis);
    return this.out(refTakeAlongAxis(this.host(x), this.host(idx), axis), x.dtype);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    opContract.layerNorm(this, x, gamma, beta, eps);
    return this.out(refLayerNorm(this.host(x), this.host(gamma), this.host(beta), eps), x.dtype);
  }

  activation(x: Tensor, act: Activation): Tensor {
    opContract.activation(this, x, act);
    return this.out(refActivation(this.host(x), act), x.dtype);
  }

  softmax(x: Tensor, mask?: Tensor): Tensor {
    opContract.softmax(this, x, mask);
    return this.out(refSoftmax(this.host(x), mask && this.host(mask), x.dtype as FloatDType), x.dtype);
  }

  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor {
    opContract.conv1d(this, x, weight, bias, layout);
    return this.out(refConv1d(this.host(x), this.host(weight), this.host(bias), layout), x.dtype);
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    opContract.transpose(this, x, perm);
    return this.out(refTranspose(this.host(x), perm), x.dtype);
  }

  private attention(args: AttentionArgs): AttentionResult {
    opContract.disentangledAttention(this, args);
    const dtype = args.q.dtype as FloatDType;
    const r = refDisentangledAttention({
      q: this.host(args.q),
      k: this.host(args.k),
      v: this.host(args.v),
      posKey: args.posKey && this.host(args.posKey),
      posQuery: args.posQuery && this.host(args.posQuery),
      relIndex: args.relIndex && (args.relIndex.storage as Int32Array),
      mask: args.mask && this.host(args.mask).data,
      layout: args.layout,
      spec: args.spec,
      dtype,
    });
    const context = this.out(r.context, dtype);
    return args.outputAttentions ? { context, probs: this.out(r.probs, dtype) } : { context };
  }

  private host(t: Tensor): HostArray {
    return { shape: t.shape, data: fromTensorData(t.storage as TensorData) };
  }

  private out(r: HostResult, dtype: DType): Tensor {
    return this.fromValues(r.data, r.shape, dtype);
  }

  private fromValues(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    const storage = toTensorData(values, dtype);
    this.live.add(storage);
    return new Tensor(this, storage, [...shape], dtype);
  }
}
