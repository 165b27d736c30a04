/**
 * The fused disentangled attention for CPU-backed adapters (SwiftShader, lavapipe): one invocation per
 * (query, head, sequence), walking the keys with an online softmax (the accumulators are rescaled only when the
 * running max grows), the c2p / p2c terms read through `relIdx[i − j + centre]`. No workgroup memory, no barriers.
 * Head vectors are read as vec4 when the head size allows. Same bindings, parameters and results as
 * `attention.wgsl.ts`.
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { F32_LOWEST, enables, flatIndex, input, lowestLiteral, output } from "./common.wgsl.js";
import { type AttentionVariant, attentionParams } from "./attention.wgsl.js";

export const ATTN_ROW_WG = 64;

export function attentionRowKernel(v: Omit<AttentionVariant, "bq" | "bk">): KernelVariant {
  const vec = v.headDim % 4 === 0;
  return {
    key: `attention-row/${v.mode}/${v.dtype}/d${v.headDim}/${v.c2p ? "c2p" : ""}${v.p2c ? "p2c" : ""}/${vec ? "vec4" : "scalar"}`,
    source: () => source(v, vec),
  };
}

/** A head-vector binding: `array<vec4<T>>` read as vec4<f32>, or scalar. */
function headInput(binding: number, name: string, dtype: DType, vec: boolean): string {
  if (!vec) return input(binding, name, dtype);
  return (
    `@group(0) @binding(${binding}) var<storage, read> ${name}: array<vec4<${dtype}>>;\n` +
    `fn ld_${name}(i: u32) -> vec4<f32> { return vec4<f32>(${name}[i]); }\n`
  );
}

function headOutput(binding: number, name: string, dtype: DType, vec: boolean): string {
  if (!vec) return output(binding, name, dtype);
  return (
    `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<vec4<${dtype}>>;\n` +
    `fn st_${name}(i: u32, v: vec4<f32>) { ${name}[i] = vec4<${dtype}>(v); }\n`
  );
}

function source(v: Omit<AttentionVariant, "bq" | "bk">, vec: boolean): string {
  const { dtype, c2p, p2c, mode } = v;
  const W = vec ? 4 : 1; // scalars per element
  const DV = v.headDim / W; // elements per head vector
  const T = vec ? "vec4<f32>" : "f32";
  const zero = vec ? "vec4<f32>(0.0)" : "0.0";
  const mul = (a: string, b: string) => (vec ? `dot(${a}, ${b})` : `(${a} * ${b})`);
  const ctx = mode === "ctx";
  const rel = c2p || p2c;
  const decls = [
    headInput(1, "q", dtype, vec),
    headInput(2, "k", dtype, vec),
    ctx ? headInput(3, "v", dtype, vec) : "",
    c2p ? headInput(4, "posK", dtype, vec) : "",
    p2c ? headInput(5, "posQ", dtype, vec) : "",
    rel ? input(6, "relIdx", "i32") : "",
    input(7, "seqmeta", "i32"),
    ctx ? headOutput(8, "ctx", dtype, vec) : output(9, "probs", dtype),
  ].join("");
  const terms = [`acc += ${mul("(*qv)[d]", "kd")};`, c2p ? `acc += ${mul("(*qv)[d]", "ld_posK(pr + d)")};` : "", p2c ? `acc += ${mul("kd", "ld_posQ(pr + d)")};` : ""].join(" ");
  const walk = (body: string) => `for (var j = 0u; j < len; j++) {
    let s = score(&qv, b, h, start, i, j, qReal);
    ${body}
  }`;
  const online = `if (s > m) {
      let alpha = exp(m - s);
      l *= alpha;
      ${ctx ? "for (var d = 0u; d < DV; d++) { acc[d] *= alpha; }" : ""}
      m = s;
    }
    let p = exp(s - m);
    l += p;
    ${ctx ? "let vr = (start + j) * HDV + h * DV;\n    for (var d = 0u; d < DV; d++) { acc[d] += p * ld_v(vr + d); }" : ""}`;
  return `${enables(dtype)}${attentionParams.wgsl}
${decls}
const DV = ${DV}u;

fn real(b: u32, i: u32) -> bool {
  if (u.padded == 0u) { return true; }
  return seqmeta[u.B + 1u + b * u.seqLen + i] != 0;
}

fn score(qv: ptr<function, array<${T}, ${DV}>>, b: u32, h: u32, start: u32, i: u32, j: u32, qReal: bool) -> f32 {
  if (!qReal || !real(b, j)) { return ${lowestLiteral(dtype)}; }
  let HDV = u.HD / ${W}u;
  let kr = (start + j) * HDV + h * DV;
  ${rel ? "let ri = clamp(i32(i) - i32(j) + u.centre, 0, 2 * u.centre);\n  let pr = u32(clamp(relIdx[ri], 0, u.nRel - 1)) * HDV + h * DV;" : ""}
  var acc = 0.0;
  for (var d = 0u; d < DV; d++) {
    let kd = ld_k(kr + d);
    ${terms}
  }
  return acc / u.scale;
}

@compute @workgroup_size(${ATTN_ROW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = ${flatIndex(ATTN_ROW_WG)};
  let i = t % u.maxLen;
  let h = (t / u.maxLen) % u.H;
  let b = t / (u.maxLen * u.H);
  if (b >= u.B) { return; }
  let HDV = u.HD / ${W}u;
  let start = u32(seqmeta[b]);
  let len = u32(seqmeta[b + 1u] - seqmeta[b]);
  ${
    ctx
      ? ""
      : `let prow = ((b * u.H + h) * u.maxLen + i) * u.maxLen;
  // rows / columns beyond a packed sequence's length are 0
  for (var j = select(len, 0u, i >= len); j < u.maxLen; j++) { st_probs(prow + j, 0.0); }`
  }
  if (i >= len) { return; }
  var qv: array<${T}, ${DV}>;
  let qr = (start + i) * HDV + h * DV;
  for (var d = 0u; d < DV; d++) { qv[d] = ld_q(qr + d); }
  let qReal = real(b, i);
  var m = ${F32_LOWEST};
  var l = 0.0;
  ${ctx ? `var acc: array<${T}, ${DV}>;\n  for (var d = 0u; d < DV; d++) { acc[d] = ${zero}; }` : ""}
  ${walk(online)}
  ${ctx ? `for (var d = 0u; d < DV; d++) { st_ctx(qr + d, acc[d] / l); }` : walk("st_probs(prow + j, exp(s - m) / l);")}
}
`;
}
