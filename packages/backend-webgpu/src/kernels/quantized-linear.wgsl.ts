/**
 * Quantized Linear: `y = act(x · dequant(W)ᵀ + bias)` with W kept packed in u32 words and dequantized inside the
 * GEMM loop (core's layouts, `quant/quantized-weight.ts`):
 *  - int4: element e = n·K + k has its 4-bit code in byte e >> 1 (even element in the high nibble, bitsandbytes'
 *    order), `W = table[code] · scales[e / blockSize]` (blocks straddle rows);
 *  - int8: byte e is a signed code, `W = (code · scales[n]) · (1/127)` (bnb's int8_vectorwise_dequant order).
 * Each invocation computes an R×R block of y from global memory (no workgroup memory: fast on CPU-backed adapters
 * too); each dequantized weight value is reused for R token rows.
 */
import type { Activation, DType, QuantLayout } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { ACTIVATION_FUNCTIONS, activationExpr, enables, flatIndex, input, output } from "./common.wgsl.js";

export const QLINEAR_WG = 64;
export const QLINEAR_R = 4;

export const qlinearParams = new ParamLayout({ M: "u32", N: "u32", K: "u32", blockSize: "u32" });

export interface QLinearVariant {
  layout: QuantLayout;
  dx: DType;
  bias?: DType;
  act?: Activation;
}

export function quantizedLinearKernel(v: QLinearVariant): KernelVariant {
  const act = v.act && v.act !== "linear" ? v.act : undefined;
  return {
    key: `qlinear/${v.layout}/${v.dx}/${v.bias ?? "nobias"}/${act ?? "id"}`,
    source: () => source({ ...v, act }),
  };
}

function source(v: QLinearVariant): string {
  const R = QLINEAR_R;
  const idx = [...Array(R).keys()];
  const dequant =
    v.layout === "int4"
      ? `fn wq(e: u32, n: u32) -> f32 {
  let byte = (wdata[e >> 3u] >> (((e >> 1u) & 3u) * 8u)) & 0xffu;
  let code = select(byte >> 4u, byte & 15u, (e & 1u) == 1u);
  return qtable[code] * scales[e / u.blockSize];
}`
      : `fn wq(e: u32, n: u32) -> f32 {
  let byte = (wdata[e >> 2u] >> ((e & 3u) * 8u)) & 0xffu;
  let code = (i32(byte) << 24u) >> 24u;
  return (f32(code) * scales[n]) * 7.874015718698502e-3;
}`;
  return `${enables(v.dx, ...(v.bias ? [v.bias] : []))}${qlinearParams.wgsl}
${input(1, "x", v.dx)}@group(0) @binding(2) var<storage, read> wdata: array<u32>;
@group(0) @binding(3) var<storage, read> scales: array<f32>;
${v.layout === "int4" ? "@group(0) @binding(4) var<storage, read> qtable: array<f32, 16>;" : ""}
${v.bias ? input(5, "bias", v.bias) : ""}${output(6, "y", v.dx)}
${v.act ? ACTIVATION_FUNCTIONS : ""}
${dequant}
fn epilogue(i: u32, col: u32, acc: f32) {
  var x = acc;
  ${v.bias ? "x = x + ld_bias(col);" : ""}
  st_y(i, ${activationExpr(v.act, "x")});
}

@compute @workgroup_size(${QLINEAR_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = ${flatIndex(QLINEAR_WG)};
  let tilesN = (u.N + ${R - 1}u) / ${R}u;
  let tilesM = (u.M + ${R - 1}u) / ${R}u;
  if (t >= tilesN * tilesM) { return; }
  let n0 = (t % tilesN) * ${R}u;
  let m0 = (t / tilesN) * ${R}u;
  ${idx.map((i) => `let ra${i} = min(m0 + ${i}u, u.M - 1u) * u.K;`).join("\n  ")}
  ${idx.map((j) => `let nr${j} = min(n0 + ${j}u, u.N - 1u); let rb${j} = nr${j} * u.K;`).join("\n  ")}
  ${idx.map((i) => idx.map((j) => `var c${i}_${j} = 0.0;`).join(" ")).join("\n  ")}
  for (var k = 0u; k < u.K; k++) {
    ${idx.map((j) => `let b${j} = wq(rb${j} + k, nr${j});`).join("\n    ")}
    ${idx.map((i) => `let a${i} = ld_x(ra${i} + k);`).join("\n    ")}
    ${idx.flatMap((i) => idx.map((j) => `c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`)).join("\n    ")}
  }
  ${idx.flatMap((i) => idx.map((j) => `if (m0 + ${i}u < u.M && n0 + ${j}u < u.N) { epilogue((m0 + ${i}u) * u.N + n0 + ${j}u, n0 + ${j}u, c${i}_${j}); }`)).join("\n  ")}
}
`;
}
