/**
 * HF's `ContextPooler`: the first token of each sequence → `dense` (`pooler_hidden_size`) → `pooler_hidden_act`.
 * (Dropout is identity at inference.) Parameters: `pooler.dense.{weight,bias}`.
 */
import { type Activation, type Backend, type DebertaV2Config, type Tensor, linear, type LinearWeight } from "@deberta-js/core";
import type { HeadWeights } from "./base.js";

export class ContextPooler {
  private constructor(
    private readonly dense: { weight: LinearWeight; bias: Tensor },
    private readonly act: Activation,
    /** Size of the pooled vector (`pooler_hidden_size`). */
    readonly outputDim: number,
  ) {}

  static load(w: HeadWeights, config: DebertaV2Config, prefix = "pooler"): ContextPooler {
    const P = config.pooler_hidden_size;
    return new ContextPooler(w.linear(`${prefix}.dense`, P, config.hidden_size, true), config.pooler_hidden_act, P);
  }

  /** `firstTokens` `[batch, hidden]` (token 0 of each sequence) → `[batch, pooler_hidden_size]`. */
  forward(be: Backend, firstTokens: Tensor): Tensor {
    return linear(be, firstTokens, this.dense.weight, this.dense.bias, this.act);
  }
}
