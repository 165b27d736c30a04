/** The conformance kit's case model: inputs, expected outputs, and the builder the case families draw from. */
import type { Activation, Backend } from "../backend.js";
import type { DType, FloatDType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import type { Rng } from "./random.js";
import { activationFunction, roundToDtype, sizeOf, type HostArray, type HostResult } from "./reference-ops.js";

// ── cases ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface InputDef {
  name: string;
  shape: number[];
  dtype: DType;
  /** Exactly the values uploaded (already rounded to `dtype`). */
  values: Float64Array | Int32Array;
}

export interface Expected {
  name: string;
  shape: number[];
  dtype: DType;
  ref: Float64Array;
  /** Per-element magnitude for the relative part (default |ref|). */
  mag?: Float64Array;
  magName?: string;
  /** Must match bit for bit (after rounding the ref to the dtype). */
  exact?: boolean;
  /** Elements to compare (default all). */
  care?: Uint8Array;
  /** Tolerance multiplier (default 1). */
  scale?: number;
}

export interface CaseDef {
  op: string;
  name: string;
  inputs: InputDef[];
  run(be: Backend, t: Tensor[]): Tensor[];
  /** The reference outputs; `be` (the backend under test) for ops whose numerics a backend capability selects. */
  expected(be?: Backend): Expected[];
  /** Frees what `run` created besides its outputs (called after the outputs were read). */
  cleanup?(): void;
}

export const abs = (x: ArrayLike<number>): Float64Array => Float64Array.from(x, Math.abs);
export const host = (i: InputDef): HostArray => ({ shape: i.shape, data: i.values });
export const absHost = (i: InputDef): HostArray => ({ shape: i.shape, data: abs(i.values) });

export class CaseBuilder {
  readonly cases: CaseDef[] = [];
  constructor(
    readonly rng: Rng,
    readonly dt: FloatDType,
  ) {}

  /** A float input in the run dtype, values from `gen` rounded to it. */
  floats(name: string, shape: number[], gen: (i: number) => number, dtype: DType = this.dt): InputDef {
    const n = sizeOf(shape);
    const raw = new Float64Array(n);
    for (let i = 0; i < n; i++) raw[i] = gen(i);
    return { name, shape, dtype, values: roundToDtype(raw, dtype) };
  }
  normal(name: string, shape: number[], std = 1, mean = 0): InputDef {
    return this.floats(name, shape, () => this.rng.normal(mean, std));
  }
  uniform(name: string, shape: number[], lo: number, hi: number): InputDef {
    return this.floats(name, shape, () => this.rng.uniform(lo, hi));
  }
  ints(name: string, shape: number[], lo: number, hi: number): InputDef {
    const n = sizeOf(shape);
    const v = new Int32Array(n);
    for (let i = 0; i < n; i++) v[i] = this.rng.int(lo, hi);
    return { name, shape, dtype: "i32", values: v };
  }
  values(name: string, shape: number[], values: ArrayLike<number>, dtype: DType): InputDef {
    return { name, shape, dtype, values: dtype === "i32" ? Int32Array.from(values) : roundToDtype(values, dtype) };
  }

  add(c: CaseDef) {
    this.cases.push(c);
  }
}

export const out = (name: string, r: HostResult, dtype: DType, extra: Partial<Expected> = {}): Expected => ({
  name,
  shape: r.shape,
  dtype,
  ref: r.data,
  ...extra,
});

/**
 * A linear case's expected `y = act(pre + bias)` (float64), with the magnitude `|y| + |act'|·(preMag + |bias|)` (the
 * activation's slope by central difference). `bias` is indexed by column (`i % bias.length`).
 */
export function linearOutput(
  pre: HostResult,
  preMag: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  act: Activation | undefined,
  dtype: DType,
  magName = "|y|+|act'|·Σ|x·w|",
): Expected {
  const f = activationFunction(act ?? "linear");
  const y = new Float64Array(pre.data.length);
  const mag = new Float64Array(pre.data.length);
  for (let i = 0; i < y.length; i++) {
    const b = bias ? bias[i % bias.length] : 0;
    const p = bias ? pre.data[i] + b : pre.data[i];
    y[i] = f(p);
    const h = 1e-6 * Math.max(1, Math.abs(p));
    const slope = Math.abs((f(p + h) - f(p - h)) / (2 * h));
    mag[i] = Math.abs(y[i]) + slope * (preMag[i] + Math.abs(b));
  }
  return out("y", { shape: pre.shape, data: y }, dtype, { mag, magName });
}

export const fmtShape = (s: readonly number[]) => `[${s.join(",")}]`;

