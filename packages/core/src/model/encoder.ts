/**
 * `DebertaV2Encoder`: the relative-embedding table (LayerNorm'd when `norm_rel_ebd` has `layer_norm`), the layers,
 * and the v2 conv layer after layer 0.
 */
import type { Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { ConvLayer } from "./conv.js";
import type { EncoderContext } from "./context.js";
import { DebertaV2Layer } from "./layer.js";
import type { Params } from "./params.js";

export interface EncoderOutput {
  lastHidden: Tensor;
  /** Embedding output + every layer's output (when asked). */
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class DebertaV2Encoder {
  private constructor(
    private readonly config: DebertaV2Config,
    private readonly layers: DebertaV2Layer[],
    private readonly relEmbeddings: Tensor | undefined,
    private readonly relLn: { weight: Tensor; bias: Tensor } | undefined,
    private readonly conv: ConvLayer | undefined,
    private readonly params: Params,
  ) {}

  private relCache: Tensor | undefined;

  static load(p: Params, c: DebertaV2Config, prefix = "encoder."): DebertaV2Encoder {
    const H = c.hidden_size;
    const layers = Array.from({ length: c.num_hidden_layers }, (_, i) => DebertaV2Layer.load(p, c, `${prefix}layer.${i}.`));
    const rel = c.relative_attention ? p.take(`${prefix}rel_embeddings.weight`, [2 * c.attSpan, H]) : undefined;
    const relLn =
      c.relative_attention && c.norm_rel_ebd.includes("layer_norm")
        ? { weight: p.take(`${prefix}LayerNorm.weight`, [H]), bias: p.take(`${prefix}LayerNorm.bias`, [H]) }
        : undefined;
    const conv = c.conv_kernel_size > 0 ? ConvLayer.load(p, c, `${prefix}conv.`) : undefined;
    return new DebertaV2Encoder(c, layers, rel, relLn, conv, p);
  }

  /**
   * The relative embeddings every layer uses (after the encoder LayerNorm when `norm_rel_ebd` says so). They
   * depend on weights only, so they are computed once and kept with the weights.
   */
  relativeEmbeddings(be: Backend): Tensor | undefined {
    if (!this.relEmbeddings || !this.relLn) return this.relEmbeddings;
    if (!this.relCache) {
      this.relCache = this.params.adopt(be.layerNorm(this.relEmbeddings, this.relLn.weight, this.relLn.bias, this.config.layer_norm_eps));
    }
    return this.relCache;
  }

  forward(be: Backend, embeddings: Tensor, ctx: EncoderContext, opts: { outputHiddenStates: boolean; outputAttentions: boolean }): EncoderOutput {
    const hiddenStates = opts.outputHiddenStates ? [embeddings] : undefined;
    const attentions = opts.outputAttentions ? ([] as Tensor[]) : undefined;
    let x = embeddings;
    this.layers.forEach((layer, i) => {
      const { output, probs } = scoped(() => {
        const r = layer.forward(be, x, ctx, opts.outputAttentions);
        return i === 0 && this.conv ? { output: this.conv.forward(be, embeddings, r.output, ctx), probs: r.probs } : r;
      });
      if (probs) attentions!.push(probs);
      // Not asked to return it: free the previous layer's output now rather than when the caller's scope ends, so
      // a deep model holds two hidden states at a time, not one per layer.
      if (!hiddenStates && x !== embeddings) x.dispose();
      x = output;
      hiddenStates?.push(output);
    });
    return { lastHidden: x, hiddenStates, attentions };
  }
}
