/**
 * `DebertaV2Layer`: attention, then the feed-forward block `LayerNorm(dense₂(act(dense₁(x))) + x)`.
 */
import type { Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { type LinearWeight, addLayerNorm, linear } from "../ops/index.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { DebertaV2Attention } from "./attention.js";
import type { EncoderContext } from "./context.js";
import type { Params } from "./params.js";

export class DebertaV2Layer {
  private constructor(
    private readonly config: DebertaV2Config,
    private readonly attention: DebertaV2Attention,
    private readonly intermediate: { weight: LinearWeight; bias: Tensor },
    private readonly output: { weight: LinearWeight; bias: Tensor },
    private readonly ln: { weight: Tensor; bias: Tensor },
  ) {}

  static load(p: Params, c: DebertaV2Config, prefix: string): DebertaV2Layer {
    const H = c.hidden_size;
    const I = c.intermediate_size;
    return new DebertaV2Layer(
      c,
      DebertaV2Attention.load(p, c, `${prefix}attention.`),
      { weight: p.linearWeight(`${prefix}intermediate.dense`, [I, H]), bias: p.take(`${prefix}intermediate.dense.bias`, [I]) },
      { weight: p.linearWeight(`${prefix}output.dense`, [H, I]), bias: p.take(`${prefix}output.dense.bias`, [H]) },
      { weight: p.take(`${prefix}output.LayerNorm.weight`, [H]), bias: p.take(`${prefix}output.LayerNorm.bias`, [H]) },
    );
  }

  forward(be: Backend, hidden: Tensor, ctx: EncoderContext, outputAttentions: boolean): { output: Tensor; probs?: Tensor } {
    return scoped(() => {
      const { output: attended, probs } = this.attention.forward(be, hidden, ctx, outputAttentions);
      // Its own scope: the [tokens, intermediate] activation (the layer's largest) is freed before the LayerNorm.
      const outer = scoped(() => linear(be, linear(be, attended, this.intermediate.weight, this.intermediate.bias, this.config.hidden_act), this.output.weight, this.output.bias));
      const output = addLayerNorm(be, outer, attended, this.ln.weight, this.ln.bias, this.config.layer_norm_eps);
      return { output, probs };
    });
  }
}
