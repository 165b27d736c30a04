/**
 * `DebertaV2ForTokenClassification`: `classifier` (`[num_labels, hidden]`) on every token.
 * Output `logits` `[batch, seq, num_labels]`.
 */
import { type ForwardOptions, type HostInputs, type ModelInputs, type Tensor, linear, readInputs, type LinearWeight } from "@deberta-js/core";
import { type BackboneOutputs, type BuildContext, DebertaV2PreTrainedModel } from "./base.js";

export interface TokenClassifierOutput extends BackboneOutputs {
  /** `[batch, seq, num_labels]` */
  logits: Tensor;
}

export class DebertaV2ForTokenClassification extends DebertaV2PreTrainedModel {
  static readonly className = "DebertaV2ForTokenClassification";

  private constructor(
    ctx: BuildContext,
    private readonly classifier: { weight: LinearWeight; bias: Tensor },
  ) {
    super(ctx.deberta, ctx.params);
  }

  static build(ctx: BuildContext): DebertaV2ForTokenClassification {
    return new DebertaV2ForTokenClassification(ctx, ctx.weights.linear("classifier", ctx.config.num_labels, ctx.config.hidden_size));
  }

  get numLabels(): number {
    return this.config.num_labels;
  }

  async forward(inputs: ModelInputs, options: ForwardOptions = {}): Promise<TokenClassifierOutput> {
    return this.forwardHost(readInputs(inputs, this.config), options);
  }

  forwardHost(host: HostInputs, options: ForwardOptions = {}): TokenClassifierOutput {
    return this.runBackbone(host, options, (hidden, layout) => {
      return { logits: this.toBatched(linear(this.backend, hidden, this.classifier.weight, this.classifier.bias), host, layout) };
    });
  }
}
