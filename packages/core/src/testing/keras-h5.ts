/**
 * Writes Keras-2 HDF5 weight files (`tf_model.h5`) as HF's TF classes save them, for tests: a PyTorch state dict
 * of any DeBERTa-v2 class becomes the `TFDebertaV2*` file with the same weights (TF variable names, `[in, out]`
 * kernels, `[k, in, out]` conv kernel, the MLM head group repeating the embeddings, weightless layer groups), and
 * hand-built layer lists make malformed files. The names follow `modeling_tf_deberta_v2.py` (transformers v4).
 */
type H5wasm = typeof import("h5wasm");

/** The part of Emscripten's in-memory file system we use. */
export interface MemFS {
  writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

/** h5wasm's classes and its file system. */
export interface H5Lib {
  h5: H5wasm;
  FS: MemFS;
}

let h5wasmModule: Promise<H5Lib> | undefined;

/** h5wasm in this thread (writing trusted test files; the reader runs it in a worker). HDF5 errors throw. */
export async function loadH5wasm(): Promise<H5Lib> {
  h5wasmModule ??= (async () => {
    const h5 = (await import("h5wasm")) as H5wasm;
    const Module = await h5.ready;
    // Without this, HDF5 prints its error stack to stderr and h5wasm throws a bare "name not defined".
    Module.activate_throwing_error_handler();
    return { h5, FS: Module.FS as unknown as MemFS };
  })();
  try {
    return await h5wasmModule;
  } catch (e) {
    h5wasmModule = undefined;
    throw e;
  }
}


export interface KerasWeight {
  /** Full Keras name, e.g. `tf_deberta_v2_model/deberta/embeddings/LayerNorm/gamma:0`. */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface KerasLayer {
  name: string;
  weights: KerasWeight[];
}

export interface WriteKerasH5Options {
  /** Split name lists over `layer_names0`, `weight_names0`, … as Keras does past 64 KiB (test of the reader). */
  splitNameLists?: boolean;
}

let counter = 0;

/** The bytes of a Keras-2 weights file holding `layers` (in this `layer_names` order). */
export async function writeKerasH5(layers: KerasLayer[], opts: WriteKerasH5Options = {}): Promise<Uint8Array> {
  const { h5, FS } = await loadH5wasm();
  const path = `/keras-writer-${++counter}.h5`;
  const f = new h5.File(path, "w");
  try {
    const setNames = (obj: InstanceType<typeof h5.Group>, attr: string, names: string[]) => {
      if (names.length === 0) obj.create_attribute(attr, new Float64Array(0), [0], "<d");
      else if (opts.splitNameLists && names.length > 1) {
        const half = Math.ceil(names.length / 2);
        obj.create_attribute(`${attr}0`, names.slice(0, half));
        obj.create_attribute(`${attr}1`, names.slice(half));
      } else obj.create_attribute(attr, names);
    };
    setNames(f, "layer_names", layers.map((l) => l.name));
    f.create_attribute("backend", "tensorflow");
    f.create_attribute("keras_version", "2.15.0");
    for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const g = f.create_group(layer.name);
      setNames(g, "weight_names", layer.weights.map((w) => w.name));
      for (const w of layer.weights) {
        const parts = w.name.split("/");
        let parent = g;
        for (const p of parts.slice(0, -1)) {
          const existing = parent.get(p);
          parent = existing instanceof h5.Group ? existing : parent.create_group(p);
        }
        parent.create_dataset({ name: parts[parts.length - 1], data: w.data, shape: w.shape, dtype: "<f" });
      }
    }
    const top = f.create_group("top_level_model_weights");
    setNames(top, "weight_names", []);
  } finally {
    f.close();
  }
  const bytes = FS.readFile(path).slice();
  FS.unlink(path);
  return bytes;
}

interface PtTensor {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Keras' default model name: `to_snake_case("TF" + class name)`. */
export function kerasModelName(className: string): string {
  const tf = className.startsWith("TF") ? className : `TF${className}`;
  return tf
    .replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** The non-backbone top-level layers of each TF class, in `model.layers` order (empty ones hold no weights). */
const HEAD_LAYERS: Record<string, string[]> = {
  DebertaV2Model: [],
  DebertaV2ForMaskedLM: ["cls"],
  DebertaV2ForSequenceClassification: ["pooler", "cls_dropout", "classifier"],
  DebertaV2ForTokenClassification: ["dropout", "classifier"],
  DebertaV2ForQuestionAnswering: ["qa_outputs"],
  DebertaV2ForMultipleChoice: ["dropout", "pooler", "classifier"],
};

/**
 * The TF checkpoint of `className` holding the weights of a PyTorch state dict (keys with or without `deberta.`).
 * `options.unnamedEmbedProj` writes `embed_proj` as older transformers did (an auto-named `dense`).
 */
export function kerasLayersFromStateDict(
  stateDict: Map<string, PtTensor>,
  className: string,
  options: { modelName?: string; unnamedEmbedProj?: boolean } = {},
): KerasLayer[] {
  const model = options.modelName ?? kerasModelName(className);
  const heads = HEAD_LAYERS[className];
  if (!heads) throw new Error(`no TF class for ${className}`);
  const layers = new Map<string, KerasWeight[]>([["deberta", []], ...heads.map((h) => [h, []] as [string, KerasWeight[]])]);
  for (const [key, t] of stateDict) {
    if (/(^|\.)position_ids$/.test(key) || key === "cls.predictions.decoder.bias" || key === "cls.predictions.decoder.weight") continue;
    const pt = key.startsWith("deberta.") || /^(pooler|classifier|qa_outputs|cls|lm_predictions)\./.test(key) ? key : `deberta.${key}`;
    const { name, layout } = tfNameOf(pt, options.unnamedEmbedProj ?? false);
    const layer = name.split("/")[0];
    const list = layers.get(layer);
    if (!list) throw new Error(`${key}: layer "${layer}" is not part of ${className}`);
    list.push({ name: `${model}/${name}:0`, ...toTfLayout(t, layout) });
  }
  // TFDebertaV2LMPredictionHead tracks the embeddings layer, so the `cls` group lists its weights again.
  const cls = layers.get("cls");
  if (cls) {
    for (const w of layers.get("deberta")!) {
      if (/\/deberta\/embeddings\/(word_embeddings|embed_proj|dense|LayerNorm)\//.test(w.name)) cls.push(w);
    }
  }
  return [...layers].map(([name, weights]) => ({ name, weights }));
}

type Layout = "none" | "linear" | "conv";

/** PyTorch name (with `deberta.`) → TF variable name without the model name. */
function tfNameOf(pt: string, unnamedEmbedProj: boolean): { name: string; layout: Layout } {
  let parts = pt.split(".");
  // lm_predictions.lm_head.* (the original naming) is written by the TF class as its cls.predictions head.
  if (parts[0] === "lm_predictions") {
    parts = parts[2] === "bias" ? ["cls", "predictions", "bias"] : ["cls", "predictions", "transform", ...parts.slice(2)];
  }
  const joined = parts.join("/");
  if (joined === "deberta/encoder/rel_embeddings/weight") return { name: "deberta/encoder/rel_embeddings.weight", layout: "none" };
  if (joined === "deberta/embeddings/word_embeddings/weight") return { name: joined, layout: "none" };
  if (/^deberta\/embeddings\/(token_type|position)_embeddings\/weight$/.test(joined)) {
    return { name: joined.replace(/weight$/, "embeddings"), layout: "none" };
  }
  if (joined === "deberta/embeddings/embed_proj/weight") {
    return { name: unnamedEmbedProj ? "deberta/embeddings/dense/kernel" : "deberta/embeddings/embed_proj/kernel", layout: "linear" };
  }
  if (joined === "deberta/encoder/conv/conv/weight") return { name: "deberta/encoder/conv/conv/kernel", layout: "conv" };
  const out = parts.map((p, i) => (i > 0 && parts[i - 1] === "layer" && /^\d+$/.test(p) ? `_._${p}` : p)).join("/").replaceAll("layer/_._", "layer_._");
  const renamed = out.replace("/attention/self/pos_key_proj/", "/attention/self/pos_proj/").replace("/attention/self/pos_query_proj/", "/attention/self/pos_q_proj/");
  const last = parts[parts.length - 1];
  const isNorm = parts[parts.length - 2] === "LayerNorm";
  if (isNorm) return { name: renamed.replace(/weight$/, "gamma").replace(/bias$/, "beta"), layout: "none" };
  if (last === "weight") return { name: renamed.replace(/weight$/, "kernel"), layout: "linear" };
  return { name: renamed, layout: "none" };
}

function toTfLayout(t: PtTensor, layout: Layout): { shape: number[]; data: Float32Array } {
  const src = Float32Array.from(t.data);
  if (layout === "none") return { shape: [...t.shape], data: src };
  if (layout === "linear") {
    const [out, inp] = t.shape;
    const dst = new Float32Array(src.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) dst[i * out + o] = src[o * inp + i];
    return { shape: [inp, out], data: dst };
  }
  const [out, inp, k] = t.shape;
  const dst = new Float32Array(src.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) for (let a = 0; a < k; a++) dst[(a * inp + i) * out + o] = src[(o * inp + i) * k + a];
  return { shape: [k, inp, out], data: dst };
}
