/**
 * Picks the model class the way HF's auto classes and `deberta-js forward --class` do: an explicit class name, or
 * `architectures[0]` of `config.json`.
 *
 *   const model = await AutoModel.fromPretrained("microsoft/deberta-v2-xlarge-mnli");   // DebertaV2ForSequenceClassification
 *   const outputs = await forwardAny(model, { input_ids: [[1, 2032, 2]] });             // { logits }
 */
import {
  DebertaError,
  DebertaV2Model,
  type ForwardOptions,
  type ModelFiles,
  type ModelInputs,
  type Tensor,
  loadConfig,
} from "@deberta-js/core";
import { type HeadClass, type HeadLoadOptions, loadHead } from "./base.js";
import { normalizeDtype, resolveFiles } from "./load.js";
import { DebertaV2ForMaskedLM } from "./masked-lm.js";
import { DebertaV2ForMultipleChoice, type MultipleChoiceInputs } from "./multiple-choice.js";
import { DebertaV2ForQuestionAnswering } from "./question-answering.js";
import { DebertaV2ForSequenceClassification } from "./sequence-classification.js";
import { DebertaV2ForTokenClassification } from "./token-classification.js";

export type HeadModel =
  | DebertaV2ForMaskedLM
  | DebertaV2ForSequenceClassification
  | DebertaV2ForTokenClassification
  | DebertaV2ForQuestionAnswering
  | DebertaV2ForMultipleChoice;

export type AnyModel = DebertaV2Model | HeadModel;

/** HF class name → class. */
export const HEAD_CLASSES = {
  DebertaV2ForMaskedLM,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForMultipleChoice,
} as const;

export type HeadClassName = keyof typeof HEAD_CLASSES;
export type ModelClassName = "DebertaV2Model" | HeadClassName;

export const MODEL_CLASS_NAMES: readonly ModelClassName[] = ["DebertaV2Model", ...(Object.keys(HEAD_CLASSES) as HeadClassName[])];

export interface AutoLoadOptions extends HeadLoadOptions {
  /** The class to build (default: `architectures[0]` of config.json, or DebertaV2Model when it names none). */
  modelClass?: ModelClassName | string;
}

/** HF's spelling, or a short alias ("masked-lm", "sequence-classification", …, "base"). */
export function resolveClassName(name: string, source = "--class"): ModelClassName {
  if ((MODEL_CLASS_NAMES as readonly string[]).includes(name)) return name as ModelClassName;
  const aliases: Record<string, ModelClassName> = {
    base: "DebertaV2Model",
    model: "DebertaV2Model",
    "masked-lm": "DebertaV2ForMaskedLM",
    mlm: "DebertaV2ForMaskedLM",
    "sequence-classification": "DebertaV2ForSequenceClassification",
    "token-classification": "DebertaV2ForTokenClassification",
    "question-answering": "DebertaV2ForQuestionAnswering",
    "multiple-choice": "DebertaV2ForMultipleChoice",
  };
  const a = aliases[name];
  if (a) return a;
  throw new DebertaError("UNSUPPORTED", `${source}: unknown model class "${name}"; expected one of ${MODEL_CLASS_NAMES.join(", ")}`);
}

/** The class `config.json` names in `architectures[0]` (DebertaV2Model when it names none). */
export function classFromArchitectures(architectures: readonly string[], source = "config.json"): ModelClassName {
  const first = architectures[0];
  if (first === undefined) return "DebertaV2Model";
  // DeBERTa-v1 / TF names are not this model; anything else unknown is an error naming the field.
  if ((MODEL_CLASS_NAMES as readonly string[]).includes(first)) return first as ModelClassName;
  throw new DebertaError(
    "UNSUPPORTED",
    `${source}: architectures[0] is "${first}", which deberta-js does not implement; pass the class explicitly (one of ${MODEL_CLASS_NAMES.join(", ")})`,
  );
}

export const AutoModel = {
  /**
   * Loads `idOrFiles` as the class `options.modelClass` names, or as `architectures[0]` says. A base checkpoint
   * (`DebertaV2Model`) loads as core's `DebertaV2Model`.
   */
  async fromPretrained(idOrFiles: string | ModelFiles, options: AutoLoadOptions = {}): Promise<AnyModel> {
    const files = await resolveFiles(idOrFiles, options);
    const name = options.modelClass
      ? resolveClassName(options.modelClass)
      : classFromArchitectures((await loadConfig(files)).architectures, `${files.location}/config.json`);
    return loadModelClass(name, files, options);
  },
};

/** Loads `files` as the class `name`. */
export async function loadModelClass(name: ModelClassName, files: ModelFiles, options: HeadLoadOptions = {}): Promise<AnyModel> {
  if (name === "DebertaV2Model") {
    const onProgress = options.onProgress;
    return DebertaV2Model.fromPretrained(files, {
      backend: options.backend,
      dtype: normalizeDtype(options.dtype),
      variant: options.variant,
      from_tf: options.from_tf,
      warn: options.warn,
      onProgress: onProgress ? (p) => onProgress({ phase: "load", ...p }) : undefined,
    });
  }
  const cls = HEAD_CLASSES[name] as HeadClass<HeadModel>;
  return loadHead(cls, files, options);
}

/** HF class name of a loaded model. */
export function modelClassName(model: AnyModel): ModelClassName {
  if (model instanceof DebertaV2Model) return "DebertaV2Model";
  return (model.constructor as unknown as { className: HeadClassName }).className;
}

/**
 * Runs any model class and returns its outputs by HF name: `last_hidden_state` (base), `logits` (MLM, sequence /
 * token classification, multiple choice), `start_logits` + `end_logits` (QA), plus `hidden_states` /
 * `attentions` when asked. Multiple choice takes `[batch, choices, seq]` inputs.
 */
export async function forwardAny(
  model: AnyModel,
  inputs: ModelInputs | MultipleChoiceInputs,
  options: ForwardOptions = {},
): Promise<Record<string, Tensor | Tensor[]>> {
  const out =
    model instanceof DebertaV2ForMultipleChoice
      ? await model.forward(inputs as MultipleChoiceInputs, options)
      : await (model as Exclude<AnyModel, DebertaV2ForMultipleChoice>).forward(inputs as ModelInputs, options);
  const named: Record<string, Tensor | Tensor[]> = {};
  for (const [k, v] of Object.entries(out)) if (v !== undefined) named[k] = v as Tensor | Tensor[];
  return named;
}
