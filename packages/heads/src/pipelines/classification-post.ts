/**
 * Post-processing of the classification pipelines, following HF: `text_classification.py` (function to apply,
 * `top_k` and its legacy single-result shape), `zero_shot_classification.py` (entailment id, single/multi-label
 * scores, label order) and `fill_mask.py` (softmax over the vocabulary, `targets`, `top_k`).
 */
import { DebertaError, InputError } from "@deberta-js/core";
import { argmax, pyIndex, sigmoid, softmax, topK } from "./math.js";

export type FunctionToApply = "softmax" | "sigmoid" | "none";

/** HF's default: regression → none; multi-label or a single label → sigmoid; otherwise softmax. */
export function defaultFunctionToApply(config: { problem_type?: string | null; num_labels: number }): FunctionToApply {
  if (config.problem_type === "regression") return "none";
  if (config.problem_type === "multi_label_classification" || config.num_labels === 1) return "sigmoid";
  return "softmax";
}

export function applyFunction(logits: ArrayLike<number>, fn: FunctionToApply): number[] {
  switch (fn) {
    case "softmax":
      return softmax(logits);
    case "sigmoid":
      return sigmoid(logits);
    case "none":
      return Array.from(logits);
  }
  throw new InputError(`function_to_apply "${String(fn)}" is not one of softmax, sigmoid, none`);
}

export interface LabelScore {
  label: string;
  score: number;
}

/**
 * HF's shapes: without `top_k` (legacy) the best `{label, score}`; with `top_k` a list sorted by score, cut to
 * `top_k` (`null`: all labels).
 */
export function classificationResult(scores: readonly number[], id2label: Record<number, string>, topk: number | null | undefined): LabelScore | LabelScore[] {
  const labelOf = (i: number) => id2label[i] ?? `LABEL_${i}`;
  if (topk === undefined) {
    const i = argmax(scores);
    return { label: labelOf(i), score: scores[i] };
  }
  const all = scores.map((score, i) => ({ label: labelOf(i), score }));
  const sorted = all.map((x, i) => [x, i] as const).sort((a, b) => b[0].score - a[0].score || a[1] - b[1]).map(([x]) => x);
  return topk === null ? sorted : sorted.slice(0, topk);
}

/** The id of the first `label2id` entry whose name starts with "entail" (case-insensitive), or −1 (HF). */
export function entailmentId(label2id: Record<string, number>): number {
  for (const [label, id] of Object.entries(label2id)) if (label.toLowerCase().startsWith("entail")) return id;
  return -1;
}

export interface ZeroShotResult {
  sequence: string;
  labels: string[];
  scores: number[];
}

/**
 * `logits` `[n_labels][num_classes]`: one NLI row per candidate label of one sequence. Single-label: softmax of the
 * entailment logits across candidates. Multi-label (or a single candidate): per candidate, softmax of
 * [contradiction, entailment]. Labels come back by descending score (ties: later candidate first, as HF's
 * `reversed(argsort)`).
 */
export function zeroShotResult(
  sequence: string,
  candidateLabels: readonly string[],
  logits: readonly ArrayLike<number>[],
  entailment: number,
  multiLabel: boolean,
): ZeroShotResult {
  if (logits.length !== candidateLabels.length) throw new InputError(`zero-shot: ${logits.length} logit rows for ${candidateLabels.length} labels`);
  const C = logits[0].length;
  const ent = pyIndex(C, entailment);
  if (ent < 0 || ent >= C) throw new DebertaError("CONFIG_INVALID", `zero-shot: entailment id ${entailment} is not a class of the model (${C} classes)`);
  let scores: number[];
  if (multiLabel || candidateLabels.length === 1) {
    const contradiction = pyIndex(C, entailment === 0 ? -1 : 0);
    scores = logits.map((row) => softmax([row[contradiction], row[ent]])[1]);
  } else {
    scores = softmax(logits.map((row) => row[ent]));
  }
  const ascending = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const order = ascending.map(([, i]) => i).reverse();
  return { sequence, labels: order.map((i) => candidateLabels[i]), scores: order.map((i) => scores[i]) };
}

/** Python `str.format` with one positional argument: "{}" and "{0}" are replaced, "{{" / "}}" unescaped. */
export function formatTemplate(template: string, label: string): string {
  return template.replace(/\{\{|\}\}|\{0?\}/g, (m) => (m === "{{" ? "{" : m === "}}" ? "}" : label));
}

/** HF's parsing of `candidate_labels`: a list, or one comma-separated string (trimmed, empties dropped). */
export function parseCandidateLabels(labels: string | readonly string[]): string[] {
  if (typeof labels === "string") return labels.split(",").map((l) => l.trim()).filter((l) => l.length > 0);
  return [...labels];
}

export interface MaskPrediction {
  score: number;
  token: number;
}

/**
 * One `[MASK]` position: softmax over the whole vocabulary row, restricted to `targetIds` when given (then `top_k`
 * is at most their number), the `top_k` best.
 */
export function fillMaskTopK(logits: ArrayLike<number>, k: number, targetIds?: readonly number[]): MaskPrediction[] {
  const probs = softmax(logits);
  if (targetIds) {
    const kk = Math.min(k, targetIds.length);
    const sub = targetIds.map((id) => probs[id]);
    return topK(sub, kk).map((j) => ({ score: sub[j], token: targetIds[j] }));
  }
  return topK(probs, k).map((i) => ({ score: probs[i], token: i }));
}
