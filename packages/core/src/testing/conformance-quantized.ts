/** The conformance kit's quantized Linear cases (`quantizedLinear`: the backend's op, or core's fallback). */
import type { Activation } from "../backend.js";
import { quantizedLinearReference } from "../ops/quantized-linear.js";
import { dequantize } from "../quant/dequantize.js";
import { quantizeWeight } from "../quant/quantize.js";
import { int8DynamicGemmHost } from "../quant/int8-dynamic.js";
import { type QuantizedHostWeight, type QuantMethod, QuantizedWeight } from "../quant/quantized-weight.js";
import { abs, absHost, type CaseBuilder, type CaseDef, host, linearOutput } from "./conformance-builder.js";
import { refMatmul } from "./reference-ops.js";

/**
 * `quantizedLinear` (the backend's, or core's fallback when it has none): weights quantized
 * by `quantizeWeight` in every method, the reference multiplies by the host dequantization in float64. Shapes whose
 * N·K is odd (a pad nibble) and whose K is not a multiple of the 64-block (blocks straddle rows), T = 1 and more.
 */
export function quantizedLinearCases(cb: CaseBuilder) {
  const dt = cb.dt;
  const add = (method: QuantMethod, T: number, N: number, K: number, withBias: boolean, act: Activation | undefined) => {
    const x = cb.normal("x", [T, K]);
    const wf = cb.normal("weight", [N, K], 0.3);
    const bias = withBias ? cb.normal("bias", [N], 0.3) : undefined;
    const hostW = quantizeWeight(Float32Array.from(wf.values), N, K, method);
    cb.add({
      op: "quantizedLinear",
      name: `${method} x [${T},${K}] W [${N},${K}]${withBias ? " +bias" : ""}${act ? ` ${act}` : ""}`,
      inputs: bias ? [x, bias] : [x],
      ...quantizedLinearRun(hostW, act),
      expected: () => {
        const w = { shape: [N, K], data: Float64Array.from(dequantize(hostW)) };
        const pre = refMatmul(host(x), w, { transB: true });
        const preMag = refMatmul(absHost(x), { shape: w.shape, data: abs(w.data) }, { transB: true });
        return [linearOutput(pre, preMag.data, bias?.values, act, dt)];
      },
    });
  };
  for (const method of ["nf4", "fp4", "q4", "int8"] as const) {
    add(method, 7, 35, 35, true, undefined); // 1225 elements: odd, 19 blocks + a tail of 9
    add(method, 1, 17, 65, true, "gelu");
    add(method, 5, 9, 17, false, undefined);
  }
  add("nf4", 33, 67, 129, true, "gelu");
  add("int8", 33, 67, 129, true, "gelu");
  // dtype "q8": int8 weights with dynamic per-row int8 activations (odd sizes, K odd: a half k-pair; one row with
  // an outlier, one all-zero row, T past the micro-tile and the row cache block)
  for (const [T, N, K, withBias, act] of [[1, 17, 65, true, "gelu"], [7, 35, 35, true, undefined], [5, 9, 17, false, undefined], [70, 67, 129, true, "gelu"]] as const) {
    addDynamic(cb, T, N, K, withBias, act);
  }
}

/**
 * A quantizedLinear case's `run` and `cleanup`: upload `hostW` (host-side when the backend has no `quantizedLinear`),
 * then the backend's op, or core's fallback (what core's `linear` dispatches to).
 */
function quantizedLinearRun(hostW: QuantizedHostWeight, act: Activation | undefined): Pick<CaseDef, "run" | "cleanup"> {
  let qw: QuantizedWeight | undefined;
  return {
    run: (be, [tx, tb]) => {
      qw = QuantizedWeight.upload(be, hostW, !be.quantizedLinear);
      return [be.quantizedLinear ? be.quantizedLinear(tx, qw, tb, act) : quantizedLinearReference(be, tx, qw, tb, act)];
    },
    cleanup: () => {
      qw?.dispose();
      qw = undefined;
    },
  };
}

/**
 * A "q8" weight (`activations: "int8"`). On a backend that declares `int8Activations` (f32 runs) the reference is
 * `int8DynamicGemmHost` — the exact integer numerics — plus bias and activation in float64; elsewhere the
 * float-activation product.
 */
function addDynamic(cb: CaseBuilder, T: number, N: number, K: number, withBias: boolean, act: Activation | undefined) {
  const dt = cb.dt;
  const x = cb.normal("x", [T, K]);
  if (T > 2) {
    (x.values as Float64Array)[K + 3] = 40; // an outlier: row 1's scale is 40/127, the other rows' are not affected
    (x.values as Float64Array).fill(0, 2 * K, 3 * K); // an all-zero row
  }
  const wf = cb.normal("weight", [N, K], 0.3);
  const bias = withBias ? cb.normal("bias", [N], 0.3) : undefined;
  const hostW = { ...quantizeWeight(Float32Array.from(wf.values), N, K, "int8"), activations: "int8" as const };
  cb.add({
    op: "quantizedLinear",
    name: `q8 (int8 activations) x [${T},${K}] W [${N},${K}]${withBias ? " +bias" : ""}${act ? ` ${act}` : ""}`,
    inputs: bias ? [x, bias] : [x],
    ...quantizedLinearRun(hostW, act),
    expected: (be) => {
      const dyn = !!(be?.int8Activations && be.quantizedLinear && dt === "f32");
      const pre = new Float64Array(T * N);
      if (dyn) {
        const y = new Float32Array(T * N);
        int8DynamicGemmHost(Float32Array.from(x.values), T, hostW, y);
        pre.set(y);
      } else {
        pre.set(refMatmul(host(x), { shape: [N, K], data: Float64Array.from(dequantize(hostW)) }, { transB: true }).data);
      }
      // the integer product is exact: only the epilogue's rounding (and GELU) remains, relative to |pre| + |bias|
      const preMag = dyn ? abs(pre) : refMatmul(absHost(x), { shape: [N, K], data: abs(dequantize(hostW)) }, { transB: true }).data;
      return [linearOutput({ shape: [T, N], data: pre }, preMag, bias?.values, act, dt, dyn ? "|y|+|act'|·(|x·w|+|b|)" : "|y|+|act'|·Σ|x·w|")];
    },
  });
}
