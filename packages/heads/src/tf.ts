/**
 * Hugging Face's TensorFlow class names, for code written against `TFDebertaV2*`. Each is the PyTorch-named class
 * (one implementation, one model graph) whose `fromPretrained` loads TensorFlow's `tf_model.h5` by default, i.e.
 * with `from_tf: true`; pass `from_tf: false` to load the folder's PyTorch weights instead.
 *
 *   const model = await TFDebertaV2ForSequenceClassification.fromPretrained("./tf-only-checkpoint");
 *   model instanceof DebertaV2ForSequenceClassification; // true
 */
import type { DebertaV2Model, LoadOptions, ModelFiles } from "@deberta-js/core";
import { AutoModel } from "./auto.js";
import type { HeadLoadOptions } from "./base.js";
import { DebertaV2ForMaskedLM } from "./masked-lm.js";
import { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
import { DebertaV2ForQuestionAnswering } from "./question-answering.js";
import { DebertaV2ForSequenceClassification } from "./sequence-classification.js";
import { DebertaV2ForTokenClassification } from "./token-classification.js";

export interface TFAlias<T, O> {
  /** The TF class name, e.g. "TFDebertaV2ForMaskedLM". */
  readonly className: string;
  /** The class that is loaded (the same implementation as the PyTorch name). */
  readonly modelClassName: string;
  fromPretrained(idOrFiles: string | ModelFiles, options?: O): Promise<T>;
  from_pretrained(idOrFiles: string | ModelFiles, options?: O): Promise<T>;
}

/** `options` with `from_tf: true` unless the caller chose (under either spelling). */
function fromTfByDefault<O extends object>(options: O | undefined): O {
  const o = (options ?? {}) as O & { from_tf?: boolean; fromTf?: boolean };
  return o.from_tf !== undefined || o.fromTf !== undefined ? o : { ...o, from_tf: true };
}

function tfAlias<T, O extends object>(modelClassName: string, load: (idOrFiles: string | ModelFiles, options: O) => Promise<T>): TFAlias<T, O> {
  return {
    className: `TF${modelClassName}`,
    modelClassName,
    fromPretrained: (idOrFiles, options) => load(idOrFiles, fromTfByDefault(options)),
    from_pretrained: (idOrFiles, options) => load(idOrFiles, fromTfByDefault(options)),
  };
}

export const TFDebertaV2Model = tfAlias<DebertaV2Model, LoadOptions>("DebertaV2Model", (id, o) => AutoModel.fromPretrained(id, o));
export const TFDebertaV2ForMaskedLM = tfAlias<DebertaV2ForMaskedLM, HeadLoadOptions>("DebertaV2ForMaskedLM", (id, o) =>
  DebertaV2ForMaskedLM.fromPretrained(id, o),
);
export const TFDebertaV2ForSequenceClassification = tfAlias<DebertaV2ForSequenceClassification, HeadLoadOptions>(
  "DebertaV2ForSequenceClassification",
  (id, o) => DebertaV2ForSequenceClassification.fromPretrained(id, o),
);
export const TFDebertaV2ForTokenClassification = tfAlias<DebertaV2ForTokenClassification, HeadLoadOptions>(
  "DebertaV2ForTokenClassification",
  (id, o) => DebertaV2ForTokenClassification.fromPretrained(id, o),
);
export const TFDebertaV2ForQuestionAnswering = tfAlias<DebertaV2ForQuestionAnswering, HeadLoadOptions>(
  "DebertaV2ForQuestionAnswering",
  (id, o) => DebertaV2ForQuestionAnswering.fromPretrained(id, o),
);
export const TFDebertaV2ForMultipleChoice = tfAlias<DebertaV2ForMultipleChoice, HeadLoadOptions>(
  "DebertaV2ForMultipleChoice",
  (id, o) => DebertaV2ForMultipleChoice.fromPretrained(id, o),
);
