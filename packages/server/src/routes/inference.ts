/**
 * HF Inference-style `POST /`: `{ "inputs": …, "parameters": { … } }` for the task the server runs, answered with
 * the pipeline's own result (HF's shapes). `parameters` are the task's call options; an unknown one is a 422.
 * A call runs alone in the batching queue's order (the pipeline batches the call's own inputs, packed).
 */
import { tooLarge, validation } from "../errors.js";
import type { RouteContext } from "./context.js";
import { known, object } from "./validate.js";

/** Call options each task takes from `parameters` (HF's names). */
export const TASK_PARAMETERS: Record<string, readonly string[]> = {
  "fill-mask": ["top_k", "targets"],
  "text-classification": ["top_k", "function_to_apply", "truncation"],
  "sentiment-analysis": ["top_k", "function_to_apply", "truncation"],
  "zero-shot-classification": ["candidate_labels", "hypothesis_template", "multi_label"],
  "token-classification": ["aggregation_strategy", "ignore_labels", "stride"],
  ner: ["aggregation_strategy", "ignore_labels", "stride"],
  "question-answering": ["top_k", "doc_stride", "max_answer_len", "max_seq_len", "max_question_len", "handle_impossible_answer", "align_to_words"],
  "multiple-choice": [],
};

/** Rough token count of a body's text, for the queue's accounting only (the call runs alone either way). */
function roughTokens(x: unknown): number {
  return Math.ceil(JSON.stringify(x ?? "").length / 4);
}

export async function inference(ctx: RouteContext): Promise<unknown> {
  const body = object(ctx.body);
  known(body, ["inputs", "parameters", "options"], "POST /");
  if (body.inputs === undefined || body.inputs === null) throw validation("`inputs` is required");
  const task = ctx.engine.task;
  const allowed = TASK_PARAMETERS[task] ?? [];
  const parameters = body.parameters === undefined || body.parameters === null ? {} : object(body.parameters);
  known(parameters, allowed, `POST / (${task}) parameters`);
  if (Array.isArray(body.inputs)) {
    if (body.inputs.length === 0) throw validation("`inputs` cannot be an empty list");
    if (body.inputs.length > ctx.limits.maxClientBatchSize) {
      throw tooLarge(`batch size ${body.inputs.length} > maximum allowed batch size ${ctx.limits.maxClientBatchSize}`, "batch_size");
    }
    ctx.method = "batch";
  }
  const runner = ctx.engine.runner;
  const { value } = await ctx.engine.queue.exclusive(() => runner.call(body.inputs, { ...parameters, packed: true }), roughTokens(body.inputs), ctx.signal);
  return value;
}
