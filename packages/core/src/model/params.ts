/**
 * Moves checkpoint tensors onto a backend while the model is built: looks each one up by its HF name (through
 * the `WeightStore`, which accepts names with or without the `deberta.` prefix), checks its shape, converts it to
 * the compute dtype and uploads it. Linear weights go through `linearWeight`, which keeps them quantized: as read
 * from a bitsandbytes checkpoint, or quantized here when the model is loaded with a quantized dtype.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { DisposedError, WeightsError } from "../errors.js";
import type { LinearWeight } from "../ops/index.js";
import { quantizeWeight } from "../quant/quantize.js";
import { type QuantMethod, type QuantizedHostWeight, QuantizedWeight } from "../quant/quantized-weight.js";
import { keep } from "../scope.js";
import { Tensor } from "../tensor.js";
import type { HostTensor } from "../weights/state-dict.js";
import { castHostTensor, hostTensorToF32 } from "../weights/state-dict.js";
import type { WeightStore } from "../weights/store.js";

export interface ParamsQuantOptions {
  /** Quantized Linear modules read from the checkpoint (bitsandbytes), by module name as in the file. */
  modules?: Map<string, QuantizedHostWeight>;
  /** Quantize the float Linear weights of the backbone (and pooler) with this method at load. */
  method?: QuantMethod;
  /** `quantize_embeddings`: keep the word-embedding table int8 row-wise (`embeddingTable`). */
  embeddings?: boolean;
  /**
   * int8 row-wise embedding tables by module name (without `.weight`): read from a checkpoint that holds them
   * (`weights/int8-embeddings.ts`) or quantized while streaming. Used whatever `embeddings` says.
   */
  tables?: Map<string, QuantizedHostWeight>;
  /**
   * int8 weights (Linear and tables) run with dynamic per-row int8 activations. Default: `method === "int8"`
   * (dtype "q8"); the loaders also set it from config.json's marker (`weights/activations-marker.ts`).
   */
  int8Activations?: boolean;
}

export class Params {
  /** Every tensor uploaded, so the model can free them all. */
  readonly uploaded: Tensor[] = [];
  /** Every quantized weight uploaded. */
  readonly quantized: QuantizedWeight[] = [];
  /** Parameter name (HF, as requested) → what was uploaded for it; Linear modules under `<m>.weight`. */
  readonly named = new Map<string, Tensor | QuantizedWeight>();
  /** Tensors computed from weights alone and cached across forwards (freed with the weights). */
  private readonly derived: Tensor[] = [];
  private freed = false;

  constructor(
    readonly backend: Backend,
    readonly store: WeightStore,
    readonly dtype: FloatDType,
    readonly quant: ParamsQuantOptions = {},
  ) {}

  /** A required parameter. Missing ones are collected and reported together by `store.finish()`. */
  take(name: string, shape: readonly number[]): Tensor {
    const d = this.adoptStreamed(name, shape);
    if (d) return d;
    const t = this.store.get(name, [...shape]);
    return this.named1(name, this.upload(t, shape));
  }

  optional(name: string, shape: readonly number[]): Tensor | undefined {
    const d = this.adoptStreamed(name, shape);
    if (d) return d;
    const t = this.store.optional(name, [...shape]);
    return t ? this.named1(name, this.upload(t, shape)) : undefined;
  }

  /** A host tensor this model uploads itself (e.g. a tied weight it found elsewhere); `name` when it is a parameter. */
  upload(t: HostTensor, shape: readonly number[], name?: string): Tensor {
    const c = castHostTensor(t, this.dtype);
    const out = keep(this.backend.upload(c.data, shape, this.dtype));
    this.uploaded.push(out);
    if (name !== undefined) this.named.set(name, out);
    return out;
  }

  /**
   * Takes `t` over: it lives as long as the weights (out of any open scope) and is freed with them. For tensors
   * derived from weights alone and cached across forwards.
   */
  adopt(t: Tensor): Tensor {
    this.derived.push(keep(t));
    return t;
  }

  get disposed(): boolean {
    return this.freed;
  }

  /** Throws DISPOSED once the weights are freed (`what` names the model or pipeline). */
  assertAlive(what: string): void {
    if (this.freed) throw new DisposedError(`${what} was used after dispose(): its weights are freed`);
  }

  /** The checkpoint's quantized module `module` (name with or without the base prefix), if it has one. */
  quantizedModule(module: string): { key: string; weight: QuantizedHostWeight } | undefined {
    const modules = this.quant.modules;
    if (!modules?.size) return undefined;
    for (const key of this.store.candidates(module)) {
      const weight = modules.get(key);
      if (weight) return { key, weight };
    }
    return undefined;
  }

  /**
   * The weight `[out, in]` of the Linear module `module`: the checkpoint's quantized weight when it has one, a
   * weight quantized now when `quantize` and a quantized dtype were asked for, a float tensor otherwise.
   */
  linearWeight(module: string, shape: readonly [number, number], quantize = true): LinearWeight {
    const [N, K] = shape;
    const found = this.quantizedModule(module);
    if (found) {
      const w = found.weight;
      if (w.outFeatures !== N || w.inFeatures !== K) {
        throw new WeightsError(
          `${this.where()}quantized module "${found.key}" has shape [${w.outFeatures}, ${w.inFeatures}], expected [${N}, ${K}]`,
        );
      }
      this.quant.modules!.delete(found.key); // the backend holds it now: drop the host form (unless kept for fallbacks)
      return this.named1(`${module}.weight`, this.uploadQuantized(w));
    }
    const method = this.quant.method;
    if (!quantize || !method) return this.take(`${module}.weight`, shape);
    const host = this.store.get(`${module}.weight`, [N, K]);
    const q = quantizeWeight(hostTensorToF32(host), N, K, method);
    return this.named1(`${module}.weight`, this.uploadQuantized(q));
  }

  /**
   * An embedding table `[V, D]`: the checkpoint's int8 row-wise table when it holds one (or one quantized while
   * streaming), with `quant.embeddings` the float table quantized to int8 row-wise now (one scale per row:
   * LLM.int8's layout, so a tied decoder can use it as a quantized Linear as is), else a float tensor. The host copy
   * is kept where the backend lacks `gatherQuantized` or `quantizedLinear` (their fallbacks read it).
   * `expectQuantized` (config.json's marker): the checkpoint must hold the int8 table.
   */
  embeddingTable(name: string, shape: readonly [number, number], expectQuantized = false): Tensor | QuantizedWeight {
    const [V, D] = shape;
    const module = name.replace(/\.weight$/, "");
    const found = this.quantizedTable(module);
    let q: QuantizedHostWeight;
    if (found) {
      const w = found.weight;
      if (w.outFeatures !== V || w.inFeatures !== D) {
        throw new WeightsError(`int8 embedding table "${found.key}.int8_weight" has shape [${w.outFeatures}, ${w.inFeatures}], expected [${V}, ${D}]`);
      }
      this.quant.tables!.delete(found.key);
      q = w;
    } else if (expectQuantized) {
      throw new WeightsError(
        `config.json says quantized_embeddings "int8-row" but the checkpoint lacks tensor "${module}.int8_weight" (or "deberta.${module}.int8_weight")`,
        "WEIGHTS_MISSING",
      );
    } else if (this.quant.embeddings) {
      q = quantizeWeight(hostTensorToF32(this.store.get(name, [V, D])), V, D, "int8");
    } else {
      return this.take(name, shape);
    }
    this.tableNames.add(name);
    return this.named1(name, this.uploadQuantized(q, !this.backend.gatherQuantized || !this.backend.quantizedLinear));
  }

  /** Parameter names (HF, `<m>.weight`) whose value is an int8 embedding table (saved in our own format). */
  readonly tableNames = new Set<string>();

  /** Set when an embedding table is int8 (`quantize_embeddings`, or read from a checkpoint in that format). */
  get hasQuantizedEmbeddings(): boolean {
    return this.tableNames.size > 0;
  }

  private quantizedTable(module: string): { key: string; weight: QuantizedHostWeight } | undefined {
    const tables = this.quant.tables;
    if (!tables?.size) return undefined;
    for (const key of this.store.candidates(module)) {
      const weight = tables.get(key);
      if (weight) return { key, weight };
    }
    return undefined;
  }

  uploadQuantized(w: QuantizedHostWeight, keepHost = !this.backend.quantizedLinear): QuantizedWeight {
    // dtype "q8" (or a folder saved from a q8 model): int8 weights (quantized here or read from an LLM.int8
    // checkpoint) run with dynamic int8 activations
    if (w.layout === "int8" && this.int8Activations) w = { ...w, activations: "int8" };
    // the loader's host forms are dropped once uploaded: the backend may take their arrays over as storage
    const q = QuantizedWeight.upload(this.backend, w, keepHost, true);
    this.quantized.push(q);
    return q;
  }

  /** Whether int8 weights get dynamic int8 activations (see `ParamsQuantOptions.int8Activations`). */
  get int8Activations(): boolean {
    return this.quant.int8Activations ?? this.quant.method === "int8";
  }

  /** Quantized modules of the checkpoint that the model did not use (reported like unused tensors). */
  unusedQuantizedModules(): string[] {
    // used entries are deleted from the maps as they are uploaded: what is left was not used
    return [...(this.quant.modules?.keys() ?? []), ...(this.quant.tables?.keys() ?? [])];
  }

  /** Bytes of every weight resident on the backend (float tensors + quantized data, scales and tables). */
  get residentBytes(): number {
    const itemSize = (t: Tensor) => (t.dtype === "f16" ? 2 : 4);
    let n = 0;
    for (const t of this.uploaded) n += t.size * itemSize(t);
    // tensors derived from weights (precomputed position projections) stay resident as long as the weights
    for (const t of this.derived) n += t.size * itemSize(t);
    for (const q of this.quantized) n += q.byteSize;
    return n;
  }

  /**
   * A tensor the streaming loader already put on the backend in the compute dtype (see `model/device-weights.ts`):
   * taken over as is, once, even when several names share it (tied weights).
   */
  private adoptStreamed(name: string, shape: readonly number[]): Tensor | undefined {
    const t = this.store.deviceTensor(name, shape);
    if (!t) return undefined;
    if (!this.adopted.has(t)) {
      this.adopted.add(t);
      this.uploaded.push(t);
    }
    return this.named1(name, t);
  }

  private readonly adopted = new Set<Tensor>();

  dispose(): void {
    this.freed = true;
    this.store.disposeDevice();
    for (const t of [...this.uploaded, ...this.derived]) t.dispose();
    for (const q of this.quantized) q.dispose();
    this.uploaded.length = 0;
    this.derived.length = 0;
    this.quantized.length = 0;
    this.named.clear();
  }

  private named1<T extends Tensor | QuantizedWeight>(name: string, t: T): T {
    this.named.set(name, t);
    return t;
  }

  private where(): string {
    return "";
  }
}
