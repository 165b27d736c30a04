/**
 * `deberta-js convert --from tf --model ID_OR_DIR --out DIR [--dtype fp32|fp16]`: a TensorFlow checkpoint
 * (`tf_model.h5`, as HF's `TFDebertaV2*` classes save it) → `model.safetensors` under PyTorch names, as
 * `DebertaV2*.save_pretrained` writes it, plus the folder's other files (config, tokenizer). Every file is written
 * to a temporary name and renamed into place, so a failure never leaves a partly written folder.
 */
import type { Command } from "commander";
import { InputError, TF_WEIGHTS_NAME, loadStateDict, writeSafetensors } from "@deberta-js/core";
import { writeModelFolder } from "@deberta-js/core/node";
import { resolveFiles } from "@deberta-js/heads";
import { action, log, printJson } from "../output.js";

export interface ConvertOptions {
  from: string;
  model: string;
  out: string;
  dtype?: string;
  revision?: string;
  cacheDir?: string;
}

/** Weight files of any framework: never copied next to the converted weights. */
const WEIGHT_FILE = /(\.(h5|safetensors|bin|msgpack|ckpt|onnx|gguf|pt|pth)|\.index\.json|\.ckpt\.index|\.ckpt\.data-[^/]*)$/;

export async function convertCommand(opts: ConvertOptions): Promise<Record<string, unknown>> {
  if (opts.from !== "tf") throw new InputError(`--from ${JSON.stringify(opts.from)}: only "tf" (tf_model.h5) is supported`);
  const dtype = opts.dtype === undefined || opts.dtype === "fp32" ? "f32" : opts.dtype === "fp16" ? "f16" : undefined;
  if (!dtype) throw new InputError(`--dtype ${JSON.stringify(opts.dtype)}: expected fp32 or fp16`);
  const files = await resolveFiles(opts.model, { revision: opts.revision, cache_dir: opts.cacheDir });
  const { stateDict, files: read } = await loadStateDict(files, { from_tf: true, dtype });
  const tensors = Object.fromEntries(stateDict);
  let parameters = 0;
  for (const t of stateDict.values()) parameters += t.data.length;
  const out: Record<string, Uint8Array> = { "model.safetensors": writeSafetensors(tensors, { format: "pt" }) };
  const copied: string[] = [];
  for (const name of await files.list()) {
    // Top-level files only (config, tokenizer); weight files of any framework stay behind.
    if (name.includes("/") || WEIGHT_FILE.test(name) || name.startsWith(".")) continue;
    out[name] = await files.read(name);
    copied.push(name);
  }
  if (!copied.includes("config.json")) log(`warning: ${files.location} has no config.json; only model.safetensors is written`);
  await writeModelFolder(opts.out, out);
  return { from: read[0] ?? TF_WEIGHTS_NAME, out: opts.out, written: ["model.safetensors", ...copied], tensors: stateDict.size, parameters, dtype: dtype === "f32" ? "F32" : "F16" };
}

export function registerConvert(program: Command): void {
  program
    .command("convert")
    .description("convert a TensorFlow checkpoint (tf_model.h5) into a PyTorch-named model.safetensors folder")
    .requiredOption("--from <format>", "the checkpoint's format: tf")
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder holding tf_model.h5")
    .requiredOption("--out <dir>", "folder to write model.safetensors (and the config and tokenizer files) into")
    .option("--dtype <dtype>", "fp32 | fp16 (the tensors' dtype in model.safetensors)", "fp32")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .action(action(async (opts: ConvertOptions) => printJson(await convertCommand(opts))));
}
