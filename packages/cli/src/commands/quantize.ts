/**
 * `deberta-js quantize --model DIR|HUB_ID [--to nf4|fp4|int8|q8|q4] [--quantize-embeddings] --out DIR [--class NAME]`
 * Loads the model with its Linear weights quantized (the config's class, or `--class`), writes it with
 * `savePretrained` — bitsandbytes' tensors and `quantization_config` for nf4/fp4/int8 (HF Python reads the folder
 * with bitsandbytes installed), the same layout with `quant_type` "q4" for our q4 — and copies the tokenizer files,
 * so `deberta-js run --model OUT` works. `--quantize-embeddings` also stores the word embeddings int8 row-wise, in
 * deberta-js's own format (HF Python does not read that table). Prints a JSON summary (sizes before and after).
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { DebertaError, InputError, loadConfig, parseQuantMethod, type QuantMethod } from "@deberta-js/core";
import { AutoModelForArchitecture, loadModelClass, resolveClassName, resolveFiles } from "@deberta-js/heads";
import { loadBackend } from "../backends.js";
import { action, printJson } from "../output.js";

export interface QuantizeOptions {
  model: string;
  to?: string;
  out: string;
  quantizeEmbeddings?: boolean;
  class?: string;
  revision?: string;
  cacheDir?: string;
}

/** `--to` → the dtype name that quantizes at load. */
const DTYPE_FOR: Record<QuantMethod, string> = { nf4: "nf4", fp4: "fp4", int8: "q8", q4: "q4" };

/** Files other than config and weights that a model folder carries (tokenizer, vocabularies). */
const isSideFile = (name: string) =>
  !name.includes("/") && !/^(config\.json|.*\.safetensors|.*\.bin|.*\.index\.json|.*\.h5|.*\.msgpack|.*\.onnx|.*\.lock|\..*)$/.test(name);

export async function quantizeCommand(opts: QuantizeOptions): Promise<Record<string, unknown>> {
  if (opts.to === undefined && !opts.quantizeEmbeddings) throw new InputError("quantize: give --to nf4|fp4|int8|q8|q4, --quantize-embeddings, or both");
  const method = opts.to === undefined ? undefined : parseQuantMethod(opts.to);
  if (opts.to !== undefined && !method) throw new InputError(`--to "${opts.to}" is not one of nf4, fp4, int8, q8, q4`);
  const files = await resolveFiles(opts.model, { revision: opts.revision, cache_dir: opts.cacheDir });
  const config = await loadConfig(files);
  const backend = await loadBackend("cpu");
  const load = {
    backend,
    ...(method ? { dtype: DTYPE_FOR[method] as never } : {}),
    ...(opts.quantizeEmbeddings ? { quantize_embeddings: true } : {}),
    warn: (m: string) => process.stderr.write(`warning: ${m}\n`),
  };
  const model = opts.class
    ? await loadModelClass(resolveClassName(opts.class), files, load)
    : await AutoModelForArchitecture.fromPretrained(files, load);
  try {
    await mkdir(opts.out, { recursive: true });
    await (model as { savePretrained(dir: string): Promise<void> }).savePretrained(opts.out);
  } finally {
    (model as { dispose(): void }).dispose();
  }
  const copied: string[] = [];
  for (const name of (await files.list()).filter(isSideFile)) {
    const bytes = await files.read(name);
    await writeFile(join(opts.out, name), bytes);
    copied.push(name);
  }
  const outBytes = (await stat(join(opts.out, "model.safetensors"))).size;
  if (!outBytes) throw new DebertaError("WEIGHTS_INVALID", `${opts.out}/model.safetensors is empty`);
  return { model: files.location, class: config.architectures[0] ?? "DebertaV2Model", to: method ?? null, quantize_embeddings: !!opts.quantizeEmbeddings, out: opts.out, model_safetensors_bytes: outBytes, copied };
}

export function registerQuantize(program: Command): void {
  program
    .command("quantize")
    .description("quantize a model's Linear weights and save it (bitsandbytes format for nf4/fp4/int8)")
    .requiredOption("--model <id_or_dir>", "model folder or hub id")
    .option("--to <method>", "nf4 | fp4 | int8 (= q8) | q4 (the Linear weights)")
    .option("--quantize-embeddings", "also store the word embeddings int8 row-wise (deberta-js's own format: HF Python does not read it)")
    .requiredOption("--out <dir>", "folder to write (config.json, model.safetensors, tokenizer files)")
    .option("--class <name>", "model class (default: the config's architectures[0])")
    .option("--revision <rev>", "hub revision")
    .option("--cache-dir <dir>", "HF cache folder")
    .action(action(async (opts: QuantizeOptions) => printJson(await quantizeCommand(opts))));
}
