/**
 * Shape arithmetic every backend needs: row-major strides, numpy broadcasting (shapes aligned from the right) and
 * merging of dims that all operands walk contiguously. Shared here so backends (which never import each other)
 * and the reference ops agree on one definition.
 */
import { InputError } from "./errors.js";

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** numpy broadcasting of two shapes. `what` names the op in the error. */
export function broadcastShapes(a: readonly number[], b: readonly number[], what = "broadcast"): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = i < r - a.length ? 1 : a[i - (r - a.length)];
    const db = i < r - b.length ? 1 : b[i - (r - b.length)];
    if (da !== db && da !== 1 && db !== 1) throw new InputError(`${what}: shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides for reading `shape` at the indices of `outShape` (0 on broadcast dims), one per output dim. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[], what = "broadcast"): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  if (off < 0) throw new InputError(`${what}: [${shape}] has more dims than [${outShape}]`);
  const s = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === outShape[i + off]) s[i + off] = shape[i] === 1 ? 0 : own[i];
    else if (shape[i] !== 1) throw new InputError(`${what}: [${shape}] does not broadcast to [${outShape}]`);
  }
  return s;
}

/**
 * Drops size-1 dims and merges dim i into dim i+1 wherever every operand's strides continue contiguously
 * (`s[i] == s[i+1] · dims[i+1]`, zero strides included), so kernels walk the fewest dims. Returns at least rank 1.
 */
export function coalesceDims(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = outDims.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * dims[i])) {
      outDims[last] *= dims[i];
      strides.forEach((s, k) => (outStrides[k][last] = s[i]));
      continue;
    }
    outDims.push(dims[i]);
    strides.forEach((s, k) => outStrides[k].push(s[i]));
  }
  if (!outDims.length) return { dims: [1], strides: strides.map(() => [0]) };
  return { dims: outDims, strides: outStrides };
}

/** The dimensions of a `Backend.matmul` call, validated: `[...batchA, M, K] · [...batchB, K, N] → [...outBatch, M, N]`. */
export interface MatmulGeometry {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  batchA: number[];
  batchB: number[];
  outBatch: number[];
}

export function matmulGeometry(
  a: readonly number[],
  b: readonly number[],
  opts: { transA?: boolean; transB?: boolean; alpha?: number } = {},
): MatmulGeometry {
  if (a.length < 2 || b.length < 2) throw new InputError(`matmul: operands must have rank ≥ 2, got a [${a}] and b [${b}]`);
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const [ar, ac] = a.slice(-2);
  const [br, bc] = b.slice(-2);
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const N = transB ? br : bc;
  if ((transB ? bc : br) !== K) throw new InputError(`matmul: inner dims differ, a [${a}]${transA ? "ᵀ" : ""} · b [${b}]${transB ? "ᵀ" : ""}`);
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  return { M, N, K, transA, transB, alpha: opts.alpha ?? 1, batchA, batchB, outBatch: broadcastShapes(batchA, batchB, "matmul batch dims") };
}
