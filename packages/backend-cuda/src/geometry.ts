/**
 * Shape arithmetic for the strided kernels: contiguous strides, broadcast strides, and collapsing of adjacent dims
 * that every operand walks contiguously (so most calls fit the kernels' rank-6 limit and do less index math).
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `shape` (aligned from the right with `out`), 0 on the dims where it broadcasts. */
export function stridesFor(shape: readonly number[], out: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const res = new Array<number>(out.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    const j = shape.length - out.length + i;
    if (j < 0) continue;
    res[i] = shape[j] === 1 && out[i] !== 1 ? 0 : own[j];
  }
  return res;
}

/**
 * Drops size-1 dims and merges dim i into dim i+1 wherever every stride list continues contiguously
 * (`s[i] == s[i+1] · dims[i+1]`, zero strides included). Returns at least rank 1.
 */
export function collapseDims(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
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

/** Whether `shape` (right-aligned) is leading 1s followed by exactly the trailing dims of `out`. */
export function isSuffixOf(shape: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  const rest = shape.slice(i);
  if (rest.length > out.length) return false;
  const tail = out.slice(out.length - rest.length);
  return rest.every((d, k) => d === tail[k]);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
