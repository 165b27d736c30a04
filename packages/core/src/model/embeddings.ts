/**
 * `DebertaV2Embeddings`: word (+ absolute position when `position_biased_input`) (+ token type when
 * `type_vocab_size > 0`) → `embed_proj` when `embedding_size != hidden_size` → LayerNorm → × attention mask.
 */
import type { Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { type LinearWeight, gatherQuantized, linear } from "../ops/index.js";
import { QuantizedWeight } from "../quant/quantized-weight.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { embeddingsMarker } from "../weights/int8-embeddings.js";
import type { Params } from "./params.js";

export class DebertaV2Embeddings {
  private constructor(
    private readonly config: DebertaV2Config,
    /** A float table, or int8 row-wise with `quantize_embeddings` (a tied MLM decoder uses it as a Linear weight). */
    readonly wordEmbeddings: Tensor | QuantizedWeight,
    private readonly positionEmbeddings: Tensor | undefined,
    private readonly tokenTypeEmbeddings: Tensor | undefined,
    private readonly embedProj: LinearWeight | undefined,
    private readonly lnWeight: Tensor,
    private readonly lnBias: Tensor,
  ) {}

  static load(p: Params, c: DebertaV2Config, prefix = "embeddings."): DebertaV2Embeddings {
    const E = c.embedding_size;
    const H = c.hidden_size;
    return new DebertaV2Embeddings(
      c,
      p.embeddingTable(`${prefix}word_embeddings.weight`, [c.vocab_size, E], embeddingsMarker(c) !== undefined),
      c.position_biased_input ? p.take(`${prefix}position_embeddings.weight`, [c.max_position_embeddings, E]) : undefined,
      c.type_vocab_size > 0 ? p.take(`${prefix}token_type_embeddings.weight`, [c.type_vocab_size, E]) : undefined,
      E !== H ? p.linearWeight(`${prefix}embed_proj`, [H, E]) : undefined,
      p.take(`${prefix}LayerNorm.weight`, [H]),
      p.take(`${prefix}LayerNorm.bias`, [H]),
    );
  }

  /**
   * @param ids i32 `[T]`, positions i32 `[T]`, tokenTypes i32 `[T]` (zeros when absent)
   * @param maskColumn `[T, 1]` 0/1 in the compute dtype, or undefined when every token is real
   * @param hostIds `ids` on the host, for the quantized gather's fallback (backends without `gatherQuantized`)
   */
  forward(be: Backend, ids: Tensor, positions: Tensor, tokenTypes: Tensor | undefined, maskColumn: Tensor | undefined, hostIds?: Int32Array): Tensor {
    return scoped(() => {
      const w = this.wordEmbeddings;
      let x = w instanceof QuantizedWeight ? gatherQuantized(be, w, ids, this.lnWeight.dtype as "f32" | "f16", hostIds) : be.gather(w, ids);
      if (this.positionEmbeddings) x = be.add(x, be.gather(this.positionEmbeddings, positions));
      if (this.tokenTypeEmbeddings && tokenTypes) x = be.add(x, be.gather(this.tokenTypeEmbeddings, tokenTypes));
      if (this.embedProj) x = linear(be, x, this.embedProj, undefined);
      x = be.layerNorm(x, this.lnWeight, this.lnBias, this.config.layer_norm_eps);
      return maskColumn ? be.mul(x, maskColumn) : x;
    });
  }
}
