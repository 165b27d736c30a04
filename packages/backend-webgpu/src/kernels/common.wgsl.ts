/**
 * WGSL building blocks shared by the kernels.
 *
 * Storage dtypes are a variant parameter: a float tensor is `array<f32>` or `array<f16>` (with `enable f16;`), an
 * index tensor `array<i32>`. Kernels never compute in the storage type: every load widens to f32
 * (`ld_x(i) -> f32`) and every store rounds from f32 (`st_y(i, v)`), so f16 runs accumulate and normalise in f32.
 */
import type { Activation, DType } from "@deberta-js/core";

export type WgslDType = "f32" | "f16" | "i32";

export function wgslType(dtype: DType): WgslDType {
  return dtype;
}

/** `enable f16;` when any of the dtypes is f16. */
export function enables(...dtypes: DType[]): string {
  return dtypes.includes("f16") ? "enable f16;\n" : "";
}

/** A read-only storage binding with a widening loader `ld_<name>(i) -> f32` (or `-> i32` for i32). */
export function input(binding: number, name: string, dtype: DType): string {
  const t = wgslType(dtype);
  const ret = t === "i32" ? "i32" : "f32";
  return (
    `@group(0) @binding(${binding}) var<storage, read> ${name}: array<${t}>;\n` +
    `fn ld_${name}(i: u32) -> ${ret} { return ${ret}(${name}[i]); }\n`
  );
}

/** A read-write storage binding with a rounding store `st_<name>(i, v: f32)`. */
export function output(binding: number, name: string, dtype: DType): string {
  const t = wgslType(dtype);
  const arg = t === "i32" ? "i32" : "f32";
  return (
    `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<${t}>;\n` +
    `fn st_${name}(i: u32, v: ${arg}) { ${name}[i] = ${t}(v); }\n`
  );
}

/** Lowest finite f32: HF's `finfo(float32).min`, the masked score. */
export const F32_LOWEST = "-3.40282346638528859812e+38";
/** Lowest finite f16 (-65504), as an f32 literal. */
export const F16_LOWEST = "-65504.0";

export function lowestLiteral(dtype: DType): string {
  return dtype === "f16" ? F16_LOWEST : F32_LOWEST;
}

/**
 * Scalar activation functions in f32, HF's `ACT2FN` formulas. WGSL has no `erf`: `erf_f32` is Eigen's rational
 * approximation (|error| ≈ 1e-7 on [-4, 4], clamped beyond, where erf is ±1 in f32). `tanh_f32` avoids the
 * overflow some drivers show for large |x|.
 */
export const ACTIVATION_FUNCTIONS = /* wgsl */ `
fn erf_f32(x_in: f32) -> f32 {
  let x = clamp(x_in, -4.0, 4.0);
  let x2 = x * x;
  var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
  p = x2 * p + -2.10102402082508e-06;
  p = x2 * p + -5.69250639462346e-05;
  p = x2 * p + -7.34990630326855e-04;
  p = x2 * p + -2.95459980854025e-03;
  p = x2 * p + -1.60960333262415e-02;
  p = x * p;
  var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04;
  q = x2 * q + -1.68282697438203e-03;
  q = x2 * q + -7.37332916720468e-03;
  q = x2 * q + -1.42647390514189e-02;
  return p / q;
}
fn tanh_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.0004) { return x; }
  let e = exp(-2.0 * min(a, 20.0));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}
fn sigmoid_f32(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
`;

/** The WGSL expression of `act` applied to the f32 variable `x`. */
export function activationExpr(act: Activation | undefined, x = "x"): string {
  switch (act ?? "linear") {
    case "gelu":
      return `(0.5 * ${x} * (1.0 + erf_f32(${x} * 0.70710678118654752440)))`;
    case "gelu_new":
    case "gelu_pytorch_tanh":
      return `(0.5 * ${x} * (1.0 + tanh_f32(0.79788456080286535588 * (${x} + 0.044715 * ${x} * ${x} * ${x}))))`;
    case "gelu_fast":
      return `(0.5 * ${x} * (1.0 + tanh_f32(${x} * 0.7978845608 * (1.0 + 0.044715 * ${x} * ${x}))))`;
    case "quick_gelu":
      return `(${x} * sigmoid_f32(1.702 * ${x}))`;
    case "relu":
      return `max(${x}, 0.0)`;
    case "tanh":
      return `tanh_f32(${x})`;
    case "sigmoid":
      return `sigmoid_f32(${x})`;
    case "silu":
    case "swish":
      return `(${x} * sigmoid_f32(${x}))`;
    case "linear":
      return x;
    default:
      throw new Error(`unknown activation "${act as string}"`);
  }
}

/**
 * Flat invocation index for 1-D work split over a 2-D grid (≤ 65535 workgroups per dimension):
 * `gid.x + gid.y * (num_workgroups.x * WG)`.
 */
export function flatIndex(wg: number): string {
  return `(gid.x + gid.y * (nwg.x * ${wg}u))`;
}
