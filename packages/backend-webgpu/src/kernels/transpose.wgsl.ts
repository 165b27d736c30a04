/** Transpose: a strided copy (`perm[i]` is the source dim of output dim i), dims coalesced on the host. */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { enables, flatIndex } from "./common.wgsl.js";

export const TRANSPOSE_WG = 256;
export const TRANSPOSE_MAX_RANK = 8;
export const transposeParams = new ParamLayout({ n: "u32", rank: "u32" }, { shape: TRANSPOSE_MAX_RANK, sx: TRANSPOSE_MAX_RANK });

export function transposeKernel(dtype: DType): KernelVariant {
  return {
    key: `transpose/${dtype}`,
    source: () => `${enables(dtype)}${transposeParams.wgsl}
@group(0) @binding(1) var<storage, read> x: array<${dtype}>;
@group(0) @binding(2) var<storage, read_write> y: array<${dtype}>;
@compute @workgroup_size(${TRANSPOSE_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(TRANSPOSE_WG)};
  if (i >= u.n) { return; }
  var rem = i;
  var src = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = shape_at(u32(d));
    src += (rem % n) * sx_at(u32(d));
    rem = rem / n;
  }
  y[i] = x[src];
}
`,
  };
}
