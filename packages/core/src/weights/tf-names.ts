/**
 * TF variable names → PyTorch state-dict names, with the layout changes, for DeBERTa-v2 checkpoints.
 *
 * The general rule is HF's `convert_tf_weight_name_to_pt_weight_name` (modeling_tf_pytorch_utils.py): drop `:0`,
 * `a___b` path parts become `b`, `_._` becomes a level (`layer_._3` → `layer/3`), drop the first component (the
 * Keras model name), last component `kernel`/`embeddings`/`gamma` → `weight`, `beta` → `bias`, join with `.`.
 * A `kernel` is transposed: rank 2 (Dense, `[in, out]` → `[out, in]`), rank 3 (conv, `[k, in, out]` → `[out, in, k]`).
 *
 * On top, DeBERTa's own TF names that HF's converter does not map (so HF itself cannot cross-load them):
 * `attention/self/pos_proj` → `pos_key_proj`, `pos_q_proj` → `pos_query_proj`, and the unnamed `embed_proj` Dense
 * of older transformers (auto-named `dense`, `dense_1`, …) → `embed_proj`.
 *
 * Every resulting name must be a parameter some DeBERTa-v2 class has; anything else is an error naming the dataset
 * (a file of another model, or a corrupt one), not a silently ignored tensor.
 */
import { WeightsError } from "../errors.js";
import { type HostTensor, type StateDict, numelOf, shapeToString } from "./state-dict.js";
import type { TfH5Weights, TfVariable } from "./tf-h5.js";

export type TfTranspose = "none" | "simple" | "conv1d";

/** HF's name rule (without the DeBERTa renames); `name` is the full Keras name, model-name component included. */
export function convertTfWeightName(name: string): { name: string; transpose: TfTranspose; rank?: number } {
  let n = name.replace(/:0$/, "");
  n = n.replace(/\/[^/]*___([^/]*)\//g, "/$1/");
  n = n.replaceAll("_._", "/");
  n = n.replace(/\/\/+/g, "/");
  let parts = n.split("/");
  if (parts.length > 1) parts = parts.slice(1);
  const last = parts[parts.length - 1];
  const transpose: TfTranspose = last === "kernel" ? "simple" : "none";
  if (last === "kernel" || last === "embeddings" || last === "gamma") parts[parts.length - 1] = "weight";
  if (last === "beta") parts[parts.length - 1] = "bias";
  return { name: parts.join("."), transpose };
}

/** DeBERTa's TF layer names that differ from the PyTorch attributes. */
const DEBERTA_RENAMES: [RegExp, string][] = [
  [/(^|\.)attention\.self\.pos_proj\./, "$1attention.self.pos_key_proj."],
  [/(^|\.)attention\.self\.pos_q_proj\./, "$1attention.self.pos_query_proj."],
  // transformers < 4.3x created `embed_proj` without a name; Keras called it `dense`, `dense_1`, …
  [/(^|\.)embeddings\.dense(_\d+)?\.weight$/, "$1embeddings.embed_proj.weight"],
];

/** Every PyTorch parameter name a DeBERTa-v2 class (base or head) can have, after the optional `deberta.` prefix. */
const BACKBONE = new RegExp(
  "^(" +
    [
      "embeddings\\.(word_embeddings|token_type_embeddings|position_embeddings|embed_proj)\\.weight",
      "embeddings\\.LayerNorm\\.(weight|bias)",
      "encoder\\.rel_embeddings\\.weight",
      "encoder\\.LayerNorm\\.(weight|bias)",
      "encoder\\.conv\\.conv\\.(weight|bias)",
      "encoder\\.conv\\.LayerNorm\\.(weight|bias)",
      "encoder\\.layer\\.\\d+\\.attention\\.self\\.(query_proj|key_proj|value_proj|pos_key_proj|pos_query_proj)\\.(weight|bias)",
      "encoder\\.layer\\.\\d+\\.attention\\.output\\.(dense|LayerNorm)\\.(weight|bias)",
      "encoder\\.layer\\.\\d+\\.intermediate\\.dense\\.(weight|bias)",
      "encoder\\.layer\\.\\d+\\.output\\.(dense|LayerNorm)\\.(weight|bias)",
    ].join("|") +
    ")$",
);
const HEAD = new RegExp(
  "^(" +
    [
      "pooler\\.dense\\.(weight|bias)",
      "classifier\\.(weight|bias)",
      "qa_outputs\\.(weight|bias)",
      "cls\\.predictions\\.bias",
      "cls\\.predictions\\.transform\\.(dense|LayerNorm)\\.(weight|bias)",
      "cls\\.predictions\\.decoder\\.(weight|bias)",
      "lm_predictions\\.lm_head\\.(dense|LayerNorm)\\.(weight|bias)",
      "lm_predictions\\.lm_head\\.bias",
    ].join("|") +
    ")$",
);

export interface TfNameMapping {
  /** The PyTorch name, with `deberta.` for backbone weights. */
  name: string;
  transpose: TfTranspose;
}

/** The PyTorch name of one TF variable (full Keras name), or undefined when it is no DeBERTa-v2 parameter. */
export function tfToPtName(fullName: string): TfNameMapping | undefined {
  const conv = convertTfWeightName(fullName);
  let name = conv.name;
  for (const [re, to] of DEBERTA_RENAMES) name = name.replace(re, to);
  if (name.startsWith("deberta.") ? BACKBONE.test(name.slice(8)) : HEAD.test(name)) return { name, transpose: conv.transpose };
  return undefined;
}

/**
 * Builds the PyTorch state dict of a read `tf_model.h5`. A file holding only the `deberta` layer (a
 * `TFDebertaV2Model`) gets the base model's names (no `deberta.` prefix), as `DebertaV2Model.save_pretrained`
 * writes them; head models keep it. `where` names the file in errors.
 */
export function tfWeightsToStateDict(weights: TfH5Weights, where: string): StateDict {
  const out: StateDict = new Map();
  const origin = new Map<string, string>();
  const baseOnly = weights.layerNames.every((l) => l === "deberta");
  for (const v of weights.variables.values()) {
    const mapped = tfToPtName(v.fullName);
    const dataset = `dataset "/${v.layer}/${v.fullName}"`;
    if (!mapped) {
      throw new WeightsError(
        `${where}: ${dataset}: unknown TF variable "${v.fullName}" (maps to "${convertTfWeightName(v.fullName).name}", which is no DeBERTa-v2 parameter)`,
      );
    }
    const name = baseOnly ? mapped.name.replace(/^deberta\./, "") : mapped.name;
    const prev = origin.get(name);
    if (prev !== undefined) throw new WeightsError(`${where}: ${dataset} and "${prev}" both map to "${name}"`);
    origin.set(name, v.fullName);
    out.set(name, convertTensor(v, mapped, where, dataset));
  }
  return out;
}

function convertTensor(v: TfVariable, mapped: TfNameMapping, where: string, dataset: string): HostTensor {
  const t = v.tensor;
  const rank = t.shape.length;
  const expect = expectedRank(mapped.name);
  if (mapped.transpose === "simple") {
    if (rank === 2 && expect === 2) return transpose2d(t);
    if (rank === 3 && expect === 3) return transposeConv(t);
  } else if (rank === expect) {
    return t;
  }
  throw new WeightsError(`${where}: ${dataset} has shape ${shapeToString(t.shape)}; "${mapped.name}" needs a rank-${expect} tensor`);
}

/** Rank of a PyTorch parameter: conv weight 3, other weights 2 (Linear, embeddings), LayerNorm and biases 1. */
function expectedRank(ptName: string): number {
  if (ptName.endsWith("conv.conv.weight")) return 3;
  if (ptName.endsWith(".bias") || ptName.endsWith("LayerNorm.weight")) return 1;
  return 2;
}

function newLike(data: HostTensor["data"], n: number): HostTensor["data"] {
  return data instanceof Float32Array ? new Float32Array(n) : new Uint16Array(n);
}

/** Dense kernel `[in, out]` → Linear weight `[out, in]`. */
function transpose2d(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape;
  const src = t.data;
  const dst = newLike(src, numelOf(t.shape));
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[base + c];
  }
  return { dtype: t.dtype, shape: [cols, rows], data: dst } as HostTensor;
}

/** Conv kernel `[k, in, out]` → Conv1d weight `[out, in, k]` (numpy axes (2, 1, 0), as HF's CONV1D transpose). */
function transposeConv(t: HostTensor): HostTensor {
  const [k, cin, cout] = t.shape;
  const src = t.data;
  const dst = newLike(src, numelOf(t.shape));
  for (let a = 0; a < k; a++) {
    for (let i = 0; i < cin; i++) {
      const base = (a * cin + i) * cout;
      for (let o = 0; o < cout; o++) dst[(o * cin + i) * k + a] = src[base + o];
    }
  }
  return { dtype: t.dtype, shape: [cout, cin, k], data: dst } as HostTensor;
}
