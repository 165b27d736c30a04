/**
 * The quantized embedding lookup: rows of an int8 row-wise table (`quantize_embeddings`) at i32 ids, dequantized
 * to the compute dtype — only the gathered rows are ever expanded to float. Core checks the contract; backends with
 * `gatherQuantized` run it on their own storage (CPU, WebGPU, CUDA), others get the reference fallback below:
 * dequantize the rows from the weight's host copy at the host ids and upload `[N, D]` (the int8 table then also stays
 * on the host, V·D bytes).
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { InputError } from "../errors.js";
import { dequantizeRows } from "../quant/dequantize.js";
import { type QuantizedWeight, quantDataBytes } from "../quant/quantized-weight.js";
import type { Tensor } from "../tensor.js";

/** Shapes and layout of a quantized gather (the table must be int8 row-wise: one scale per row). */
export function checkQuantizedGather(table: QuantizedWeight, ids: Tensor, dtype: FloatDType): { V: number; D: number; N: number } {
  const { outFeatures: V, inFeatures: D } = table;
  const what = `gatherQuantized: ${table.layout} table [${V}, ${D}]`;
  if (table.layout !== "int8") throw new InputError(`${what}: only int8 row-wise tables can be gathered (one scale per row)`);
  const words = Math.ceil(quantDataBytes("int8", V, D) / 4);
  if (table.data.dtype !== "i32" || table.data.size !== words) throw new InputError(`${what}: data must be i32 [${words}], found ${table.data.dtype} [${table.data.shape}]`);
  if (table.scales.dtype !== "f32" || table.scales.size !== V) throw new InputError(`${what}: scales must be f32 [${V}], found ${table.scales.dtype} [${table.scales.shape}]`);
  if (ids.dtype !== "i32") throw new InputError(`gatherQuantized: ids [${ids.shape}] must be i32, got ${ids.dtype}`);
  if (dtype !== "f32" && dtype !== "f16") throw new InputError(`gatherQuantized: output dtype must be f32 or f16, got ${dtype}`);
  return { V, D, N: ids.size };
}

/**
 * Host fallback: `hostIds` are the same ids as `ids` (the model uploads them from the host, so no read-back is
 * needed). Each row is `f32(f32(code · scale) · 1/127)`, exactly `dequantize()`'s row, so a gathered row equals
 * the dequantized table's row bit for bit.
 */
export function gatherQuantizedReference(be: Backend, table: QuantizedWeight, ids: Tensor, hostIds: Int32Array | undefined, dtype: FloatDType): Tensor {
  const { V, D, N } = checkQuantizedGather(table, ids, dtype);
  if (!table.host) throw new InputError(`gatherQuantized: backend "${be.name}" has no gatherQuantized and the table kept no host copy`);
  if (!hostIds || hostIds.length !== N) throw new InputError(`gatherQuantized: backend "${be.name}" has no gatherQuantized; the fallback needs the ${N} ids on the host`);
  const out = new Float32Array(N * D);
  for (let n = 0; n < N; n++) {
    const id = hostIds[n];
    if (!(id >= 0 && id < V)) throw new InputError(`gatherQuantized: ids[${n}] = ${id} is outside the table's ${V} rows`);
    dequantizeRows(table.host, id, id + 1, out.subarray(n * D, (n + 1) * D));
  }
  const f32 = be.upload(out, [N, D], "f32");
  if (dtype === "f32") return f32;
  try {
    return be.cast(f32, dtype);
  } finally {
    f32.dispose();
  }
}
