/**
 * Softmax over the last dim, with an optional broadcast mask: where mask == 0 the score is first replaced by the
 * dtype's lowest finite value (HF's `masked_fill(finfo.min)`), so a fully masked row comes out uniform.
 * One workgroup per row; max, sum and output in f32.
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { enables, input, lowestLiteral, output } from "./common.wgsl.js";
import { ROW_INDEX, workgroupReduce } from "./reduce.wgsl.js";

export const SOFTMAX_WG = 128;
export const SOFTMAX_MAX_RANK = 8;
export const softmaxParams = new ParamLayout({ rows: "u32", C: "u32", rank: "u32" }, { shape: SOFTMAX_MAX_RANK, sm: SOFTMAX_MAX_RANK });

/**
 * `perRow`: one invocation per row, no workgroup memory and no barriers (CPU-backed adapters); otherwise one
 * workgroup per row with tree reductions.
 */
export function softmaxKernel(dtype: DType, maskDtype: DType | undefined, perRow = false): KernelVariant {
  const wg = SOFTMAX_WG;
  return {
    key: `softmax/${dtype}/${maskDtype ?? "nomask"}/${perRow ? "row" : "wg"}`,
    source: () => {
      const masked = maskDtype !== undefined;
      const score = masked
        ? `fn score(base: u32, c: u32) -> f32 {
  var rem = base + c;
  var im = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = shape_at(u32(d));
    im += (rem % n) * sm_at(u32(d));
    rem = rem / n;
  }
  if (f32(ld_m(im)) == 0.0) { return ${lowestLiteral(dtype)}; }
  return ld_x(base + c);
}`
        : `fn score(base: u32, c: u32) -> f32 { return ld_x(base + c); }`;
      const head = `${enables(dtype, ...(maskDtype ? [maskDtype] : []))}${softmaxParams.wgsl}
${input(1, "x", dtype)}${masked ? input(2, "m", maskDtype) : ""}${output(3, "y", dtype)}`;
      if (perRow) {
        return `${head}
${score}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * 64u);
  if (row >= u.rows) { return; }
  let base = row * u.C;
  var m = ${lowestLiteral("f32")};
  for (var c = 0u; c < u.C; c++) { m = max(m, score(base, c)); }
  var total = 0.0;
  for (var c = 0u; c < u.C; c++) { total += exp(score(base, c) - m); }
  for (var c = 0u; c < u.C; c++) { st_y(base + c, exp(score(base, c) - m) / total); }
}
`;
      }
      return `${head}
${workgroupReduce(wg)}
${score}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${ROW_INDEX};
  if (row >= u.rows) { return; }
  let base = row * u.C;
  var mx = ${lowestLiteral("f32")};
  for (var c = lid; c < u.C; c += ${wg}u) { mx = max(mx, score(base, c)); }
  let m = wg_max(lid, mx);
  var s = 0.0;
  for (var c = lid; c < u.C; c += ${wg}u) { s += exp(score(base, c) - m); }
  let total = wg_sum(lid, s);
  for (var c = lid; c < u.C; c += ${wg}u) { st_y(base + c, exp(score(base, c) - m) / total); }
}
`;
    },
  };
}
