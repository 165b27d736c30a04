/**
 * The v2 conv layer as im2col + matmul: `cols[t, c·k + r] = x[t + r − pad, c]` inside t's own sequence, 0 outside
 * (each sequence is zero-padded at its ends), then `cols · W[Cout, Cin·k]ᵀ + bias` with the tiled matmul
 * (torch's `[Cout, Cin, k]` weight is already that matrix, row-major).
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { enables, flatIndex, input, output } from "./common.wgsl.js";

export const IM2COL_WG = 256;
export const im2colParams = new ParamLayout({ T: "u32", Cin: "u32", k: "u32", pad: "u32", batch: "u32" });

/** `offsets`: i32 `[batch + 1]` first row of each sequence (the layout's offsets). */
export function im2colKernel(dtype: DType): KernelVariant {
  return {
    key: `im2col/${dtype}`,
    source: () => `${enables(dtype)}${im2colParams.wgsl}
${input(1, "x", dtype)}${input(2, "offsets", "i32")}${output(3, "cols", dtype)}
@compute @workgroup_size(${IM2COL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(IM2COL_WG)};
  let width = u.Cin * u.k;
  if (i >= u.T * width) { return; }
  let t = i / width;
  let col = i % width;
  let c = col / u.k;
  let r = col % u.k;
  // sequence of row t: the last b with offsets[b] <= t
  var lo = 0u;
  var hi = u.batch;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (u32(offsets[mid]) <= t) { lo = mid; } else { hi = mid; }
  }
  let start = i32(offsets[lo]);
  let end = i32(offsets[lo + 1u]);
  let src = i32(t) + i32(r) - i32(u.pad);
  if (src < start || src >= end) {
    cols[i] = ${dtype}(0.0);
  } else {
    cols[i] = x[u32(src) * u.Cin + c];
  }
}
`,
  };
}
