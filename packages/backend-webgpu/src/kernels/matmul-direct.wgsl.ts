/**
 * Matmul for CPU-backed adapters (SwiftShader, lavapipe): each invocation computes an R×R block of C straight from
 * global memory, with no workgroup memory and no barriers (a barrier costs a fiber switch per 4 invocations on a
 * CPU, which made the tiled kernel ~50× slower there). When both operands are contiguous along K (`x · Wᵀ`, the
 * linear layers) and K % 4 == 0, the operands are read as vec4. Same parameters and epilogue as `matmul.wgsl.ts`.
 */
import type { KernelVariant } from "../pipelines.js";
import { ACTIVATION_FUNCTIONS, activationExpr, enables, flatIndex, input, output } from "./common.wgsl.js";
import { type MatmulVariant, matmulParams } from "./matmul.wgsl.js";

export const DIRECT_WG = 256;
export const DIRECT_R = 4;

export function matmulDirectKernel(v: MatmulVariant & { vec4: boolean }): KernelVariant {
  const act = v.act && v.act !== "linear" ? v.act : undefined;
  return {
    key: `matmul-direct/${v.da}/${v.db}/${v.dout}/tA${+v.transA}/tB${+v.transB}/${v.bias ?? "nobias"}/${act ?? "id"}/${v.vec4 ? "vec4" : "scalar"}`,
    source: () => directSource({ ...v, act }),
  };
}

function directSource(v: MatmulVariant & { vec4: boolean }): string {
  const R = DIRECT_R;
  const idx = [...Array(R).keys()];
  const vec = v.vec4 && !v.transA && v.transB;
  const decl = (binding: number, name: string, dtype: string) =>
    vec
      ? `@group(0) @binding(${binding}) var<storage, read> ${name}: array<vec4<${dtype}>>;\n`
      : input(binding, name, dtype as "f32");
  const acc = idx.map((i) => idx.map((j) => `var c${i}_${j} = 0.0;`).join(" ")).join("\n  ");
  // row / column indices clamped into range: out-of-range rows compute garbage that is never stored
  const rows = idx.map((i) => `let mr${i} = min(m0 + ${i}u, u.M - 1u);`).join("\n  ");
  const cols = idx.map((j) => `let nr${j} = min(n0 + ${j}u, u.N - 1u);`).join("\n  ");
  let loop: string;
  if (vec) {
    loop = `let K4 = u.K / 4u;
  ${idx.map((i) => `let ra${i} = (aOff + mr${i} * u.K) / 4u;`).join(" ")}
  ${idx.map((j) => `let rb${j} = (bOff + nr${j} * u.K) / 4u;`).join(" ")}
  for (var k = 0u; k < K4; k++) {
    ${idx.map((i) => `let a${i} = vec4<f32>(a[ra${i} + k]);`).join("\n    ")}
    ${idx.map((j) => `let b${j} = vec4<f32>(b[rb${j} + k]);`).join("\n    ")}
    ${idx.flatMap((i) => idx.map((j) => `c${i}_${j} += dot(a${i}, b${j});`)).join("\n    ")}
  }`;
  } else {
    // element (row, k) of A is at ra_i + k·sa, of B at rb_j + k·sb
    const ra = (i: number) => (v.transA ? `aOff + mr${i}` : `aOff + mr${i} * u.K`);
    const rb = (j: number) => (v.transB ? `bOff + nr${j} * u.K` : `bOff + nr${j}`);
    loop = `let sa = ${v.transA ? "u.M" : "1u"};
  let sb = ${v.transB ? "1u" : "u.N"};
  ${idx.map((i) => `var pa${i} = ${ra(i)};`).join(" ")}
  ${idx.map((j) => `var pb${j} = ${rb(j)};`).join(" ")}
  for (var k = 0u; k < u.K; k++) {
    ${idx.map((i) => `let a${i} = ld_a(pa${i}); pa${i} += sa;`).join("\n    ")}
    ${idx.map((j) => `let b${j} = ld_b(pb${j}); pb${j} += sb;`).join("\n    ")}
    ${idx.flatMap((i) => idx.map((j) => `c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`)).join("\n    ")}
  }`;
  }
  const stores = idx
    .flatMap((i) => idx.map((j) => `if (m0 + ${i}u < u.M && n0 + ${j}u < u.N) { epilogue(cOff + (m0 + ${i}u) * u.ldc + u.nOff + n0 + ${j}u, u.nOff + n0 + ${j}u, c${i}_${j}); }`))
    .join("\n  ");
  return `${enables(v.da, v.db, v.dout, ...(v.bias ? [v.bias] : []))}${matmulParams.wgsl}
${decl(1, "a", v.da)}${decl(2, "b", v.db)}${v.bias ? input(3, "bias", v.bias) : ""}${output(4, "c", v.dout)}
${v.act ? ACTIVATION_FUNCTIONS : ""}
fn epilogue(ci: u32, col: u32, acc: f32) {
  var x = acc * u.alpha;
  ${v.bias ? "x = x + ld_bias(col);" : ""}
  st_c(ci, ${activationExpr(v.act, "x")});
}

@compute @workgroup_size(${DIRECT_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = ${flatIndex(DIRECT_WG)};
  let tilesN = (u.N + ${R - 1}u) / ${R}u;
  let tilesM = (u.M + ${R - 1}u) / ${R}u;
  let tn = t % tilesN;
  let tm = (t / tilesN) % tilesM;
  var rem = t / (tilesN * tilesM);
  var total = 1u;
  for (var d = 0u; d < u.batchRank; d++) { total *= bshape_at(d); }
  if (rem >= total) { return; }
  var aOff = 0u;
  var bOff = 0u;
  var cOff = 0u;
  for (var d = i32(u.batchRank) - 1; d >= 0; d--) {
    let n = bshape_at(u32(d));
    let c = rem % n;
    rem = rem / n;
    aOff += c * sa_at(u32(d));
    bOff += c * sb_at(u32(d));
    cOff += c * sc_at(u32(d));
  }
  let m0 = tm * ${R}u;
  let n0 = tn * ${R}u;
  ${rows}
  ${cols}
  ${acc}
  ${loop}
  ${stores}
}
`;
}
