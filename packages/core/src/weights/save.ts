/**
 * `save_pretrained` in Hugging Face's layout: `config.json` (with `architectures` and `torch_dtype`) and
 * `model.safetensors` holding every parameter by its HF name, in the dtype the model computes in, with the
 * `{"format": "pt"}` metadata transformers expects. Browser-safe: this builds the bytes; `@deberta-js/core/node`
 * writes them to a folder.
 */
import type { DebertaV2Config } from "../config.js";
import { DebertaError, WeightsError } from "../errors.js";
import { Tensor } from "../tensor.js";
import type { Params } from "../model/params.js";
import { type RawTensor, writeSafetensors } from "./safetensors.js";
import { QuantizedWeight, type QuantizedHostWeight } from "../quant/quantized-weight.js";
import { bnbTensors, quantizationConfig } from "./bnb-write.js";
import { EMBEDDINGS_MARKER, int8TableTensors } from "./int8-embeddings.js";
import { ACTIVATIONS_MARKER } from "./activations-marker.js";

export interface PretrainedFileOptions {
  /** `architectures` written to config.json (the class name). */
  architecture: string;
  /** Maps a parameter's name as the model read it to the name HF saves it under (e.g. adds "deberta."). */
  rename?: (name: string) => string;
}

/** The files `savePretrained` writes, as bytes: `{"config.json": …, "model.safetensors": …}`. */
export async function pretrainedFiles(config: DebertaV2Config, params: Params, options: PretrainedFileOptions): Promise<Record<string, Uint8Array>> {
  if (params.uploaded.length === 0 || params.named.size === 0) {
    throw new WeightsError("savePretrained: the model holds no weights (disposed, or built without named parameters)");
  }
  const tensors: Record<string, RawTensor> = {};
  const quantized: QuantizedHostWeight[] = [];
  for (const [name, t] of params.named) {
    const saved = options.rename ? options.rename(name) : name;
    if (t instanceof QuantizedWeight && params.tableNames.has(name)) {
      // int8 embedding table: our own format (see weights/int8-embeddings.ts), not bnb's
      Object.assign(tensors, int8TableTensors(saved.replace(/\.weight$/, ""), await t.toHost()));
      continue;
    }
    if (t instanceof QuantizedWeight) {
      // Quantized Linear: bitsandbytes' tensors under the module name (see weights/bnb-write.ts).
      const host = await t.toHost();
      quantized.push(host);
      Object.assign(tensors, bnbTensors(saved.replace(/\.weight$/, ""), host));
      continue;
    }
    if (!(t instanceof Tensor)) throw new DebertaError("UNSUPPORTED", `savePretrained: "${name}" is not a tensor`);
    const data = await t.raw();
    if (t.dtype === "f32") tensors[saved] = { dtype: "F32", shape: [...t.shape], data: data as Float32Array };
    else if (t.dtype === "f16") tensors[saved] = { dtype: "F16", shape: [...t.shape], data: data as Uint16Array };
    else throw new WeightsError(`savePretrained: parameter "${name}" has dtype ${t.dtype}, which safetensors export does not write`);
  }
  const json: Record<string, unknown> = { ...config.toJSON(), architectures: [options.architecture], torch_dtype: params.dtype === "f16" ? "float16" : "float32" };
  let qc = quantizationConfig(quantized);
  // our own facts, under our namespaced key (HF Python ignores it; bnb's fields above stay exactly bnb's)
  const ours: Record<string, string> = {};
  if (params.hasQuantizedEmbeddings) ours.quantized_embeddings = EMBEDDINGS_MARKER;
  if (params.quantized.some((q) => q.layout === "int8" && q.activations === "int8")) ours.activations = ACTIVATIONS_MARKER;
  if (Object.keys(ours).length) qc = { ...(qc ?? { quant_method: "deberta-js" }), deberta_js: ours };
  if (qc) json.quantization_config = qc;
  else delete json.quantization_config;
  return {
    "config.json": new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"),
    "model.safetensors": writeSafetensors(tensors, { format: "pt" }),
  };
}

/**
 * Writes `files` (from `pretrainedFiles`) into the folder `dir` (Node). The writer is imported lazily through the
 * package's `./node` export, so browser bundles never see `node:*`.
 */
export async function savePretrained(dir: string, files: Promise<Record<string, Uint8Array>> | Record<string, Uint8Array>): Promise<void> {
  if (typeof process === "undefined" || typeof process.versions?.node !== "string") {
    throw new WeightsError("savePretrained(dir) writes files and needs Node; in browsers use pretrainedFiles() and store the bytes yourself");
  }
  // the bytes may fail (e.g. UNSUPPORTED) while the writer module loads: handled at the `await` below, not unhandled
  const pending = Promise.resolve(files);
  pending.catch(() => {});
  const spec = "@deberta-js/core/node";
  const node = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as { writeModelFolder(dir: string, files: Record<string, Uint8Array>): Promise<void> };
  await node.writeModelFolder(dir, await pending);
}
