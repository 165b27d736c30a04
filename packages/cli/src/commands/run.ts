/**
 * `deberta-js run --task T --model ID_OR_DIR [--backend cpu|webgpu|cuda] [--dtype fp32|fp16] [TEXT…]`
 *
 * Runs a pipeline (like `transformers-cli run`) on each TEXT, or on each line of stdin when no TEXT is given, and
 * prints one JSON line per input on stdout. Download and load progress go to stderr.
 *
 *   echo "Paris is the [MASK] of France." | deberta-js run --task fill-mask --model microsoft/deberta-v2-xlarge
 *   deberta-js run --task zero-shot-classification --model MoritzLaurer/DeBERTa-v3-base-mnli --candidate-labels sports,politics "…"
 *   deberta-js run --task question-answering --model ./my-squad-model --context "The cat sat on the mat." "Where did the cat sit?"
 *   deberta-js run --task multiple-choice --model ./my-swag-model --choices "a dog||a cat" "The animal that purrs is"
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { InputError } from "@deberta-js/core";
import { TASKS, type Task, pipeline } from "@deberta-js/heads";
import { BACKEND_NAMES, parseModelDtype } from "../backends.js";
import { action, log, printJson } from "../output.js";
import { progress, progressLabel } from "../progress.js";

export interface RunOptions {
  task: string;
  model: string;
  backend?: string;
  dtype?: string;
  revision?: string;
  cacheDir?: string;
  variant?: string;
  topK?: string;
  targets?: string;
  functionToApply?: string;
  textPair?: string;
  candidateLabels?: string;
  hypothesisTemplate?: string;
  multiLabel?: boolean;
  aggregationStrategy?: string;
  ignoreLabels?: string;
  stride?: string;
  context?: string;
  maxAnswerLen?: string;
  docStride?: string;
  handleImpossibleAnswer?: boolean;
  choices?: string;
  batchSize?: string;
}

/** Inputs read and printed per pipeline call. */
const CHUNK = 64;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** The pipeline call options the flags give for `task`. */
export function callOptions(task: Task, o: RunOptions): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  const topK = int("top-k", o.topK);
  const batchSize = int("batch-size", o.batchSize);
  if (batchSize !== undefined) opts.batch_size = Math.max(1, batchSize);
  switch (task) {
    case "fill-mask":
      if (topK !== undefined) opts.top_k = topK;
      if (o.targets !== undefined) opts.targets = o.targets.split(",").map((s) => s.trim()).filter(Boolean);
      break;
    case "text-classification":
    case "sentiment-analysis":
      if (topK !== undefined) opts.top_k = topK;
      if (o.functionToApply !== undefined) opts.function_to_apply = o.functionToApply;
      break;
    case "zero-shot-classification":
      if (o.candidateLabels === undefined) throw new InputError("--candidate-labels is required for zero-shot-classification (comma-separated)");
      opts.candidate_labels = o.candidateLabels;
      if (o.hypothesisTemplate !== undefined) opts.hypothesis_template = o.hypothesisTemplate;
      if (o.multiLabel) opts.multi_label = true;
      break;
    case "token-classification":
    case "ner":
      if (o.aggregationStrategy !== undefined) opts.aggregation_strategy = o.aggregationStrategy;
      if (o.ignoreLabels !== undefined) opts.ignore_labels = o.ignoreLabels.split(",").map((s) => s.trim()).filter(Boolean);
      if (o.stride !== undefined) opts.stride = int("stride", o.stride);
      break;
    case "question-answering":
      if (o.context === undefined) throw new InputError("--context is required for question-answering (each TEXT is a question)");
      if (topK !== undefined) opts.top_k = topK;
      if (o.maxAnswerLen !== undefined) opts.max_answer_len = int("max-answer-len", o.maxAnswerLen);
      if (o.docStride !== undefined) opts.doc_stride = int("doc-stride", o.docStride);
      if (o.handleImpossibleAnswer) opts.handle_impossible_answer = true;
      break;
    case "multiple-choice":
      if (o.choices === undefined) throw new InputError('--choices is required for multiple-choice ("first||second||…"; each TEXT is the prompt)');
      break;
  }
  return opts;
}

/** Each TEXT (a line) → the pipeline's input for `task`. */
export function toInput(task: Task, text: string, o: RunOptions): unknown {
  switch (task) {
    case "text-classification":
    case "sentiment-analysis":
      return o.textPair !== undefined ? { text, text_pair: o.textPair } : text;
    case "question-answering":
      return { question: text, context: o.context! };
    case "multiple-choice":
      return { prompt: text, choices: o.choices!.split("||").map((s) => s.trim()) };
    default:
      return text;
  }
}

async function* inputLines(texts: string[]): AsyncGenerator<string> {
  if (texts.length) {
    yield* texts;
    return;
  }
  if (process.stdin.isTTY) throw new InputError("no TEXT given and stdin is a terminal: pass TEXT arguments or pipe lines in");
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.trim().length) yield line;
}

export async function runCommand(texts: string[], o: RunOptions, out: (value: unknown) => void = printJson): Promise<void> {
  if (!(TASKS as readonly string[]).includes(o.task)) throw new InputError(`--task "${o.task}" is not one of ${TASKS.join(", ")}`);
  const task = o.task as Task;
  const options = callOptions(task, o);
  const bar = progress();
  let pipe;
  try {
    pipe = (await pipeline(task, o.model, {
      device: o.backend,
      dtype: parseModelDtype(o.dtype),
      revision: o.revision,
      cache_dir: o.cacheDir,
      variant: o.variant,
      warn: (m: string) => log(`warning: ${m}`),
      progress_callback: (p) => bar.update(progressLabel(p), p.loaded, p.total),
    })) as unknown as (inputs: unknown[], options: Record<string, unknown>) => Promise<unknown>;
  } finally {
    bar.stop();
  }
  // A one-element list comes back unwrapped from these tasks (as in HF); the others return one result per input.
  const unwrapsSingle = task === "fill-mask" || task === "question-answering";
  try {
    let chunk: unknown[] = [];
    const flush = async () => {
      if (!chunk.length) return;
      const result = await pipe(chunk, options);
      const results = chunk.length === 1 && unwrapsSingle ? [result] : (result as unknown[]);
      for (const r of results) out(r);
      chunk = [];
    };
    for await (const line of inputLines(texts)) {
      chunk.push(toInput(task, line, o));
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
  } finally {
    (pipe as unknown as { dispose(): void }).dispose();
  }
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a pipeline on TEXT arguments or stdin lines; one JSON line per input on stdout")
    .argument("[text...]", "inputs (default: one per line of stdin)")
    .requiredOption("--task <task>", TASKS.join(" | "))
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .option("--backend <name>", BACKEND_NAMES.join(" | "), "auto")
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (cuda) | q8 | q4 | nf4 | fp4 | q4f16", "fp32")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .option("--variant <variant>", "weights variant, e.g. fp16 (model.fp16.safetensors)")
    .option("--batch-size <n>", "inputs per forward pass (default 8)")
    .option("--top-k <n>", "fill-mask, text-classification, question-answering: number of results")
    .option("--targets <words>", "fill-mask: comma-separated candidate tokens")
    .option("--function-to-apply <fn>", "text-classification: softmax | sigmoid | none")
    .option("--text-pair <text>", "text-classification: second text of every pair (e.g. the NLI hypothesis)")
    .option("--candidate-labels <labels>", "zero-shot-classification: comma-separated labels")
    .option("--hypothesis-template <template>", 'zero-shot-classification: default "This example is {}."')
    .option("--multi-label", "zero-shot-classification: labels are independent")
    .option("--aggregation-strategy <s>", "token-classification: none | simple | first | average | max")
    .option("--ignore-labels <labels>", 'token-classification: comma-separated (default "O")')
    .option("--stride <n>", "token-classification: overlap of windows over long texts")
    .option("--context <text>", "question-answering: the context (each TEXT is a question)")
    .option("--max-answer-len <n>", "question-answering: longest answer in tokens (default 15)")
    .option("--doc-stride <n>", "question-answering: overlap of context windows")
    .option("--handle-impossible-answer", "question-answering: allow the empty answer")
    .option("--choices <choices>", 'multiple-choice: "first||second||…" (each TEXT is the prompt)')
    .action(action(async (texts: string[], opts: RunOptions) => runCommand(texts, opts)));
}
