/**
 * The op contract: what every `Backend` op accepts, checked in one place, and the geometry the backend needs to run
 * it. Each backend op starts with `const g = opContract.<op>(this, …args)` and trusts its arguments afterwards, so
 * the same misuse gives the same `DebertaError` (code and message) on every backend; the conformance kit's
 * "invalid input" family checks it.
 *
 * Checks here are about the call (shapes, dtypes, ownership, the upload rule). What a backend cannot do with a valid
 * call (a rank its kernels do not handle, a tensor larger than a device buffer) stays in the backend as
 * `UNSUPPORTED`. Data-dependent checks (an id outside the table) are the backend's, where it can make them.
 */
import { ACTIVATIONS, type Activation, type AttentionArgs, type Backend, type MatmulOptions } from "../backend.js";
import { type DType, type FloatDType, type TensorData, f32ToF16Into } from "../dtype.js";
import { DebertaError, DisposedError, InputError } from "../errors.js";
import { layoutBatch, layoutMaxLen, layoutTokens, type SequenceLayout } from "../layout.js";
import { broadcastShapes, matmulGeometry, type MatmulGeometry, sameShape, sizeOf } from "../shape.js";
import type { QuantizedWeight } from "../quant/quantized-weight.js";
import type { Tensor } from "../tensor.js";
import { checkQuantizedGather } from "./quantized-gather.js";
import { checkQuantizedLinear } from "./quantized-linear.js";

// ── ownership and dtypes ─────────────────────────────────────────────────────────────────────────────────────────

/** `t` was made by `be` and is alive: a foreign tensor is INPUT_INVALID, a disposed one DISPOSED. */
export function checkOwned(be: Backend, op: string, name: string, t: Tensor | undefined): void {
  if (t === undefined) return;
  if (t.backend !== be) {
    throw new InputError(`${op}: ${name} [${t.shape}] ${t.dtype} belongs to backend "${t.backend?.name}", not to this "${be.name}" backend`);
  }
  if (t.isDisposed) throw new DisposedError(`${op}: ${name} [${t.shape}] ${t.dtype} was used after dispose()`);
}

function owned(be: Backend, op: string, tensors: Record<string, Tensor | undefined>): void {
  for (const [name, t] of Object.entries(tensors)) checkOwned(be, op, name, t);
}

function float(op: string, name: string, t: Tensor | undefined): void {
  if (t && t.dtype !== "f32" && t.dtype !== "f16") throw new InputError(`${op}: ${name} [${t.shape}] is ${t.dtype}; this op takes f32 or f16`);
}

function int32(op: string, name: string, t: Tensor): void {
  if (t.dtype !== "i32") throw new InputError(`${op}: ${name} [${t.shape}] must be i32, got ${t.dtype}`);
}

function checkActivation(op: string, act: Activation | undefined): void {
  if (act !== undefined && !ACTIVATIONS.includes(act)) throw new InputError(`${op}: unknown activation "${act}" (known: ${ACTIVATIONS.join(", ")})`);
}

// ── the upload rule ──────────────────────────────────────────────────────────────────────────────────────────────

/** The typed arrays `upload` accepts per dtype. f16 takes IEEE half bits, or float32 values it rounds. */
export const UPLOAD_TYPES: Readonly<Record<DType, readonly string[]>> = {
  f32: ["Float32Array"],
  f16: ["Uint16Array (IEEE half bits)", "Float32Array (rounded to f16)"],
  i32: ["Int32Array"],
};

/**
 * Checks an upload and returns the data in the storage type of `dtype` (Float32Array, Uint16Array half bits,
 * Int32Array): the given array when it already is one, else a converted copy. Anything else is INPUT_INVALID —
 * never a silent reinterpretation.
 */
export function uploadData(be: Backend, data: TensorData, shape: readonly number[], dtype: DType): TensorData {
  if (dtype !== "f32" && dtype !== "f16" && dtype !== "i32") throw new InputError(`upload: unknown dtype "${dtype}" (f32, f16 or i32)`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InputError(`upload: shape [${shape}] must be a list of non-negative integers`);
  }
  const n = sizeOf(shape);
  const kind = typeName(data);
  const ok = dtype === "f32" ? kind === "Float32Array" : dtype === "i32" ? kind === "Int32Array" : kind === "Uint16Array" || kind === "Float32Array";
  if (!ok) throw new InputError(`upload: a ${kind} was given for a ${dtype} tensor [${shape}]; ${dtype} takes ${UPLOAD_TYPES[dtype].join(" or ")}`);
  if (data.length !== n) throw new InputError(`upload: ${data.length} values given for shape [${shape}] (${n} elements)`);
  if (dtype === "f16" && !be.supportsDtype("f16")) throw new DebertaError("UNSUPPORTED", `upload: backend "${be.name}" does not support f16 tensors; use f32`);
  if (dtype === "f16" && kind === "Float32Array") {
    const bits = new Uint16Array(n);
    f32ToF16Into(data as Float32Array, bits);
    return bits;
  }
  return data;
}

function typeName(data: unknown): string {
  if (data instanceof Float32Array) return "Float32Array";
  if (data instanceof Uint16Array) return "Uint16Array";
  if (data instanceof Int32Array) return "Int32Array";
  if (Array.isArray(data)) return "plain array";
  return (data as object | null | undefined)?.constructor?.name ?? String(data);
}

// ── per-op geometry ──────────────────────────────────────────────────────────────────────────────────────────────

export interface RowsGeometry {
  /** Rows of the last dim (size / D). */
  rows: number;
  /** The last dim. */
  D: number;
}

export interface LinearGeometry {
  /** Rows of x (all dims but the last). */
  rows: number;
  inF: number;
  outF: number;
  /** `[...x.shape[:-1], outF]` */
  shape: number[];
}

export interface TakeAlongAxisGeometry {
  /** The axis, made non-negative. */
  axis: number;
  shape: number[];
}

export interface Conv1dGeometry {
  T: number;
  Cin: number;
  Cout: number;
  k: number;
  /** Zero padding at each sequence end: `(k - 1) / 2` rounded down. */
  pad: number;
}

export interface AttentionGeometry {
  B: number;
  /** Longest sequence (`maxLen`). */
  L: number;
  T: number;
  H: number;
  D: number;
  HD: number;
  /** Whether the relative terms are computed (and relIndex, posKey/posQuery are present). */
  relative: boolean;
  /** Entries of relIndex (odd, ≥ 2L-1; 0 without relative terms) and its centre `(n - 1) / 2`. */
  relLength: number;
  relCentre: number;
  /** Rows of posKey / posQuery (2 · span). */
  relRows: number;
}

function lastDim(x: Tensor): number {
  return x.rank ? x.shape[x.rank - 1] : 1;
}

function rowsOf(x: Tensor): RowsGeometry {
  const D = lastDim(x);
  return { rows: D ? x.size / D : 0, D };
}

/**
 * Per-op checks, one per `Backend` method, with that method's arguments after the backend. Each throws the
 * contract's error for a bad call and returns what the backend needs to run a good one.
 */
export const opContract = {
  upload: uploadData,

  read(be: Backend, t: Tensor): void {
    checkOwned(be, "read", "tensor", t);
  },

  cast(be: Backend, x: Tensor, dtype: FloatDType): void {
    owned(be, "cast", { x });
    float("cast", "x", x);
    if (dtype !== "f32" && dtype !== "f16") throw new InputError(`cast: target dtype "${dtype}" is not f32 or f16`);
    if (!be.supportsDtype(dtype)) throw new DebertaError("UNSUPPORTED", `cast: backend "${be.name}" does not support ${dtype}`);
  },

  matmul(be: Backend, a: Tensor, b: Tensor, opts: MatmulOptions = {}): MatmulGeometry {
    owned(be, "matmul", { a, b });
    float("matmul", "a", a);
    float("matmul", "b", b);
    return matmulGeometry(a.shape, b.shape, opts);
  },

  add(be: Backend, a: Tensor, b: Tensor): { shape: number[] } {
    return binary(be, "add", a, b);
  },

  mul(be: Backend, a: Tensor, b: Tensor): { shape: number[] } {
    return binary(be, "mul", a, b);
  },

  gather(be: Backend, table: Tensor, ids: Tensor): { V: number; D: number; N: number } {
    owned(be, "gather", { table, ids });
    if (table.rank !== 2) throw new InputError(`gather: table must be [V, D], got [${table.shape}]`);
    int32("gather", "ids", ids);
    return { V: table.shape[0], D: table.shape[1], N: ids.size };
  },

  takeAlongAxis(be: Backend, x: Tensor, idx: Tensor, axis: number): TakeAlongAxisGeometry {
    owned(be, "takeAlongAxis", { x, idx });
    int32("takeAlongAxis", "idx", idx);
    const r = x.rank;
    if (idx.rank !== r) throw new InputError(`takeAlongAxis: x [${x.shape}] and idx [${idx.shape}] must have the same rank`);
    const ax = Number.isInteger(axis) && axis < 0 ? axis + r : axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= r) throw new InputError(`takeAlongAxis: axis ${axis} is out of range for rank ${r}`);
    const shape = x.shape.map((d, i) => {
      if (i === ax) return idx.shape[i];
      const e = idx.shape[i];
      if (d !== e && d !== 1 && e !== 1) throw new InputError(`takeAlongAxis: dim ${i} of x [${x.shape}] and idx [${idx.shape}] do not broadcast`);
      return d === 1 ? e : d;
    });
    return { axis: ax, shape };
  },

  layerNorm(be: Backend, x: Tensor, gamma: Tensor, beta: Tensor, eps: number): RowsGeometry {
    return norm(be, "layerNorm", x, undefined, gamma, beta, eps);
  },

  addLayerNorm(be: Backend, x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): RowsGeometry {
    return norm(be, "addLayerNorm", x, residual, gamma, beta, eps);
  },

  activation(be: Backend, x: Tensor, act: Activation): void {
    owned(be, "activation", { x });
    float("activation", "x", x);
    if (act === undefined) throw new InputError(`activation: no activation given (known: ${ACTIVATIONS.join(", ")})`);
    checkActivation("activation", act);
  },

  softmax(be: Backend, x: Tensor, mask?: Tensor): RowsGeometry {
    owned(be, "softmax", { x, mask });
    float("softmax", "x", x);
    if (x.rank < 1) throw new InputError(`softmax: x must have rank ≥ 1, got a scalar`);
    if (mask && (mask.rank > x.rank || !sameShape(broadcastShapes(x.shape, mask.shape, "softmax mask"), x.shape))) {
      throw new InputError(`softmax: mask [${mask.shape}] does not broadcast to x [${x.shape}]`);
    }
    return rowsOf(x);
  },

  conv1d(be: Backend, x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Conv1dGeometry {
    owned(be, "conv1d", { x, weight, bias });
    float("conv1d", "x", x);
    float("conv1d", "weight", weight);
    float("conv1d", "bias", bias);
    if (weight.rank !== 3) throw new InputError(`conv1d: weight must be [Cout, Cin, k], got [${weight.shape}]`);
    const [Cout, Cin, k] = weight.shape;
    const T = layoutTokens(layout);
    if (x.rank !== 2 || x.shape[0] !== T || x.shape[1] !== Cin) {
      throw new InputError(`conv1d: x [${x.shape}] must be [${T}, ${Cin}] for this layout (${T} tokens) and weight [${weight.shape}]`);
    }
    if (bias.size !== Cout) throw new InputError(`conv1d: bias [${bias.shape}] must have ${Cout} elements`);
    return { T, Cin, Cout, k, pad: Math.floor((k - 1) / 2) };
  },

  transpose(be: Backend, x: Tensor, perm: readonly number[]): { shape: number[] } {
    owned(be, "transpose", { x });
    const r = x.rank;
    if (!Array.isArray(perm) || perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
      throw new InputError(`transpose: perm [${perm}] is not a permutation of the ${r} dims of [${x.shape}]`);
    }
    return { shape: perm.map((p) => x.shape[p]) };
  },

  linear(be: Backend, x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): LinearGeometry {
    owned(be, "linear", { x, weight, bias });
    float("linear", "x", x);
    float("linear", "weight", weight);
    float("linear", "bias", bias);
    checkActivation("linear", act);
    const inF = lastDim(x);
    if (x.rank < 1 || weight.rank !== 2 || weight.shape[1] !== inF) {
      throw new InputError(`linear: weight [${weight.shape}] must be [out, ${inF}] for x [${x.shape}]`);
    }
    const outF = weight.shape[0];
    if (bias && bias.size !== outF) throw new InputError(`linear: bias [${bias.shape}] must have ${outF} elements`);
    return { rows: inF ? x.size / inF : 0, inF, outF, shape: [...x.shape.slice(0, -1), outF] };
  },

  /** One Linear's checks per weight (arguments named `weights[i]` / `biases[i]`); the weights share x's dtype. */
  linearMany(be: Backend, x: Tensor, weights: readonly Tensor[], biases: readonly (Tensor | undefined)[]): LinearGeometry[] {
    const op = "linearMany";
    checkLinearManyLists(weights, biases);
    owned(be, op, { x });
    float(op, "x", x);
    if (x.rank < 1) throw new InputError(`${op}: x must have rank ≥ 1, got a scalar`);
    const inF = lastDim(x);
    return weights.map((weight, i) => {
      const bias = biases[i];
      const w = `weights[${i}]`;
      const b = `biases[${i}]`;
      owned(be, op, { [w]: weight, [b]: bias });
      float(op, w, weight);
      float(op, b, bias);
      if (weight.dtype !== x.dtype || (bias && bias.dtype !== x.dtype)) {
        throw new InputError(`${op}: ${bias && bias.dtype !== x.dtype ? `${b} is ${bias.dtype}` : `${w} is ${weight.dtype}`}, x is ${x.dtype} (one dtype for all operands)`);
      }
      if (weight.rank !== 2 || weight.shape[1] !== inF) throw new InputError(`${op}: ${w} [${weight.shape}] must be [out, ${inF}] for x [${x.shape}]`);
      const outF = weight.shape[0];
      if (bias && bias.size !== outF) throw new InputError(`${op}: ${b} [${bias.shape}] must have ${outF} elements`);
      return { rows: inF ? x.size / inF : 0, inF, outF, shape: [...x.shape.slice(0, -1), outF] };
    });
  },

  disentangledAttention(be: Backend, args: AttentionArgs): AttentionGeometry {
    const op = "disentangledAttention";
    const { spec, layout } = args;
    owned(be, op, { q: args.q, k: args.k, v: args.v, posKey: args.posKey, posQuery: args.posQuery, relIndex: args.relIndex, mask: args.mask });
    const H = spec.numHeads;
    const D = spec.headDim;
    const HD = H * D;
    const B = layoutBatch(layout);
    const L = layoutMaxLen(layout);
    const T = layoutTokens(layout);
    const dtype = args.q.dtype;
    for (const [name, t] of [["q", args.q], ["k", args.k], ["v", args.v]] as const) {
      float(op, name, t);
      if (t.rank !== 2 || t.shape[0] !== T || t.shape[1] !== HD) throw new InputError(`${op}: ${name} [${t.shape}] must be [${T}, ${HD}] for this layout and spec`);
      if (t.dtype !== dtype) throw new InputError(`${op}: ${name} is ${t.dtype}, q is ${dtype}`);
    }
    const relative = spec.c2p || spec.p2c;
    let relLength = 0;
    const relRows = 2 * spec.span;
    if (relative) {
      for (const [name, want, t] of [["posKey", spec.c2p, args.posKey], ["posQuery", spec.p2c, args.posQuery]] as const) {
        if (!want) continue;
        if (!t) throw new InputError(`${op}: ${name === "posKey" ? "c2p" : "p2c"} needs ${name}`);
        if (t.rank !== 2 || t.shape[0] !== relRows || t.shape[1] !== HD || t.dtype !== dtype) {
          throw new InputError(`${op}: ${name} must be [2·span = ${relRows}, ${HD}] ${dtype}, got [${t.shape}] ${t.dtype}`);
        }
      }
      const rel = args.relIndex;
      if (!rel) throw new InputError(`${op}: relIndex is required with c2p/p2c`);
      int32(op, "relIndex", rel);
      relLength = rel.size;
      if (rel.rank !== 1 || relLength % 2 !== 1 || relLength < 2 * L - 1) {
        throw new InputError(`${op}: relIndex [${rel.shape}] must be 1-D with an odd length ≥ 2·maxLen-1 = ${2 * L - 1}`);
      }
    }
    if (layout.kind === "padded" && args.mask && args.mask.size !== T) {
      throw new InputError(`${op}: mask [${args.mask.shape}] must have ${T} elements ([${layout.batch}, ${layout.seqLen}])`);
    }
    return { B, L, T, H, D, HD, relative, relLength, relCentre: relLength ? (relLength - 1) / 2 : 0, relRows };
  },

  /** The quantized Linear: ownership of x, the packed weight data and bias, then `checkQuantizedLinear`'s shapes. */
  quantizedLinear(be: Backend, x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): LinearGeometry {
    owned(be, "quantizedLinear", { x, "weight data": weight.data, bias });
    checkActivation("quantizedLinear", act);
    checkQuantizedLinear(x, weight, bias);
    return { rows: weight.inFeatures ? x.size / weight.inFeatures : 0, inF: weight.inFeatures, outF: weight.outFeatures, shape: [...x.shape.slice(0, -1), weight.outFeatures] };
  },

  /** The quantized embedding gather: ownership of the table's tensors and ids, then `checkQuantizedGather`. */
  gatherQuantized(be: Backend, table: QuantizedWeight, ids: Tensor, dtype: FloatDType): { V: number; D: number; N: number } {
    owned(be, "gatherQuantized", { "table data": table.data, "table scales": table.scales, ids });
    return checkQuantizedGather(table, ids, dtype);
  },
} as const;

/** `linearMany`'s lists: a non-empty `weights` array and one `biases` entry (tensor or undefined) per weight. */
export function checkLinearManyLists(weights: readonly unknown[], biases: readonly unknown[]): void {
  if (!Array.isArray(weights) || weights.length === 0) throw new InputError(`linearMany: weights must be a non-empty array of [out, in] weights`);
  if (!Array.isArray(biases) || biases.length !== weights.length) {
    throw new InputError(`linearMany: biases must have one entry (a tensor or undefined) per weight: ${weights.length} weights, ${Array.isArray(biases) ? biases.length : "no"} biases`);
  }
}

function binary(be: Backend, op: "add" | "mul", a: Tensor, b: Tensor): { shape: number[] } {
  owned(be, op, { a, b });
  float(op, "a", a);
  float(op, "b", b);
  return { shape: broadcastShapes(a.shape, b.shape, op) };
}

function norm(be: Backend, op: string, x: Tensor, residual: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): RowsGeometry {
  owned(be, op, { x, residual, gamma, beta });
  for (const [name, t] of [["x", x], ["residual", residual], ["gamma", gamma], ["beta", beta]] as const) float(op, name, t);
  if (x.rank < 1) throw new InputError(`${op}: x must have rank ≥ 1, got a scalar`);
  if (residual && !sameShape(x.shape, residual.shape)) throw new InputError(`${op}: x [${x.shape}] and residual [${residual.shape}] must have the same shape`);
  const g = rowsOf(x);
  if (gamma.size !== g.D || beta.size !== g.D) throw new InputError(`${op}: gamma [${gamma.shape}] / beta [${beta.shape}] must have ${g.D} elements`);
  if (!(eps >= 0)) throw new InputError(`${op}: eps must be a non-negative number, got ${eps}`);
  return g;
}

/** The op names the contract covers (the `Backend` methods that take tensors). */
export type ContractOp = Exclude<keyof typeof opContract, "upload" | "read">;
