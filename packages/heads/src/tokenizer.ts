/**
 * The tokenizer of a model, loaded like the model: from a hub id (downloaded into the HF cache), a folder or
 * `ModelFiles`. `tokenizer.json` when present, else `spm.model` converted as transformers does.
 *
 *   const tokenizer = await AutoTokenizer.fromPretrained("microsoft/deberta-v3-base");
 *   const enc = tokenizer("Hello world", { returnOffsetsMapping: true });
 */
import type { ModelFiles } from "@deberta-js/core";
import { type DebertaV2TokenizerFast, type LoadOptions, loadFastTokenizer } from "@deberta-js/tokenizer";
import { type PretrainedOptions, resolveFiles } from "./load.js";

export type TokenizerLoadOptions = Pick<PretrainedOptions, "revision" | "cacheDir" | "token" | "endpoint" | "onProgress"> & LoadOptions;

export const AutoTokenizer = {
  async fromPretrained(idOrFiles: string | ModelFiles, options: TokenizerLoadOptions = {}): Promise<DebertaV2TokenizerFast> {
    const files = await resolveFiles(idOrFiles, options);
    return loadFastTokenizer(files, options);
  },
};
