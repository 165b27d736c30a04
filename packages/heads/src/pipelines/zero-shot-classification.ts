/**
 * `zero-shot-classification` with NLI models: HF's `ZeroShotClassificationPipeline`. Each (sequence, candidate
 * label) becomes a premise/hypothesis pair `hypothesis_template` (default "This example is {}."); the pairs run
 * batched (by default a batch holds at least all labels of a sequence: one forward pass for one sequence), truncating
 * only the sequence. Scores use the entailment class found in
 * `label2id` (the first label starting with "entail").
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForSequenceClassification } from "../sequence-classification.js";
import { type BatchingOptions, Pipeline } from "./base.js";
import { runBatched } from "./batching.js";
import { type ZeroShotResult, entailmentId, formatTemplate, parseCandidateLabels, zeroShotResult } from "./classification-post.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";
import { TRUNCATION_OPTIONS, type TruncationOptions, truncationArgs } from "./truncation.js";

/**
 * `truncation` / `max_length`: passed to the tokenizer for each (text, hypothesis) pair; the default is HF's,
 * "only_first" (the text is cut, never the hypothesis), and no truncation when even that cannot fit.
 */
export interface ZeroShotOptions extends BatchingOptions, TruncationOptions {
  candidate_labels?: string | string[];
  hypothesis_template?: string;
  multi_label?: boolean;
}

export class ZeroShotClassificationPipeline extends Pipeline<DebertaV2ForSequenceClassification, ZeroShotOptions, string, ZeroShotResult> {
  static readonly callOptions: readonly OptionSpec[] = [{ name: "candidate_labels" }, { name: "hypothesis_template" }, { name: "multi_label" }, ...TRUNCATION_OPTIONS];

  readonly entailmentId: number;

  constructor(model: DebertaV2ForSequenceClassification, tokenizer: PipelineTokenizer, defaults?: ZeroShotOptions, warn?: (m: string) => void) {
    super("zero-shot-classification", model, tokenizer, defaults, warn);
    this.entailmentId = entailmentId(model.config.label2id);
    if (this.entailmentId === -1) {
      this.warn(
        "Failed to determine 'entailment' label id from the label2id mapping in the model config. Setting to -1. " +
          "Define a descriptive label2id mapping in the model config to ensure correct outputs.",
      );
    }
  }

  call(sequences: string, options: ZeroShotOptions): Promise<ZeroShotResult>;
  call(sequences: string[], options: ZeroShotOptions): Promise<ZeroShotResult[]>;
  /** transformers.js's form: `classifier(text, candidate_labels, options)`. */
  call(sequences: string, candidateLabels: string | string[], options?: ZeroShotOptions): Promise<ZeroShotResult>;
  call(sequences: string[], candidateLabels: string | string[], options?: ZeroShotOptions): Promise<ZeroShotResult[]>;
  async call(sequences: string | string[], b: ZeroShotOptions | string | string[] = {}, c?: ZeroShotOptions): Promise<ZeroShotResult | ZeroShotResult[]> {
    const options: ZeroShotOptions = typeof b === "string" || Array.isArray(b) ? { ...c, candidate_labels: b } : b;
    const o = this.options(options);
    const seqs = typeof sequences === "string" ? [sequences] : sequences;
    const labels = o.candidate_labels === undefined ? [] : parseCandidateLabels(o.candidate_labels);
    if (labels.length === 0 || !Array.isArray(seqs) || seqs.length === 0) {
      throw new InputError("zero-shot-classification: you must include at least one label (candidate_labels) and at least one sequence");
    }
    const template = o.hypothesis_template ?? "This example is {}.";
    if (formatTemplate(template, labels[0]) === template) {
      throw new InputError(
        `zero-shot-classification: the provided hypothesis_template "${template}" was not able to be formatted with the target labels. ` +
          "Make sure the passed template includes formatting syntax such as {} where the label should go.",
      );
    }
    const rows: TokenizedRow[] = [];
    seqs.forEach((s, i) => {
      if (typeof s !== "string") throw new InputError(`zero-shot-classification: sequence ${i} is not a string`);
      for (const label of labels) rows.push(this.encodePair(s, formatTemplate(template, label), o));
    });
    // Default batch: at least all the candidate labels of a sequence, so a sequence's pairs share one forward pass.
    const batch = { ...this.batchOptions(o), batchSize: o.batch_size ?? o.batchSize ?? Math.max(8, labels.length) };
    const logits = await runBatched(rows, this.model.config, batch, async (host, idx) => {
      const out = this.model.forwardHost(host, { packed: o.packed });
      const data = await out.logits.data();
      out.logits.dispose();
      const n = out.logits.shape[1];
      return idx.map((_, b) => Array.from(data.subarray(b * n, (b + 1) * n)));
    });
    const results = seqs.map((s, i) =>
      zeroShotResult(s, labels, logits.slice(i * labels.length, (i + 1) * labels.length), this.entailmentId, o.multi_label ?? false),
    );
    return typeof sequences === "string" ? results[0] : results;
  }

  /** HF truncates only the sequence (`only_first`), and not at all when that cannot fit the hypothesis. */
  private encodePair(sequence: string, hypothesis: string, o: TruncationOptions): TokenizedRow {
    const args = truncationArgs(o, "zero-shot-classification", "only_first");
    // What the caller asked for explicitly is done as asked (a hypothesis that cannot fit is the tokenizer's error).
    if (o.truncation !== undefined || o.max_length !== undefined) return this.tokenizer.encode(sequence, { pair: hypothesis, ...args })[0];
    try {
      return this.tokenizer.encode(sequence, { pair: hypothesis, truncation: "only_first" })[0];
    } catch {
      return this.tokenizer.encode(sequence, { pair: hypothesis, truncation: false })[0];
    }
  }
}
