/**
 * `DebertaV2ForSequenceClassification`: `ContextPooler` → `classifier` (`[num_labels, pooler_hidden_size]`).
 * Output `logits` `[batch, num_labels]`. What the logits mean (`problem_type`: single-label, multi-label,
 * regression) matters only to post-processing: see `defaultFunctionToApply` in the text-classification pipeline.
 */
import { type Backend, type ForwardOptions, type HostInputs, type ModelInputs, type Tensor, linear, readInputs, scoped, type LinearWeight } from "@deberta-js/core";
import { type BackboneOutputs, type BuildContext, DebertaV2PreTrainedModel } from "./base.js";
import { ContextPooler } from "./pooler.js";

export interface SequenceClassifierOutput extends BackboneOutputs {
  /** `[batch, num_labels]` */
  logits: Tensor;
}

/** Pooler + classifier on each sequence's first token: `[tokens, hidden]` → `[batch, out]`. */
export function poolAndClassify(
  be: Backend,
  first: Tensor,
  pooler: ContextPooler,
  classifier: { weight: LinearWeight; bias: Tensor },
): Tensor {
  return scoped(() => linear(be, pooler.forward(be, first), classifier.weight, classifier.bias));
}

export class DebertaV2ForSequenceClassification extends DebertaV2PreTrainedModel {
  static readonly className = "DebertaV2ForSequenceClassification";

  private constructor(
    ctx: BuildContext,
    readonly pooler: ContextPooler,
    private readonly classifier: { weight: LinearWeight; bias: Tensor },
  ) {
    super(ctx.deberta, ctx.params);
  }

  static build(ctx: BuildContext): DebertaV2ForSequenceClassification {
    const pooler = ContextPooler.load(ctx.weights, ctx.config);
    const classifier = ctx.weights.linear("classifier", ctx.config.num_labels, pooler.outputDim);
    return new DebertaV2ForSequenceClassification(ctx, pooler, classifier);
  }

  get numLabels(): number {
    return this.config.num_labels;
  }

  /** Inputs `[batch, seq]` → `logits` `[batch, num_labels]`. */
  async forward(inputs: ModelInputs, options: ForwardOptions = {}): Promise<SequenceClassifierOutput> {
    return this.forwardHost(readInputs(inputs, this.config), options);
  }

  /** `forward` on inputs already validated by `readInputs` (pipelines use it). */
  forwardHost(host: HostInputs, options: ForwardOptions = {}): SequenceClassifierOutput {
    return this.runBackbone(host, options, (hidden, layout) => {
      return { logits: poolAndClassify(this.backend, this.firstTokens(hidden, layout), this.pooler, this.classifier) };
    });
  }
}
