/**
 * DeBERTa's one idea: content and relative position attend to each other.
 *
 *   score(i, j) = ( q_i·k_j                      content → content
 *                 + q_i·posKey[δ(i,j)]           content → position  (c2p)
 *                 + k_j·posQuery[δ(i,j)] ) / s   position → content  (p2c)
 *
 * with δ(i,j) the bucketed relative position `i - j` (relative-position.ts), posKey/posQuery the shared relative
 * embeddings through the key/query projections (`share_att_key`) or through their own `pos_key_proj` /
 * `pos_query_proj`, and s = sqrt(headDim · (1 + #c2p + #p2c)) counted from `pos_att_type` alone (HF).
 * The backend's `disentangledAttention` (or the reference fallback) does the scores, mask, softmax and context.
 */
import type { AttentionSpec, Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { type LinearWeight, addLayerNorm, disentangledAttention, linear, linearMany } from "../ops/index.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import type { EncoderContext } from "./context.js";
import type { Params } from "./params.js";

interface Projection {
  /** Float or quantized (bitsandbytes checkpoints, quantized dtypes). */
  weight: LinearWeight;
  bias: Tensor;
}

function loadProjection(p: Params, name: string, out: number, inp: number): Projection {
  return { weight: p.linearWeight(name, [out, inp]), bias: p.take(`${name}.bias`, [out]) };
}

export class DisentangledSelfAttention {
  private constructor(
    private readonly spec: AttentionSpec,
    private readonly relative: boolean,
    private readonly query: Projection,
    private readonly key: Projection,
    private readonly value: Projection,
    private readonly posKeyProj: Projection | undefined,
    private readonly posQueryProj: Projection | undefined,
    /** The weights: tensors this layer caches are adopted by them, and freed with them. */
    private readonly params: Params,
  ) {}

  /**
   * posKey/posQuery depend on weights only (the relative-embedding table through this layer's projections), not on
   * the input: computed on the first forward and kept, instead of recomputed per batch as HF does.
   */
  private posCache: { relEmbeddings: Tensor; posKey?: Tensor; posQuery?: Tensor } | undefined;

  static load(p: Params, c: DebertaV2Config, prefix: string): DisentangledSelfAttention {
    const H = c.hidden_size;
    const A = c.allHeadSize;
    const c2p = c.hasPosAtt("c2p");
    const p2c = c.hasPosAtt("p2c");
    const relative = c.relative_attention;
    const separatePos = relative && !c.share_att_key;
    return new DisentangledSelfAttention(
      {
        numHeads: c.num_attention_heads,
        headDim: c.attention_head_size,
        c2p: relative && c2p,
        p2c: relative && p2c,
        scale: Math.sqrt(c.attention_head_size * (1 + Number(c2p) + Number(p2c))),
        span: c.attSpan,
        buckets: c.position_buckets,
        maxPosition: c.maxRelativePositions,
      },
      relative,
      loadProjection(p, `${prefix}query_proj`, A, H),
      loadProjection(p, `${prefix}key_proj`, A, H),
      loadProjection(p, `${prefix}value_proj`, A, H),
      separatePos && c2p ? loadProjection(p, `${prefix}pos_key_proj`, A, H) : undefined,
      separatePos && p2c ? loadProjection(p, `${prefix}pos_query_proj`, A, H) : undefined,
      p,
    );
  }

  forward(be: Backend, hidden: Tensor, ctx: EncoderContext, outputAttentions: boolean): { context: Tensor; probs?: Tensor } {
    return scoped(() => {
      const { posKey, posQuery } = this.positionProjections(be, ctx.relEmbeddings);
      // q, k, v in one op: one pass over `hidden` where the backend fuses them
      const [q, k, v] = linearMany(be, hidden, [this.query.weight, this.key.weight, this.value.weight], [this.query.bias, this.key.bias, this.value.bias]);
      return disentangledAttention(be, {
        q,
        k,
        v,
        posKey,
        posQuery,
        relIndex: posKey || posQuery ? ctx.relIndex : undefined,
        mask: ctx.mask,
        layout: ctx.layout,
        spec: this.spec,
        outputAttentions,
      });
    });
  }

  /** Computes this layer's position projections now (at load) instead of on the first forward. */
  precompute(be: Backend, rel: Tensor | undefined): void {
    this.positionProjections(be, rel);
  }

  private positionProjections(be: Backend, rel: Tensor | undefined): { posKey?: Tensor; posQuery?: Tensor } {
    if (!this.relative || !rel) return {};
    if (this.posCache?.relEmbeddings === rel) return this.posCache;
    const cache: { relEmbeddings: Tensor; posKey?: Tensor; posQuery?: Tensor } = { relEmbeddings: rel };
    if (this.spec.c2p) {
      const proj = this.posKeyProj ?? this.key;
      cache.posKey = this.params.adopt(linear(be, rel, proj.weight, proj.bias));
    }
    if (this.spec.p2c) {
      const proj = this.posQueryProj ?? this.query;
      cache.posQuery = this.params.adopt(linear(be, rel, proj.weight, proj.bias));
    }
    this.posCache = cache;
    return cache;
  }
}

/** `DebertaV2Attention`: self-attention, then `LayerNorm(dense(context) + input)` (`DebertaV2SelfOutput`). */
export class DebertaV2Attention {
  private constructor(
    private readonly self: DisentangledSelfAttention,
    private readonly dense: Projection,
    private readonly ln: { weight: Tensor; bias: Tensor },
    private readonly eps: number,
  ) {}

  static load(p: Params, c: DebertaV2Config, prefix: string): DebertaV2Attention {
    const H = c.hidden_size;
    return new DebertaV2Attention(
      DisentangledSelfAttention.load(p, c, `${prefix}self.`),
      loadProjection(p, `${prefix}output.dense`, H, c.allHeadSize),
      { weight: p.take(`${prefix}output.LayerNorm.weight`, [H]), bias: p.take(`${prefix}output.LayerNorm.bias`, [H]) },
      c.layer_norm_eps,
    );
  }

  precompute(be: Backend, rel: Tensor | undefined): void {
    this.self.precompute(be, rel);
  }

  forward(be: Backend, hidden: Tensor, ctx: EncoderContext, outputAttentions: boolean): { output: Tensor; probs?: Tensor } {
    return scoped(() => {
      const { context, probs } = this.self.forward(be, hidden, ctx, outputAttentions);
      const projected = linear(be, context, this.dense.weight, this.dense.bias);
      return { output: addLayerNorm(be, projected, hidden, this.ln.weight, this.ln.bias, this.eps), probs };
    });
  }
}
