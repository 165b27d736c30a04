/**
 * The fused disentangled attention (see the semantics in core's `backend.ts`):
 *
 *   s[i][j] = ( q_i·k_j + [c2p] q_i·posKey[idx(i,j)] + [p2c] k_j·posQuery[idx(i,j)] ) / scale
 *   s[i][j] = lowest finite value of the dtype   where m_i · m_j == 0
 *   ctx_i   = Σ_j softmax(s[i])_j v_j
 *
 * One workgroup per (query block of BQ rows, head, sequence). Keys go by in blocks of BK through workgroup memory
 * with an online softmax (running max / sum, accumulators rescaled), so nothing `[L, L]`-sized is ever stored.
 * For a (query block, key block) pair the distances i − j take only BQ + BK − 1 values, so the posKey / posQuery
 * rows the c2p / p2c terms need are gathered into workgroup memory once per pair, through
 * `relIdx[i − j + centre]` looked up in the shader: no `[L, 2S]` product and no gathered `[L, L]` terms exist.
 *
 * `mode: "probs"` is the same walk twice (statistics, then normalised probabilities) writing
 * `probs[b, h, i, j]`; rows/columns beyond a packed sequence's length are 0.
 *
 * `meta` (i32): `[offsets (batch + 1)]` then, for padded layouts, the 0/1 mask `[batch · seqLen]`.
 */
import type { DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { F32_LOWEST, enables, input, lowestLiteral, output } from "./common.wgsl.js";

export const ATTN_WG = 64;

export const attentionParams = new ParamLayout({
  B: "u32",
  H: "u32",
  HD: "u32",
  maxLen: "u32",
  centre: "i32",
  nRel: "i32",
  padded: "u32",
  seqLen: "u32",
  scale: "f32",
});

export interface AttentionVariant {
  dtype: DType;
  headDim: number;
  bq: number;
  bk: number;
  c2p: boolean;
  p2c: boolean;
  mode: "ctx" | "probs";
}

/** Workgroup memory (bytes) a variant needs. */
export function attentionSharedBytes(v: Omit<AttentionVariant, "dtype" | "mode"> & { mode: "ctx" | "probs" }): number {
  const D = v.headDim;
  const nr = v.bq + v.bk - 1;
  const floats = v.bq * D + v.bk * (D + 1) + (v.mode === "ctx" ? v.bk * D : 0) + nr * (D + 1) * (+v.c2p + +v.p2c) + v.bq * v.bk + 3 * v.bq + 4;
  return floats * 4;
}

export function attentionKernel(v: AttentionVariant): KernelVariant {
  return {
    key: `attention/${v.mode}/${v.dtype}/d${v.headDim}/q${v.bq}/k${v.bk}/${v.c2p ? "c2p" : ""}${v.p2c ? "p2c" : ""}`,
    source: () => attentionSource(v),
  };
}

function attentionSource(v: AttentionVariant): string {
  const { dtype, bq: BQ, bk: BK, c2p, p2c, mode } = v;
  const D = v.headDim;
  const NR = BQ + BK - 1;
  const WG = ATTN_WG;
  const ctx = mode === "ctx";
  const rel = c2p || p2c;
  const ACC = Math.ceil((BQ * D) / WG);
  const accs = [...Array(ACC).keys()];

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

  const shared = [
    `var<workgroup> qs: array<f32, ${BQ * D}>;`,
    `var<workgroup> ks: array<f32, ${BK * (D + 1)}>;`,
    ctx ? `var<workgroup> vs: array<f32, ${BK * D}>;` : "",
    c2p ? `var<workgroup> pk: array<f32, ${NR * (D + 1)}>;` : "",
    p2c ? `var<workgroup> pq: array<f32, ${NR * (D + 1)}>;` : "",
    `var<workgroup> sc: array<f32, ${BQ * BK}>;`,
    `var<workgroup> rowM: array<f32, ${BQ}>;`,
    `var<workgroup> rowL: array<f32, ${BQ}>;`,
    `var<workgroup> rowA: array<f32, ${BQ}>;`,
    `var<workgroup> wStart: u32;`,
    `var<workgroup> wLen: u32;`,
  ].join("\n");

  const posLoad = (name: string, src: string) => `
  for (var e = tid; e < ${NR * D}u; e += ${WG}u) {
    let r = e / D;
    let dd = e % D;
    let dist = i32(i0) - i32(j0) + i32(r) - ${BK - 1};
    let ri = clamp(dist + u.centre, 0, 2 * u.centre);
    let row = u32(clamp(relIdx[ri], 0, u.nRel - 1));
    ${name}[r * DS + dd] = ld_${src}(row * u.HD + h * D + dd);
  }`;

  const score = [
    `for (var dd = 0u; dd < D; dd++) { acc = fma(qs[qi * D + dd], ks[kj * DS + dd], acc); }`,
    c2p ? `for (var dd = 0u; dd < D; dd++) { acc = fma(qs[qi * D + dd], pk[r * DS + dd], acc); }` : "",
    p2c ? `for (var dd = 0u; dd < D; dd++) { acc = fma(ks[kj * DS + dd], pq[r * DS + dd], acc); }` : "",
  ].join("\n        ");

  const accumulate = accs
    .map(
      (s) => `{
      let e = tid + ${s * WG}u;
      if (e < ${BQ * D}u) {
        let qi = e / D;
        let dd = e % D;
        var acc = o${s} * rowA[qi];
        for (var kj = 0u; kj < BK; kj++) { acc = fma(sc[qi * BK + kj], vs[kj * D + dd], acc); }
        o${s} = acc;
      }
    }`,
    )
    .join("\n    ");

  const writeCtx = accs
    .map(
      (s) => `{
    let e = tid + ${s * WG}u;
    if (e < ${BQ * D}u) {
      let qi = e / D;
      let i = i0 + qi;
      if (i < len) { st_ctx((start + i) * u.HD + h * D + e % D, o${s} / rowL[qi]); }
    }
  }`,
    )
    .join("\n  ");

  return `${enables(dtype)}${attentionParams.wgsl}
${decls}
const D = ${D}u;
const DS = ${D + 1}u; // row stride of the key / position tiles (+1: no bank conflicts along a column)
const BQ = ${BQ}u;
const BK = ${BK}u;
${shared}

fn real(b: u32, i: u32) -> bool {
  if (u.padded == 0u) { return true; }
  return seqmeta[u.B + 1u + b * u.seqLen + i] != 0;
}

// K (and V) rows j0 … j0+BK of head h, and the posKey / posQuery rows of the distances this tile spans.
fn load_keys(tid: u32, b: u32, h: u32, start: u32, len: u32, i0: u32, j0: u32) {
  for (var e = tid; e < BK * D; e += ${WG}u) {
    let kj = e / D;
    let j = j0 + kj;
    let src = (start + j) * u.HD + h * D + e % D;
    var kv = 0.0;
    ${ctx ? "var vv = 0.0;" : ""}
    if (j < len) {
      kv = ld_k(src);
      ${ctx ? "vv = ld_v(src);" : ""}
    }
    ks[kj * DS + e % D] = kv;
    ${ctx ? "vs[e] = vv;" : ""}
  }${c2p ? posLoad("pk", "posK") : ""}${p2c ? posLoad("pq", "posQ") : ""}
}

// sc[qi][kj] = the (masked) score of query i0+qi and key j0+kj.
fn scores(tid: u32, b: u32, len: u32, i0: u32, j0: u32) {
  for (var e = tid; e < BQ * BK; e += ${WG}u) {
    let qi = e / BK;
    let kj = e % BK;
    let i = i0 + qi;
    let j = j0 + kj;
    var s = 0.0;
    if (i < len && j < len) {
      if (real(b, i) && real(b, j)) {
        let r = qi + BK - 1u - kj;
        var acc = 0.0;
        ${score}
        s = acc / u.scale;
      } else {
        s = ${lowestLiteral(dtype)};
      }
    }
    sc[e] = s;
  }
}

// Online softmax step for key block j0: sc becomes exp(s − m_new) (0 beyond the sequence); rowA the rescale factor.
fn update_stats(tid: u32, len: u32, j0: u32) {
  if (tid < BQ) {
    let m_old = rowM[tid];
    var m_new = m_old;
    for (var kj = 0u; kj < BK; kj++) {
      if (j0 + kj < len) { m_new = max(m_new, sc[tid * BK + kj]); }
    }
    var sum = 0.0;
    for (var kj = 0u; kj < BK; kj++) {
      var p = 0.0;
      if (j0 + kj < len) { p = exp(sc[tid * BK + kj] - m_new); }
      sc[tid * BK + kj] = p;
      sum += p;
    }
    let alpha = exp(m_old - m_new);
    rowL[tid] = rowL[tid] * alpha + sum;
    rowM[tid] = m_new;
    rowA[tid] = alpha;
  }
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let b = wid.z;
  let h = wid.y;
  let i0 = wid.x * BQ;
  if (tid == 0u) {
    wStart = u32(seqmeta[b]);
    wLen = u32(seqmeta[b + 1u] - seqmeta[b]);
  }
  let start = workgroupUniformLoad(&wStart);
  let len = workgroupUniformLoad(&wLen);
${
  ctx
    ? ""
    : `  // rows / columns beyond a packed sequence's length are 0
  for (var e = tid; e < BQ * u.maxLen; e += ${WG}u) {
    let i = i0 + e / u.maxLen;
    let j = e % u.maxLen;
    if (i < u.maxLen && (i >= len || j >= len)) { st_probs(((b * u.H + h) * u.maxLen + i) * u.maxLen + j, 0.0); }
  }`
}
  if (i0 >= len) { return; }
  for (var e = tid; e < BQ * D; e += ${WG}u) {
    let i = i0 + e / D;
    var x = 0.0;
    if (i < len) { x = ld_q((start + i) * u.HD + h * D + e % D); }
    qs[e] = x;
  }
  if (tid < BQ) {
    rowM[tid] = ${F32_LOWEST};
    rowL[tid] = 0.0;
  }
  ${ctx ? accs.map((s) => `var o${s} = 0.0;`).join(" ") : ""}
  for (var j0 = 0u; j0 < len; j0 += BK) {
    load_keys(tid, b, h, start, len, i0, j0);
    workgroupBarrier();
    scores(tid, b, len, i0, j0);
    workgroupBarrier();
    update_stats(tid, len, j0);
    workgroupBarrier();
    ${ctx ? accumulate : ""}
    workgroupBarrier();
  }
${
  ctx
    ? `  ${writeCtx}`
    : `  for (var j0 = 0u; j0 < len; j0 += BK) {
    load_keys(tid, b, h, start, len, i0, j0);
    workgroupBarrier();
    scores(tid, b, len, i0, j0);
    workgroupBarrier();
    for (var e = tid; e < BQ * BK; e += ${WG}u) {
      let qi = e / BK;
      let i = i0 + qi;
      let j = j0 + e % BK;
      if (i < len && j < len) {
        st_probs(((b * u.H + h) * u.maxLen + i) * u.maxLen + j, exp(sc[e] - rowM[qi]) / rowL[qi]);
      }
    }
    workgroupBarrier();
  }`
}
}
`;
}
