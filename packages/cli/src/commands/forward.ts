/**
 * `deberta-js forward --model DIR --inputs FILE [--class NAME] [--variant fp16|bf16] [--backend cpu] [--dtype fp32|fp16|q8|q4|nf4|fp4|q4f16]`
 * bitsandbytes checkpoints (4-bit / 8-bit) load quantized whatever the dtype.
 * Runs one model class on the inputs and prints `{"<output name>": {"shape": [...], "data": [...]}}`.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DebertaV2Model, InputError, loadConfig, type ModelInputs, type Tensor } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { loadBackend, parseModelDtype } from "../backends.js";
import { action, printJson, tensorJson } from "../output.js";
import { progress } from "../progress.js";

export interface ForwardOptions {
  model: string;
  inputs: string;
  class?: string;
  variant?: string;
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
  const files = directoryFiles(opts.model);
  const config = await loadConfig(files);
  const className = opts.class ?? config.architectures[0] ?? "DebertaV2Model";
  const inputs = await readInputsFile(opts.inputs);
  const backend = await loadBackend(opts.backend ?? "cpu");
  const dtype = parseModelDtype(opts.dtype);
  const bar = progress();
  const onProgress = (p: { file: string; loaded: number; total: number }) => bar.update(`loading ${p.file}`, p.loaded, p.total);
  const forwardOpts = { output_hidden_states: opts.outputHiddenStates, output_attentions: opts.outputAttentions };
  try {
    if (className === "DebertaV2Model") {
      const model = await DebertaV2Model.fromPretrained(files, { backend, dtype, variant: opts.variant, onProgress });
      bar.stop();
      return await outputsJson((await model.forward(inputs, forwardOpts)) as unknown as Record<string, unknown>);
    }
    const headsPackage = "@deberta-js/heads"; // loaded only when a head class is asked for
    const heads = (await import(headsPackage)) as Record<string, unknown>;
    const cls = heads[className] as
      | { fromPretrained(files: unknown, o: unknown): Promise<{ forward(i: ModelInputs, o?: unknown): Promise<Record<string, unknown>> }> }
      | undefined;
    if (!cls || typeof cls.fromPretrained !== "function") {
      throw new InputError(`--class ${className}: unknown model class (expected DebertaV2Model or a DebertaV2For* head class)`);
    }
    const model = await cls.fromPretrained(files, { backend, dtype, variant: opts.variant, onProgress });
    bar.stop();
    return await outputsJson(await model.forward(inputs, forwardOpts));
  } finally {
    bar.stop();
  }
}

export function registerForward(program: Command): void {
  program
    .command("forward")
    .description("run a model folder on token ids and print its outputs as JSON")
    .requiredOption("--model <dir>", "model folder as save_pretrained writes it")
    .requiredOption("--inputs <file>", 'JSON file: {"input_ids": [[...]], "attention_mask"?: [[...]], "token_type_ids"?: [[...]]}')
    .option("--class <name>", "model class (default: the config's architectures[0])")
    .option("--variant <variant>", "weights variant, e.g. fp16 or bf16 (model.<variant>.safetensors)")
    .option("--backend <name>", "cpu | webgpu | cuda", "cpu")
    .option("--dtype <dtype>", "fp32 | fp16 | q8 | q4 | nf4 | fp4 | q4f16 (quantized: Linear weights quantized at load)", "fp32")
    .option("--output-hidden-states", "also print hidden_states")
    .option("--output-attentions", "also print attentions")
    .action(action(async (opts: ForwardOptions) => printJson(await forwardCommand(opts))));
}
