/** Shape questions specific to the CUDA kernels (the general shape arithmetic is core's `shape.ts`). */
/** Whether `shape` (right-aligned) is leading 1s followed by exactly the trailing dims of `out`. */
export function isSuffixOf(shape: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  const rest = shape.slice(i);
  if (rest.length > out.length) return false;
  const tail = out.slice(out.length - rest.length);
  return rest.every((d, k) => d === tail[k]);
}
