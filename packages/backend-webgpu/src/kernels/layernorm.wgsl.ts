/**
 * LayerNorm over the last dim (torch: biased variance, `(x − mean) / sqrt(var + eps) · γ + β`), optionally of
 * `x + residual` (the fused `addLayerNorm`). One workgroup per row; mean and variance in f32, two passes.
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { enables, input, output } from "./common.wgsl.js";
import { ROW_INDEX, workgroupReduce } from "./reduce.wgsl.js";

export const layerNormParams = new ParamLayout({ rows: "u32", D: "u32", eps: "f32" });

export function layerNormWorkgroup(D: number): number {
  return D >= 512 ? 256 : D >= 128 ? 128 : 64;
}

export function layerNormKernel(dtype: DType, gammaDtype: DType, residual: boolean, wg: number): KernelVariant {
  return {
    key: `layernorm/${dtype}/${gammaDtype}/${residual ? "res" : "plain"}/wg${wg}`,
    source: () => {
      const val = residual ? "(ld_x(base + c) + ld_res(base + c))" : "ld_x(base + c)";
      return `${enables(dtype, gammaDtype)}${layerNormParams.wgsl}
${input(1, "x", dtype)}${residual ? input(2, "res", dtype) : ""}${input(3, "gamma", gammaDtype)}${input(4, "beta", gammaDtype)}${output(5, "y", dtype)}
${workgroupReduce(wg)}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${ROW_INDEX};
  if (row >= u.rows) { return; }
  let base = row * u.D;
  var s = 0.0;
  for (var c = lid; c < u.D; c += ${wg}u) { s += ${val}; }
  let mean = wg_sum(lid, s) / f32(u.D);
  var q = 0.0;
  for (var c = lid; c < u.D; c += ${wg}u) { let d = ${val} - mean; q += d * d; }
  let variance = wg_sum(lid, q) / f32(u.D);
  let rstd = 1.0 / sqrt(variance + u.eps);
  for (var c = lid; c < u.D; c += ${wg}u) {
    st_y(base + c, (${val} - mean) * rstd * ld_gamma(c) + ld_beta(c));
  }
}
`;
    },
  };
}

export const ROW_WG = 64;

/** CPU-backed adapters: one invocation per row, no workgroup memory and no barriers. */
export function layerNormRowKernel(dtype: DType, gammaDtype: DType, residual: boolean): KernelVariant {
  return {
    key: `layernorm-row/${dtype}/${gammaDtype}/${residual ? "res" : "plain"}`,
    source: () => {
      const val = residual ? "(ld_x(base + c) + ld_res(base + c))" : "ld_x(base + c)";
      return `${enables(dtype, gammaDtype)}${layerNormParams.wgsl}
${input(1, "x", dtype)}${residual ? input(2, "res", dtype) : ""}${input(3, "gamma", gammaDtype)}${input(4, "beta", gammaDtype)}${output(5, "y", dtype)}
@compute @workgroup_size(${ROW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * ${ROW_WG}u);
  if (row >= u.rows) { return; }
  let base = row * u.D;
  var s = 0.0;
  for (var c = 0u; c < u.D; c++) { s += ${val}; }
  let mean = s / f32(u.D);
  var q = 0.0;
  for (var c = 0u; c < u.D; c++) { let d = ${val} - mean; q += d * d; }
  let rstd = 1.0 / sqrt(q / f32(u.D) + u.eps);
  for (var c = 0u; c < u.D; c++) {
    st_y(base + c, (${val} - mean) * rstd * ld_gamma(c) + ld_beta(c));
  }
}
`;
    },
  };
}
