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

/** numpy broadcasting of two shapes, aligned from the right. */
export function broadcastShapes(a: readonly number[], b: readonly number[], what: string): number[] {
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

/** Strides for reading `shape` at the indices of `outShape` (0 on broadcast dims), `outShape.length` entries. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[], what: string): number[] {
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
 * Calls `inner(outOffset, offsets…)` for every row of `outShape` (all dims but the last), with the start offsets of
 * each strided operand. The caller loops over the last dim itself.
 */
export function forEachRow(outShape: readonly number[], strides: number[][], inner: (row: number, offs: number[]) => void): void {
  const r = outShape.length;
  if (r === 0) {
    inner(0, strides.map(() => 0));
    return;
  }
  const rows = sizeOf(outShape.slice(0, -1));
  const idx = new Array<number>(r - 1).fill(0);
  const offs = strides.map(() => 0);
  for (let row = 0; row < rows; row++) {
    inner(row, offs);
    // odometer over dims r-2 … 0
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      for (let o = 0; o < offs.length; o++) offs[o] += strides[o][d];
      if (idx[d] < outShape[d]) break;
      for (let o = 0; o < offs.length; o++) offs[o] -= strides[o][d] * outShape[d];
      idx[d] = 0;
    }
  }
}
