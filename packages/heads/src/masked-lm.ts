/**
 * `DebertaV2ForMaskedLM`, both of HF's head layouts:
 *
 * - `legacy: true` (config default; what `save_pretrained` of HF models writes):
 *   `cls.predictions.transform.dense` (hidden → embedding_size, `hidden_act`) → `cls.predictions.transform.LayerNorm`
 *   → decoder tied to `deberta.embeddings.word_embeddings.weight` + bias `cls.predictions.bias`. The decoder is not
 *   stored in checkpoints (HF ties it); with `tie_word_embeddings: false` a stored `cls.predictions.decoder.weight`
 *   is used instead.
 * - `legacy: false` (the original Microsoft naming): `lm_predictions.lm_head.dense` (hidden → hidden, `hidden_act`)
 *   → `lm_predictions.lm_head.LayerNorm` → `· word_embeddings.weightᵀ + lm_predictions.lm_head.bias`.
 *
 * Both compute the same function; only the names differ. HF reads only the names of the configured layout; when a
 * checkpoint holds the other layout's head (hub checkpoints of Microsoft's models carry `lm_predictions.*` while
 * their config says nothing about `legacy`), we use it and say so, where HF would silently initialize a random head.
 * With neither, the head is newly initialized with a warning, as in HF, and `hasTrainedHead` is false.
 */
import {
  type Backend,
  type DebertaV2Config,
  DebertaError,
  type ForwardOptions,
  type HostInputs,
  InputError,
  type ModelInputs,
  type SequenceLayout,
  type Tensor,
  linear,
  readInputs,
  sequenceSpan, type LinearWeight } from "@deberta-js/core";
import { type BackboneOutputs, type BuildContext, DebertaV2PreTrainedModel, type HeadWeights } from "./base.js";

export interface MaskedLMOutput extends BackboneOutputs {
  /** `[batch, seq, vocab_size]` */
  logits: Tensor;
}

interface LMHead {
  dense: { weight: LinearWeight; bias: Tensor };
  ln: { weight: Tensor; bias: Tensor };
  /** The tied word embeddings (int8 row-wise with `quantize_embeddings`: a q8 Linear on the same data), or a stored decoder. */
  decoder: LinearWeight;
  bias: Tensor;
}

const LEGACY = {
  dense: "cls.predictions.transform.dense",
  ln: "cls.predictions.transform.LayerNorm",
  bias: "cls.predictions.bias",
};
const ORIGINAL = {
  dense: "lm_predictions.lm_head.dense",
  ln: "lm_predictions.lm_head.LayerNorm",
  bias: "lm_predictions.lm_head.bias",
};

export class DebertaV2ForMaskedLM extends DebertaV2PreTrainedModel {
  static readonly className = "DebertaV2ForMaskedLM";
  /** HF `_keys_to_ignore_on_load_unexpected`: the RTD discriminator head of v3 checkpoints. */
  static readonly ignoreUnused = [/^mask_predictions\./];

  private constructor(
    ctx: BuildContext,
    private readonly head: LMHead,
    /** Which naming the head weights were read under. */
    readonly headLayout: "legacy" | "original",
  ) {
    super(ctx.deberta, ctx.params);
  }

  static build(ctx: BuildContext): DebertaV2ForMaskedLM {
    const { config: c, weights: w } = ctx;
    let layout: "legacy" | "original" = c.legacy ? "legacy" : "original";
    const has = (names: typeof LEGACY) => w.has(`${names.dense}.weight`);
    if (!has(layout === "legacy" ? LEGACY : ORIGINAL)) {
      const other = layout === "legacy" ? "original" : "legacy";
      if (has(other === "legacy" ? LEGACY : ORIGINAL)) {
        ctx.warn(
          `${ctx.location ?? "checkpoint"}: config.json has legacy: ${c.legacy} but the MLM head is stored as ` +
            `"${other === "legacy" ? "cls.predictions.*" : "lm_predictions.lm_head.*"}"; using those weights ` +
            `(HF would ignore them and initialize a random head; set "legacy": ${!c.legacy} in config.json to silence this).`,
        );
        layout = other;
      }
    }
    const head = layout === "legacy" ? legacyHead(ctx, w, c) : originalHead(ctx, w, c);
    return new DebertaV2ForMaskedLM(ctx, head, layout);
  }

  /** False when the checkpoint had no MLM head weights (they were newly initialized: predictions are random). */
  get hasTrainedHead(): boolean {
    return this.newlyInitialized.length === 0;
  }

  /** Inputs `[batch, seq]` → `logits` `[batch, seq, vocab_size]`. */
  async forward(inputs: ModelInputs, options: ForwardOptions = {}): Promise<MaskedLMOutput> {
    return this.forwardHost(readInputs(inputs, this.config), options);
  }

  forwardHost(host: HostInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return this.runBackbone(host, options, (hidden, layout) => {
      return { logits: this.toBatched(this.predict(hidden), host, layout) };
    });
  }

  /**
   * Logits `[N, vocab_size]` at the given `(batch, position)` pairs only (e.g. the `[MASK]` tokens): the decoder —
   * the costly `vocab × hidden` product — runs on those rows alone.
   */
  logitsAt(host: HostInputs, positions: ReadonlyArray<readonly [number, number]>, options: ForwardOptions = {}): Tensor {
    for (const [b, i] of positions) {
      if (!(b >= 0 && b < host.batch && i >= 0 && i < host.seqLen)) {
        throw new InputError(`logitsAt: position (${b}, ${i}) is outside the batch [${host.batch}, ${host.seqLen}]`);
      }
    }
    const out = this.runBackbone(host, { ...options, output_hidden_states: false, output_attentions: false }, (hidden, layout) => {
      return { logits: this.predict(gatherRows(this.backend, hidden, layout, positions)) };
    });
    return out.logits;
  }

  /** The MLM head on hidden rows `[N, hidden]` → `[N, vocab_size]`. */
  private predict(rows: Tensor): Tensor {
    const be = this.backend;
    const c = this.config;
    const h = this.head;
    const dense = linear(be, rows, h.dense.weight, h.dense.bias, c.hidden_act);
    return linear(be, be.layerNorm(dense, h.ln.weight, h.ln.bias, c.layer_norm_eps), h.decoder, h.bias);
  }
}

function legacyHead(ctx: BuildContext, w: HeadWeights, c: DebertaV2Config): LMHead {
  const E = c.embedding_size;
  const V = c.vocab_size;
  const dense = w.linear(LEGACY.dense, E, c.hidden_size);
  const ln = w.layerNorm(LEGACY.ln, E);
  let decoder: LinearWeight = ctx.deberta.embeddings.wordEmbeddings;
  if (!c.tie_word_embeddings && w.has("cls.predictions.decoder.weight")) decoder = w.tensor("cls.predictions.decoder.weight", [V, E], "normal");
  // The decoder bias is tied to `cls.predictions.bias`; older saves may hold it as `cls.predictions.decoder.bias`.
  const biasName = !w.has(LEGACY.bias) && w.has("cls.predictions.decoder.bias") ? "cls.predictions.decoder.bias" : LEGACY.bias;
  const bias = w.tensor(biasName, [V], "zeros");
  return { dense, ln, decoder, bias };
}

function originalHead(ctx: BuildContext, w: HeadWeights, c: DebertaV2Config): LMHead {
  const H = c.hidden_size;
  if (c.embedding_size !== H) {
    throw new DebertaError(
      "UNSUPPORTED",
      `${ctx.location ?? "config.json"}: the lm_predictions.lm_head MLM head (legacy: false) multiplies by the word embeddings, ` +
        `which needs embedding_size (${c.embedding_size}) == hidden_size (${H}), as in HF`,
    );
  }
  return {
    dense: w.linear(ORIGINAL.dense, H, H),
    ln: w.layerNorm(ORIGINAL.ln, H),
    decoder: ctx.deberta.embeddings.wordEmbeddings,
    bias: w.tensor(ORIGINAL.bias, [c.vocab_size], "zeros"),
  };
}

/** Rows of `hidden` `[tokens, D]` at (batch, position) pairs → `[N, D]`. */
export function gatherRows(be: Backend, hidden: Tensor, layout: SequenceLayout, positions: ReadonlyArray<readonly [number, number]>): Tensor {
  const idx = new Int32Array(positions.length);
  positions.forEach(([b, i], k) => {
    const { start, length } = sequenceSpan(layout, b);
    if (i >= length) throw new InputError(`position (${b}, ${i}) is a padding position of a packed batch`);
    idx[k] = start + i;
  });
  return be.gather(hidden, be.upload(idx, [idx.length], "i32"));
}
