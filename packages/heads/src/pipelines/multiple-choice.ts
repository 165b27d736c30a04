/**
 * `multiple-choice` (no HF pipeline; the shape follows HF's multiple-choice examples): each `{ prompt, choices }`
 * is encoded as the pairs `(prompt, choice)`, scored by `DebertaV2ForMultipleChoice`, and the scores are the
 * softmax over that example's choices, in the order given. Choices run batched across examples (each choice's
 * logit depends only on its own pair, so this equals HF's `[batch, choices, seq]` call).
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForMultipleChoice } from "../multiple-choice.js";
import { type BatchingOptions, Pipeline } from "./base.js";
import { runBatched } from "./batching.js";
import { softmax } from "./math.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";
import { TRUNCATION_OPTIONS, type TruncationOptions, truncationArgs } from "./truncation.js";

/** `truncation` / `max_length`: passed to the tokenizer for each (prompt, choice) pair (default: no truncation). */
export interface MultipleChoiceOptions extends BatchingOptions, TruncationOptions {}

export interface MultipleChoiceInput {
  prompt: string;
  choices: string[];
}

export interface MultipleChoiceResult {
  prompt: string;
  choices: string[];
  /** Softmax over the choices, in the order given. */
  scores: number[];
  logits: number[];
}

export class MultipleChoicePipeline extends Pipeline<DebertaV2ForMultipleChoice, MultipleChoiceOptions, MultipleChoiceInput, MultipleChoiceResult> {
  static readonly callOptions: readonly OptionSpec[] = [...TRUNCATION_OPTIONS];

  constructor(model: DebertaV2ForMultipleChoice, tokenizer: PipelineTokenizer, defaults?: MultipleChoiceOptions, warn?: (m: string) => void) {
    super("multiple-choice", model, tokenizer, defaults, warn);
  }

  call(inputs: MultipleChoiceInput, options?: MultipleChoiceOptions): Promise<MultipleChoiceResult>;
  call(inputs: MultipleChoiceInput[], options?: MultipleChoiceOptions): Promise<MultipleChoiceResult[]>;
  async call(inputs: MultipleChoiceInput | MultipleChoiceInput[], options?: MultipleChoiceOptions): Promise<MultipleChoiceResult | MultipleChoiceResult[]> {
    const o = this.options(options);
    const truncation = truncationArgs(o, "multiple-choice", false);
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) throw new InputError("multiple-choice: at least one input is required");
    const rows: TokenizedRow[] = [];
    const owner: number[] = [];
    list.forEach((x, i) => {
      if (!x || typeof x.prompt !== "string") throw new InputError(`multiple-choice: input ${i}: \`prompt\` must be a string`);
      if (!Array.isArray(x.choices) || x.choices.length === 0 || x.choices.some((c) => typeof c !== "string")) {
        throw new InputError(`multiple-choice: input ${i}: \`choices\` must be a non-empty list of strings`);
      }
      for (const choice of x.choices) {
        rows.push(this.tokenizer.encode(x.prompt, { pair: choice, ...truncation })[0]);
        owner.push(i);
      }
    });
    const logits = await runBatched(rows, this.model.config, this.batchOptions(o), async (host, idx) => {
      const out = this.model.forwardHost(host, host.batch, 1, { packed: o.packed });
      const data = await out.logits.data();
      out.logits.dispose();
      return idx.map((_, b) => data[b]);
    });
    const results = list.map((x, i) => {
      const l = logits.filter((_, r) => owner[r] === i);
      return { prompt: x.prompt, choices: [...x.choices], scores: softmax(l), logits: l };
    });
    return Array.isArray(inputs) ? results : results[0];
  }
}
