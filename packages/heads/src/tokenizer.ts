/**
 * The tokenizer of a model, loaded like the model: from a hub id (downloaded into the HF cache), a folder or
 * `ModelFiles`. `tokenizer.json` when present, else `spm.model` converted as transformers does.
 *
 *   const tokenizer = await AutoTokenizer.fromPretrained("microsoft/deberta-v3-base");
 *   const enc = tokenizer("Hello world", { returnOffsetsMapping: true });
 */
import { type LoadOptions as FileOptions, type ModelFiles, type OptionSpec, resolveLoadOptions } from "@deberta-js/core";
import { type DebertaV2TokenizerFast, type LoadOptions, loadFastTokenizer } from "@deberta-js/tokenizer";
import { resolveFilesWith } from "./load.js";

/** Where the files come from (hub/cache options; `device`/`dtype` are accepted and unused) plus the tokenizer's own overrides. */
export type TokenizerLoadOptions = FileOptions & LoadOptions;

/** The tokenizer's own options (HF's names as aliases). */
const TOKENIZER_OPTIONS: readonly OptionSpec[] = [
  { name: "doLowerCase", aliases: ["do_lower_case"] },
  { name: "splitByPunct", aliases: ["split_by_punct"] },
  { name: "modelMaxLength", aliases: ["model_max_length"] },
  { name: "fromSlow", aliases: ["from_slow"] },
];

async function load(idOrFiles: string | ModelFiles, options: TokenizerLoadOptions, context: string): Promise<DebertaV2TokenizerFast> {
  const { load, rest } = resolveLoadOptions(options, context, TOKENIZER_OPTIONS);
  const files = await resolveFilesWith(idOrFiles, load);
  return loadFastTokenizer(files, rest as LoadOptions);
}

export const AutoTokenizer = {
  fromPretrained: (idOrFiles: string | ModelFiles, options: TokenizerLoadOptions = {}) => load(idOrFiles, options, "AutoTokenizer.fromPretrained"),
  /** transformers.js's spelling. */
  from_pretrained: (idOrFiles: string | ModelFiles, options: TokenizerLoadOptions = {}) => load(idOrFiles, options, "AutoTokenizer.from_pretrained"),
};
