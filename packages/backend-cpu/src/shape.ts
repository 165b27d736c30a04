import { sizeOf } from "@deberta-js/core";

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
