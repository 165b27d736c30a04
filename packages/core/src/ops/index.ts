/**
 * The fused ops the model calls: the backend's own when it has one, the reference fallback otherwise. Core checks
 * the op contract before dispatching either way, so a misuse fails the same on every backend.
 */
import type { Activation, AttentionArgs, AttentionResult, Backend } from "../backend.js";
import { QuantizedWeight } from "../quant/quantized-weight.js";
import type { Tensor } from "../tensor.js";
import { checkLinearManyLists, opContract } from "./contract.js";
import type { FloatDType } from "../dtype.js";
import { gatherQuantizedReference } from "./quantized-gather.js";
import { quantizedLinearReference } from "./quantized-linear.js";
import { addLayerNormReference, disentangledAttentionReference, linearReference } from "./reference.js";

/** A Linear layer's weight: a float tensor `[out, in]`, or a quantized one. */
export type LinearWeight = Tensor | QuantizedWeight;

export function linear(be: Backend, x: Tensor, weight: LinearWeight, bias: Tensor | undefined, act?: Activation): Tensor {
  if (weight instanceof QuantizedWeight) {
    opContract.quantizedLinear(be, x, weight, bias, act);
    return be.quantizedLinear ? be.quantizedLinear(x, weight, bias, act) : quantizedLinearReference(be, x, weight, bias, act);
  }
  opContract.linear(be, x, weight, bias, act);
  return be.linear ? be.linear(x, weight, bias, act) : linearReference(be, x, weight, bias, act);
}

/**
 * Several Linears of one input (`Backend.linearMany`): the backend's fused op when it has one and every weight is a
 * float tensor, else one `linear` per weight (quantized weights, backends without it). Either way each output is
 * what `linear(be, x, weights[i], biases[i])` gives.
 */
export function linearMany(be: Backend, x: Tensor, weights: readonly LinearWeight[], biases: readonly (Tensor | undefined)[]): Tensor[] {
  checkLinearManyLists(weights, biases);
  if (weights.every((w): w is Tensor => !(w instanceof QuantizedWeight))) {
    opContract.linearMany(be, x, weights, biases); // a misuse fails the same with or without the backend's op
    if (be.linearMany) return be.linearMany(x, weights, biases);
  }
  return linearEach(be, x, weights, biases);
}

/** One `linear` per weight; frees the outputs already made when a later one throws. */
function linearEach(be: Backend, x: Tensor, weights: readonly LinearWeight[], biases: readonly (Tensor | undefined)[]): Tensor[] {
  const out: Tensor[] = [];
  try {
    for (let i = 0; i < weights.length; i++) out.push(linear(be, x, weights[i], biases[i]));
    return out;
  } catch (e) {
    for (const t of out) t.dispose();
    throw e;
  }
}

/**
 * Rows of an int8 row-wise table at `ids`, dequantized to `dtype` (`quantize_embeddings`). `hostIds` (the same ids
 * on the host) serve the fallback of backends without `gatherQuantized`.
 */
export function gatherQuantized(be: Backend, table: QuantizedWeight, ids: Tensor, dtype: FloatDType, hostIds?: Int32Array): Tensor {
  opContract.gatherQuantized(be, table, ids, dtype);
  return be.gatherQuantized ? be.gatherQuantized(table, ids, dtype) : gatherQuantizedReference(be, table, ids, hostIds, dtype);
}

export function addLayerNorm(be: Backend, x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  opContract.addLayerNorm(be, x, residual, gamma, beta, eps);
  return be.addLayerNorm ? be.addLayerNorm(x, residual, gamma, beta, eps) : addLayerNormReference(be, x, residual, gamma, beta, eps);
}

export function disentangledAttention(be: Backend, args: AttentionArgs): AttentionResult {
  opContract.disentangledAttention(be, args);
  return be.disentangledAttention ? be.disentangledAttention(args) : disentangledAttentionReference(be, args);
}

export { addLayerNormReference, disentangledAttentionReference, gatherQuantizedReference, linearReference, quantizedLinearReference };
export * from "./contract.js";
export * from "./packing.js";
