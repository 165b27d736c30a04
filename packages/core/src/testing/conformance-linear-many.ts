/**
 * The conformance kit's `linearMany` family (several Linears of one input: the backend's op, or core's fallback of
 * separate `linear` calls — never skipped, every backend must give these numbers either way). Sizes that are not
 * multiples of any SIMD width or GEMM tile, weights of different widths in one call, with and without biases; each
 * output against its own float64 Linear.
 */
import { linearMany } from "../ops/index.js";
import { type CaseBuilder, absHost, fmtShape, host, type InputDef, linearOutput } from "./conformance-builder.js";
import { refMatmul } from "./reference-ops.js";

export const LINEAR_MANY_OP = "linearMany";

export function linearManyCases(cb: CaseBuilder) {
  const dt = cb.dt;
  // [x shape, out features per weight, which weights have a bias]
  const list: Array<[number[], number[], boolean[]]> = [
    [[7, 33], [17, 17, 17], [true, true, true]],
    [[1, 65], [3, 9], [true, false]],
    [[65, 129], [67, 13, 40], [false, true, true]],
    [[2, 5, 17], [1], [true]],
    [[13, 24], [24, 24, 24], [false, false, false]],
    [[130, 40], [33, 8, 70], [true, true, false]],
  ];
  for (const [xs, outs, hasBias] of list) {
    const inF = xs[xs.length - 1];
    const x = cb.normal("x", xs);
    const ws = outs.map((n, i) => cb.normal(`weights[${i}]`, [n, inF], 0.3));
    const bs = outs.map((n, i) => (hasBias[i] ? cb.normal(`biases[${i}]`, [n], 0.3) : undefined));
    const inputs: InputDef[] = [x, ...ws, ...bs.filter((b): b is InputDef => !!b)];
    cb.add({
      op: LINEAR_MANY_OP,
      name: `x ${fmtShape(xs)} W ${outs.map((n, i) => `[${n},${inF}]${hasBias[i] ? "+b" : ""}`).join(" ")}`,
      inputs,
      run: (be, [tx, ...rest]) => {
        const tw = rest.slice(0, outs.length);
        let next = outs.length;
        const tb = hasBias.map((h) => (h ? rest[next++] : undefined));
        return linearMany(be, tx, tw, tb);
      },
      expected: () =>
        ws.map((w, i) => {
          const x2 = { shape: [x.values.length / inF, inF], data: x.values };
          const pre = refMatmul(x2, host(w), { transB: true });
          const mag = refMatmul({ ...x2, data: absHost(x).data }, absHost(w), { transB: true });
          const y = linearOutput({ shape: [...xs.slice(0, -1), outs[i]], data: pre.data }, mag.data, bs[i]?.values, undefined, dt);
          return { ...y, name: `y[${i}]` };
        }),
    });
  }
}
