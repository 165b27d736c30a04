/** The conformance kit's quantized Linear cases (`quantizedLinear`: the backend's op, or core's fallback). */
import type { Activation } from "../backend.js";
import { quantizedLinearReference } from "../ops/quantized-linear.js";
import { dequantize } from "../quant/dequantize.js";
import { quantizeWeight } from "../quant/quantize.js";
import { type QuantMethod, QuantizedWeight } from "../quant/quantized-weight.js";
import { abs, absHost, type CaseBuilder, host, out } from "./conformance-builder.js";
import { activationFunction, refMatmul } from "./reference-ops.js";

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
    let qw: QuantizedWeight | undefined;
    cb.add({
      op: "quantizedLinear",
      name: `${method} x [${T},${K}] W [${N},${K}]${withBias ? " +bias" : ""}${act ? ` ${act}` : ""}`,
      inputs: bias ? [x, bias] : [x],
      run: (be, [tx, tb]) => {
        qw = QuantizedWeight.upload(be, hostW, !be.quantizedLinear);
        // the backend's op, or core's fallback (what core's `linear` dispatches to)
        return [be.quantizedLinear ? be.quantizedLinear(tx, qw, tb, act) : quantizedLinearReference(be, tx, qw, tb, act)];
      },
      cleanup: () => {
        qw?.dispose();
        qw = undefined;
      },
      expected: () => {
        const w = { shape: [N, K], data: Float64Array.from(dequantize(hostW)) };
        const pre = refMatmul(host(x), w, { transB: true });
        const preMag = refMatmul(absHost(x), { shape: w.shape, data: abs(w.data) }, { transB: true });
        if (bias) {
          for (let i = 0; i < pre.data.length; i++) {
            pre.data[i] += bias.values[i % N];
            preMag.data[i] += Math.abs(bias.values[i % N]);
          }
        }
        const f = activationFunction(act ?? "linear");
        const y = new Float64Array(pre.data.length);
        const mag = new Float64Array(pre.data.length);
        for (let i = 0; i < y.length; i++) {
          const p = pre.data[i];
          y[i] = f(p);
          const h = 1e-6 * Math.max(1, Math.abs(p));
          mag[i] = Math.abs(y[i]) + Math.abs((f(p + h) - f(p - h)) / (2 * h)) * preMag.data[i];
        }
        return [out("y", { shape: pre.shape, data: y }, dt, { mag, magName: "|y|+|act'|·Σ|x·w|" })];
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

}
