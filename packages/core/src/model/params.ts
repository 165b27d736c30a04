/**
 * Moves checkpoint tensors onto a backend while the model is built: looks each one up by its HF name (through
 * the `WeightStore`, which accepts names with or without the `deberta.` prefix), checks its shape, converts it to
 * the compute dtype and uploads it.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { DisposedError } from "../errors.js";
import { keep } from "../scope.js";
import type { Tensor } from "../tensor.js";
import type { HostTensor } from "../weights/state-dict.js";
import { castHostTensor } from "../weights/state-dict.js";
import type { WeightStore } from "../weights/store.js";

export class Params {
  /** Every tensor uploaded (and every weight-derived cache adopted), so the model can free them all. */
  readonly uploaded: Tensor[] = [];
  private freed = false;

  constructor(
    readonly backend: Backend,
    readonly store: WeightStore,
    readonly dtype: FloatDType,
  ) {}

  /** A required parameter. Missing ones are collected and reported together by `store.finish()`. */
  take(name: string, shape: readonly number[]): Tensor {
    const t = this.store.get(name, [...shape]);
    return this.upload(t, shape);
  }

  optional(name: string, shape: readonly number[]): Tensor | undefined {
    const t = this.store.optional(name, [...shape]);
    return t ? this.upload(t, shape) : undefined;
  }

  /** A host tensor this model uploads itself (e.g. a tied weight it found elsewhere). */
  upload(t: HostTensor, shape: readonly number[]): Tensor {
    const c = castHostTensor(t, this.dtype);
    return this.adopt(this.backend.upload(c.data, shape, this.dtype));
  }

  /**
   * Takes `t` over: it lives as long as the weights (out of any open scope) and is freed with them. For tensors
   * derived from weights alone and cached across forwards.
   */
  adopt(t: Tensor): Tensor {
    this.uploaded.push(keep(t));
    return t;
  }

  get disposed(): boolean {
    return this.freed;
  }

  /** Throws DISPOSED once the weights are freed (`what` names the model or pipeline). */
  assertAlive(what: string): void {
    if (this.freed) throw new DisposedError(`${what} was used after dispose(): its weights are freed`);
  }

  dispose(): void {
    this.freed = true;
    for (const t of this.uploaded) t.dispose();
    this.uploaded.length = 0;
  }
}
