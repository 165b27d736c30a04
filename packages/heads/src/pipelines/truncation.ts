/**
 * `truncation` and `max_length`, the tokenizer options every text pipeline takes per call (HF passes them to the
 * tokenizer: `classifier(text, truncation=True, max_length=128)`). As in HF's tokenizers, `max_length` without
 * `truncation` truncates (longest_first); `truncation` without `max_length` truncates to the model's
 * `model_max_length`. Question answering has its own: `max_seq_len` and `doc_stride` (windows, nothing dropped).
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { TruncationOption } from "./tokenizer.js";

export interface TruncationOptions {
  /** Truncate to `max_length` (`true` = "longest_first"; pairs: "only_first" / "only_second"). Default: per task. */
  truncation?: TruncationOption;
  /** Longest encoded sequence, special tokens included (default: the tokenizer's `model_max_length`). */
  max_length?: number;
}

export const TRUNCATION_OPTIONS: readonly OptionSpec[] = [{ name: "truncation" }, { name: "max_length" }];

const STRATEGIES: readonly TruncationOption[] = [true, false, "longest_first", "only_first", "only_second", "do_not_truncate"];

/** The tokenizer arguments for a call: `fallback` is the task's default truncation (HF's). */
export function truncationArgs(o: TruncationOptions, task: string, fallback: TruncationOption): { truncation: TruncationOption; maxLength?: number } {
  if (o.truncation !== undefined && !STRATEGIES.includes(o.truncation)) {
    throw new InputError(`${task}: truncation must be true, false, "longest_first", "only_first", "only_second" or "do_not_truncate" (got ${JSON.stringify(o.truncation)})`);
  }
  const max = o.max_length;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new InputError(`${task}: max_length must be a positive integer (got ${JSON.stringify(max)})`);
  const truncation = o.truncation ?? (max !== undefined ? "longest_first" : fallback);
  return max === undefined ? { truncation } : { truncation, maxLength: max };
}
