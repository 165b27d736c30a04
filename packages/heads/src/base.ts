/**
 * What every head model shares: loading (config → `Params` → `DebertaV2Model.load` → the head's own parameters →
 * `store.finish`), running the backbone on flat token rows, and shaping results back to `[batch, seq, …]`.
 *
 *   const model = await DebertaV2ForSequenceClassification.fromPretrained("microsoft/deberta-v2-xlarge-mnli");
 *   const { logits } = await model.forward({ input_ids: [[1, 2032, 2]] });
 *
 * Head parameters follow HF's names (`pooler.dense.*`, `classifier.*`, `qa_outputs.*`, `cls.predictions.*`,
 * `lm_predictions.lm_head.*`). Like HF, a head parameter the checkpoint lacks is newly initialized (N(0,
 * initializer_range) weights, zero biases) with one warning — e.g. a base checkpoint loaded into a classifier.
 * `strict: true` makes that an error instead. Missing backbone weights are always an error.
 */
import {
  type Backend,
  DebertaV2Config,
  DebertaV2Model,
  type EncodedBatch,
  type FloatDType,
  type ForwardOptions,
  type HostInputs,
  type LinearWeight,
  warnUnusedModules,
  type ModelFiles,
  Params,
  type SequenceLayout,
  type StateDict,
  type Tensor,
  layoutBatch,
  loadPretrainedParts,
  pretrainedStateDictOptions,
  stateDictParams,
  type StateDictOptions,
  padRows,
  precomputeAtLoad,
  pretrainedFiles,
  resolveLoadOptions,
  savePretrained,
  scoped,
  sequenceSpan,
  warnSink,
  type ResolvedLoadOptions,
} from "@deberta-js/core";
import { type InitKind, SeededNormal, initTensor } from "./init.js";
import { HEAD_OPTIONS, type PretrainedOptions, resolveFilesWith } from "./load.js";

export interface HeadLoadOptions extends PretrainedOptions {
  /** Throw WEIGHTS_MISSING when the checkpoint lacks head parameters instead of initializing them (default false). */
  strict?: boolean;
}

/** `DebertaV2Model.fromStateDict`'s options (`quantize` covers the pooler's Linear too), plus `strict`. */
export interface HeadStateDictOptions extends StateDictOptions {
  /** Throw WEIGHTS_MISSING when the checkpoint lacks head parameters instead of initializing them. */
  strict?: boolean;
}

/** Outputs every head passes through from the backbone when asked (`output_hidden_states`, `output_attentions`). */
export interface BackboneOutputs {
  /** Embedding output + each layer's output, each `[batch, seq, hidden]`. */
  hidden_states?: Tensor[];
  /** Each layer's attention probabilities `[batch, heads, seq, seq]`. */
  attentions?: Tensor[];
}

/** Reads head parameters, initializing (and recording) the ones the checkpoint lacks. */
export class HeadWeights {
  /** Names of head parameters that were newly initialized. */
  readonly missing: string[] = [];
  private readonly rng = new SeededNormal(42);

  constructor(
    readonly params: Params,
    readonly config: DebertaV2Config,
    private readonly strict: boolean,
  ) {}

  has(name: string): boolean {
    return this.params.store.has(name);
  }

  tensor(name: string, shape: readonly number[], init: InitKind): Tensor {
    if (this.strict) return this.params.take(name, shape);
    const t = this.params.optional(name, shape);
    if (t) return t;
    this.missing.push(name);
    return this.params.upload(initTensor(shape, init, this.config.initializer_range, this.rng), shape, name);
  }

  /**
   * A torch `nn.Linear(inDim, outDim)`: `weight [out, in]`, `bias [out]`. The weight stays quantized when the
   * checkpoint has it quantized (bitsandbytes); with a quantized dtype, `quantize` modules are quantized at load
   * (the pooler; not the final classifier, which bitsandbytes keeps float too).
   */
  linear(prefix: string, outDim: number, inDim: number, quantize = false): { weight: LinearWeight; bias: Tensor } {
    const bias = () => this.tensor(`${prefix}.bias`, [outDim], "zeros");
    if (this.params.quantizedModule(prefix) || (quantize && this.params.quant.method && this.has(`${prefix}.weight`))) {
      return { weight: this.params.linearWeight(prefix, [outDim, inDim]), bias: bias() };
    }
    return { weight: this.tensor(`${prefix}.weight`, [outDim, inDim], "normal"), bias: bias() };
  }

  layerNorm(prefix: string, dim: number): { weight: Tensor; bias: Tensor } {
    return { weight: this.tensor(`${prefix}.weight`, [dim], "ones"), bias: this.tensor(`${prefix}.bias`, [dim], "zeros") };
  }
}

export interface BuildContext {
  config: DebertaV2Config;
  params: Params;
  deberta: DebertaV2Model;
  weights: HeadWeights;
  warn: (message: string) => void;
  location?: string;
}

/** The statics a head class provides so the shared loaders can build it. */
export interface HeadClass<T> {
  /** HF class name, e.g. "DebertaV2ForSequenceClassification". */
  readonly className: string;
  /** Checkpoint keys HF ignores when unused (`_keys_to_ignore_on_load_unexpected`). */
  readonly ignoreUnused?: RegExp[];
  build(ctx: BuildContext): T;
}

const DEFAULT_IGNORE = [/(^|\.)position_ids$/];

export abstract class DebertaV2PreTrainedModel {
  /** Names of head parameters the checkpoint lacked (newly initialized, as HF does). Empty for a trained head. */
  newlyInitialized: string[] = [];

  protected constructor(
    readonly deberta: DebertaV2Model,
    protected readonly params: Params,
  ) {}

  get config(): DebertaV2Config {
    return this.deberta.config;
  }

  get backend(): Backend {
    return this.deberta.backend;
  }

  get dtype(): FloatDType {
    return this.deberta.dtype;
  }

  /** Every parameter this model uploaded, by HF name (quantized Linear weights under `<module>.weight`). */
  get parameters(): Params {
    return this.params;
  }

  /** Bytes of the weights resident on the backend (quantized weights count their packed size). */
  get residentWeightBytes(): number {
    return this.params.residentBytes;
  }

  /**
   * Loads a model folder, a hub id (downloaded into the HF cache) or `ModelFiles`: `config.json` plus the weights,
   * chosen as HF does (safetensors first, sharded or not, `variant`).
   */
  static async fromPretrained<T extends DebertaV2PreTrainedModel>(
    this: HeadClass<T>,
    idOrFiles: string | ModelFiles,
    options: HeadLoadOptions = {},
  ): Promise<T> {
    return loadPretrained(this, idOrFiles, options, `${this.className}.fromPretrained`);
  }

  /** transformers.js's spelling of `fromPretrained`. */
  static async from_pretrained<T extends DebertaV2PreTrainedModel>(
    this: HeadClass<T>,
    idOrFiles: string | ModelFiles,
    options: HeadLoadOptions = {},
  ): Promise<T> {
    return loadPretrained(this, idOrFiles, options, `${this.className}.from_pretrained`);
  }

  /** Builds the model from tensors already in memory (HF names, with or without the `deberta.` prefix). */
  static fromStateDict<T extends DebertaV2PreTrainedModel>(
    this: HeadClass<T>,
    config: DebertaV2Config,
    stateDict: StateDict,
    options: HeadStateDictOptions,
  ): T {
    return buildHead(this, config, stateDict, options);
  }

  /** The backend's name ("cpu", "webgpu", "cuda"): where this model runs. */
  get device(): string {
    return this.backend.name;
  }

  /**
   * Writes the model in Hugging Face's layout to the folder `dir` (Node): `config.json` (with `architectures`) and
   * `model.safetensors` with HF's parameter names, which transformers' `from_pretrained(dir)` reads.
   */
  async savePretrained(dir: string): Promise<void> {
    await savePretrained(dir, this.pretrainedFiles());
  }

  /** HF's spelling of `savePretrained`. */
  save_pretrained(dir: string): Promise<void> {
    return this.savePretrained(dir);
  }

  /** The bytes `savePretrained` writes, by file name (browsers: store them yourself). */
  pretrainedFiles(): Promise<Record<string, Uint8Array>> {
    const architecture = (this.constructor as unknown as HeadClass<unknown>).className;
    // The backbone's parameters live under `deberta.` in a head checkpoint.
    const rename = (n: string) => (/^(embeddings|encoder)\./.test(n) ? `deberta.${n}` : n);
    return pretrainedFiles(this.config, this.params, { architecture, rename });
  }

  /** Frees every weight on the backend. */
  dispose(): void {
    this.params.dispose();
  }

  /** Whether `dispose()` was called: the model then throws DISPOSED on use. */
  get isDisposed(): boolean {
    return this.params.disposed;
  }

  /**
   * Runs the backbone on flat token rows and hands `[tokens, hidden]` to `head`, in one scope: every tensor but the
   * returned ones is freed, also when something throws. Returns `head`'s result with the hidden states /
   * attentions shaped `[batch, seq, …]` when asked.
   */
  protected runBackbone<R extends object>(
    host: HostInputs,
    options: ForwardOptions,
    head: (hidden: Tensor, layout: SequenceLayout) => R,
  ): R & BackboneOutputs {
    this.params.assertAlive((this.constructor as { className?: string }).className ?? "model");
    return scoped(() => {
      const enc: EncodedBatch = this.deberta.encode(host, options);
      const result = head(enc.hidden, enc.layout) as R & BackboneOutputs;
      if (enc.hiddenStates) result.hidden_states = enc.hiddenStates.map((t) => this.toBatched(t, host, enc.layout));
      if (enc.attentions) result.attentions = enc.attentions;
      return result;
    });
  }

  /**
   * Flat rows `[tokens, D]` → `[batch, seq, D]`: a view for padded layouts (ownership moves to the result), a
   * scatter with zeros at padded positions for packed ones.
   */
  protected toBatched(t: Tensor, host: HostInputs, layout: SequenceLayout): Tensor {
    if (layout.kind === "padded") return t.moveTo([host.batch, host.seqLen, t.shape[t.shape.length - 1]]);
    return padRows(this.backend, t, layout, host.seqLen);
  }

  /** Rows `[batch, D]` of each sequence's first token (HF's `hidden_states[:, 0]`). */
  protected firstTokens(hidden: Tensor, layout: SequenceLayout): Tensor {
    const B = layoutBatch(layout);
    const rows = new Int32Array(B);
    for (let b = 0; b < B; b++) rows[b] = sequenceSpan(layout, b).start;
    return this.backend.gather(hidden, this.backend.upload(rows, [B], "i32"));
  }
}

/** `fromPretrained` of `cls`: options checked under `context`, files resolved, the model built; "ready" reported. */
export async function loadPretrained<T>(cls: HeadClass<T>, idOrFiles: string | ModelFiles, options: HeadLoadOptions, context: string): Promise<T> {
  const { load, rest } = resolveLoadOptions(options, context, HEAD_OPTIONS);
  const files = await resolveFilesWith(idOrFiles, load);
  const model = await loadHeadWith(cls, files, load, rest.strict === true);
  reportReady(load, files.location);
  return model;
}

/** transformers.js's last progress event: the model is loaded. */
export function reportReady(load: Pick<ResolvedLoadOptions, "progress">, name: string): void {
  load.progress?.({ status: "ready", phase: "ready", name, file: "", loaded: 1, total: 1, progress: 100 });
}

/** Loads config + weights from `files` and builds `cls`. */
export async function loadHead<T>(cls: HeadClass<T>, files: ModelFiles, options: HeadLoadOptions = {}): Promise<T> {
  const { load, rest } = resolveLoadOptions(options, `${cls.className}.fromPretrained`, HEAD_OPTIONS);
  return loadHeadWith(cls, files, load, rest.strict === true);
}

/** `loadHead` with options already resolved. */
export async function loadHeadWith<T>(cls: HeadClass<T>, files: ModelFiles, load: ResolvedLoadOptions, strict = false): Promise<T> {
  const parts = await loadPretrainedParts(files, load);
  const model = buildHead(cls, parts.config, parts.stateDict, { ...pretrainedStateDictOptions(parts, load, files.location), strict });
  await precomputeAtLoad((model as unknown as DebertaV2PreTrainedModel).deberta, load, files.location);
  return model;
}

export function buildHead<T>(cls: HeadClass<T>, config: DebertaV2Config, stateDict: StateDict, options: HeadStateDictOptions): T {
  const warn = warnSink(options.warn);
  const { store, params } = stateDictParams(config, stateDict, options, [...DEFAULT_IGNORE, ...(cls.ignoreUnused ?? [])]);
  try {
    const deberta = DebertaV2Model.load(params, config);
    const weights = new HeadWeights(params, config, options.strict ?? false);
    const model = cls.build({ config, params, deberta, weights, warn, location: options.location });
    store.finish({ warn });
    warnUnusedModules(params, warn, options.location);
    if (weights.missing.length) {
      const where = options.location ? ` at ${options.location}` : "";
      warn(
        `Some weights of ${cls.className} were not initialized from the model checkpoint${where} and are newly initialized: ` +
          `[${weights.missing.map((n) => `'${n}'`).join(", ")}]. You should probably TRAIN this model on a down-stream task ` +
          `to be able to use it for predictions and inference.`,
      );
    }
    (model as unknown as DebertaV2PreTrainedModel).newlyInitialized = [...weights.missing];
    return model;
  } catch (e) {
    params.dispose();
    throw e;
  }
}

/** `DebertaV2Config` from a JSON object (re-exported convenience for `fromStateDict` users). */
export function configFromJSON(json: Record<string, unknown>, source?: string): DebertaV2Config {
  return new DebertaV2Config(json, source);
}
