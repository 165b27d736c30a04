/**
 * The DeBERTa-v2 `ConvLayer`, applied once, after layer 0:
 *   LayerNorm(layer0_out + act(mask · conv1d(embedding_output))) · mask
 * The convolution runs over each sequence of the layout with zero padding at its ends (padded positions of a
 * padded batch are already zero: the embeddings were multiplied by the mask).
 */
import type { Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import type { EncoderContext } from "./context.js";
import type { Params } from "./params.js";

export class ConvLayer {
  private constructor(
    private readonly config: DebertaV2Config,
    private readonly weight: Tensor,
    private readonly bias: Tensor,
    private readonly ln: { weight: Tensor; bias: Tensor },
  ) {}

  static load(p: Params, c: DebertaV2Config, prefix: string): ConvLayer {
    const H = c.hidden_size;
    return new ConvLayer(
      c,
      p.take(`${prefix}conv.weight`, [H, H, c.conv_kernel_size]), // conv_groups is 1 (validated by the config)
      p.take(`${prefix}conv.bias`, [H]),
      { weight: p.take(`${prefix}LayerNorm.weight`, [H]), bias: p.take(`${prefix}LayerNorm.bias`, [H]) },
    );
  }

  forward(be: Backend, embeddings: Tensor, residual: Tensor, ctx: EncoderContext): Tensor {
    return scoped(() => {
      let out = be.conv1d(embeddings, this.weight, this.bias, ctx.layout);
      if (ctx.maskColumn) out = be.mul(out, ctx.maskColumn);
      out = be.activation(out, this.config.conv_act);
      const normed = be.layerNorm(be.add(residual, out), this.ln.weight, this.ln.bias, this.config.layer_norm_eps);
      return ctx.maskColumn ? be.mul(normed, ctx.maskColumn) : normed;
    });
  }
}
