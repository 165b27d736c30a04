/**
 * Tiled matmul: `C[b] = act(alpha · op(A[b]) · op(B[b]) + bias)`, the kernel behind `matmul`, `linear` (+bias,
 * +activation fused in the epilogue) and the conv layer (after im2col).
 *
 * A 16×16 workgroup computes a (16R)×(16R) tile of C, each invocation R×R outputs (rows `ty + 16i`, columns
 * `tx + 16j`: neighbouring invocations touch neighbouring workgroup-memory words). K advances in steps of 16 through
 * workgroup memory, in f32 whatever the storage dtype. Batch dims (≤ 4 after coalescing) broadcast through
 * per-dim strides; `nOff`/`ldc` let a B split into row chunks (a huge `[N, K]` weight used transposed) write its
 * own column block of C.
 */
import type { Activation, DType } from "@deberta-js/core";
import type { KernelVariant } from "../pipelines.js";
import { ParamLayout } from "../uniforms.js";
import { ACTIVATION_FUNCTIONS, activationExpr, enables, input, output } from "./common.wgsl.js";

export const MATMUL_MAX_BATCH_RANK = 4;
export const MATMUL_TK = 16;

export const matmulParams = new ParamLayout(
  { M: "u32", N: "u32", K: "u32", ldc: "u32", nOff: "u32", alpha: "f32", batchRank: "u32" },
  { bshape: MATMUL_MAX_BATCH_RANK, sa: MATMUL_MAX_BATCH_RANK, sb: MATMUL_MAX_BATCH_RANK, sc: MATMUL_MAX_BATCH_RANK },
);

export interface MatmulVariant {
  da: DType;
  db: DType;
  dout: DType;
  transA: boolean;
  transB: boolean;
  /** Bias dtype, when a bias `[ldc]` is added. */
  bias?: DType;
  act?: Activation;
  /** Outputs per invocation per dim: tile = 16R. */
  r: 2 | 4;
}

export function matmulKernel(v: MatmulVariant): KernelVariant {
  const act = v.act && v.act !== "linear" ? v.act : undefined;
  return {
    key: `matmul/${v.da}/${v.db}/${v.dout}/tA${+v.transA}/tB${+v.transB}/${v.bias ?? "nobias"}/${act ?? "id"}/r${v.r}`,
    source: () => matmulSource({ ...v, act }),
  };
}

function matmulSource(v: MatmulVariant): string {
  const R = v.r;
  const T = 16 * R;
  const S = T + 1; // row stride of the workgroup tiles: +1 so tile stores along k hit distinct banks
  const TK = MATMUL_TK;
  const loads = (T * TK) / 256; // elements of each tile one invocation loads
  const aLoad = v.transA
    ? `let mm = e % ${T}u; let kk = e / ${T}u; let m = m0 + mm; let k = k0 + kk;
      var val = 0.0; if (m < u.M && k < u.K) { val = ld_a(aOff + k * u.M + m); }`
    : `let kk = e % ${TK}u; let mm = e / ${TK}u; let m = m0 + mm; let k = k0 + kk;
      var val = 0.0; if (m < u.M && k < u.K) { val = ld_a(aOff + m * u.K + k); }`;
  const bLoad = v.transB
    ? `let kk = e % ${TK}u; let nn = e / ${TK}u; let n = n0 + nn; let k = k0 + kk;
      var val = 0.0; if (n < u.N && k < u.K) { val = ld_b(bOff + n * u.K + k); }`
    : `let nn = e % ${T}u; let kk = e / ${T}u; let n = n0 + nn; let k = k0 + kk;
      var val = 0.0; if (n < u.N && k < u.K) { val = ld_b(bOff + k * u.N + n); }`;
  const idx = [...Array(R).keys()];
  const accDecl = idx.map((i) => idx.map((j) => `var c${i}_${j} = 0.0;`).join(" ")).join("\n  ");
  const inner = [
    ...idx.map((i) => `let a${i} = As[kk * ${S}u + ty + ${16 * i}u];`),
    ...idx.map((j) => `let b${j} = Bs[kk * ${S}u + tx + ${16 * j}u];`),
    ...idx.flatMap((i) => idx.map((j) => `c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`)),
  ].join("\n      ");
  const stores = idx
    .flatMap((i) =>
      idx.map(
        (j) => `{ let m = m0 + ty + ${16 * i}u; let n = n0 + tx + ${16 * j}u;
    if (m < u.M && n < u.N) { epilogue(cOff + m * u.ldc + u.nOff + n, u.nOff + n, c${i}_${j}); } }`,
      ),
    )
    .join("\n  ");
  return `${enables(v.da, v.db, v.dout, ...(v.bias ? [v.bias] : []))}${matmulParams.wgsl}
${input(1, "a", v.da)}${input(2, "b", v.db)}${v.bias ? input(3, "bias", v.bias) : ""}${output(4, "c", v.dout)}
${v.act ? ACTIVATION_FUNCTIONS : ""}
var<workgroup> As: array<f32, ${S * TK}>;
var<workgroup> Bs: array<f32, ${S * TK}>;

fn epilogue(ci: u32, col: u32, acc: f32) {
  var x = acc * u.alpha;
  ${v.bias ? "x = x + ld_bias(col);" : ""}
  st_c(ci, ${activationExpr(v.act, "x")});
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var rem = wid.z;
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
  let m0 = wid.y * ${T}u;
  let n0 = wid.x * ${T}u;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 16u + tx;
  ${accDecl}
  for (var k0 = 0u; k0 < u.K; k0 += ${TK}u) {
    for (var l = 0u; l < ${loads}u; l++) {
      let e = tid + l * 256u;
      ${aLoad}
      As[kk * ${S}u + mm] = val;
    }
    for (var l = 0u; l < ${loads}u; l++) {
      let e = tid + l * 256u;
      ${bLoad}
      Bs[kk * ${S}u + nn] = val;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      ${inner}
    }
    workgroupBarrier();
  }
  ${stores}
}
`;
}
