/**
 * `pipeline(task, model, options)`: HF's factory. `model` is a hub id, a local folder, `ModelFiles`, or an already
 * loaded head model (then pass `tokenizer`). The tokenizer is loaded from the same files unless given. Options are
 * the loading options (`device`, `dtype`, `revision`, `cache_dir`, `progress_callback`, …, see core's
 * `LoadOptions`), batching (`batch_size`, `packed`) and any call option of the task, which become the defaults of
 * every call. Unknown names are an `UnknownOptionError` naming the closest known one. With no `device`, the best
 * available backend runs (`pipe.device` says which).
 *
 *   const classifier = await pipeline("text-classification", "microsoft/deberta-v2-xlarge-mnli", { device: "cuda", dtype: "fp16" });
 *   await classifier({ text: "A man is eating.", text_pair: "Someone eats." });   // { label: "ENTAILMENT", score: … }
 */
import { DebertaError, type ModelFiles, type OptionSpec, resolveLoadOptions } from "@deberta-js/core";
import { type HeadClass, type HeadLoadOptions, type DebertaV2PreTrainedModel, loadHeadWith, reportReady } from "../base.js";
import { HEAD_OPTIONS, isModelFiles, resolveFilesWith } from "../load.js";
import { DebertaV2ForMaskedLM } from "../masked-lm.js";
import { DebertaV2ForMultipleChoice } from "../multiple-choice.js";
import { DebertaV2ForQuestionAnswering } from "../question-answering.js";
import { DebertaV2ForSequenceClassification } from "../sequence-classification.js";
import { DebertaV2ForTokenClassification } from "../token-classification.js";
import { BATCHING_OPTIONS, type BatchingOptions, type Pipeline, type StreamInput, callable } from "./base.js";
import { FillMaskPipeline, type FillMaskOptions } from "./fill-mask.js";
import { MultipleChoicePipeline, type MultipleChoiceOptions } from "./multiple-choice.js";
import { QuestionAnsweringPipeline, type QuestionAnsweringOptions } from "./question-answering.js";
import { TextClassificationPipeline, type TextClassificationOptions } from "./text-classification.js";
import { type TokenizerSource, loadPipelineTokenizer } from "./tokenizer-adapter.js";
import { TokenClassificationPipeline, type TokenClassificationOptions } from "./token-classification.js";
import { ZeroShotClassificationPipeline, type ZeroShotOptions } from "./zero-shot-classification.js";

export type Task =
  | "fill-mask"
  | "text-classification"
  | "sentiment-analysis"
  | "zero-shot-classification"
  | "token-classification"
  | "ner"
  | "question-answering"
  | "multiple-choice";

export const TASKS: readonly Task[] = [
  "fill-mask",
  "text-classification",
  "sentiment-analysis",
  "zero-shot-classification",
  "token-classification",
  "ner",
  "question-answering",
  "multiple-choice",
];

interface TaskMap {
  "fill-mask": { pipe: FillMaskPipeline; options: FillMaskOptions; model: DebertaV2ForMaskedLM };
  "text-classification": { pipe: TextClassificationPipeline; options: TextClassificationOptions; model: DebertaV2ForSequenceClassification };
  "sentiment-analysis": { pipe: TextClassificationPipeline; options: TextClassificationOptions; model: DebertaV2ForSequenceClassification };
  "zero-shot-classification": { pipe: ZeroShotClassificationPipeline; options: ZeroShotOptions; model: DebertaV2ForSequenceClassification };
  "token-classification": { pipe: TokenClassificationPipeline; options: TokenClassificationOptions; model: DebertaV2ForTokenClassification };
  ner: { pipe: TokenClassificationPipeline; options: TokenClassificationOptions; model: DebertaV2ForTokenClassification };
  "question-answering": { pipe: QuestionAnsweringPipeline; options: QuestionAnsweringOptions; model: DebertaV2ForQuestionAnswering };
  "multiple-choice": { pipe: MultipleChoicePipeline; options: MultipleChoiceOptions; model: DebertaV2ForMultipleChoice };
}

/** Calling a pipeline with an async iterable or a generator streams: results come back in order, `batch_size` at a time. */
// `any` model: only the option, input and result types are read.
type StreamCall<P> = P extends Pipeline<any, infer O, infer I, infer R> ? (inputs: StreamInput<I>, options?: O & BatchingOptions) => AsyncGenerator<R> : never;

/** A pipeline: call it like a function; `.model`, `.tokenizer`, `.device`, `.stream()`, `.dispose()` are there too. */
export type PipelineFor<T extends Task> = TaskMap[T]["pipe"] & TaskMap[T]["pipe"]["call"] & StreamCall<TaskMap[T]["pipe"]>;

export type PipelineOptions<T extends Task> = HeadLoadOptions &
  TaskMap[T]["options"] & {
    /** A tokenizer (ours, or anything implementing `PipelineTokenizer`), or where to load one from. Default: the model's files. */
    tokenizer?: TokenizerSource;
  };

const MODEL_CLASS: Record<Task, HeadClass<DebertaV2PreTrainedModel>> = {
  "fill-mask": DebertaV2ForMaskedLM,
  "text-classification": DebertaV2ForSequenceClassification,
  "sentiment-analysis": DebertaV2ForSequenceClassification,
  "zero-shot-classification": DebertaV2ForSequenceClassification,
  "token-classification": DebertaV2ForTokenClassification,
  ner: DebertaV2ForTokenClassification,
  "question-answering": DebertaV2ForQuestionAnswering,
  "multiple-choice": DebertaV2ForMultipleChoice,
};

const PIPELINE_CLASS: Record<Task, { readonly callOptions: readonly OptionSpec[] }> = {
  "fill-mask": FillMaskPipeline,
  "text-classification": TextClassificationPipeline,
  "sentiment-analysis": TextClassificationPipeline,
  "zero-shot-classification": ZeroShotClassificationPipeline,
  "token-classification": TokenClassificationPipeline,
  ner: TokenClassificationPipeline,
  "question-answering": QuestionAnsweringPipeline,
  "multiple-choice": MultipleChoicePipeline,
};

/** What `pipeline()` itself takes besides the loading options and the task's call options. */
const PIPELINE_OPTIONS: readonly OptionSpec[] = [...HEAD_OPTIONS, { name: "tokenizer" }, ...BATCHING_OPTIONS];

export async function pipeline<T extends Task>(
  task: T,
  model: string | ModelFiles | TaskMap[T]["model"],
  options: PipelineOptions<T> = {} as PipelineOptions<T>,
): Promise<PipelineFor<T>> {
  const cls = MODEL_CLASS[task];
  if (!cls) throw new DebertaError("UNSUPPORTED", `pipeline: unknown task "${String(task)}"; expected one of ${TASKS.join(", ")}`);
  const { load, rest } = resolveLoadOptions(options, `pipeline("${task}")`, [...PIPELINE_OPTIONS, ...PIPELINE_CLASS[task].callOptions]);
  const warn = load.warn;
  let files: ModelFiles | undefined;
  let loaded: DebertaV2PreTrainedModel;
  if (typeof model === "string" || isModelFiles(model)) {
    files = await resolveFilesWith(model, load);
    loaded = await loadHeadWith(cls, files, load, rest.strict === true);
  } else if (model instanceof (cls as unknown as abstract new (...a: never[]) => DebertaV2PreTrainedModel)) {
    loaded = model;
  } else {
    throw new DebertaError("INPUT_INVALID", `pipeline("${task}"): model must be a hub id, a folder, ModelFiles or a ${cls.className}`);
  }
  let tokenizer;
  try {
    const source = (rest.tokenizer as TokenizerSource | undefined) ?? files;
    if (source === undefined) throw new DebertaError("INPUT_INVALID", `pipeline("${task}"): pass options.tokenizer with an already loaded model`);
    tokenizer = await loadPipelineTokenizer(typeof source === "string" ? await resolveFilesWith(source, load) : source);
  } catch (e) {
    if (loaded !== model) loaded.dispose();
    throw e;
  }
  const { strict: _strict, tokenizer: _tokenizer, ...defaults } = rest;
  reportReady(load, files?.location ?? cls.className);
  const make = (): { call: (...a: never[]) => unknown; stream: (inputs: never, options?: never) => unknown } => {
    switch (task) {
      case "fill-mask":
        return new FillMaskPipeline(loaded as DebertaV2ForMaskedLM, tokenizer, defaults, warn);
      case "text-classification":
      case "sentiment-analysis":
        return new TextClassificationPipeline(loaded as DebertaV2ForSequenceClassification, tokenizer, defaults, warn);
      case "zero-shot-classification":
        return new ZeroShotClassificationPipeline(loaded as DebertaV2ForSequenceClassification, tokenizer, defaults, warn);
      case "token-classification":
      case "ner":
        return new TokenClassificationPipeline(loaded as DebertaV2ForTokenClassification, tokenizer, defaults, warn);
      case "question-answering":
        return new QuestionAnsweringPipeline(loaded as DebertaV2ForQuestionAnswering, tokenizer, defaults, warn);
      case "multiple-choice":
        return new MultipleChoicePipeline(loaded as DebertaV2ForMultipleChoice, tokenizer, defaults, warn);
    }
    throw new DebertaError("UNSUPPORTED", `pipeline: unknown task "${String(task)}"`);
  };
  return callable(make()) as unknown as PipelineFor<T>;
}
