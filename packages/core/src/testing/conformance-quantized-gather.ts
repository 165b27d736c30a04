/**
 * The conformance kit's quantized embedding gather (`gatherQuantized`: the backend's op, or core's host fallback):
 * an int8 row-wise table from `quantizeWeight`, rows at ids (repeats, the first and last row, an all-zero row),
 * expected: the host dequantization's rows exactly (f32), or rounded to the dtype (f16).
 */
import { dequantize } from "../quant/dequantize.js";
import { quantizeWeight } from "../quant/quantize.js";
import { QuantizedWeight } from "../quant/quantized-weight.js";
import { gatherQuantizedReference } from "../ops/quantized-gather.js";
import { type CaseBuilder, host, out } from "./conformance-builder.js";
import { refGather } from "./reference-ops.js";

export const QUANTIZED_GATHER_OP = "gatherQuantized";

export function quantizedGatherCases(cb: CaseBuilder) {
  const list: Array<[number, number, number[]]> = [
    [17, 33, [0, 16, 3, 3, 7, 0, 16, 5]],
    [5, 1, [4]],
    [129, 65, [128, 0, 64, 64, 1, 100, 5]],
  ];
  for (const [V, D, idList] of list) {
    const wf = cb.normal("table", [V, D], 0.3);
    const values = Float32Array.from(wf.values);
    values.fill(0, 5 * D, 6 * D > values.length ? values.length : 6 * D); // row 5 all zero (scale 0) where it exists
    const hostW = quantizeWeight(values, V, D, "int8");
    const ids = cb.values("ids", [idList.length], idList, "i32");
    let qw: QuantizedWeight | undefined;
    cb.add({
      op: QUANTIZED_GATHER_OP,
      name: `int8 table [${V},${D}] ids [${idList.length}]`,
      inputs: [ids],
      run: (be, [i]) => {
        qw = QuantizedWeight.upload(be, hostW, true);
        const hostIds = Int32Array.from(idList);
        return [be.gatherQuantized ? be.gatherQuantized(qw, i, cb.dt) : gatherQuantizedReference(be, qw, i, hostIds, cb.dt)];
      },
      cleanup: () => {
        qw?.dispose();
        qw = undefined;
      },
      expected: () => [out("y", refGather({ shape: [V, D], data: Float64Array.from(dequantize(hostW)) }, host(ids)), cb.dt, { exact: true })],
    });
  }
}
