/** Shape arithmetic shared by the op wrappers (row-major, numpy broadcasting aligned from the right). */
import { InputError } from "@deberta-js/core";

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new InputError(`${op}: shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen through `outShape` (0 on broadcast dims), one per output dim. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = stridesOf(shape);
  const r = outShape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = r - shape.length + i;
    out[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : s[i];
  }
  return out;
}

/**
 * Merges adjacent dims that are contiguous in the output and in every input (same broadcast pattern), so kernels
 * get the fewest dims to walk. `strides[k]` are per-output-dim strides of input k.
 */
export function coalesce(outShape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const shape: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[d] * outShape[d])) {
      shape[last] *= outShape[d];
      strides.forEach((s, k) => (st[k][last] = s[d]));
      continue;
    }
    shape.push(outShape[d]);
    strides.forEach((s, k) => st[k].push(s[d]));
  }
  if (!shape.length) {
    shape.push(1);
    st.forEach((s) => s.push(0));
  }
  return { shape, strides: st };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
