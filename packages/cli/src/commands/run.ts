/**
 * `deberta-js run --task T --model ID_OR_DIR [--backend cpu|webgpu|cuda] [--dtype fp32|fp16|q8|…] [--quantize-embeddings] [TEXT…]`
 *
 * Runs a pipeline (like `transformers-cli run`) on each TEXT, or on each line of `--input FILE` / stdin, and prints one
 * JSON line per input on stdout (or `--output FILE`; `--format csv|tsv` for tables). Download and load progress go
 * to stderr. Pair tasks take a pair per line: `text<TAB>pair`, `question<TAB>context`, `prompt<TAB>choice<TAB>choice…`,
 * or a JSON object per line (`{"text": …, "text_pair": …}`, `{"question": …, "context": …}`, `{"prompt": …, "choices": […]}`).
 *
 *   echo "Paris is the [MASK] of France." | deberta-js run --task fill-mask --model microsoft/deberta-v2-xlarge
 *   deberta-js run --task zero-shot-classification --model MoritzLaurer/DeBERTa-v3-base-mnli --candidate-labels sports,politics "…"
 *   deberta-js run --task question-answering --model ./my-squad-model --context "The cat sat on the mat." "Where did the cat sit?"
 *   deberta-js run --task multiple-choice --model ./my-swag-model --choices "a dog||a cat" "The animal that purrs is"
 */
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { Command } from "commander";
import { InputError } from "@deberta-js/core";
import { TASKS, type Task, pipeline } from "@deberta-js/heads";
import { BACKEND_NAMES, parseModelDtype } from "../backends.js";
import { action, log } from "../output.js";
import { FORMATS, ResultWriter, parseFormat } from "../formats.js";
import { loadingProgress, progress } from "../progress.js";

export interface RunOptions {
  task: string;
  model: string;
  backend?: string;
  dtype?: string;
  quantizeEmbeddings?: boolean;
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
  input?: string;
  output?: string;
  format?: string;
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
  // 0 used to be clamped to 1 silently (exit 0 on a bad flag, issue 13): say so instead
  if (batchSize === 0) throw new InputError(`--batch-size must be a positive integer, got "${o.batchSize}"`);
  if (batchSize !== undefined) opts.batch_size = batchSize;
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
      if (topK !== undefined) opts.top_k = topK;
      if (o.maxAnswerLen !== undefined) opts.max_answer_len = int("max-answer-len", o.maxAnswerLen);
      if (o.docStride !== undefined) opts.doc_stride = int("doc-stride", o.docStride);
      if (o.handleImpossibleAnswer) opts.handle_impossible_answer = true;
      break;
    case "multiple-choice":
      break;
  }
  return opts;
}

/** A line holding a JSON object is that object (the pipeline checks its fields). */
function jsonLine(text: string, where: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${where}: starts with "{" but is not valid JSON (${(e as Error).message})`);
  }
  throw new InputError(`${where}: expected a JSON object`);
}

/**
 * Each TEXT (a line) → the pipeline's input for `task`. Pair tasks take the pair from the line (JSON object, or
 * tab-separated) and otherwise from the flag that gives the second part to every line.
 */
export function toInput(task: Task, text: string, o: RunOptions, where = "input"): unknown {
  const pairTask = task === "text-classification" || task === "sentiment-analysis" || task === "question-answering" || task === "multiple-choice";
  if (pairTask) {
    const json = jsonLine(text, where);
    if (json) return json;
  }
  const parts = text.split("\t");
  switch (task) {
    case "text-classification":
    case "sentiment-analysis":
      if (parts.length === 2) return { text: parts[0], text_pair: parts[1] };
      return o.textPair !== undefined ? { text, text_pair: o.textPair } : text;
    case "question-answering":
      if (parts.length === 2) return { question: parts[0], context: parts[1] };
      if (o.context === undefined) {
        throw new InputError(`${where}: question-answering needs a context: pass --context, or give "question<TAB>context" or {"question", "context"} lines`);
      }
      return { question: text, context: o.context };
    case "multiple-choice":
      if (parts.length >= 3) return { prompt: parts[0], choices: parts.slice(1) };
      if (o.choices === undefined) {
        throw new InputError(`${where}: multiple-choice needs choices: pass --choices "a||b", or give "prompt<TAB>choice<TAB>choice…" or {"prompt", "choices"} lines`);
      }
      return { prompt: text, choices: o.choices.split("||").map((s) => s.trim()) };
    default:
      return text;
  }
}

/** The inputs: TEXT arguments, else the lines of --input FILE, else of stdin (blank lines skipped). */
async function* inputLines(texts: string[], file: string | undefined): AsyncGenerator<string> {
  if (texts.length && file !== undefined) throw new InputError("pass TEXT arguments or --input FILE, not both");
  if (texts.length) {
    yield* texts;
    return;
  }
  let input: NodeJS.ReadableStream;
  if (file !== undefined) {
    const stream = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (e) => reject(new InputError(`--input ${file}: cannot read the file (${e.message})`, { cause: e })));
    });
    input = stream;
  } else {
    if (process.stdin.isTTY) throw new InputError("no TEXT given and stdin is a terminal: pass TEXT arguments, --input FILE, or pipe lines in");
    input = process.stdin;
  }
  let n = 0;
  const where = file !== undefined ? `--input ${file}` : "stdin";
  for await (const line of createInterface({ input: Readable.from(strictUtf8(input, where)), crlfDelay: Infinity })) {
    if (line.trim().length) {
      n++;
      yield line;
    }
  }
  if (n === 0) {
    throw new InputError(`${file !== undefined ? `--input ${file}` : "stdin"} had no input lines: give one input per line (or TEXT arguments)`);
  }
}

/**
 * The stream's text, refusing bytes that are not UTF-8 (readline would turn them into U+FFFD and the run would
 * exit 0 with results for text nobody wrote, issue 13).
 */
async function* strictUtf8(input: NodeJS.ReadableStream, where: string): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  let chunk: Uint8Array = new Uint8Array(0);
  try {
    for await (const c of input) {
      chunk = typeof c === "string" ? new TextEncoder().encode(c) : (c as Uint8Array);
      yield decoder.decode(chunk, { stream: true });
      offset += chunk.length;
    }
    yield decoder.decode();
  } catch (e) {
    if (e instanceof TypeError) throw new InputError(`${where}: not valid UTF-8 text (near byte ${offset}); give one UTF-8 line per input`, { cause: e });
    throw e;
  }
}

/** Where results go: stdout, or `--output FILE` written under a temporary name and renamed when complete. */
async function openOutput(file: string | undefined): Promise<{ write(line: string): void; close(ok: boolean): Promise<void> }> {
  if (file === undefined) return { write: (line) => process.stdout.write(line + "\n"), close: async () => {} };
  const tmp = `${file}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(new InputError(`--output ${file}: cannot write (${e.message})`, { cause: e })));
  });
  return {
    write: (line) => stream.write(line + "\n"),
    async close(ok) {
      await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
      if (ok) await rename(tmp, file);
      else await rm(tmp, { force: true });
    },
  };
}

export async function runCommand(texts: string[], o: RunOptions, out?: (value: unknown) => void): Promise<void> {
  if (!(TASKS as readonly string[]).includes(o.task)) throw new InputError(`--task "${o.task}" is not one of ${TASKS.join(", ")}`);
  const task = o.task as Task;
  const options = callOptions(task, o);
  const format = parseFormat(o.format);
  const bar = progress();
  let pipe;
  try {
    pipe = (await pipeline(task, o.model, {
      device: o.backend,
      dtype: parseModelDtype(o.dtype),
      ...(o.quantizeEmbeddings ? { quantize_embeddings: true } : {}),
      revision: o.revision,
      cache_dir: o.cacheDir,
      variant: o.variant,
      warn: (m: string) => log(`warning: ${m}`),
      progress_callback: loadingProgress(bar),
    })) as unknown as (inputs: unknown[], options: Record<string, unknown>) => Promise<unknown>;
  } finally {
    bar.stop();
  }
  // A one-element list comes back unwrapped from these tasks (as in HF); the others return one result per input.
  const unwrapsSingle = task === "fill-mask" || task === "question-answering";
  const sink = out ? { write: () => {}, close: async () => {} } : await openOutput(o.output);
  const writer = new ResultWriter(format, (line) => sink.write(line));
  let ok = false;
  try {
    let chunk: unknown[] = [];
    let done = 0;
    const flush = async () => {
      if (!chunk.length) return;
      const result = await pipe(chunk, options);
      const results = chunk.length === 1 && unwrapsSingle ? [result] : (result as unknown[]);
      if (out) results.forEach(out);
      else writer.results(results, done);
      done += chunk.length;
      chunk = [];
    };
    let n = 0;
    for await (const line of inputLines(texts, o.input)) {
      n++;
      chunk.push(toInput(task, line, o, `${o.input ?? (texts.length ? "TEXT" : "stdin")} line ${n}`));
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
    ok = true;
  } finally {
    (pipe as unknown as { dispose(): void }).dispose();
    await sink.close(ok);
  }
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a pipeline on TEXT arguments, --input FILE or stdin lines; one JSON line per input on stdout")
    .argument("[text...]", "inputs (default: one per line of --input FILE or stdin)")
    .option("--input <file>", "read inputs from FILE, one per line")
    .option("--output <file>", "write results to FILE (written completely or not at all)")
    .option("--format <format>", `${FORMATS.join(" | ")}: JSON lines, or a table with one row per result item`, "json")
    .requiredOption("--task <task>", TASKS.join(" | "))
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .option("--backend <name>", BACKEND_NAMES.join(" | "), "auto")
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (cuda) | q8 | q4 | nf4 | fp4 | q4f16 (default: fp32, or q8 for a folder saved from a q8 model)")
    .option("--quantize-embeddings", "store the word embeddings int8 row-wise (load option quantize_embeddings)")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .option("--variant <variant>", "weights variant, e.g. fp16 (model.fp16.safetensors)")
    .option("--batch-size <n>", "inputs per forward pass (default 8)")
    .option("--top-k <n>", "fill-mask, text-classification, question-answering: number of results")
    .option("--targets <words>", "fill-mask: comma-separated candidate tokens")
    .option("--function-to-apply <fn>", "text-classification: softmax | sigmoid | none")
    .option("--text-pair <text>", 'text-classification: second text of every line (or per line: "text<TAB>pair", {"text","text_pair"})')
    .option("--candidate-labels <labels>", "zero-shot-classification: comma-separated labels")
    .option("--hypothesis-template <template>", 'zero-shot-classification: default "This example is {}."')
    .option("--multi-label", "zero-shot-classification: labels are independent")
    .option("--aggregation-strategy <s>", "token-classification: none | simple | first | average | max")
    .option("--ignore-labels <labels>", 'token-classification: comma-separated (default "O")')
    .option("--stride <n>", "token-classification: overlap of windows over long texts")
    .option("--context <text>", 'question-answering: the context of every question (or per line: "question<TAB>context")')
    .option("--max-answer-len <n>", "question-answering: longest answer in tokens (default 15)")
    .option("--doc-stride <n>", "question-answering: overlap of context windows")
    .option("--handle-impossible-answer", "question-answering: allow the empty answer")
    .option("--choices <choices>", 'multiple-choice: "first||second||…" for every prompt (or per line: "prompt<TAB>choice<TAB>…")')
    .action(action(async (texts: string[], opts: RunOptions) => runCommand(texts, opts)));
}
