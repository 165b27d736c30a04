/**
 * `DebertaV2Model`: embeddings → encoder → `last_hidden_state`, as HF's `modeling_deberta_v2.py` reads top-down.
 *
 *   const model = await DebertaV2Model.fromPretrained(directoryFiles("./my-model"), { backend: "cpu" });
 *   const { last_hidden_state } = await model.forward({ input_ids: [[1, 5, 2]] });
 *   console.log(last_hidden_state.shape, await last_hidden_state.data());
 */
import type { Backend } from "../backend.js";
import { type LoadOptions, type ResolvedLoadOptions, backendFor, loadProgress, precomputeAtLoad, resolveLoadOptions } from "../options/load.js";
import { warnSink } from "../options/env.js";
import { checkConfigBytes, DebertaV2Config } from "../config.js";
import type { FloatDType } from "../dtype.js";
import { DebertaError, InputError } from "../errors.js";
import { padRows } from "../ops/packing.js";
import { scoped } from "../scope.js";
import type { ModelFiles } from "../files.js";
import { layoutMaxLen, layoutTokens, packedLayout, paddedLayout, type SequenceLayout } from "../layout.js";
import type { Tensor } from "../tensor.js";
import { loadModelWeights } from "./device-weights.js";
import type { StateDict } from "../weights/state-dict.js";
import { extractBnbModules } from "../weights/bnb.js";
import { activationsMarker, int8ActivationsFor } from "../weights/activations-marker.js";
import { embeddingsMarker } from "../weights/int8-embeddings.js";
import { type ModelDType, parseModelDType } from "../quant/dtype.js";
import type { QuantMethod, QuantizedHostWeight } from "../quant/quantized-weight.js";
import { WeightStore } from "../weights/store.js";
import { pretrainedFiles, savePretrained } from "../weights/save.js";
import type { EncoderContext } from "./context.js";
import { DebertaV2Embeddings } from "./embeddings.js";
import { DebertaV2Encoder } from "./encoder.js";
import { type HostInputs, type ModelInputs, readInputs } from "./inputs.js";
import { Params } from "./params.js";
import { RandomWeightStore } from "./random.js";
import { relativeIndexTable } from "./relative-position.js";

/** `DebertaV2Model.fromPretrained` takes the loading options every entry point takes (`options/load.ts`). */
export type { LoadOptions } from "../options/load.js";

export interface StateDictOptions {
  backend: Backend;
  dtype?: FloatDType;
  /** Quantize the float Linear weights at load with this method. */
  quantize?: QuantMethod;
  /** `quantize_embeddings`: int8 row-wise word embeddings. */
  quantizeEmbeddings?: boolean;
  /** Linear weights already quantized while streaming (`loadModelWeights`), by module name. */
  quantizedModules?: Map<string, QuantizedHostWeight>;
  /** int8 embedding tables quantized while streaming (`loadModelWeights`), by module name. */
  quantizedTables?: Map<string, QuantizedHostWeight>;
  /**
   * int8 weights run with dynamic int8 activations. Default: `quantize === "int8"` when `dtype` or `quantize` is
   * given, else config.json's `quantization_config.deberta_js.activations` marker (`weights/activations-marker.ts`).
   */
  int8Activations?: boolean;
  /** Tensors already streamed onto `backend` by checkpoint key (`loadModelWeights`); the model takes them over. */
  device?: Map<string, Tensor>;
  warn?: (message: string) => void;
  /** Where the weights came from, for error messages. */
  location?: string;
}

export interface ForwardOptions {
  output_hidden_states?: boolean;
  output_attentions?: boolean;
  /**
   * Run the batch packed (unpadded): only real tokens are computed. Needs right padding. Real-token outputs equal
   * the padded run's; padded positions of the returned `[B, L, H]` tensors are zeros (HF gives them
   * meaningless-but-defined values instead).
   */
  packed?: boolean;
}

export interface DebertaV2ModelOutput {
  /** `[batch, seq, hidden]` */
  last_hidden_state: Tensor;
  /** Embedding output + each layer's output, each `[batch, seq, hidden]`. */
  hidden_states?: Tensor[];
  /** Each layer's attention probabilities `[batch, heads, seq, seq]`. */
  attentions?: Tensor[];
}

/** The encoder's raw result on flat token rows, for heads that work on `[tokens, hidden]`. */
export interface EncodedBatch {
  hidden: Tensor;
  layout: SequenceLayout;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
  /** @deprecated A no-op: `encode` frees its per-batch tensors itself (kept for callers written before scopes). */
  release(): void;
}

export class DebertaV2Model {
  private constructor(
    readonly config: DebertaV2Config,
    readonly backend: Backend,
    readonly dtype: FloatDType,
    readonly embeddings: DebertaV2Embeddings,
    readonly encoder: DebertaV2Encoder,
    /** The weights this model runs on. */
    private readonly weights: Params,
    /** Set when this model owns them (loaded by itself, not as a head's backbone). */
    private readonly params: Params | null,
  ) {}

  /**
   * Loads `config.json` and the weights a folder holds, choosing the weight files the way HF does. A quantized dtype
   * ("q8", "q4", "nf4", "fp4", "q4f16", …) quantizes the Linear weights at load; bitsandbytes checkpoints stay
   * quantized whatever the dtype.
   */
  static async fromPretrained(files: ModelFiles, options: LoadOptions = {}): Promise<DebertaV2Model> {
    return DebertaV2Model.fromFiles(files, resolveLoadOptions(options, "DebertaV2Model.fromPretrained").load);
  }

  /** `fromPretrained` with options already resolved by `resolveLoadOptions` (the heads' loaders call this). */
  static async fromFiles(files: ModelFiles, load: ResolvedLoadOptions): Promise<DebertaV2Model> {
    const parts = await loadPretrainedParts(files, load);
    const model = DebertaV2Model.fromStateDict(parts.config, parts.stateDict, pretrainedStateDictOptions(parts, load, files.location));
    await precomputeAtLoad(model, load, files.location);
    return model;
  }

  /** Builds the model from tensors already in memory. */
  static fromStateDict(config: DebertaV2Config, stateDict: StateDict, options: StateDictOptions): DebertaV2Model {
    const { store, params } = stateDictParams(config, stateDict, options);
    try {
      const model = DebertaV2Model.load(params, config);
      const warn = warnSink(options.warn);
      store.finish({ warn });
      warnUnusedModules(params, warn, options.location);
      return new DebertaV2Model(config, options.backend, params.dtype, model.embeddings, model.encoder, params, params);
    } catch (e) {
      params.dispose();
      throw e;
    }
  }

  /** A model of `config`'s shape with random weights (benchmarks; real sizes without a download). */
  static random(
    config: DebertaV2Config,
    options: { backend: Backend; dtype?: FloatDType; seed?: number; quantize?: QuantMethod; quantizeEmbeddings?: boolean },
  ): DebertaV2Model {
    const dtype = options.dtype ?? "f32";
    const params = new Params(options.backend, new RandomWeightStore(config.initializer_range, options.seed ?? 1, dtype), dtype, {
      method: options.quantize,
      embeddings: options.quantizeEmbeddings,
    });
    const model = DebertaV2Model.load(params, config);
    return new DebertaV2Model(config, options.backend, dtype, model.embeddings, model.encoder, params, params);
  }

  /** Builds the backbone from `params` (heads call this, then take their own parameters). */
  static load(params: Params, config: DebertaV2Config): DebertaV2Model {
    const embeddings = DebertaV2Embeddings.load(params, config);
    const encoder = DebertaV2Encoder.load(params, config);
    return new DebertaV2Model(config, params.backend, params.dtype, embeddings, encoder, params, null);
  }

  /** Runs the model. Inputs are `[batch, seq]` arrays or ORT tensors; outputs are backend tensors (see `Tensor`). */
  async forward(inputs: ModelInputs, options: ForwardOptions = {}): Promise<DebertaV2ModelOutput> {
    this.weights.assertAlive("DebertaV2Model");
    const host = readInputs(inputs, this.config);
    return scoped(() => {
      const enc = this.encode(host, options);
      // Flat rows → [batch, seq, hidden]: a view for padded runs, a scatter with zeros at padding for packed ones.
      const batched = (t: Tensor) =>
        enc.layout.kind === "padded" ? t.moveTo([host.batch, host.seqLen, this.config.hidden_size]) : padRows(this.backend, t, enc.layout, host.seqLen);
      // The last entry of hidden_states is the last hidden state itself (one tensor, as in HF).
      const hidden_states = enc.hiddenStates?.map(batched);
      return {
        last_hidden_state: hidden_states ? hidden_states[hidden_states.length - 1] : batched(enc.hidden),
        hidden_states,
        attentions: enc.attentions,
      };
    });
  }

  /**
   * The encoder on flat token rows: `[tokens, hidden]` plus the layout it used. The per-batch tensors it uploads
   * (ids, masks, the relative index) are freed before it returns; call it inside a `scoped()` to have the outputs
   * freed too.
   */
  encode(host: HostInputs, options: ForwardOptions = {}): EncodedBatch {
    this.weights.assertAlive("DebertaV2Model");
    const be = this.backend;
    const { layout, rows } = buildLayout(host, options.packed ?? false);
    const T = layoutTokens(layout);
    const out = scoped(() => {
      const hostIds = pick(host.ids, rows);
      const ids = be.upload(hostIds, [T], "i32");
      const positions = be.upload(host.positions ? pick(host.positions, rows) : positionIds(host, layout), [T], "i32");
      const tokenTypes = host.tokenTypes ? be.upload(pick(host.tokenTypes, rows), [T], "i32") : undefined;

      const ctx: EncoderContext = { layout };
      if (layout.kind === "padded") {
        ctx.mask = be.upload(Float32Array.from(layout.mask), [layout.batch, layout.seqLen], "f32");
        // With padding: the same 0/1 values as a column in the compute dtype (a view for f32) to zero padded rows.
        if (layout.mask.some((m) => m === 0)) ctx.maskColumn = this.dtype === "f32" ? ctx.mask.reshape([T, 1]) : be.cast(ctx.mask.reshape([T, 1]), this.dtype);
      }
      ctx.relEmbeddings = this.encoder.relativeEmbeddings(be);
      if (this.config.relative_attention) {
        const table = relativeIndexTable(layoutMaxLen(layout), this.config);
        ctx.relIndex = be.upload(table, [table.length], "i32");
      }
      const embedded = this.embeddings.forward(be, ids, positions, tokenTypes, ctx.maskColumn, hostIds);
      return this.encoder.forward(be, embedded, ctx, {
        outputHiddenStates: options.output_hidden_states ?? false,
        outputAttentions: options.output_attentions ?? false,
      });
    });
    return { hidden: out.lastHidden, layout, hiddenStates: out.hiddenStates, attentions: out.attentions, release: () => {} };
  }

  /** Bytes of the weights resident on the backend (quantized weights count their packed size). */
  get residentWeightBytes(): number {
    return this.params?.residentBytes ?? 0;
  }

  /** The parameters this model uploaded, by HF name (`savePretrained` reads them back). */
  get parameters(): Params | null {
    return this.params;
  }

  /**
   * Writes the model in Hugging Face's layout to the folder `dir` (Node): `config.json` + `model.safetensors`, which
   * `DebertaV2Model.from_pretrained(dir)` in Python and `fromPretrained(dir)` here read back.
   */
  async savePretrained(dir: string): Promise<void> {
    await savePretrained(dir, this.pretrainedFiles());
  }

  /** The bytes `savePretrained` writes, by file name (browsers: store them yourself). */
  pretrainedFiles(): Promise<Record<string, Uint8Array>> {
    if (!this.params) throw new DebertaError("UNSUPPORTED", "savePretrained: this DebertaV2Model is a head's backbone; save the head model instead");
    return pretrainedFiles(this.config, this.params, { architecture: "DebertaV2Model" });
  }

  /**
   * Does the input-independent work at load, so the first request is not the slow one: the relative-embedding
   * LayerNorm and every layer's position projections (`relEmbeddings · W_k/W_q`, kept with the weights; without
   * this they are computed lazily by the first forward, layer by layer). `fromPretrained` calls it unless
   * `precompute: false`; `onProgress(done, total)` after each layer. Waits until the backend has finished.
   */
  async precompute(onProgress?: (done: number, total: number) => void): Promise<void> {
    this.encoder.precompute(this.backend, onProgress);
    await this.backend.sync?.();
  }

  /** Frees every weight on the backend. The model throws DISPOSED when used afterwards. */
  dispose(): void {
    this.params?.dispose();
  }

  /** Whether `dispose()` was called (or the head that owns these weights was disposed). */
  get isDisposed(): boolean {
    return this.weights.disposed;
  }
}

/** `dtype` option → compute dtype + quantization; UNSUPPORTED for an unknown name. */
export function modelDType(dtype: FloatDType | string | undefined): ModelDType {
  if (dtype === undefined) return { compute: "f32" };
  const d = parseModelDType(dtype);
  if (!d) throw new DebertaError("UNSUPPORTED", `dtype "${dtype}" is not supported; use fp32, fp16, q8, q4, nf4, fp4 or q4f16 (q8f16, nf4f16, fp4f16)`);
  return d;
}

/**
 * A state dict → the weight store and `Params` every model class builds from (the base model's and the heads'
 * `fromStateDict`): bitsandbytes modules found in the checkpoint plus those quantized while streaming, and
 * `int8Activations` defaulted as `StateDictOptions` documents. `ignoreUnused`: keys the store may leave unread.
 */
export function stateDictParams(
  config: DebertaV2Config,
  stateDict: StateDict,
  options: StateDictOptions,
  ignoreUnused?: RegExp[],
): { store: WeightStore; params: Params } {
  const bnb = extractBnbModules(stateDict, options.location);
  const store = new WeightStore(bnb.stateDict, {
    basePrefix: "deberta",
    location: options.location,
    device: options.device,
    ...(ignoreUnused ? { ignoreUnused } : {}),
  });
  const params = new Params(options.backend, store, options.dtype ?? "f32", {
    modules: mergeModules(bnb.modules, options.quantizedModules),
    tables: mergeModules(bnb.tables, options.quantizedTables),
    method: options.quantize,
    embeddings: options.quantizeEmbeddings,
    int8Activations: options.int8Activations ?? int8ActivationsFor(config, { quantize: options.quantize, dtypeGiven: options.dtype !== undefined }),
  });
  return { store, params };
}

/** The `fromStateDict` options of a `loadPretrainedParts` result (the base model's and the heads' `fromPretrained`). */
export function pretrainedStateDictOptions(parts: PretrainedParts, load: ResolvedLoadOptions, location: string): StateDictOptions {
  return {
    backend: parts.backend,
    quantizedModules: parts.modules,
    quantizedTables: parts.tables,
    dtype: load.dtype,
    quantize: load.quantize,
    quantizeEmbeddings: load.quantizeEmbeddings,
    int8Activations: int8ActivationsFor(parts.config, { quantize: load.quantize, dtypeGiven: load.dtypeGiven }),
    device: parts.device,
    warn: load.warn,
    location,
  };
}

/** The checkpoint's bitsandbytes modules plus those quantized while streaming. */
export function mergeModules(a: Map<string, QuantizedHostWeight> | undefined, b: Map<string, QuantizedHostWeight> | undefined): Map<string, QuantizedHostWeight> | undefined {
  if (!b?.size) return a;
  if (!a?.size) return b;
  return new Map([...a, ...b]);
}

/** One warning for quantized checkpoint modules the model has no Linear for. */
export function warnUnusedModules(params: Params, warn: (m: string) => void, location?: string): void {
  const unused = params.unusedQuantizedModules();
  if (unused.length) warn(`${location ? `${location}: ` : ""}${unused.length} quantized module(s) were not used: ${unused.slice(0, 20).join(", ")}`);
}

export async function loadConfig(files: ModelFiles): Promise<DebertaV2Config> {
  // refuse an oversized file before reading it whole, where the source can say its size
  if (files.size && (await files.has("config.json"))) checkConfigBytes(await files.size("config.json"), `${files.location}/config.json`);
  const bytes = await files.read("config.json");
  return DebertaV2Config.fromJSON(bytes, `${files.location}/config.json`);
}

/**
 * What every `fromPretrained` reads before building its module: the config, the backend chosen by the resolved
 * options, and the weights streamed onto it (the base model and each head class build from these).
 */
export type PretrainedParts = { config: DebertaV2Config; backend: Backend } & Awaited<ReturnType<typeof loadModelWeights>>;

export async function loadPretrainedParts(files: ModelFiles, load: ResolvedLoadOptions): Promise<PretrainedParts> {
  const config = await loadConfig(files);
  // deberta-js's own markers are checked before any weight is read, so a bad one leaves nothing on the backend
  activationsMarker(config, `${files.location}/config.json`);
  embeddingsMarker(config, `${files.location}/config.json`);
  const backend = await backendFor(load);
  const weights = await loadModelWeights(files, {
    variant: load.variant,
    from_tf: load.fromTf,
    backend,
    dtype: load.dtype,
    quantize: load.quantize,
    quantizeEmbeddings: load.quantizeEmbeddings,
    onProgress: loadProgress(load, files.location),
  });
  return { config, backend, ...weights };
}

/** The (shared) backend for `options.backend` — a name, an instance or undefined for the best available — checked to compute in `dtype`. */
export async function resolveBackend(options: { backend?: Backend | string; dtype?: FloatDType }): Promise<{ backend: Backend; dtype: FloatDType }> {
  const dtype = options.dtype ?? "f32";
  return { backend: await backendFor({ device: options.backend, dtype, dtypeName: dtype }), dtype };
}

/** Padded layout, or packed rows (the real tokens of each right-padded row). */
function buildLayout(host: HostInputs, packed: boolean): { layout: SequenceLayout; rows?: Int32Array } {
  if (!packed) return { layout: paddedLayout(host.batch, host.seqLen, host.mask) };
  const { batch: B, seqLen: L, mask } = host;
  const lengths: number[] = [];
  const rows: number[] = [];
  for (let b = 0; b < B; b++) {
    let len = 0;
    while (len < L && mask[b * L + len]) len++;
    for (let i = len; i < L; i++) {
      if (mask[b * L + i]) throw new InputError(`attention_mask row ${b}: packed batches need right padding (a 1 follows a 0 at position ${i})`);
    }
    if (len === 0) throw new InputError(`attention_mask row ${b}: packed batches need at least one real token per sequence`);
    lengths.push(len);
    for (let i = 0; i < len; i++) rows.push(b * L + i);
  }
  return { layout: packedLayout(lengths), rows: Int32Array.from(rows) };
}

function pick(src: Int32Array, rows?: Int32Array): Int32Array {
  if (!rows) return src;
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  return out;
}

/** HF's default `position_ids = arange(seq)` for every sequence. */
function positionIds(host: HostInputs, layout: SequenceLayout): Int32Array {
  const T = layoutTokens(layout);
  const out = new Int32Array(T);
  if (layout.kind === "padded") {
    for (let i = 0; i < T; i++) out[i] = i % host.seqLen;
  } else {
    for (let b = 0; b + 1 < layout.offsets.length; b++) {
      for (let i = layout.offsets[b]; i < layout.offsets[b + 1]; i++) out[i] = i - layout.offsets[b];
    }
  }
  return out;
}
