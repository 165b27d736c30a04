/**
 * `deberta-js forward --model ID_OR_DIR --inputs FILE [--class NAME] [--variant fp16|bf16] [--from-tf] [--backend auto] [--dtype fp32|fp16|bf16|q8|q4|nf4|fp4|q4f16]`
 * bitsandbytes checkpoints (4-bit / 8-bit) load quantized whatever the dtype.
 * Runs one model class on the inputs and prints `{"<output name>": {"shape": [...], "data": [...]}}`.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InputError, type ModelInputs, type Tensor } from "@deberta-js/core";
import { AutoModelForArchitecture, forwardAny } from "@deberta-js/heads";
import { BACKEND_NAMES, parseModelDtype } from "../backends.js";
import { action, log, printJson, tensorJson } from "../output.js";
import { loadingProgress, progress } from "../progress.js";

export interface ForwardOptions {
  model: string;
  inputs: string;
  class?: string;
  variant?: string;
  fromTf?: boolean;
  backend?: string;
  dtype?: string;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export async function readInputsFile(file: string): Promise<ModelInputs> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(`--inputs ${file}: cannot read the file (${(e as Error).message})`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`--inputs ${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!json || typeof json !== "object" || !("input_ids" in json)) {
    throw new InputError(`--inputs ${file}: expected an object with "input_ids" (and optionally "attention_mask", "token_type_ids")`);
  }
  return json as ModelInputs;
}

/** The outputs of any model class, by HF output name, as JSON. */
async function outputsJson(out: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(out)) {
    if (value && typeof value === "object" && "shape" in value && "data" in value && typeof (value as Tensor).data === "function") {
      result[name] = await tensorJson(value as Tensor);
    } else if (Array.isArray(value) && value.length && typeof (value[0] as Tensor)?.data === "function") {
      result[name] = await Promise.all((value as Tensor[]).map(tensorJson));
    }
  }
  return result;
}

export async function forwardCommand(opts: ForwardOptions): Promise<Record<string, unknown>> {
  const inputs = await readInputsFile(opts.inputs);
  const bar = progress();
  const forwardOpts = { output_hidden_states: opts.outputHiddenStates, output_attentions: opts.outputAttentions };
  try {
    // The heads' loader: hub ids or folders, the class from --class or architectures[0], options resolved by core.
    const model = await AutoModelForArchitecture.fromPretrained(opts.model, {
      device: opts.backend,
      dtype: parseModelDtype(opts.dtype),
      variant: opts.variant,
      from_tf: opts.fromTf === true,
      modelClass: opts.class,
      warn: (m: string) => log(`warning: ${m}`),
      progress_callback: loadingProgress(bar),
    });
    bar.stop();
    try {
      return await outputsJson((await forwardAny(model, inputs, forwardOpts)) as Record<string, unknown>);
    } finally {
      model.dispose();
    }
  } finally {
    bar.stop();
  }
}

export function registerForward(program: Command): void {
  program
    .command("forward")
    .description("run a model folder on token ids and print its outputs as JSON")
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .requiredOption("--inputs <file>", 'JSON file: {"input_ids": [[...]], "attention_mask"?: [[...]], "token_type_ids"?: [[...]]}')
    .option("--class <name>", "model class (default: the config's architectures[0])")
    .option("--variant <variant>", "weights variant, e.g. fp16 or bf16 (model.<variant>.safetensors)")
    .option("--from-tf", "load tf_model.h5 even when PyTorch weights are present (HF's from_tf; without it tf_model.h5 is used when it is the only weight file)")
    .option("--backend <name>", BACKEND_NAMES.join(" | "), "auto")
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (cuda) | q8 | q4 | nf4 | fp4 | q4f16 (quantized: Linear weights quantized at load; default: fp32, or q8 for a folder saved from a q8 model)")
    .option("--output-hidden-states", "also print hidden_states")
    .option("--output-attentions", "also print attentions")
    .action(action(async (opts: ForwardOptions) => printJson(await forwardCommand(opts))));
}
