/** Small numeric helpers of the pipelines' post-processing (float64 on the host, as numpy would on float32 data). */

/** numpy-style softmax: subtract the max, exponentiate, normalize. */
export function softmax(x: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  const e = new Array<number>(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    e[i] = Math.exp(x[i] - max);
    sum += e[i];
  }
  for (let i = 0; i < x.length; i++) e[i] /= sum;
  return e;
}

export function sigmoid(x: ArrayLike<number>): number[] {
  return Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
}

/** Index of the first maximum (numpy `argmax`). NaN never wins unless everything is NaN. */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best] || (Number.isNaN(x[best]) && !Number.isNaN(x[i]))) best = i;
  return best;
}

/** Indexes of the `k` largest values, largest first; ties keep the lower index first. */
export function topK(x: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: x.length }, (_, i) => i);
  idx.sort((a, b) => x[b] - x[a] || a - b);
  return idx.slice(0, Math.max(0, Math.min(k, idx.length)));
}

/** Mean ignoring NaN (numpy `nanmean`); NaN when every value is NaN. */
export function nanmean(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Python's `list[i]` with negative indexes counting from the end. */
export function pyIndex(length: number, i: number): number {
  return i < 0 ? length + i : i;
}
