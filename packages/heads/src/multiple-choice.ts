/**
 * `DebertaV2ForMultipleChoice`: inputs `[batch, choices, seq]` are run as `[batch·choices, seq]`, pooled
 * (`ContextPooler`), scored by `classifier` (`[1, pooler_hidden_size]`) and reshaped to `logits` `[batch, choices]`.
 */
import {
  type ForwardOptions,
  type HostInputs,
  InputError,
  type ModelInputs,
  OrtTensor,
  type Tensor,
  readInputs, type LinearWeight } from "@deberta-js/core";
import { type BackboneOutputs, type BuildContext, DebertaV2PreTrainedModel } from "./base.js";
import { ContextPooler } from "./pooler.js";
import { poolAndClassify } from "./sequence-classification.js";

export interface MultipleChoiceOutput extends BackboneOutputs {
  /** `[batch, choices]` */
  logits: Tensor;
}

/** One input of a multiple-choice batch: `number[][][]` (`[batch][choice][seq]`) or a 3-D tensor. */
export type ChoiceIdsInput = number[][][] | OrtTensor | { data: ArrayLike<number | bigint>; dims: readonly number[] };

export interface MultipleChoiceInputs {
  input_ids: ChoiceIdsInput;
  attention_mask?: ChoiceIdsInput;
  token_type_ids?: ChoiceIdsInput;
  position_ids?: ChoiceIdsInput;
}

export class DebertaV2ForMultipleChoice extends DebertaV2PreTrainedModel {
  static readonly className = "DebertaV2ForMultipleChoice";

  private constructor(
    ctx: BuildContext,
    readonly pooler: ContextPooler,
    private readonly classifier: { weight: LinearWeight; bias: Tensor },
  ) {
    super(ctx.deberta, ctx.params);
  }

  static build(ctx: BuildContext): DebertaV2ForMultipleChoice {
    const pooler = ContextPooler.load(ctx.weights, ctx.config);
    return new DebertaV2ForMultipleChoice(ctx, pooler, ctx.weights.linear("classifier", 1, pooler.outputDim));
  }

  /** Inputs `[batch, choices, seq]` → `logits` `[batch, choices]`. */
  async forward(inputs: MultipleChoiceInputs, options: ForwardOptions = {}): Promise<MultipleChoiceOutput> {
    const { flat, batch, choices } = flattenChoices(inputs);
    return this.forwardHost(readInputs(flat, this.config), batch, choices, options);
  }

  /** `host` holds `batch·choices` rows, choice-major within each example. */
  forwardHost(host: HostInputs, batch: number, choices: number, options: ForwardOptions = {}): MultipleChoiceOutput {
    if (host.batch !== batch * choices) throw new InputError(`multiple choice: ${host.batch} rows is not ${batch} × ${choices} choices`);
    return this.runBackbone(host, options, (hidden, layout) => {
      const scores = poolAndClassify(this.backend, this.firstTokens(hidden, layout), this.pooler, this.classifier); // [B*C, 1]
      return { logits: scores.moveTo([batch, choices]) };
    });
  }
}

/** `[B, C, L]` inputs → `[B·C, L]` model inputs. Every input must have the same `[B, C, L]`. */
export function flattenChoices(inputs: MultipleChoiceInputs): { flat: ModelInputs; batch: number; choices: number } {
  if (!inputs || typeof inputs !== "object" || inputs.input_ids === undefined) throw new InputError("inputs: input_ids is required");
  const ids = to3d("input_ids", inputs.input_ids);
  const [B, C, L] = ids.dims;
  const flat: ModelInputs = { input_ids: { data: ids.data, dims: [B * C, L] } };
  for (const name of ["attention_mask", "token_type_ids", "position_ids"] as const) {
    const x = inputs[name];
    if (x === undefined) continue;
    const t = to3d(name, x);
    if (t.dims.some((d, i) => d !== ids.dims[i])) {
      throw new InputError(`${name}: shape [${t.dims}] does not match input_ids [${ids.dims}]`);
    }
    flat[name] = { data: t.data, dims: [B * C, L] };
  }
  return { flat, batch: B, choices: C };
}

function to3d(name: string, x: ChoiceIdsInput): { data: ArrayLike<number | bigint>; dims: [number, number, number] } {
  if (Array.isArray(x)) {
    const B = x.length;
    if (B === 0) throw new InputError(`${name}: empty batch`);
    if (!Array.isArray(x[0])) throw new InputError(`${name}: expected [batch][choice][sequence] numbers`);
    const C = x[0].length;
    const L = Array.isArray(x[0][0]) ? x[0][0].length : -1;
    if (C === 0 || L < 0) throw new InputError(`${name}: expected [batch][choice][sequence] numbers with at least one choice`);
    const data = new Array<number>(B * C * L);
    for (let b = 0; b < B; b++) {
      const row = x[b];
      if (!Array.isArray(row) || row.length !== C) throw new InputError(`${name}: example ${b} has ${Array.isArray(row) ? row.length : "no"} choices, example 0 has ${C}`);
      for (let c = 0; c < C; c++) {
        const seq = row[c];
        if (!Array.isArray(seq) || seq.length !== L) {
          throw new InputError(`${name}: example ${b} choice ${c} has ${Array.isArray(seq) ? seq.length : "no"} tokens, expected ${L}; pad the batch`);
        }
        for (let i = 0; i < L; i++) data[(b * C + c) * L + i] = seq[i];
      }
    }
    return { data, dims: [B, C, L] };
  }
  if (x && typeof x === "object" && "dims" in x && "data" in x) {
    if (x.dims.length !== 3) throw new InputError(`${name}: expected a 3-D tensor [batch, choices, sequence], got dims [${x.dims.join(", ")}]`);
    return { data: x.data as ArrayLike<number | bigint>, dims: [x.dims[0], x.dims[1], x.dims[2]] };
  }
  throw new InputError(`${name}: expected number[][][] or a 3-D onnxruntime Tensor`);
}
