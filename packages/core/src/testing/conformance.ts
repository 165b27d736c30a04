/**
 * The backend conformance kit: runs every op of a `Backend` on seeded random inputs and compares the results with
 * the float64 references of `reference-ops.ts`.
 *
 *   const report = await runConformance(new MyBackend(), { dtype: "f32" });
 *   expect(report.passed).toBe(true);
 *
 * Each case uploads its inputs, fills the backend's freshly freed memory with NaN ("poison", so an element the op
 * never writes shows up when the backend reuses buffers), runs the op, reads the outputs back and checks
 *  - the output count, shape and dtype;
 *  - every element: |actual − ref| ≤ (atol + rtol · mag) · scale, where `mag` is the magnitude the result is built
 *    from (|ref| for most ops; Σ|a||b| for products, so cancellation does not demand impossible accuracy);
 *    data-movement ops (cast, gather, takeAlongAxis, transpose) must be exact; no NaN/Inf where the ref is finite;
 *  - that the inputs still hold what was uploaded, and that no output shares storage with an input.
 * An op that throws (when called or at `read`) fails that case; the kit never crashes on a backend error.
 *
 * Optional fused ops are tested when the backend has them; otherwise they are reported as skipped (core runs its
 * reference fallback). With `checkFallbacks: true` the fallbacks of `ops/reference.ts` are run on the backend's
 * primitives and checked too.
 */
import { ACTIVATIONS, type Activation, type AttentionSpec, type Backend, type MatmulOptions } from "../backend.js";
import type { DType, FloatDType, TensorData } from "../dtype.js";
import { InputError } from "../errors.js";
import { layoutMaxLen, layoutTokens, packedLayout, paddedLayout, type SequenceLayout } from "../layout.js";
import { relativePosition } from "../model/relative-position.js";
import { addLayerNormReference, disentangledAttentionReference, linearReference } from "../ops/reference.js";
import type { Tensor } from "../tensor.js";
import { linear } from "../ops/index.js";
import { dequantize } from "../quant/dequantize.js";
import { quantizeWeight } from "../quant/quantize.js";
import { type QuantMethod, QuantizedWeight } from "../quant/quantized-weight.js";
import { Rng } from "./random.js";
import {
  activationFunction,
  fromTensorData,
  refActivation,
  refAdd,
  refAddLayerNorm,
  refCast,
  refConv1d,
  refDisentangledAttention,
  refGather,
  refLayerNorm,
  refMatmul,
  refMul,
  refSoftmax,
  refTakeAlongAxis,
  refTranspose,
  roundScalar,
  roundToDtype,
  sizeOf,
  stridesOf,
  toTensorData,
  type HostArray,
  type HostResult,
} from "./reference-ops.js";

export interface Tolerance {
  /** Absolute part. */
  atol: number;
  /** Relative part, times the op's magnitude (|ref|, or Σ|a||b| for products). */
  rtol: number;
}

/** Defaults per dtype: f32 ≈ a few hundred ulps of slack; f16 ≈ 2% (f16 has an 11-bit significand). */
export const DEFAULT_TOLERANCE: Readonly<Record<FloatDType, Tolerance>> = {
  f32: { atol: 1e-5, rtol: 1e-4 },
  f16: { atol: 2e-3, rtol: 2e-2 },
};

export const PRIMITIVE_OPS = [
  "cast",
  "matmul",
  "add",
  "mul",
  "gather",
  "takeAlongAxis",
  "layerNorm",
  "activation",
  "softmax",
  "conv1d",
  "transpose",
] as const;
export const FUSED_OPS = ["linear", "addLayerNorm", "disentangledAttention", "quantizedLinear"] as const;
export const CONFORMANCE_OPS: readonly string[] = [...PRIMITIVE_OPS, ...FUSED_OPS];

export interface ConformanceOptions {
  /** PRNG seed (default 1234). */
  seed?: number;
  /** Compute dtype of the float tensors (default "f32"). */
  dtype?: FloatDType;
  /** Only these ops (names of `CONFORMANCE_OPS`). */
  ops?: string[];
  /** Where failure lines and the summary go (default `console.error`). */
  log?: (line: string) => void;
  /** Overrides the dtype's default tolerance, globally and per op. */
  tolerance?: Partial<Tolerance> & { ops?: Record<string, Partial<Tolerance>> };
  /** When a fused op is missing, check core's reference fallback (built from this backend's primitives) instead. */
  checkFallbacks?: boolean;
}

export interface ConformanceResult {
  op: string;
  case: string;
  maxAbsError: number;
  maxRelError: number;
  /** The bound that was applied, in words. */
  tolerance: string;
  ok: boolean;
  /** Why it failed (exception, NaN, shape, modified input, worst element …). */
  error?: string;
  /** The op is optional and the backend lacks it. */
  skipped?: boolean;
}

export interface ConformanceReport {
  passed: boolean;
  results: ConformanceResult[];
  backend?: string;
  dtype?: FloatDType;
}

// ── cases ──────────────────────────────────────────────────────────────────────────────────────────────────────

interface InputDef {
  name: string;
  shape: number[];
  dtype: DType;
  /** Exactly the values uploaded (already rounded to `dtype`). */
  values: Float64Array | Int32Array;
}

interface Expected {
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

interface CaseDef {
  op: string;
  name: string;
  inputs: InputDef[];
  run(be: Backend, t: Tensor[]): Tensor[];
  expected(): Expected[];
  /** Frees what `run` created besides its outputs (called after the outputs were read). */
  cleanup?(): void;
}

const abs = (x: ArrayLike<number>): Float64Array => Float64Array.from(x, Math.abs);
const host = (i: InputDef): HostArray => ({ shape: i.shape, data: i.values });
const absHost = (i: InputDef): HostArray => ({ shape: i.shape, data: abs(i.values) });

class CaseBuilder {
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

const out = (name: string, r: HostResult, dtype: DType, extra: Partial<Expected> = {}): Expected => ({
  name,
  shape: r.shape,
  dtype,
  ref: r.data,
  ...extra,
});

const fmtShape = (s: readonly number[]) => `[${s.join(",")}]`;

function castCases(cb: CaseBuilder, be: Backend) {
  const dt = cb.dt;
  const other: FloatDType = dt === "f32" ? "f16" : "f32";
  const pairs: Array<[FloatDType, FloatDType]> = [[dt, dt]];
  if (be.supportsDtype("f16")) pairs.push([dt, other], [other, dt]);
  for (const [from, to] of pairs) {
    // Spread over f16's normal range, with f16 ties (1 + 2⁻¹¹ → 1, 1 + 3·2⁻¹¹ → 1 + 2⁻⁹) and exact values.
    const special = [0, -0, 1, -1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 65504, -65504, 2 ** -14, 0.1, 1 / 3, 1000.5, 2049];
    const x = cb.floats("x", [3, 17], (i) => (i < special.length ? special[i] : cb.rng.normal(0, 1) * 10 ** cb.rng.int(-3, 4)), from);
    cb.add({
      op: "cast",
      name: `${from}→${to} ${fmtShape(x.shape)}`,
      inputs: [x],
      run: (b, [t]) => [b.cast(t, to)],
      expected: () => [out("y", refCast(host(x), to), to, { exact: true })],
    });
  }
}

function matmulCases(cb: CaseBuilder) {
  const dt = cb.dt;
  // [a shape, b shape, opts]; a/b shapes are as stored (already transposed when trans*).
  const list: Array<[number[], number[], MatmulOptions]> = [
    [[1, 1], [1, 1], {}],
    [[3, 7], [7, 5], {}],
    [[17, 33], [33, 65], {}],
    [[7, 3], [7, 5], { transA: true }],
    [[3, 7], [5, 7], { transB: true }],
    [[33, 17], [65, 33], { transA: true, transB: true }],
    [[17, 33], [9, 33], { transB: true, alpha: 0.125 }],
    [[1, 65], [65, 1], {}],
    [[2, 3, 5, 7], [2, 3, 7, 4], {}],
    [[2, 1, 5, 7], [3, 7, 4], {}],
    [[2, 1, 7, 5], [1, 3, 4, 7], { transA: true, transB: true, alpha: -0.5 }],
    [[4, 9, 17], [17, 6], {}],
    [[3, 9, 17], [6, 17], { transB: true }],
    [[5, 7], [3, 7, 2], {}],
    [[5, 769], [9, 769], { transB: true }],
    [[65, 129], [129, 67], {}],
  ];
  for (const [as, bs, opts] of list) {
    const a = cb.normal("a", as);
    const b = cb.normal("b", bs);
    const flags = [opts.transA ? "transA" : "", opts.transB ? "transB" : "", opts.alpha !== undefined ? `alpha=${opts.alpha}` : ""].filter(Boolean);
    cb.add({
      op: "matmul",
      name: `${fmtShape(as)}·${fmtShape(bs)}${flags.length ? " " + flags.join(" ") : ""}`,
      inputs: [a, b],
      run: (be, [ta, tb]) => [be.matmul(ta, tb, opts)],
      expected: () => [
        out("y", refMatmul(host(a), host(b), opts), dt, {
          mag: refMatmul(absHost(a), absHost(b), { ...opts, alpha: Math.abs(opts.alpha ?? 1) }).data,
          magName: "Σ|a·b|",
        }),
      ],
    });
  }
}

function elementwiseCases(cb: CaseBuilder) {
  const dt = cb.dt;
  const list: Array<[number[], number[]]> = [
    [[7, 33], [7, 33]],
    [[65, 17], [17]],
    [[3, 5], [1]],
    [[2, 1, 5, 1], [2, 1, 1, 5]],
    [[3, 1, 5], [1, 4, 1]],
    [[5], [3, 5]],
    [[1], [1]],
    [[2, 3, 7, 7], [2, 1, 7, 7]],
  ];
  for (const op of ["add", "mul"] as const) {
    for (const [as, bs] of list) {
      const a = cb.normal("a", as, 3);
      const b = cb.normal("b", bs, 3);
      cb.add({
        op,
        name: `${fmtShape(as)} ${op === "add" ? "+" : "*"} ${fmtShape(bs)}`,
        inputs: [a, b],
        run: (be, [ta, tb]) => [op === "add" ? be.add(ta, tb) : be.mul(ta, tb)],
        expected: () => {
          const r = op === "add" ? refAdd(host(a), host(b)) : refMul(host(a), host(b));
          const mag = op === "add" ? refAdd(absHost(a), absHost(b)).data : abs(r.data);
          return [out("y", r, dt, { mag, magName: op === "add" ? "|a|+|b|" : "|a·b|" })];
        },
      });
    }
  }
}

function gatherCases(cb: CaseBuilder) {
  const list: Array<[number, number, number[] | number]> = [
    [17, 33, [0, 16, 3, 3, 7, 0, 16]],
    [5, 1, [4]],
    [1, 5, [0, 0, 0]],
    [129, 65, 33],
  ];
  for (const [V, D, idsSpec] of list) {
    const table = cb.normal("table", [V, D]);
    const ids = typeof idsSpec === "number" ? cb.ints("ids", [idsSpec], 0, V) : cb.values("ids", [idsSpec.length], idsSpec, "i32");
    cb.add({
      op: "gather",
      name: `table [${V},${D}] ids [${ids.shape[0]}]`,
      inputs: [table, ids],
      run: (be, [t, i]) => [be.gather(t, i)],
      expected: () => [out("y", refGather(host(table), host(ids)), cb.dt, { exact: true })],
    });
  }
}

function takeAlongAxisCases(cb: CaseBuilder) {
  const list: Array<[number[], number[], number]> = [
    [[2, 3, 7, 16], [1, 1, 7, 7], 3], // HF's c2p gather: index shared over batch and heads
    [[2, 3, 9, 16], [2, 3, 9, 9], 3],
    [[5, 3], [4, 3], 0],
    [[1, 9], [4, 5], 1], // x broadcast along dim 0
    [[3, 4, 6], [1, 4, 2], 2], // idx broadcast along dim 0
    [[3, 1, 6], [3, 5, 6], 1],
  ];
  for (const [xs, is, axis] of list) {
    const x = cb.normal("x", xs);
    const idx = cb.ints("idx", is, 0, xs[axis]);
    cb.add({
      op: "takeAlongAxis",
      name: `x ${fmtShape(xs)} idx ${fmtShape(is)} axis ${axis}`,
      inputs: [x, idx],
      run: (be, [tx, ti]) => [be.takeAlongAxis(tx, ti, axis)],
      expected: () => [out("y", refTakeAlongAxis(host(x), host(idx), axis), cb.dt, { exact: true })],
    });
  }
}

function layerNormMag(x: InputDef, gamma: InputDef, beta: InputDef, eps: number): Float64Array {
  // |γ|·(|x̂| + 1) + |β|: the error of a normalised value scales with its size, plus one unit for the statistics.
  const D = gamma.values.length;
  const xhat = refLayerNorm(host(x), { shape: [D], data: new Float64Array(D).fill(1) }, { shape: [D], data: new Float64Array(D) }, eps);
  const mag = new Float64Array(xhat.data.length);
  for (let i = 0; i < mag.length; i++) mag[i] = Math.abs(gamma.values[i % D]) * (Math.abs(xhat.data[i]) + 1) + Math.abs(beta.values[i % D]);
  return mag;
}

function layerNormCases(cb: CaseBuilder, fused: boolean) {
  const list: Array<[number[], number, number]> = [
    [[7, 33], 1e-7, 0],
    [[1, 1], 1e-7, 0],
    [[17, 65], 1e-7, 3],
    [[3, 768], 1e-5, 0.5],
    [[2, 3, 5], 1e-12, 0],
  ];
  for (const [shape, eps, offset] of list) {
    const D = shape[shape.length - 1];
    const x = cb.normal("x", shape, 1, offset);
    const gamma = cb.normal("gamma", [D], 0.2, 1);
    const beta = cb.normal("beta", [D], 0.2);
    if (!fused) {
      cb.add({
        op: "layerNorm",
        name: `${fmtShape(shape)} eps=${eps}${offset ? ` mean≈${offset}` : ""}`,
        inputs: [x, gamma, beta],
        run: (be, [tx, tg, tb]) => [be.layerNorm(tx, tg, tb, eps)],
        expected: () => [out("y", refLayerNorm(host(x), host(gamma), host(beta), eps), cb.dt, { mag: layerNormMag(x, gamma, beta, eps), magName: "|γ|(|x̂|+1)+|β|" })],
      });
    } else {
      const res = cb.normal("residual", shape, 1);
      const sum = { ...x, values: refAdd(host(x), host(res)).data };
      cb.add({
        op: "addLayerNorm",
        name: `${fmtShape(shape)} eps=${eps}${offset ? ` mean≈${offset}` : ""}`,
        inputs: [x, res, gamma, beta],
        run: (be, [tx, tr, tg, tb]) => [be.addLayerNorm ? be.addLayerNorm(tx, tr, tg, tb, eps) : addLayerNormReference(be, tx, tr, tg, tb, eps)],
        expected: () => [
          out("y", refAddLayerNorm(host(x), host(res), host(gamma), host(beta), eps), cb.dt, {
            mag: layerNormMag(sum, gamma, beta, eps),
            magName: "|γ|(|x̂|+1)+|β|",
          }),
        ],
      });
    }
  }
}

function activationCases(cb: CaseBuilder) {
  for (const act of ACTIVATIONS) {
    // A grid over [-8, 8] (GELU variants differ most around ±1…±3), random values, and saturating extremes.
    const extremes = [0, -0, 1e-4, -1e-4, 30, -30, 100, -100, 20, -20, 12, -12];
    const x = cb.floats("x", [17, 33], (i) => (i < 257 ? -8 + i / 16 : i < 257 + extremes.length ? extremes[i - 257] : cb.rng.normal(0, 3)));
    cb.add({
      op: "activation",
      name: `${act} [17,33]`,
      inputs: [x],
      run: (be, [t]) => [be.activation(t, act)],
      expected: () => [out("y", refActivation(host(x), act), cb.dt)],
    });
  }
}

function softmaxCases(cb: CaseBuilder) {
  const dt = cb.dt;
  type Spec = { name: string; x: InputDef; mask?: InputDef };
  const specs: Spec[] = [];
  specs.push({ name: "[7,33] scores ±8", x: cb.uniform("x", [7, 33], -8, 8) });
  specs.push({
    name: "[5,17] large scores (±80, one constant row)",
    x: cb.floats("x", [5, 17], (i) => (i < 17 ? 42 : cb.rng.uniform(-80, 80))),
  });
  specs.push({ name: "[1,1]", x: cb.normal("x", [1, 1]) });
  specs.push({ name: "[5,1]", x: cb.normal("x", [5, 1]) });
  specs.push({ name: "[3,2,1,65]", x: cb.normal("x", [3, 2, 1, 65], 4) });
  if (dt === "f32") specs.push({ name: "[3,9] spread 1e4", x: cb.uniform("x", [3, 9], -1e4, 1e4) });
  // HF padded attention: mask [B,1,1,L] (whole padded sequence 1) and m_i·m_j masks [B,1,L,L] (whole masked rows).
  {
    const B = 3;
    const L = 17;
    const m = new Float64Array(B * L);
    for (let i = 0; i < L; i++) m[i] = i < 12 ? 1 : 0; // right padding
    for (let i = 0; i < L; i++) m[2 * L + i] = i >= 5 ? 1 : 0; // left padding
    // sequence 1 fully padded
    specs.push({ name: `[${B},2,${L},${L}] mask [${B},1,1,${L}] incl. fully padded sequence`, x: cb.normal("x", [B, 2, L, L], 3), mask: cb.values("mask", [B, 1, 1, L], m, "f32") });
    const mm = new Float64Array(B * L * L);
    for (let b = 0; b < B; b++) for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) mm[(b * L + i) * L + j] = m[b * L + i] * m[b * L + j];
    specs.push({ name: `[${B},2,${L},${L}] mask m_i·m_j [${B},1,${L},${L}] (whole masked rows)`, x: cb.normal("x", [B, 2, L, L], 3), mask: cb.values("mask", [B, 1, L, L], mm, dt) });
  }
  specs.push({ name: "[7,33] random mask same shape (f32)", x: cb.normal("x", [7, 33], 4), mask: cb.floats("mask", [7, 33], () => (cb.rng.chance(0.6) ? 1 : 0), "f32") });
  specs.push({ name: "[7,33] random mask [1,33] (i32)", x: cb.normal("x", [7, 33], 4), mask: cb.values("mask", [1, 33], Array.from({ length: 33 }, () => (cb.rng.chance(0.6) ? 1 : 0)), "i32") });
  specs.push({ name: `[4,9] mask all zero (${dt})`, x: cb.normal("x", [4, 9], 4), mask: cb.values("mask", [4, 9], new Float64Array(36), dt) });
  for (const s of specs) {
    const inputs = s.mask ? [s.x, s.mask] : [s.x];
    cb.add({
      op: "softmax",
      name: s.name,
      inputs,
      run: (be, [tx, tm]) => [be.softmax(tx, tm)],
      expected: () => [out("y", refSoftmax(host(s.x), s.mask && host(s.mask), dt), dt)],
    });
  }
}

function conv1dCases(cb: CaseBuilder) {
  const dt = cb.dt;
  const list: Array<[string, SequenceLayout, number, number, number]> = [
    ["padded B=2 L=7", paddedLayout(2, 7, [1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]), 5, 3, 3],
    ["packed [1,3,7,2]", packedLayout([1, 3, 7, 2]), 4, 6, 3],
    ["packed [1,2,17] k=5", packedLayout([1, 2, 17]), 17, 9, 5],
    ["padded B=3 L=5 k=1", paddedLayout(3, 5), 7, 5, 1],
    ["padded B=1 L=33 k=3", paddedLayout(1, 33), 33, 17, 3],
  ];
  for (const [name, layout, cin, cout, k] of list) {
    const T = layoutTokens(layout);
    const x = cb.normal("x", [T, cin]);
    const w = cb.normal("weight", [cout, cin, k], 0.3);
    const bias = cb.normal("bias", [cout], 0.3);
    cb.add({
      op: "conv1d",
      name: `${name} Cin=${cin} Cout=${cout} k=${k}`,
      inputs: [x, w, bias],
      run: (be, [tx, tw, tb]) => [be.conv1d(tx, tw, tb, layout)],
      expected: () => [
        out("y", refConv1d(host(x), host(w), host(bias), layout), dt, { mag: refConv1d(absHost(x), absHost(w), absHost(bias), layout).data, magName: "Σ|w·x|+|b|" }),
      ],
    });
  }
}

function transposeCases(cb: CaseBuilder) {
  const list: Array<[number[], number[]]> = [
    [[3, 5], [1, 0]],
    [[2, 7, 3, 5], [0, 2, 1, 3]],
    [[2, 3, 7, 5], [0, 1, 3, 2]],
    [[3, 4, 5], [2, 0, 1]],
    [[2, 3, 4, 5], [3, 2, 1, 0]],
    [[4, 6], [0, 1]],
    [[1, 17, 1], [2, 1, 0]],
    [[65, 33], [1, 0]],
  ];
  for (const [shape, perm] of list) {
    const x = cb.normal("x", shape);
    cb.add({
      op: "transpose",
      name: `${fmtShape(shape)} perm [${perm}]`,
      inputs: [x],
      run: (be, [t]) => [be.transpose(t, perm)],
      expected: () => [out("y", refTranspose(host(x), perm), cb.dt, { exact: true })],
    });
  }
}

function linearCases(cb: CaseBuilder) {
  const dt = cb.dt;
  const add = (name: string, x: InputDef, w: InputDef, bias: InputDef | undefined, act: Activation | undefined) => {
    cb.add({
      op: "linear",
      name,
      inputs: bias ? [x, w, bias] : [x, w],
      run: (be, [tx, tw, tb]) => [be.linear ? be.linear(tx, tw, tb, act) : linearReference(be, tx, tw, tb, act)],
      expected: () => {
        const pre = refMatmul(host(x), host(w), { transB: true });
        const preMag = refMatmul(absHost(x), absHost(w), { transB: true });
        if (bias) {
          for (let i = 0; i < pre.data.length; i++) {
            pre.data[i] += bias.values[i % bias.values.length];
            preMag.data[i] += Math.abs(bias.values[i % bias.values.length]);
          }
        }
        const f = activationFunction(act ?? "linear");
        const y = new Float64Array(pre.data.length);
        const mag = new Float64Array(pre.data.length);
        for (let i = 0; i < y.length; i++) {
          const p = pre.data[i];
          y[i] = f(p);
          const h = 1e-6 * Math.max(1, Math.abs(p));
          const slope = Math.abs((f(p + h) - f(p - h)) / (2 * h));
          mag[i] = Math.abs(y[i]) + slope * preMag.data[i];
        }
        return [out("y", { shape: pre.shape, data: y }, dt, { mag, magName: "|y|+|act'|·Σ|x·w|" })];
      },
    });
  };
  {
    const x = cb.normal("x", [7, 33]);
    add("x [7,33] W [17,33] +bias", x, cb.normal("weight", [17, 33], 0.3), cb.normal("bias", [17], 0.3), undefined);
  }
  {
    const x = cb.normal("x", [1, 65]);
    add("x [1,65] W [3,65] +bias gelu", x, cb.normal("weight", [3, 65], 0.3), cb.normal("bias", [3], 0.3), "gelu");
  }
  add("x [5,17] W [9,17] no bias gelu", cb.normal("x", [5, 17]), cb.normal("weight", [9, 17], 0.3), undefined, "gelu");
  add("x [65,129] W [67,129] +bias gelu", cb.normal("x", [65, 129]), cb.normal("weight", [67, 129], 0.1), cb.normal("bias", [67], 0.3), "gelu");
  // Every activation, with K = 1 and exact weights so the pre-activation is exact: the activation itself is checked.
  const wVals = [1, -1, 0.5, 2, -0.25];
  for (const act of ACTIVATIONS) {
    const x = cb.floats("x", [33, 1], (i) => -6 + (12 * i) / 32);
    const w = cb.values("weight", [5, 1], wVals, dt);
    const bias = cb.values("bias", [5], [0, 0.5, -0.5, 0, 0.25], dt);
    add(`x [33,1] W [5,1] +bias ${act}`, x, w, bias, act);
    if (act.startsWith("gelu")) add(`x [9,17] W [13,17] +bias ${act}`, cb.normal("x", [9, 17]), cb.normal("weight", [13, 17], 0.3), cb.normal("bias", [13], 0.3), act);
  }
}

/**
 * `quantizedLinear` (through core's `linear`, so a backend without the op checks the fallback): weights quantized
 * by `quantizeWeight` in every method, the reference multiplies by the host dequantization in float64. Shapes whose
 * N·K is odd (a pad nibble) and whose K is not a multiple of the 64-block (blocks straddle rows), T = 1 and more.
 */
function quantizedLinearCases(cb: CaseBuilder) {
  const dt = cb.dt;
  const add = (method: QuantMethod, T: number, N: number, K: number, withBias: boolean, act: Activation | undefined) => {
    const x = cb.normal("x", [T, K]);
    const wf = cb.normal("weight", [N, K], 0.3);
    const bias = withBias ? cb.normal("bias", [N], 0.3) : undefined;
    const hostW = quantizeWeight(Float32Array.from(wf.values), N, K, method);
    let qw: QuantizedWeight | undefined;
    cb.add({
      op: "quantizedLinear",
      name: `${method} x [${T},${K}] W [${N},${K}]${withBias ? " +bias" : ""}${act ? ` ${act}` : ""}`,
      inputs: bias ? [x, bias] : [x],
      run: (be, [tx, tb]) => {
        qw = QuantizedWeight.upload(be, hostW, !be.quantizedLinear);
        return [linear(be, tx, qw, tb, act)];
      },
      cleanup: () => {
        qw?.dispose();
        qw = undefined;
      },
      expected: () => {
        const w = { shape: [N, K], data: Float64Array.from(dequantize(hostW)) };
        const pre = refMatmul(host(x), w, { transB: true });
        const preMag = refMatmul(absHost(x), { shape: w.shape, data: abs(w.data) }, { transB: true });
        if (bias) {
          for (let i = 0; i < pre.data.length; i++) {
            pre.data[i] += bias.values[i % N];
            preMag.data[i] += Math.abs(bias.values[i % N]);
          }
        }
        const f = activationFunction(act ?? "linear");
        const y = new Float64Array(pre.data.length);
        const mag = new Float64Array(pre.data.length);
        for (let i = 0; i < y.length; i++) {
          const p = pre.data[i];
          y[i] = f(p);
          const h = 1e-6 * Math.max(1, Math.abs(p));
          mag[i] = Math.abs(y[i]) + Math.abs((f(p + h) - f(p - h)) / (2 * h)) * preMag.data[i];
        }
        return [out("y", { shape: pre.shape, data: y }, dt, { mag, magName: "|y|+|act'|·Σ|x·w|" })];
      },
    });
  };
  for (const method of ["nf4", "fp4", "q4", "int8"] as const) {
    add(method, 7, 35, 35, true, undefined); // 1225 elements: odd, 19 blocks + a tail of 9
    add(method, 1, 17, 65, true, "gelu");
    add(method, 5, 9, 17, false, undefined);
  }
  add("nf4", 33, 67, 129, true, "gelu");
  add("int8", 33, 67, 129, true, "gelu");
}

export interface AttentionCaseSpec {
  name: string;
  layout: SequenceLayout;
  numHeads: number;
  headDim: number;
  c2p: boolean;
  p2c: boolean;
  /** Attention span S (posKey/posQuery have 2S rows). */
  span: number;
  /** position_buckets (0: none) and max_position_embeddings, to build relIndex. */
  buckets: number;
  maxPosition: number;
  outputAttentions: boolean;
  /** Mask dtype for padded layouts (default f32, as the contract says). */
  maskDtype?: FloatDType;
}

/** `relIndex[(i - j) + maxLen - 1] = clamp(bucket(i - j) + span, 0, 2*span - 1)`, as `relativeIndexTable` builds it. */
export function buildRelIndex(maxLen: number, span: number, buckets: number, maxPosition: number): Int32Array {
  const out = new Int32Array(Math.max(1, 2 * maxLen - 1));
  for (let d = -(maxLen - 1); d <= maxLen - 1; d++) {
    const b = relativePosition(d, 0, buckets, maxPosition);
    out[d + maxLen - 1] = Math.min(Math.max(b + span, 0), 2 * span - 1);
  }
  return out;
}

function attentionCaseSpecs(dt: FloatDType): AttentionCaseSpec[] {
  const base = { buckets: 0, maxPosition: 512, outputAttentions: false };
  const mask2x7 = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const mask3x17 = [...Array.from({ length: 17 }, (_, i) => (i < 11 ? 1 : 0)), ...Array.from({ length: 17 }, (_, i) => (i >= 4 ? 1 : 0)), ...new Array(17).fill(0)];
  const list: AttentionCaseSpec[] = [
    { ...base, name: "padded B=2 L=7 c2p+p2c span=4 (clamped)", layout: paddedLayout(2, 7, mask2x7), numHeads: 2, headDim: 5, c2p: true, p2c: true, span: 4, outputAttentions: true },
    {
      ...base,
      name: "padded B=3 L=17 c2p+p2c buckets=8 (fully padded sequence)",
      layout: paddedLayout(3, 17, mask3x17),
      numHeads: 3,
      headDim: 8,
      c2p: true,
      p2c: true,
      span: 8,
      buckets: 8,
      maxPosition: 64,
      outputAttentions: true,
    },
    { ...base, name: "padded B=2 L=9 c2p only span=16", layout: paddedLayout(2, 9, [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]), numHeads: 2, headDim: 4, c2p: true, p2c: false, span: 16 },
    { ...base, name: "padded B=2 L=9 p2c only span=16", layout: paddedLayout(2, 9, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), numHeads: 2, headDim: 4, c2p: false, p2c: true, span: 16, outputAttentions: true },
    { ...base, name: "padded B=2 L=5 no relative terms", layout: paddedLayout(2, 5, [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), numHeads: 1, headDim: 3, c2p: false, p2c: false, span: 4, outputAttentions: true },
    { ...base, name: "padded B=2 L=1 (one sequence fully padded)", layout: paddedLayout(2, 1, [1, 0]), numHeads: 1, headDim: 1, c2p: true, p2c: true, span: 1, outputAttentions: true },
    { ...base, name: "padded B=1 L=33 d=64 c2p+p2c buckets=32", layout: paddedLayout(1, 33), numHeads: 2, headDim: 64, c2p: true, p2c: true, span: 32, buckets: 32, maxPosition: 256 },
    { ...base, name: "packed [1,3,7,17] c2p+p2c buckets=4 (clamped)", layout: packedLayout([1, 3, 7, 17]), numHeads: 2, headDim: 6, c2p: true, p2c: true, span: 4, buckets: 4, maxPosition: 32, outputAttentions: true },
    { ...base, name: "packed [5] c2p+p2c span=64", layout: packedLayout([5]), numHeads: 4, headDim: 16, c2p: true, p2c: true, span: 64 },
    { ...base, name: "packed [2,1,9,4,33] c2p+p2c buckets=16", layout: packedLayout([2, 1, 9, 4, 33]), numHeads: 2, headDim: 8, c2p: true, p2c: true, span: 16, buckets: 16, maxPosition: 128 },
    { ...base, name: "packed [3,1,6] c2p only", layout: packedLayout([3, 1, 6]), numHeads: 3, headDim: 4, c2p: true, p2c: false, span: 3, outputAttentions: true },
    { ...base, name: "packed [4,7] p2c only", layout: packedLayout([4, 7]), numHeads: 1, headDim: 8, c2p: false, p2c: true, span: 8 },
    { ...base, name: "packed [1,5] no relative terms", layout: packedLayout([1, 5]), numHeads: 2, headDim: 3, c2p: false, p2c: false, span: 4, outputAttentions: true },
  ];
  if (dt === "f16") {
    list.push({ ...list[0], name: list[0].name + " (f16 mask)", maskDtype: "f16" });
  }
  return list;
}

function attentionCases(cb: CaseBuilder, be: Backend) {
  const dt = cb.dt;
  for (const s of attentionCaseSpecs(dt)) {
    const T = layoutTokens(s.layout);
    const L = layoutMaxLen(s.layout);
    const HD = s.numHeads * s.headDim;
    const spec: AttentionSpec = {
      numHeads: s.numHeads,
      headDim: s.headDim,
      c2p: s.c2p,
      p2c: s.p2c,
      scale: Math.sqrt(s.headDim * (1 + (s.c2p ? 1 : 0) + (s.p2c ? 1 : 0))),
      span: s.span,
      buckets: s.buckets,
      maxPosition: s.maxPosition,
    };
    const q = cb.normal("q", [T, HD], 2);
    const k = cb.normal("k", [T, HD], 1.5);
    const v = cb.normal("v", [T, HD]);
    const inputs = [q, k, v];
    const posKey = s.c2p ? cb.normal("posKey", [2 * s.span, HD], 1.5) : undefined;
    const posQuery = s.p2c ? cb.normal("posQuery", [2 * s.span, HD], 1.5) : undefined;
    const rel = s.c2p || s.p2c ? buildRelIndex(L, s.span, s.buckets, s.maxPosition) : undefined;
    const relIn = rel && cb.values("relIndex", [rel.length], rel, "i32");
    const maskIn = s.layout.kind === "padded" ? cb.values("mask", [s.layout.batch, s.layout.seqLen], s.layout.mask, s.maskDtype ?? "f32") : undefined;
    const slot = (x?: InputDef) => (x ? inputs.push(x) - 1 : -1);
    const iPk = slot(posKey);
    const iPq = slot(posQuery);
    const iRel = slot(relIn);
    const iMask = slot(maskIn);
    const refArgs = {
      q: host(q),
      k: host(k),
      v: host(v),
      posKey: posKey && host(posKey),
      posQuery: posQuery && host(posQuery),
      relIndex: rel,
      layout: s.layout,
      spec,
      dtype: dt,
    };
    const fused = !!be.disentangledAttention;
    cb.add({
      op: "disentangledAttention",
      name: `${s.name} H=${s.numHeads} d=${s.headDim}${s.outputAttentions ? " +probs" : ""}`,
      inputs,
      run: (b, t) => {
        const args = {
          q: t[0],
          k: t[1],
          v: t[2],
          posKey: iPk >= 0 ? t[iPk] : undefined,
          posQuery: iPq >= 0 ? t[iPq] : undefined,
          relIndex: iRel >= 0 ? t[iRel] : undefined,
          mask: iMask >= 0 ? t[iMask] : undefined,
          layout: s.layout,
          spec,
          outputAttentions: s.outputAttentions,
        };
        const r = b.disentangledAttention ? b.disentangledAttention(args) : disentangledAttentionReference(b, args, rel);
        return r.probs ? [r.context, r.probs] : [r.context];
      },
      expected: () => {
        const r = refDisentangledAttention(refArgs);
        const ctxMag = refDisentangledAttention({ ...refArgs, v: absHost(v) }).context.data;
        const res = [out("context", r.context, dt, { mag: ctxMag, magName: "Σ p·|v|" })];
        if (s.outputAttentions) {
          let care: Uint8Array | undefined;
          if (!fused && s.layout.kind === "packed") {
            // core's fallback computes packed sequences padded: rows beyond a sequence's length are not defined there.
            care = packedProbsCare(s.layout.offsets, s.numHeads, L);
          }
          res.push(out("probs", r.probs, dt, { care }));
        }
        return res;
      },
    });
  }
}

function packedProbsCare(offsets: Int32Array, H: number, L: number): Uint8Array {
  const B = offsets.length - 1;
  const care = new Uint8Array(B * H * L * L);
  for (let b = 0; b < B; b++) {
    const n = offsets[b + 1] - offsets[b];
    for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) care[((b * H + h) * L + i) * L + j] = 1;
  }
  return care;
}

// ── runner ─────────────────────────────────────────────────────────────────────────────────────────────────────

function poisonData(dtype: DType, n: number): TensorData {
  if (dtype === "f32") return new Float32Array(n).fill(NaN);
  if (dtype === "f16") return new Uint16Array(n).fill(0x7e00);
  return new Int32Array(n).fill(-0x7fffffff);
}

function sameBits(a: TensorData, b: TensorData): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function formatIndex(flat: number, shape: readonly number[]): string {
  const s = stridesOf(shape);
  return `[${s.map((st, i) => Math.floor(flat / st) % shape[i]).join(",")}]`;
}

const fmt = (x: number) => (x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2));

interface Comparison {
  maxAbs: number;
  maxRel: number;
  ok: boolean;
  error?: string;
}

function compare(actual: Float64Array, e: Expected, tol: Tolerance): Comparison {
  const n = e.ref.length;
  if (actual.length !== n) return { maxAbs: Infinity, maxRel: Infinity, ok: false, error: `${e.name}: read back ${actual.length} elements, expected ${n}` };
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstRatio = 1;
  let bad = 0;
  const scale = e.scale ?? 1;
  for (let i = 0; i < n; i++) {
    if (e.care && !e.care[i]) continue;
    const a = actual[i];
    const r = e.ref[i];
    if (Number.isNaN(a) && !Number.isNaN(r)) {
      return { maxAbs: NaN, maxRel: NaN, ok: false, error: `${e.name}: NaN at ${formatIndex(i, e.shape)} (expected ${fmt(r)}; element never written, or overflow)` };
    }
    if (!Number.isFinite(a) && Number.isFinite(r)) {
      return { maxAbs: Infinity, maxRel: Infinity, ok: false, error: `${e.name}: ${a} at ${formatIndex(i, e.shape)} (expected ${fmt(r)})` };
    }
    if (e.exact) {
      const want = roundScalar(r, e.dtype);
      if (!Object.is(a, want) && !(a === want)) {
        bad++;
        if (worst < 0) worst = i;
      }
      const err = a === want ? 0 : Math.abs(a - want);
      if (err > maxAbs) maxAbs = err;
      continue;
    }
    const err = a === r ? 0 : Math.abs(a - r);
    if (err > maxAbs) maxAbs = err;
    if (Math.abs(r) >= tol.atol) maxRel = Math.max(maxRel, err / Math.abs(r));
    const mag = e.mag ? e.mag[i] : Math.abs(r);
    const limit = (tol.atol + tol.rtol * mag) * scale;
    if (err > limit) {
      bad++;
      const ratio = err / limit;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = i;
      }
    }
  }
  if (!bad) return { maxAbs, maxRel, ok: true };
  const a = actual[worst];
  const r = e.ref[worst];
  const what = e.exact ? "must match exactly" : `limit ${fmt((tol.atol + tol.rtol * (e.mag ? e.mag[worst] : Math.abs(r))) * scale)}`;
  return {
    maxAbs,
    maxRel,
    ok: false,
    error: `${e.name}: ${bad}/${n} elements out of tolerance; worst at ${formatIndex(worst, e.shape)}: got ${fmt(a)}, expected ${fmt(r)} (${what})`,
  };
}

function toleranceText(e: Expected[], tol: Tolerance): string {
  const one = (x: Expected) => {
    if (x.exact) return "exact";
    const scale = x.scale && x.scale !== 1 ? ` (×${x.scale})` : "";
    return `|Δ| ≤ ${tol.atol} + ${tol.rtol}·${x.magName ?? "|ref|"}${scale}`;
  };
  return e.length === 1 ? one(e[0]) : e.map((x) => `${x.name}: ${one(x)}`).join("; ");
}

async function runCase(be: Backend, c: CaseDef, tol: Tolerance): Promise<ConformanceResult> {
  const result: ConformanceResult = { op: c.op, case: c.name, maxAbsError: 0, maxRelError: 0, tolerance: "", ok: false };
  let expected: Expected[];
  try {
    expected = c.expected();
  } catch (e) {
    result.error = `reference failed (a bug in the conformance kit): ${errorText(e)}`;
    return result;
  }
  result.tolerance = toleranceText(expected, tol);
  const tensors: Tensor[] = [];
  const uploaded: TensorData[] = [];
  let outputs: Tensor[] = [];
  try {
    for (const i of c.inputs) {
      const data = toTensorData(i.values, i.dtype);
      uploaded.push(data);
      tensors.push(be.upload(data.slice(), i.shape, i.dtype));
    }
  } catch (e) {
    result.error = `upload failed: ${errorText(e)}`;
    return result;
  }
  try {
    // Poison: freed buffers of the outputs' sizes full of NaN, for allocators that reuse memory.
    for (const e of expected) {
      if (e.dtype === "i32") continue;
      for (let p = 0; p < 2; p++) be.upload(poisonData(e.dtype, sizeOf(e.shape)), e.shape, e.dtype).dispose();
    }
  } catch {
    // poisoning is best effort
  }
  const fail = (msg: string) => {
    result.ok = false;
    result.error = result.error ? `${result.error}; ${msg}` : msg;
  };
  try {
    try {
      outputs = c.run(be, tensors);
    } catch (e) {
      fail(`threw: ${errorText(e)}`);
      return result;
    }
    if (outputs.length !== expected.length) {
      fail(`returned ${outputs.length} outputs, expected ${expected.length}`);
      return result;
    }
    let ok = true;
    for (let o = 0; o < outputs.length; o++) {
      const t = outputs[o];
      const e = expected[o];
      if (t.dtype !== e.dtype) {
        fail(`${e.name}: dtype ${t.dtype}, expected ${e.dtype}`);
        ok = false;
        continue;
      }
      if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
        fail(`${e.name}: shape [${t.shape}], expected [${e.shape}]`);
        ok = false;
        continue;
      }
      const alias = tensors.findIndex((x) => x.storage === t.storage);
      if (alias >= 0) {
        fail(`${e.name}: shares storage with input ${c.inputs[alias].name} (ops must return a new tensor)`);
        ok = false;
      }
      let data: TensorData;
      try {
        data = await be.read(t);
      } catch (err) {
        fail(`${e.name}: read failed: ${errorText(err)}`);
        ok = false;
        continue;
      }
      const cmp = compare(fromTensorData(data), e, tol);
      result.maxAbsError = Math.max(result.maxAbsError, cmp.maxAbs);
      result.maxRelError = Math.max(result.maxRelError, cmp.maxRel);
      if (Number.isNaN(cmp.maxAbs)) result.maxAbsError = NaN;
      if (!cmp.ok) {
        fail(cmp.error!);
        ok = false;
      }
    }
    // Inputs untouched?
    for (let i = 0; i < tensors.length; i++) {
      try {
        const now = await be.read(tensors[i]);
        const at = sameBits(now, uploaded[i]);
        if (at >= 0) {
          fail(`modified its input ${c.inputs[i].name} (first change at ${formatIndex(at, c.inputs[i].shape)})`);
          ok = false;
        }
      } catch (err) {
        fail(`input ${c.inputs[i].name}: read failed after the op: ${errorText(err)}`);
        ok = false;
      }
    }
    result.ok = ok;
    return result;
  } finally {
    try {
      c.cleanup?.();
    } catch (e) {
      fail(`cleanup failed: ${errorText(e)}`);
    }
    for (const t of [...outputs, ...tensors]) {
      try {
        t.dispose();
      } catch (e) {
        fail(`dispose failed: ${errorText(e)}`);
      }
    }
  }
}

function buildCases(be: Backend, dt: FloatDType, rng: Rng, wanted: Set<string>, checkFallbacks: boolean): { cases: CaseDef[]; skipped: string[] } {
  // Every builder draws from the PRNG in a fixed order whether or not its op is selected, so a case's inputs do not
  // depend on `ops`; the expected values are computed lazily, only for the cases that run.
  const cb = new CaseBuilder(rng, dt);
  castCases(cb, be);
  matmulCases(cb);
  elementwiseCases(cb);
  gatherCases(cb);
  takeAlongAxisCases(cb);
  layerNormCases(cb, false);
  activationCases(cb);
  softmaxCases(cb);
  conv1dCases(cb);
  transposeCases(cb);
  linearCases(cb);
  layerNormCases(cb, true);
  attentionCases(cb, be);
  quantizedLinearCases(cb);
  const skipped = FUSED_OPS.filter((op) => wanted.has(op) && typeof be[op] !== "function" && !checkFallbacks);
  const cases = cb.cases.filter((c) => wanted.has(c.op) && !skipped.includes(c.op as never));
  return { cases, skipped: [...skipped] };
}

/**
 * Runs the conformance suite against `backend` and returns one result per case. Never throws on a backend error
 * (only on bad options). Logs one line per failing op and a summary through `options.log`.
 */
export async function runConformance(backend: Backend, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const dt = options.dtype ?? "f32";
  const log = options.log ?? ((line: string) => console.error(line));
  const ops = options.ops ?? [...CONFORMANCE_OPS];
  for (const op of ops) {
    if (!CONFORMANCE_OPS.includes(op)) throw new InputError(`runConformance: unknown op "${op}" in options.ops (known: ${CONFORMANCE_OPS.join(", ")})`);
  }
  const label = `conformance ${backend.name} ${dt}`;
  if (!backend.supportsDtype(dt)) {
    const r: ConformanceResult = { op: "supportsDtype", case: dt, maxAbsError: 0, maxRelError: 0, tolerance: "", ok: false, error: `backend "${backend.name}" does not support ${dt}` };
    log(`${label}: FAIL — ${r.error}`);
    return { passed: false, results: [r], backend: backend.name, dtype: dt };
  }
  const base = { ...DEFAULT_TOLERANCE[dt], ...stripUndefined({ atol: options.tolerance?.atol, rtol: options.tolerance?.rtol }) };
  const tolFor = (op: string): Tolerance => ({ ...base, ...stripUndefined(options.tolerance?.ops?.[op] ?? {}) });
  const rng = new Rng(options.seed ?? 1234);
  const wanted = new Set(ops);
  const { cases, skipped } = buildCases(backend, dt, rng, wanted, !!options.checkFallbacks);
  const results: ConformanceResult[] = [];
  for (const c of cases) {
    const r = await runCase(backend, c, tolFor(c.op));
    if (typeof (backend as unknown as Record<string, unknown>)[c.op] !== "function" && FUSED_OPS.includes(c.op as never)) {
      r.case = `reference fallback: ${r.case}`;
    }
    results.push(r);
  }
  for (const op of skipped) {
    results.push({ op, case: "skipped: not implemented, reference fallback used", maxAbsError: 0, maxRelError: 0, tolerance: "", ok: true, skipped: true });
  }
  // One line per failing op (its worst case), then a summary.
  const failedOps: string[] = [];
  for (const op of CONFORMANCE_OPS) {
    const bad = results.filter((r) => r.op === op && !r.ok);
    if (!bad.length) continue;
    failedOps.push(op);
    const total = results.filter((r) => r.op === op).length;
    const worst = bad.reduce((w, r) => (r.maxAbsError > w.maxAbsError || Number.isNaN(r.maxAbsError) ? r : w), bad[0]);
    log(
      `${label}: FAIL ${op} (${bad.length}/${total} cases) — worst "${worst.case}": maxAbs=${fmt(worst.maxAbsError)} maxRel=${fmt(worst.maxRelError)} vs ${worst.tolerance || "n/a"}${worst.error ? ` — ${worst.error}` : ""}`,
    );
  }
  const nFail = results.filter((r) => !r.ok).length;
  const nSkip = results.filter((r) => r.skipped).length;
  const nPass = results.length - nFail - nSkip;
  log(
    `${label}: ${nFail ? "FAILED" : "passed"} — ${nPass} passed, ${nFail} failed${failedOps.length ? ` (${failedOps.join(", ")})` : ""}, ${nSkip} skipped${skipped.length ? ` (${skipped.join(", ")}: reference fallback)` : ""}`,
  );
  return { passed: nFail === 0, results, backend: backend.name, dtype: dt };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
