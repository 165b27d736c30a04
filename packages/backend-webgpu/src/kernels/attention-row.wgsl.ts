/**
 * The fused disentangled attention for CPU-backed adapters (SwiftShader, lavapipe): one invocation per
 * (query, head, sequence), walking the keys with an online softmax (the accumulators are rescaled only when the
 * running max grows), the c2p / p2c terms read through `relIdx[i − j + centre]`. No workgroup memory, no barriers.
 * Same bindings, parameters and results as `attention.wgsl.ts`.
 */
import type { KernelVariant } from "../pipelines.js";
import { F32_LOWEST, enables, flatIndex, input, lowestLiteral, output } from "./common.wgsl.js";
import { type AttentionVariant, attentionParams } from "./attention.wgsl.js";

export const ATTN_ROW_WG = 64;

export function attentionRowKernel(v: Omit<AttentionVariant, "bq" | "bk">): KernelVariant {
  return {
    key: `attention-row/${v.mode}/${v.dtype}/d${v.headDim}/${v.c2p ? "c2p" : ""}${v.p2c ? "p2c" : ""}`,
    source: () => source(v),
  };
}

function source(v: Omit<AttentionVariant, "bq" | "bk">): string {
  const { dtype, c2p, p2c, mode } = v;
  const D = v.headDim;
  const ctx = mode === "ctx";
  const rel = c2p || p2c;
  const decls = [
    input(1, "q", dtype),
    input(2, "k", dtype),
    ctx ? input(3, "v", dtype) : "",
    c2p ? input(4, "posK", dtype) : "",
    p2c ? input(5, "posQ", dtype) : "",
    rel ? input(6, "relIdx", "i32") : "",
    input(7, "seqmeta", "i32"),
    ctx ? output(8, "ctx", dtype) : output(9, "probs", dtype),
  ].join("");
  const terms = [
    "acc = fma(qv[d], kd, acc);",
    c2p ? "acc = fma(qv[d], ld_posK(pr + d), acc);" : "",
    p2c ? "acc = fma(kd, ld_posQ(pr + d), acc);" : "",
  ].join(" ");
  const walk = (body: string) => `for (var j = 0u; j < len; j++) {
    let s = score(&qv, b, h, start, i, j, qReal);
    ${body}
  }`;
  const online = `if (s > m) {
      let alpha = exp(m - s);
      l *= alpha;
      ${ctx ? "for (var d = 0u; d < D; d++) { acc[d] *= alpha; }" : ""}
      m = s;
    }
    let p = exp(s - m);
    l += p;
    ${ctx ? "let vr = (start + j) * u.HD + h * D;\n    for (var d = 0u; d < D; d++) { acc[d] = fma(p, ld_v(vr + d), acc[d]); }" : ""}`;
  return `${enables(dtype)}${attentionParams.wgsl}
${decls}
const D = ${D}u;

fn real(b: u32, i: u32) -> bool {
  if (u.padded == 0u) { return true; }
  return seqmeta[u.B + 1u + b * u.seqLen + i] != 0;
}

fn score(qv: ptr<function, array<f32, ${D}>>, b: u32, h: u32, start: u32, i: u32, j: u32, qReal: bool) -> f32 {
  if (!qReal || !real(b, j)) { return ${lowestLiteral(dtype)}; }
  let kr = (start + j) * u.HD + h * D;
  ${rel ? "let ri = clamp(i32(i) - i32(j) + u.centre, 0, 2 * u.centre);\n  let pr = u32(clamp(relIdx[ri], 0, u.nRel - 1)) * u.HD + h * D;" : ""}
  var acc = 0.0;
  for (var d = 0u; d < D; d++) {
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
  var qv: array<f32, ${D}>;
  let qr = (start + i) * u.HD + h * D;
  for (var d = 0u; d < D; d++) { qv[d] = ld_q(qr + d); }
  let qReal = real(b, i);
  var m = ${F32_LOWEST};
  var l = 0.0;
  ${ctx ? `var acc: array<f32, ${D}>;` : ""}
  ${walk(online)}
  ${
    ctx
      ? `for (var d = 0u; d < D; d++) { st_ctx(qr + d, acc[d] / l); }`
      : walk("st_probs(prow + j, exp(s - m) / l);")
  }
}
`;
}
