/**
 * `@deberta-js/heads/testing`: a parity-suite `CaseRunner` for every model class, so each backend's HF parity
 * suite (`defineParitySuite` of `@deberta-js/core/testing`) covers the heads too:
 *
 *   defineParitySuite({ describe, it, expect }, { name: "webgpu", root, cases, backend, runner: headsRunner });
 */
import type { Backend, FloatDType, ModelFiles, ModelInputs, Tensor } from "@deberta-js/core";
import { type AnyModel, forwardAny, loadModelClass, resolveClassName } from "./auto.js";
import type { MultipleChoiceInputs } from "./multiple-choice.js";

/** Structurally the `CaseRunner` of `@deberta-js/core/testing`. */
export type HeadsCaseRunner = (args: {
  modelClass: string;
  files: ModelFiles;
  variant?: string;
  inputs: Record<string, number[][] | number[][][]>;
  backend: Backend;
  dtype: FloatDType;
}) => Promise<Record<string, { shape: readonly number[]; data: ArrayLike<number> }>>;

/** Runs any case: `DebertaV2Model` (→ `last_hidden_state`) and every head class (→ `logits` / `start_logits` + `end_logits`). */
export const headsRunner: HeadsCaseRunner = async ({ modelClass, files, variant, inputs, backend, dtype }) => {
  const model: AnyModel = await loadModelClass(resolveClassName(modelClass, "case model_class"), files, {
    backend,
    dtype,
    variant,
    warn: () => {},
    strict: true,
  });
  try {
    const outputs = await forwardAny(model, inputs as unknown as ModelInputs | MultipleChoiceInputs);
    const result: Record<string, { shape: readonly number[]; data: ArrayLike<number> }> = {};
    for (const [name, t] of Object.entries(outputs)) {
      if (Array.isArray(t)) {
        for (const x of t) x.dispose();
        continue;
      }
      const tensor = t as Tensor;
      result[name] = { shape: tensor.shape, data: await tensor.data() };
      tensor.dispose();
    }
    return result;
  } finally {
    model.dispose();
  }
};
