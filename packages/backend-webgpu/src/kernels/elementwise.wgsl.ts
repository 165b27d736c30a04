/**
 * Elementwise kernels: broadcasting add/mul (strides in the uniform, a fast path for equal shapes and for a
 * trailing-dims operand like a bias), activations, and the f32 ↔ f16 cast / copy.
 */
import type { Activation, DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { ACTIVATION_FUNCTIONS, activationExpr, enables, flatIndex, input, output } from "./common.wgsl.js";

export const EW_WG = 256;
/** Max dims of the general broadcasting path (after coalescing). */
export const EW_MAX_RANK = 8;

export const binaryParams = new ParamLayout({ n: "u32", rank: "u32", nb: "u32" }, { shape: EW_MAX_RANK, sa: EW_MAX_RANK, sb: EW_MAX_RANK });

/**
 * mode "same": a and b have the output's shape; "tail": a has the output's shape and b repeats every `nb`
 * elements; "general": strides walk.
 */
export function binaryKernel(op: "add" | "mul", mode: "same" | "tail" | "general", da: DType, db: DType, dout: DType): KernelVariant {
  return {
    key: `binary/${op}/${mode}/${da}/${db}/${dout}`,
    source: () => {
      const f = op === "add" ? "+" : "*";
      let index: string;
      if (mode === "same") index = "let ia = i; let ib = i;";
      else if (mode === "tail") index = "let ia = i; let ib = i % u.nb;";
      else
        index = `var rem = i; var ia = 0u; var ib = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = shape_at(u32(d));
    let c = rem % n;
    rem = rem / n;
    ia += c * sa_at(u32(d));
    ib += c * sb_at(u32(d));
  }`;
      return `${enables(da, db, dout)}${binaryParams.wgsl}
${input(1, "a", da)}${input(2, "b", db)}${output(3, "y", dout)}
@compute @workgroup_size(${EW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(EW_WG)};
  if (i >= u.n) { return; }
  ${index}
  st_y(i, ld_a(ia) ${f} ld_b(ib));
}
`;
    },
  };
}

export const unaryParams = new ParamLayout({ n: "u32", inOff: "u32", outOff: "u32" });

/** `y = act(x)`, or a cast/copy when `act` is undefined ("linear"). */
export function unaryKernel(act: Activation | undefined, din: DType, dout: DType): KernelVariant {
  return {
    key: `unary/${act ?? "copy"}/${din}/${dout}`,
    source: () => `${enables(din, dout)}${unaryParams.wgsl}
${input(1, "x", din)}${output(2, "y", dout)}
${ACTIVATION_FUNCTIONS}
@compute @workgroup_size(${EW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = ${flatIndex(EW_WG)};
  if (i >= u.n) { return; }
  let x = ld_x(u.inOff + i);
  st_y(u.outOff + i, ${activationExpr(act, "x")});
}
`,
  };
}
