/**
 * The fused ops the model calls: the backend's own when it has one, the reference fallback otherwise.
 */
import type { Activation, AttentionArgs, AttentionResult, Backend } from "../backend.js";
import type { Tensor } from "../tensor.js";
import { addLayerNormReference, disentangledAttentionReference, linearReference } from "./reference.js";

export function linear(be: Backend, x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
  return be.linear ? be.linear(x, weight, bias, act) : linearReference(be, x, weight, bias, act);
}

export function addLayerNorm(be: Backend, x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  return be.addLayerNorm ? be.addLayerNorm(x, residual, gamma, beta, eps) : addLayerNormReference(be, x, residual, gamma, beta, eps);
}

export function disentangledAttention(be: Backend, args: AttentionArgs, hostRelIndex?: Int32Array): AttentionResult {
  return be.disentangledAttention ? be.disentangledAttention(args) : disentangledAttentionReference(be, args, hostRelIndex);
}

export { addLayerNormReference, disentangledAttentionReference, linearReference };
