/**
 * Naive, obviously-correct float64 implementations of every `Backend` op, on host arrays.
 *
 * These pin down the semantics of the backend contract (`backend.ts`): `runConformance` compares a backend against
 * them, and `HostBackend` is built from them. They favour clarity over speed: plain loops, float64 everywhere, no
 * reuse of buffers, index arithmetic spelled out.
 *
 * Values are `ArrayLike<number>` (any typed array or a plain array) plus a row-major shape; results are
 * `Float64Array`s. f16 data must be widened to numbers first (`fromTensorData`). Nothing here rounds to the storage
 * dtype except `refCast` and `roundToDtype`; the dtype only matters where the contract names it (the "lowest finite
 * value" of masked softmax and attention).
 */
import type { Activation, AttentionSpec, MatmulOptions } from "../backend.js";
import { f16BitsToF32, f32ToF16Bits, type DType, type FloatDType, type TensorData } from "../dtype.js";
import { InputError } from "../errors.js";
import { layoutBatch, layoutMaxLen, layoutTokens, maskAt, sequenceSpan, type SequenceLayout } from "../layout.js";

/** Host values with a row-major shape. */
export interface HostArray {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** What every reference op returns. */
export interface HostResult {
  readonly shape: number[];
  readonly data: Float64Array;
}

// ── dtype helpers ──────────────────────────────────────────────────────────────────────────────────────────────

/** Largest-magnitude negative finite value of a float dtype: what `masked_fill(finfo.min)` writes. */
export function lowestFinite(dtype: FloatDType): number {
  return dtype === "f16" ? -65504 : -3.4028234663852886e38;
}

/** A number rounded to the nearest value of `dtype` (ties to even; f16 overflow gives ±Infinity). i32 truncates. */
export function roundScalar(x: number, dtype: DType): number {
  if (dtype === "f32") return Math.fround(x);
  if (dtype === "f16") return roundF16(x);
  return Math.trunc(x) | 0;
}

/** A double rounded straight to the nearest IEEE half (no double rounding through float32). */
export function roundF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const q = a / ulp; // exact: division by a power of two
  let r = Math.floor(q);
  const frac = q - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const v = r * ulp;
  if (v > 65504) return x > 0 ? Infinity : -Infinity;
  return x < 0 ? -v : v;
}

/** Every value rounded to `dtype`. */
export function roundToDtype(values: ArrayLike<number>, dtype: DType): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundScalar(values[i], dtype);
  return out;
}

/** Numbers → what `Backend.upload` takes for `dtype` (f16 as half bits). */
export function toTensorData(values: ArrayLike<number>, dtype: DType): TensorData {
  if (dtype === "f32") return Float32Array.from(values);
  if (dtype === "i32") return Int32Array.from(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(roundF16(values[i]));
  return out;
}

/** What `Backend.read` returns → numbers (f16 half bits widened). */
export function fromTensorData(data: TensorData): Float64Array {
  const out = new Float64Array(data.length);
  if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) out[i] = f16BitsToF32(data[i]);
  else for (let i = 0; i < data.length; i++) out[i] = data[i];
  return out;
}

// ── shape helpers (core's, re-exported for kit users) ───────────────────────────────────────────────────────

export { sizeOf, stridesOf, broadcastShapes, broadcastStrides } from "../shape.js";
import { sizeOf, stridesOf, broadcastShapes, broadcastStrides } from "../shape.js";

/** Multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

function dot(index: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < index.length; i++) o += index[i] * strides[i];
  return o;
}

function checkSize(x: HostArray, what: string) {
  if (x.data.length !== sizeOf(x.shape)) {
    throw new InputError(`${what}: data has ${x.data.length} elements but shape [${x.shape}] needs ${sizeOf(x.shape)}`);
  }
}

// ── primitives ─────────────────────────────────────────────────────────────────────────────────────────────────

/** `cast`: values rounded to the target dtype (a plain copy when already representable). */
export function refCast(x: HostArray, dtype: FloatDType): HostResult {
  return { shape: [...x.shape], data: roundToDtype(x.data, dtype) };
}

/** Batched matmul with transA/transB/alpha and numpy batch broadcasting. */
export function refMatmul(a: HostArray, b: HostArray, opts: MatmulOptions = {}): HostResult {
  checkSize(a, "matmul a");
  checkSize(b, "matmul b");
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new InputError(`matmul needs rank ≥ 2 operands, got a [${a.shape}] and b [${b.shape}]`);
  }
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const alpha = opts.alpha ?? 1;
  const ar = a.shape[a.shape.length - 2];
  const ac = a.shape[a.shape.length - 1];
  const br = b.shape[b.shape.length - 2];
  const bc = b.shape[b.shape.length - 1];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) throw new InputError(`matmul inner dims differ: a [${a.shape}]${transA ? "ᵀ" : ""} vs b [${b.shape}]${transB ? "ᵀ" : ""}`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const sa = broadcastStrides(batchA, batch);
  const sb = broadcastStrides(batchB, batch);
  const nBatch = sizeOf(batch);
  const out = new Float64Array(nBatch * M * N);
  for (let t = 0; t < nBatch; t++) {
    const bi = unravel(t, batch);
    const aOff = dot(bi, sa) * ar * ac;
    const bOff = dot(bi, sb) * br * bc;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[aOff + (transA ? k * ac + i : i * ac + k)];
          const bv = b.data[bOff + (transB ? j * bc + k : k * bc + j)];
          s += av * bv;
        }
        out[(t * M + i) * N + j] = alpha * s;
      }
    }
  }
  return { shape: [...batch, M, N], data: out };
}

function elementwise(a: HostArray, b: HostArray, f: (x: number, y: number) => number, what: string): HostResult {
  checkSize(a, `${what} a`);
  checkSize(b, `${what} b`);
  const shape = broadcastShapes(a.shape, b.shape);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    out[i] = f(a.data[dot(idx, sa)], b.data[dot(idx, sb)]);
  }
  return { shape, data: out };
}

export function refAdd(a: HostArray, b: HostArray): HostResult {
  return elementwise(a, b, (x, y) => x + y, "add");
}

export function refMul(a: HostArray, b: HostArray): HostResult {
  return elementwise(a, b, (x, y) => x * y, "mul");
}

/** Rows of `table` `[V, D]` at `ids` `[N]` → `[N, D]`. */
export function refGather(table: HostArray, ids: HostArray): HostResult {
  checkSize(table, "gather table");
  if (table.shape.length !== 2) throw new InputError(`gather table must be [V, D], got [${table.shape}]`);
  const [V, D] = table.shape;
  const N = ids.data.length;
  const out = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const id = ids.data[n];
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new InputError(`gather: ids[${n}] = ${id} is outside [0, ${V})`);
    for (let d = 0; d < D; d++) out[n * D + d] = table.data[id * D + d];
  }
  return { shape: [N, D], data: out };
}

/** numpy `take_along_axis` with broadcasting of the other dims. */
export function refTakeAlongAxis(x: HostArray, idx: HostArray, axis: number): HostResult {
  checkSize(x, "takeAlongAxis x");
  checkSize(idx, "takeAlongAxis idx");
  const r = x.shape.length;
  if (idx.shape.length !== r) throw new InputError(`takeAlongAxis: x [${x.shape}] and idx [${idx.shape}] differ in rank`);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) throw new InputError(`takeAlongAxis: axis ${axis} out of range for rank ${r}`);
  const shape = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    if (i === axis) shape[i] = idx.shape[i];
    else {
      const dx = x.shape[i];
      const di = idx.shape[i];
      if (dx !== di && dx !== 1 && di !== 1) throw new InputError(`takeAlongAxis: dim ${i} of x [${x.shape}] and idx [${idx.shape}] do not broadcast`);
      shape[i] = dx === 1 ? di : dx;
    }
  }
  const xs = stridesOf(x.shape);
  const is = stridesOf(idx.shape);
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    const o = unravel(f, shape);
    let io = 0;
    for (let i = 0; i < r; i++) io += (idx.shape[i] === 1 ? 0 : o[i]) * is[i];
    const k = idx.data[io];
    if (!Number.isInteger(k) || k < 0 || k >= x.shape[axis]) {
      throw new InputError(`takeAlongAxis: index ${k} is outside [0, ${x.shape[axis]}) on axis ${axis}`);
    }
    let xo = 0;
    for (let i = 0; i < r; i++) xo += (i === axis ? k : x.shape[i] === 1 ? 0 : o[i]) * xs[i];
    out[f] = x.data[xo];
  }
  return { shape, data: out };
}

/** torch LayerNorm over the last dim, biased variance. */
export function refLayerNorm(x: HostArray, gamma: HostArray, beta: HostArray, eps: number): HostResult {
  checkSize(x, "layerNorm x");
  const D = x.shape[x.shape.length - 1];
  if (gamma.data.length !== D || beta.data.length !== D) {
    throw new InputError(`layerNorm: gamma/beta must have ${D} elements, got ${gamma.data.length}/${beta.data.length}`);
  }
  const rows = x.data.length / D;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x.data[r * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) {
      const c = x.data[r * D + d] - mean;
      v += c * c;
    }
    v /= D;
    const inv = 1 / Math.sqrt(v + eps);
    for (let d = 0; d < D; d++) out[r * D + d] = (x.data[r * D + d] - mean) * inv * gamma.data[d] + beta.data[d];
  }
  return { shape: [...x.shape], data: out };
}

// ── activations ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * erf to double precision: W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for
 * the error function", Math. Comp. 23 (1969), as in his CALERF routine), max relative error ~1e-16.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let xnum = ERF_A[4] * ysq;
    let xden = ysq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + ERF_A[i]) * ysq;
      xden = (xden + ERF_B[i]) * ysq;
    }
    return (x * (xnum + ERF_A[3])) / (xden + ERF_B[3]);
  }
  const c = erfcPositive(y);
  return x > 0 ? 0.5 - c + 0.5 : c - 0.5 - 0.5;
}

/** erfc(x) to double precision (Cody). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) <= 0.46875) return 1 - erf(x);
  const c = erfcPositive(Math.abs(x));
  return x > 0 ? c : 2 - c;
}

/** erfc(y) for y > 0.46875. */
function erfcPositive(y: number): number {
  let result: number;
  if (y <= 4) {
    let xnum = ERF_C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + ERF_C[i]) * y;
      xden = (xden + ERF_D[i]) * y;
    }
    result = (xnum + ERF_C[7]) / (xden + ERF_D[7]);
  } else {
    if (y >= 26.543) return 0;
    const ysq = 1 / (y * y);
    let xnum = ERF_P[5] * ysq;
    let xden = ysq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + ERF_P[i]) * ysq;
      xden = (xden + ERF_Q[i]) * ysq;
    }
    result = (ysq * (xnum + ERF_P[4])) / (xden + ERF_Q[4]);
    result = (ONE_OVER_SQRT_PI - result) / y;
  }
  // exp(-y²) computed as exp(-ysq²)·exp(-del) with ysq = y rounded to 1/16, to keep full precision.
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del) * result;
}

const ONE_OVER_SQRT_PI = 5.6418958354775628695e-1;
const ERF_A = [3.1611237438705656, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERF_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.635138197400131, 881.95222124176909, 1712.0476126340707,
  2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERF_D = [
  15.744926110709835, 117.6939508913125, 537.18110186200986, 1621.3895745666903, 3290.7992357334597, 4362.6190901432471,
  3439.3676741437216, 1230.3393548037495,
];
const ERF_P = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 6.5874916152983678e-4, 0.016315387137302097];
const ERF_Q = [2.5685201922898682, 1.8729528499234604, 0.52790510295142837, 0.060518341312441319, 0.0023352049762686918];

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** The scalar function of an activation (HF `ACT2FN`), in float64. */
export function activationFunction(act: Activation): (x: number) => number {
  switch (act) {
    case "gelu":
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "gelu_new":
    case "gelu_pytorch_tanh":
      return (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    case "gelu_fast":
      return (x) => 0.5 * x * (1 + Math.tanh(0.7978845608 * x * (1 + 0.044715 * x * x)));
    case "quick_gelu":
      return (x) => x * sigmoid(1.702 * x);
    case "relu":
      return (x) => (x > 0 ? x : 0);
    case "tanh":
      return Math.tanh;
    case "sigmoid":
      return sigmoid;
    case "silu":
    case "swish":
      return (x) => x * sigmoid(x);
    case "linear":
      return (x) => x;
    default:
      throw new InputError(`unknown activation "${act as string}"`);
  }
}

export function refActivation(x: HostArray, act: Activation): HostResult {
  const f = activationFunction(act);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return { shape: [...x.shape], data: out };
}

/**
 * Softmax over the last dim. Where `mask` (broadcast to x) is 0 the score is first replaced by the dtype's lowest
 * finite value, so a fully masked row is uniform.
 */
export function refSoftmax(x: HostArray, mask?: HostArray, dtype: FloatDType = "f32"): HostResult {
  checkSize(x, "softmax x");
  const D = x.shape[x.shape.length - 1];
  const rows = D === 0 ? 0 : x.data.length / D;
  const low = lowestFinite(dtype);
  const ms = mask ? broadcastStrides(mask.shape, x.shape) : null;
  const out = new Float64Array(x.data.length);
  const s = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let d = 0; d < D; d++) {
      let v = x.data[r * D + d];
      if (mask && ms && mask.data[dot(unravel(r * D + d, x.shape), ms)] === 0) v = low;
      s[d] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let d = 0; d < D; d++) {
      s[d] = Math.exp(s[d] - max);
      sum += s[d];
    }
    for (let d = 0; d < D; d++) out[r * D + d] = s[d] / sum;
  }
  return { shape: [...x.shape], data: out };
}

/**
 * torch `Conv1d` along each sequence of `layout`: x `[tokens, Cin]`, weight `[Cout, Cin, k]`, bias `[Cout]`, zero
 * padding `floor((k-1)/2)` at both ends of every sequence → `[tokens, Cout]`.
 */
export function refConv1d(x: HostArray, weight: HostArray, bias: HostArray, layout: SequenceLayout): HostResult {
  checkSize(x, "conv1d x");
  const [Cout, Cin, k] = weight.shape;
  const T = layoutTokens(layout);
  if (x.shape[0] !== T || x.shape[1] !== Cin) throw new InputError(`conv1d: x [${x.shape}] must be [${T}, ${Cin}]`);
  const pad = Math.floor((k - 1) / 2);
  const out = new Float64Array(T * Cout);
  for (let b = 0; b < layoutBatch(layout); b++) {
    const { start, length } = sequenceSpan(layout, b);
    for (let t = 0; t < length; t++) {
      for (let o = 0; o < Cout; o++) {
        let s = bias.data[o];
        for (let r = 0; r < k; r++) {
          const src = t + r - pad;
          if (src < 0 || src >= length) continue;
          for (let c = 0; c < Cin; c++) s += weight.data[(o * Cin + c) * k + r] * x.data[(start + src) * Cin + c];
        }
        out[(start + t) * Cout + o] = s;
      }
    }
  }
  return { shape: [T, Cout], data: out };
}

/** A copy with dims permuted: output dim i is source dim `perm[i]`. */
export function refTranspose(x: HostArray, perm: readonly number[]): HostResult {
  checkSize(x, "transpose x");
  const r = x.shape.length;
  if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new InputError(`transpose: perm [${perm}] is not a permutation of ${r} dims`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const xs = stridesOf(x.shape);
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    const o = unravel(f, shape);
    let src = 0;
    for (let i = 0; i < r; i++) src += o[i] * xs[perm[i]];
    out[f] = x.data[src];
  }
  return { shape, data: out };
}

// ── fused ops ──────────────────────────────────────────────────────────────────────────────────────────────────

/** `act(x · weightᵀ + bias)`. */
export function refLinear(x: HostArray, weight: HostArray, bias?: HostArray, act?: Activation): HostResult {
  const y = refMatmul(x, weight, { transB: true });
  const out = bias ? refAdd(y, bias) : y;
  return act ? refActivation(out, act) : out;
}

/** `LayerNorm(x + residual)`. */
export function refAddLayerNorm(x: HostArray, residual: HostArray, gamma: HostArray, beta: HostArray, eps: number): HostResult {
  return refLayerNorm(refAdd(x, residual), gamma, beta, eps);
}

export interface RefAttentionArgs {
  /** `[tokens, H*d]` */
  q: HostArray;
  k: HostArray;
  v: HostArray;
  /** `[2S, H*d]`, needed with c2p. */
  posKey?: HostArray;
  /** `[2S, H*d]`, needed with p2c. */
  posQuery?: HostArray;
  /** `[2*maxLen - 1]` (a longer odd-length table is read around its centre). */
  relIndex?: ArrayLike<number>;
  /** `[batch * seqLen]` 0/1 mask of a padded layout; defaults to `layout.mask`. Ignored for packed layouts. */
  mask?: ArrayLike<number>;
  layout: SequenceLayout;
  spec: AttentionSpec;
  /** Decides the masked score (the dtype's lowest finite value). Default f32. */
  dtype?: FloatDType;
}

/**
 * The disentangled attention exactly as the semantics comment of `backend.ts` states it, one (sequence, head) at
 * a time. Returns the context `[tokens, H*d]` and always the probabilities `[batch, H, maxLen, maxLen]`.
 *
 * Packed layouts: sequence b occupies rows/cols `0 … len_b - 1` of its `[maxLen, maxLen]` probability block; the
 * rows and columns beyond its length are defined as 0 (there are no padding tokens to attend from or to).
 * Padded layouts: every row is defined; a fully masked row is uniform (1/seqLen), as in HF.
 */
export function refDisentangledAttention(args: RefAttentionArgs): { context: HostResult; probs: HostResult } {
  const { spec, layout } = args;
  const H = spec.numHeads;
  const d = spec.headDim;
  const HD = H * d;
  const B = layoutBatch(layout);
  const L = layoutMaxLen(layout);
  const T = layoutTokens(layout);
  for (const [name, t] of [["q", args.q], ["k", args.k], ["v", args.v]] as const) {
    checkSize(t, `attention ${name}`);
    if (t.shape[0] !== T || t.shape[1] !== HD) throw new InputError(`attention: ${name} [${t.shape}] must be [${T}, ${HD}]`);
  }
  if (spec.c2p && !args.posKey) throw new InputError("attention: c2p needs posKey");
  if (spec.p2c && !args.posQuery) throw new InputError("attention: p2c needs posQuery");
  const rel = args.relIndex;
  let centre = 0;
  if (spec.c2p || spec.p2c) {
    if (!rel) throw new InputError("attention: c2p/p2c need relIndex");
    if (rel.length % 2 !== 1 || (rel.length - 1) / 2 < L - 1) {
      throw new InputError(`attention: relIndex has ${rel.length} entries, expected 2*maxLen-1 = ${2 * L - 1}`);
    }
    centre = (rel.length - 1) / 2;
    for (let i = 0; i < rel.length; i++) {
      if (rel[i] < 0 || rel[i] >= 2 * spec.span) throw new InputError(`attention: relIndex[${i}] = ${rel[i]} is outside [0, ${2 * spec.span})`);
    }
  }
  const mask = args.mask ?? (layout.kind === "padded" ? layout.mask : undefined);
  const low = lowestFinite(args.dtype ?? "f32");
  const { q, k, v } = args;
  const pk = args.posKey?.data;
  const pq = args.posQuery?.data;
  const context = new Float64Array(T * HD);
  const probs = new Float64Array(B * H * L * L);
  for (let b = 0; b < B; b++) {
    const { start, length: n } = sequenceSpan(layout, b);
    const m = (i: number) => (layout.kind === "padded" && mask ? mask[b * layout.seqLen + i] : maskAt(layout, b, i));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < n; i++) {
        const s = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          const r = rel ? rel[i - j + centre] : 0;
          let acc = 0;
          for (let c = 0; c < d; c++) acc += q.data[(start + i) * HD + h * d + c] * k.data[(start + j) * HD + h * d + c];
          if (spec.c2p) for (let c = 0; c < d; c++) acc += q.data[(start + i) * HD + h * d + c] * pk![r * HD + h * d + c];
          if (spec.p2c) for (let c = 0; c < d; c++) acc += k.data[(start + j) * HD + h * d + c] * pq![r * HD + h * d + c];
          s[j] = m(i) * m(j) === 0 ? low : acc / spec.scale;
        }
        let max = -Infinity;
        for (let j = 0; j < n; j++) max = Math.max(max, s[j]);
        let sum = 0;
        for (let j = 0; j < n; j++) {
          s[j] = Math.exp(s[j] - max);
          sum += s[j];
        }
        for (let j = 0; j < n; j++) {
          s[j] /= sum;
          probs[((b * H + h) * L + i) * L + j] = s[j];
        }
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += s[j] * v.data[(start + j) * HD + h * d + c];
          context[(start + i) * HD + h * d + c] = acc;
        }
      }
    }
  }
  return { context: { shape: [T, HD], data: context }, probs: { shape: [B, H, L, L], data: probs } };
}
