/**
 * The Auto classes, with Hugging Face's semantics:
 *
 *   await AutoModel.fromPretrained(id)                           // DebertaV2Model: the base model, whatever the checkpoint's head
 *   await AutoModelForSequenceClassification.fromPretrained(id)  // (…ForMaskedLM, …ForTokenClassification, …ForQuestionAnswering, …ForMultipleChoice)
 *   await AutoConfig.fromPretrained(id)                          // DebertaV2Config
 *
 * and `AutoModelForArchitecture`, which builds the class `architectures[0]` of config.json names (or `modelClass`),
 * as `deberta-js forward --class` does:
 *
 *   const model = await AutoModelForArchitecture.fromPretrained("microsoft/deberta-v2-xlarge-mnli");  // DebertaV2ForSequenceClassification
 *   const outputs = await forwardAny(model, { input_ids: [[1, 2032, 2]] });                         // { logits }
 */
import {
  DebertaError,
  type DebertaV2Config,
  DebertaV2Model,
  type ForwardOptions,
  type LoadOptions,
  type ModelFiles,
  type ModelInputs,
  type ResolvedLoadOptions,
  type Tensor,
  loadConfig,
  resolveLoadOptions,
} from "@deberta-js/core";
import { type HeadClass, type HeadLoadOptions, loadHeadWith, loadPretrained, reportReady } from "./base.js";
import { HEAD_OPTIONS, resolveFilesWith } from "./load.js";
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
  // HF's TF class names ("TFDebertaV2ForMaskedLM") are the same model.
  if (name.startsWith("TF") && (MODEL_CLASS_NAMES as readonly string[]).includes(name.slice(2))) return name.slice(2) as ModelClassName;
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
  // Configs saved by HF's TF classes name them without "TF", but older ones may not.
  if (first.startsWith("TF") && (MODEL_CLASS_NAMES as readonly string[]).includes(first.slice(2))) return first.slice(2) as ModelClassName;
  throw new DebertaError(
    "UNSUPPORTED",
    `${source}: architectures[0] is "${first}", which deberta-js does not implement; pass the class explicitly (one of ${MODEL_CLASS_NAMES.join(", ")})`,
  );
}

const AUTO_OPTIONS = [...HEAD_OPTIONS, { name: "modelClass", aliases: ["model_class"] }];

/** `config.json` of a DeBERTa-v2/v3 checkpoint; other `model_type`s are refused by name, as HF's auto mapping would map them elsewhere. */
async function debertaConfig(files: ModelFiles): Promise<DebertaV2Config> {
  const config = await loadConfig(files);
  const type = (config.raw as { model_type?: unknown }).model_type;
  if (type !== undefined && type !== "deberta-v2") {
    throw new DebertaError("UNSUPPORTED", `${files.location}/config.json: model_type is "${String(type)}"; deberta-js runs "deberta-v2" models (DeBERTa-v2 and v3) only`);
  }
  return config;
}

/** HF's `AutoModel`: the base model (`DebertaV2Model`); a head checkpoint's head weights are left out with a warning, as in HF. */
export const AutoModel = {
  async fromPretrained(idOrFiles: string | ModelFiles, options: LoadOptions = {}): Promise<DebertaV2Model> {
    return loadBase(idOrFiles, options, "AutoModel.fromPretrained");
  },
  async from_pretrained(idOrFiles: string | ModelFiles, options: LoadOptions = {}): Promise<DebertaV2Model> {
    return loadBase(idOrFiles, options, "AutoModel.from_pretrained");
  },
};

async function loadBase(idOrFiles: string | ModelFiles, options: LoadOptions, context: string): Promise<DebertaV2Model> {
  const { load } = resolveLoadOptions(options, context);
  const files = await resolveFilesWith(idOrFiles, load);
  await debertaConfig(files);
  const model = await DebertaV2Model.fromFiles(files, load);
  reportReady(load, files.location);
  return model;
}

/** HF's `AutoConfig`: the checkpoint's `DebertaV2Config`. */
export const AutoConfig = {
  async fromPretrained(idOrFiles: string | ModelFiles, options: LoadOptions = {}): Promise<DebertaV2Config> {
    const { load } = resolveLoadOptions(options, "AutoConfig.fromPretrained");
    return debertaConfig(await resolveFilesWith(idOrFiles, load));
  },
  async from_pretrained(idOrFiles: string | ModelFiles, options: LoadOptions = {}): Promise<DebertaV2Config> {
    return AutoConfig.fromPretrained(idOrFiles, options);
  },
};

/** An `AutoModelFor…` class: loads `cls` (after checking the checkpoint is a DeBERTa-v2 one). */
function autoHead<T>(cls: HeadClass<T>, autoName: string) {
  const load = async (idOrFiles: string | ModelFiles, options: HeadLoadOptions, context: string): Promise<T> => {
    const files = await resolveFilesWith(idOrFiles, resolveLoadOptions(options, context, HEAD_OPTIONS).load);
    await debertaConfig(files);
    return loadPretrained(cls, files, options, context);
  };
  return {
    fromPretrained: (idOrFiles: string | ModelFiles, options: HeadLoadOptions = {}): Promise<T> => load(idOrFiles, options, `${autoName}.fromPretrained`),
    from_pretrained: (idOrFiles: string | ModelFiles, options: HeadLoadOptions = {}): Promise<T> => load(idOrFiles, options, `${autoName}.from_pretrained`),
  };
}

export const AutoModelForMaskedLM = autoHead(DebertaV2ForMaskedLM, "AutoModelForMaskedLM");
export const AutoModelForSequenceClassification = autoHead(DebertaV2ForSequenceClassification, "AutoModelForSequenceClassification");
export const AutoModelForTokenClassification = autoHead(DebertaV2ForTokenClassification, "AutoModelForTokenClassification");
export const AutoModelForQuestionAnswering = autoHead(DebertaV2ForQuestionAnswering, "AutoModelForQuestionAnswering");
export const AutoModelForMultipleChoice = autoHead(DebertaV2ForMultipleChoice, "AutoModelForMultipleChoice");

/**
 * The class `options.modelClass` names, or the one `architectures[0]` of config.json names (DebertaV2Model when it
 * names none). This was `AutoModel` before 0.1; HF's `AutoModel` always gives the base model.
 */
export const AutoModelForArchitecture = {
  async fromPretrained(idOrFiles: string | ModelFiles, options: AutoLoadOptions = {}): Promise<AnyModel> {
    const { load, rest } = resolveLoadOptions(options, "AutoModelForArchitecture.fromPretrained", AUTO_OPTIONS);
    const files = await resolveFilesWith(idOrFiles, load);
    const config = await debertaConfig(files);
    const name = rest.modelClass ? resolveClassName(String(rest.modelClass)) : classFromArchitectures(config.architectures, `${files.location}/config.json`);
    const model = await loadModelClassWith(name, files, load, rest.strict === true);
    reportReady(load, files.location);
    return model;
  },
};

/** Loads `files` as the class `name`. */
export async function loadModelClass(name: ModelClassName, files: ModelFiles, options: HeadLoadOptions = {}): Promise<AnyModel> {
  const { load, rest } = resolveLoadOptions(options, `${name}.fromPretrained`, HEAD_OPTIONS);
  return loadModelClassWith(name, files, load, rest.strict === true);
}

async function loadModelClassWith(name: ModelClassName, files: ModelFiles, load: ResolvedLoadOptions, strict: boolean): Promise<AnyModel> {
  if (name === "DebertaV2Model") return DebertaV2Model.fromFiles(files, load);
  const cls = HEAD_CLASSES[name] as HeadClass<HeadModel>;
  return loadHeadWith(cls, files, load, strict);
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
