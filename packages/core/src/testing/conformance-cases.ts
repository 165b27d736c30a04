/**
 * The conformance kit's cases: seeded random inputs for every op, and the float64 references they are checked
 * against (`reference-ops.ts`). The runner (`conformance.ts`) uploads, runs and compares them.
 */
import { ACTIVATIONS, type Activation, type Backend, type MatmulOptions } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { layoutTokens, packedLayout, paddedLayout, type SequenceLayout } from "../layout.js";
import { addLayerNormReference, linearReference } from "../ops/reference.js";
import type { Rng } from "./random.js";
import {
  refActivation,
  refAdd,
  refAddLayerNorm,
  refCast,
  refConv1d,
  refGather,
  refLayerNorm,
  refMatmul,
  refMul,
  refSoftmax,
  refTakeAlongAxis,
  refTranspose,
} from "./reference-ops.js";

import { abs, absHost, CaseBuilder, type CaseDef, fmtShape, host, type InputDef, linearOutput, out } from "./conformance-builder.js";
import { attentionCases } from "./conformance-attention.js";
import { quantizedLinearCases } from "./conformance-quantized.js";
import { quantizedGatherCases } from "./conformance-quantized-gather.js";
import { linearManyCases } from "./conformance-linear-many.js";

export type { CaseDef, Expected, InputDef } from "./conformance-builder.js";
export { buildRelIndex, type AttentionCaseSpec } from "./conformance-attention.js";

export const FUSED_OPS = ["linear", "addLayerNorm", "disentangledAttention", "quantizedLinear"] as const;

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
        return [linearOutput(pre, preMag.data, bias?.values, act, dt)];
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

export function buildCases(be: Backend, dt: FloatDType, rng: Rng, wanted: Set<string>, checkFallbacks: boolean): { cases: CaseDef[]; skipped: string[] } {
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
  quantizedGatherCases(cb);
  linearManyCases(cb); // last: the families above keep the inputs they had before it existed
  const skipped = FUSED_OPS.filter((op) => wanted.has(op) && typeof be[op] !== "function" && !checkFallbacks);
  const cases = cb.cases.filter((c) => wanted.has(c.op) && !skipped.includes(c.op as never));
  return { cases, skipped: [...skipped] };
}

/**
 * Runs the conformance suite against `backend` and returns one result per case. Never throws on a backend error
 * (only on bad options). Logs one line per failing op and a summary through `options.log`.
 */
