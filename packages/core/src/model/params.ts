/**
 * Moves checkpoint tensors onto a backend while the model is built: looks each one up by its HF name (through
 * the `WeightStore`, which accepts names with or without the `deberta.` prefix), checks its shape, converts it to
 * the compute dtype and uploads it.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { Tensor } from "../tensor.js";
import type { HostTensor } from "../weights/state-dict.js";
import { castHostTensor } from "../weights/state-dict.js";
import type { WeightStore } from "../weights/store.js";

export class Params {
  /** Every tensor uploaded, so the model can free them all. */
  readonly uploaded: Tensor[] = [];
  /** Parameters by the name the model asked for (what `savePretrained` writes). */
  readonly named = new Map<string, Tensor>();

  constructor(
    readonly backend: Backend,
    readonly store: WeightStore,
    readonly dtype: FloatDType,
  ) {}

  /** A required parameter. Missing ones are collected and reported together by `store.finish()`. */
  take(name: string, shape: readonly number[]): Tensor {
    const t = this.store.get(name, [...shape]);
    return this.upload(t, shape, name);
  }

  optional(name: string, shape: readonly number[]): Tensor | undefined {
    const t = this.store.optional(name, [...shape]);
    return t ? this.upload(t, shape, name) : undefined;
  }

  /** A host tensor this model uploads itself (e.g. a tied weight it found elsewhere); `name` when it is a parameter. */
  upload(t: HostTensor, shape: readonly number[], name?: string): Tensor {
    const c = castHostTensor(t, this.dtype);
    const out = this.backend.upload(c.data, shape, this.dtype);
    this.uploaded.push(out);
    if (name !== undefined) this.named.set(name, out);
    return out;
  }

  dispose(): void {
    for (const t of this.uploaded) t.dispose();
    this.uploaded.length = 0;
    this.named.clear();
  }
}
