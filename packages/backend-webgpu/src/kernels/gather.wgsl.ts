/**
 * Gathers: embedding rows (`gather`, chunk-aware for tables split over several buffers) and numpy
 * `take_along_axis`.
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { enables, flatIndex, input, output } from "./common.wgsl.js";

export const GATHER_WG = 256;

/**
 * `y[n, d] = table[ids[n] - rowStart, d]` for ids in `[rowStart, rowStart + rows)`; other rows are left alone (they
 * belong to another chunk of the table, written by another dispatch).
 */
export const gatherParams = new ParamLayout({ n: "u32", D: "u32", rowStart: "u32", rows: "u32" });

export function gatherKernel(dtype: DType): KernelVariant {
  return {
    key: `gather/${dtype}`,
    source: () => `${enables(dtype)}${gatherParams.wgsl}
${input(1, "table", dtype)}${input(2, "ids", "i32")}${output(3, "y", dtype)}
@compute @workgroup_size(${GATHER_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(GATHER_WG)};
  if (i >= u.n * u.D) { return; }
  let row = i / u.D;
  let col = i % u.D;
  let id = u32(ids[row]);
  if (id < u.rowStart || id - u.rowStart >= u.rows) { return; }
  y[i] = table[(id - u.rowStart) * u.D + col];
}
`,
  };
}

/**
 * `y[n, d] = f32(f32(code · scales[id]) · 1/127)` for an int8 row-wise table (`quantize_embeddings`) kept packed in
 * u32 words (byte e = element e, little-endian): the exact `dequantizeRows` arithmetic (bnb's
 * `int8_vectorwise_dequant` order), then rounded to `dtype`. Ids outside `[0, V)` give zero rows (the model checks
 * ids against the vocabulary on the host first).
 */
export const gatherQuantizedParams = new ParamLayout({ n: "u32", D: "u32", V: "u32" });

export function gatherQuantizedKernel(dtype: DType): KernelVariant {
  return {
    key: `gather-int8/${dtype}`,
    source: () => `${enables(dtype)}${gatherQuantizedParams.wgsl}
@group(0) @binding(1) var<storage, read> wdata: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
${input(3, "ids", "i32")}${output(4, "y", dtype)}
@compute @workgroup_size(${GATHER_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(GATHER_WG)};
  if (i >= u.n * u.D) { return; }
  let row = i / u.D;
  let col = i % u.D;
  let id = ids[row];
  if (id < 0 || u32(id) >= u.V) { st_y(i, 0.0); return; }
  let e = u32(id) * u.D + col;
  let byte = (wdata[e >> 2u] >> ((e & 3u) * 8u)) & 0xffu;
  let code = (i32(byte) << 24u) >> 24u;
  st_y(i, (f32(code) * scales[u32(id)]) * 7.874015718698502e-3);
}
`,
  };
}

export const TAKE_MAX_RANK = 8;
export const takeParams = new ParamLayout(
  { n: "u32", rank: "u32", axis: "u32", axisStride: "u32", axisSize: "u32" },
  { shape: TAKE_MAX_RANK, sx: TAKE_MAX_RANK, si: TAKE_MAX_RANK },
);

/** `y[…, k, …] = x[…, idx[…, k, …], …]` with broadcasting on the other dims (`sx[axis]` is 0; `axisStride` is x's). */
export function takeAlongAxisKernel(dtype: DType): KernelVariant {
  return {
    key: `take/${dtype}`,
    source: () => `${enables(dtype)}${takeParams.wgsl}
${input(1, "x", dtype)}${input(2, "idx", "i32")}${output(3, "y", dtype)}
@compute @workgroup_size(${GATHER_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(GATHER_WG)};
  if (i >= u.n) { return; }
  var rem = i;
  var ix = 0u;
  var ii = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = shape_at(u32(d));
    let c = rem % n;
    rem = rem / n;
    ix += c * sx_at(u32(d));
    ii += c * si_at(u32(d));
  }
  let j = clamp(idx[ii], 0, i32(u.axisSize) - 1);
  y[i] = x[ix + u32(j) * u.axisStride];
}
`,
  };
}
