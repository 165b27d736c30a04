/**
 * `DebertaV2ForQuestionAnswering`: `qa_outputs` (`[2, hidden]`) on every token, split into `start_logits` and
 * `end_logits`, each `[batch, seq]`.
 */
import { DebertaError, type ForwardOptions, type HostInputs, type ModelInputs, type Tensor, linear, readInputs, type LinearWeight } from "@deberta-js/core";
import { type BackboneOutputs, type BuildContext, DebertaV2PreTrainedModel } from "./base.js";

export interface QuestionAnsweringOutput extends BackboneOutputs {
  /** `[batch, seq]` */
  start_logits: Tensor;
  /** `[batch, seq]` */
  end_logits: Tensor;
}

export class DebertaV2ForQuestionAnswering extends DebertaV2PreTrainedModel {
  static readonly className = "DebertaV2ForQuestionAnswering";

  private constructor(
    ctx: BuildContext,
    private readonly qaOutputs: { weight: LinearWeight; bias: Tensor },
  ) {
    super(ctx.deberta, ctx.params);
  }

  static build(ctx: BuildContext): DebertaV2ForQuestionAnswering {
    const n = ctx.config.num_labels;
    if (n !== 2) {
      throw new DebertaError(
        "CONFIG_INVALID",
        `${ctx.location ?? "config.json"}: DebertaV2ForQuestionAnswering needs num_labels 2 (start and end logits), the config has ${n}`,
      );
    }
    return new DebertaV2ForQuestionAnswering(ctx, ctx.weights.linear("qa_outputs", 2, ctx.config.hidden_size));
  }

  async forward(inputs: ModelInputs, options: ForwardOptions = {}): Promise<QuestionAnsweringOutput> {
    return this.forwardHost(readInputs(inputs, this.config), options);
  }

  forwardHost(host: HostInputs, options: ForwardOptions = {}): QuestionAnsweringOutput {
    const be = this.backend;
    return this.runBackbone(host, options, (hidden, layout) => {
      const flat = linear(be, hidden, this.qaOutputs.weight, this.qaOutputs.bias); // [T, 2]
      const batched = this.toBatched(flat, host, layout); // [B, L, 2]
      const { batch: B, seqLen: L } = host;
      const columns = be.transpose(batched.reshape([B * L, 2]), [1, 0]); // [2, B*L]
      const pick = (k: number) => be.gather(columns, be.upload(Int32Array.of(k), [1], "i32")).moveTo([B, L]); // [1, B*L] → [B, L]
      return { start_logits: pick(0), end_logits: pick(1) };
    });
  }
}
