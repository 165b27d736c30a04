/**
 * `text-classification` (alias `sentiment-analysis`): HF's `TextClassificationPipeline`. Inputs are texts or
 * `{ text, text_pair }` pairs (NLI models take premise/hypothesis pairs). Scores go through `function_to_apply`
 * (default from `problem_type` / `num_labels`, see `defaultFunctionToApply`); labels come from `id2label`.
 *
 * Result shapes, as HF: without `top_k` each input gives its best `{ label, score }` (and a single text input
 * gives a one-element list); with `top_k` each input gives a list sorted by score (`top_k: null`: all labels).
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForSequenceClassification } from "../sequence-classification.js";
import { type BatchingOptions, Pipeline } from "./base.js";
import { runBatched } from "./batching.js";
import { type FunctionToApply, type LabelScore, applyFunction, classificationResult, defaultFunctionToApply } from "./classification-post.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";
import { TRUNCATION_OPTIONS, type TruncationOptions, truncationArgs } from "./truncation.js";

/** `truncation` / `max_length`: passed to the tokenizer (default: no truncation, as HF). */
export interface TextClassificationOptions extends BatchingOptions, TruncationOptions {
  top_k?: number | null;
  function_to_apply?: FunctionToApply;
  /** Second text of every string input (HF's `text_pair` call argument), e.g. the NLI hypothesis. */
  text_pair?: string;
}

/** Options that ask for the list form (`top_k` given, even `null` = every label). */
type WithTopK = TextClassificationOptions & { top_k: number | null };
type WithoutTopK = TextClassificationOptions & { top_k?: undefined };

export type TextPair = { text: string; text_pair?: string };
export type TextClassificationInput = string | TextPair;

export class TextClassificationPipeline extends Pipeline<DebertaV2ForSequenceClassification, TextClassificationOptions, TextClassificationInput, LabelScore | LabelScore[]> {
  static readonly callOptions: readonly OptionSpec[] = [{ name: "top_k" }, { name: "function_to_apply" }, ...TRUNCATION_OPTIONS, { name: "text_pair" }];

  constructor(model: DebertaV2ForSequenceClassification, tokenizer: PipelineTokenizer, defaults?: TextClassificationOptions, warn?: (m: string) => void) {
    super("text-classification", model, tokenizer, defaults, warn);
  }

  /** A text: a one-element list with its best label (HF's shape). */
  call(inputs: string, options?: WithoutTopK): Promise<LabelScore[]>;
  /** A {text, text_pair} pair: its best label. */
  call(inputs: TextPair, options?: WithoutTopK): Promise<LabelScore>;
  /** Several inputs: the best label of each. */
  call(inputs: TextClassificationInput[], options?: WithoutTopK): Promise<LabelScore[]>;
  /** With top_k: the top_k labels, sorted by score. */
  call(inputs: TextClassificationInput, options: WithTopK): Promise<LabelScore[]>;
  call(inputs: TextClassificationInput[], options: WithTopK): Promise<LabelScore[][]>;
  call(inputs: TextClassificationInput | TextClassificationInput[], options?: TextClassificationOptions): Promise<LabelScore | LabelScore[] | LabelScore[][]>;
  async call(inputs: TextClassificationInput | TextClassificationInput[], options?: TextClassificationOptions): Promise<unknown> {
    const o = this.options(options);
    // HF switches to the list shape as soon as top_k is given (even top_k: null = all labels).
    const hasTopK = (options !== undefined && "top_k" in options) || "top_k" in this.defaults;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) throw new InputError("text-classification: expected a text, a {text, text_pair} pair, or a non-empty list of them");
    const config = this.model.config;
    const fn = (o.function_to_apply?.toLowerCase() as FunctionToApply | undefined) ?? defaultFunctionToApply(config);
    const truncation = truncationArgs(o, "text-classification", false);
    const rows: TokenizedRow[] = list.map((x, i) => {
      const { text, pair } = readInput(x, i, o.text_pair);
      return this.tokenizer.encode(text, { pair, ...truncation })[0];
    });
    const scores = await runBatched(rows, config, this.batchOptions(o), async (host, idx) => {
      const { logits } = this.model.forwardHost(host, { packed: o.packed });
      const data = await logits.data();
      logits.dispose();
      const n = logits.shape[1];
      return idx.map((_, b) => applyFunction(data.subarray(b * n, (b + 1) * n), fn));
    });
    const topk = hasTopK ? (o.top_k ?? null) : undefined;
    const results = scores.map((s) => classificationResult(s, config.id2label, topk));
    if (!Array.isArray(inputs)) return typeof inputs === "string" && !hasTopK ? results : results[0];
    return results;
  }
}

function readInput(x: TextClassificationInput, i: number, textPair?: string): { text: string; pair?: string } {
  if (textPair !== undefined && typeof textPair !== "string") throw new InputError("text-classification: text_pair must be a string");
  if (typeof x === "string") return { text: x, pair: textPair };
  if (x && typeof x === "object" && typeof x.text === "string") {
    if (x.text_pair !== undefined && typeof x.text_pair !== "string") throw new InputError(`text-classification: input ${i}: text_pair must be a string`);
    return { text: x.text, pair: x.text_pair };
  }
  throw new InputError(
    `text-classification: input ${i} is not a text or a {"text": ..., "text_pair": ...} pair; to send text pairs, pass {text, text_pair} objects`,
  );
}
