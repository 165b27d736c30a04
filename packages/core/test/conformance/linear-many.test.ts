// linearMany: the op contract's typed errors (naming the argument), core's dispatch (the backend's op, or separate
// linears for backends without it and for quantized weights), and the conformance family on both paths.
import { describe, expect, it } from "vitest";
import { DebertaError, InputError, linear, linearMany, QuantizedWeight, quantizeWeight, type Tensor } from "@deberta-js/core";
import { HostBackend, runConformance } from "@deberta-js/core/testing";

const seq = (n: number, s = 1) => Float32Array.from({ length: n }, (_, i) => (((i * 7) % 11) - 5) * 0.1 * s);

describe("linearMany", () => {
  const be = new HostBackend();
  const x = be.upload(seq(10), [2, 5], "f32");
  const w1 = be.upload(seq(15, 0.5), [3, 5], "f32");
  const w2 = be.upload(seq(20, -1), [4, 5], "f32");
  const b1 = be.upload(seq(3), [3], "f32");

  const error = (f: () => unknown): DebertaError => {
    try {
      f();
    } catch (e) {
      return e as DebertaError;
    }
    throw new Error("no error");
  };

  it("rejects misuse with INPUT_INVALID naming the argument", () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => linearMany(be, x, [w1, w2.reshape([5, 4])], [b1, undefined]), /^linearMany: weights\[1\] \[5,4\] must be \[out, 5\] for x \[2,5\]$/],
      [() => linearMany(be, x, [w1, w2], [undefined, b1]), /^linearMany: biases\[1\] \[3\] must have 4 elements$/],
      [() => linearMany(be, x, [w1, w2], [b1]), /^linearMany: biases must have one entry .* 2 weights, 1 biases$/],
      [() => linearMany(be, x, [], []), /^linearMany: weights must be a non-empty array/],
      [() => linearMany(be, x, [w1, be.upload(seq(20), [4, 5], "f16")], [b1, undefined]), /^linearMany: weights\[1\] is f16, x is f32/],
      [() => linearMany(be, x, [w1, be.upload(Int32Array.from(seq(20)), [4, 5], "i32")], [b1, undefined]), /^linearMany: weights\[1\] \[4,5\] is i32; this op takes f32 or f16$/],
    ];
    for (const [f, msg] of cases) {
      const e = error(f);
      expect(e).toBeInstanceOf(InputError);
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.message).toMatch(msg);
    }
    const gone = be.upload(seq(15), [3, 5], "f32");
    gone.dispose();
    expect(error(() => linearMany(be, x, [w1, gone], [undefined, undefined])).code).toBe("DISPOSED");
    // the same errors without the backend's op (core's separate linears check the same contract first)
    const plain = new HostBackend({ fused: false });
    const px = plain.upload(seq(10), [2, 5], "f32");
    const pw = plain.upload(seq(15), [3, 5], "f32");
    expect(error(() => linearMany(plain, px, [pw, pw.reshape([5, 3])], [undefined, undefined])).message).toMatch(/^linearMany: weights\[1\] \[5,3\]/);
  });

  it("gives each output what linear gives, through the backend's op and through the fallback", async () => {
    const calls: number[] = [];
    const spy = new HostBackend();
    const own = spy.linearMany!;
    spy.linearMany = (a, ws, bs) => (calls.push(ws.length), own(a, ws, bs));
    for (const b of [spy, new HostBackend({ fused: false })]) {
      const [bx, bw1, bw2, bb1] = [b.upload(seq(10), [2, 5], "f32"), b.upload(seq(15, 0.5), [3, 5], "f32"), b.upload(seq(20, -1), [4, 5], "f32"), b.upload(seq(3), [3], "f32")];
      const ys = linearMany(b, bx, [bw1, bw2], [bb1, undefined]);
      const refs = [linear(b, bx, bw1, bb1), linear(b, bx, bw2, undefined)];
      expect(ys.map((y) => y.shape)).toEqual([[2, 3], [2, 4]]);
      for (let i = 0; i < 2; i++) expect(await ys[i].data()).toEqual(await refs[i].data());
    }
    expect(calls).toEqual([2]);
  });

  it("runs quantized weights as separate quantized linears, never through the backend's float op", async () => {
    const spy = new HostBackend();
    let fused = 0;
    const own = spy.linearMany!;
    spy.linearMany = (a, ws, bs) => (fused++, own(a, ws, bs));
    const bx = spy.upload(seq(10), [2, 5], "f32");
    const bw1 = spy.upload(seq(15, 0.5), [3, 5], "f32");
    const q = QuantizedWeight.upload(spy, quantizeWeight(seq(20, -1), 4, 5, "int8"), true);
    const [y1, y2] = linearMany(spy, bx, [bw1, q], [undefined, undefined]);
    expect(fused).toBe(0);
    expect(await y1.data()).toEqual(await linear(spy, bx, bw1, undefined).data());
    expect(await y2.data()).toEqual(await linear(spy, bx, q, undefined).data());
  });

  it("conformance: the family runs (never skipped) with and without the backend's op, and catches a wrong op", async () => {
    for (const b of [new HostBackend(), new HostBackend({ fused: false })]) {
      const r = await runConformance(b, { ops: ["linearMany"], log: () => {} });
      expect(r.results.filter((x) => !x.ok)).toEqual([]);
      expect(r.results.length).toBeGreaterThanOrEqual(6);
      expect(r.results.some((x) => x.skipped)).toBe(false);
    }
    // swapping two outputs, or dropping a bias, fails
    const swapped = new HostBackend();
    const own = swapped.linearMany!;
    swapped.linearMany = (a, ws, bs) => own(a, ws, bs).reverse();
    expect((await runConformance(swapped, { ops: ["linearMany"], log: () => {} })).passed).toBe(false);
    const noBias = new HostBackend();
    const ownNoBias = noBias.linearMany!;
    noBias.linearMany = (a, ws) => ownNoBias(a, ws, ws.map(() => undefined));
    const r = await runConformance(noBias, { ops: ["linearMany"], log: () => {} });
    expect(r.results.filter((x) => !x.ok).length).toBeGreaterThan(0);
    expect(r.results.filter((x) => !x.ok).length).toBeLessThan(r.results.length); // the all-no-bias case still passes
  });
});

export type { Tensor };
