import { describe, expect, it } from "vitest";
import type { Activation, Backend, QuantizedWeight, Tensor } from "@deberta-js/core";
import { HostBackend, runConformance } from "@deberta-js/core/testing";

/** A backend that is HostBackend except for the given ops. */
function wrap(inner: HostBackend, overrides: Partial<Record<keyof Backend, unknown>>): Backend {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof Backend];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as Backend;
}

async function run(be: Backend, ops: string[], dtype: "f32" | "f16" = "f32") {
  const lines: string[] = [];
  const report = await runConformance(be, { ops, dtype, log: (l) => lines.push(l) });
  return { report, lines, failedOps: [...new Set(report.results.filter((r) => !r.ok).map((r) => r.op))] };
}

describe("runConformance catches broken ops", () => {
  it("quantizedLinear with the nibbles swapped (low nibble first, not bnb's order)", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      quantizedLinear: (x: Tensor, w: QuantizedWeight, b?: Tensor, act?: Activation) => {
        const words = w.data.storage as Int32Array;
        const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
        const saved = bytes.slice();
        if (w.layout === "int4") for (let i = 0; i < bytes.length; i++) bytes[i] = ((bytes[i] & 15) << 4) | (bytes[i] >> 4);
        const y = inner.quantizedLinear!(x, w, b, act);
        bytes.set(saved);
        return y;
      },
    });
    const { report, failedOps } = await run(be, ["quantizedLinear"]);
    expect(report.passed).toBe(false);
    expect(failedOps).toEqual(["quantizedLinear"]);
    // int8 cases still pass: only the 4-bit ones are broken
    const int8 = report.results.filter((r) => r.case.startsWith("int8"));
    expect(int8.filter((r) => !r.ok).map((r) => r.error)).toEqual([]);
    expect(int8.length).toBeGreaterThan(0);
  });

  it("softmax off by 1e-3", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      softmax: (x: Tensor, m?: Tensor) => {
        const y = inner.softmax(x, m);
        const s = y.storage as Float32Array;
        for (let i = 0; i < s.length; i++) s[i] += 1e-3;
        return y;
      },
    });
    const { report, lines, failedOps } = await run(be, ["softmax", "gather", "matmul"]);
    expect(report.passed).toBe(false);
    expect(failedOps).toEqual(["softmax"]);
    const line = lines.find((l) => l.includes("FAIL softmax"));
    expect(line).toMatch(/maxAbs=1\.000e-3|maxAbs=0\.001/);
    expect(lines.at(-1)).toMatch(/FAILED .*\(softmax\)/);
  });

  it("gelu with the tanh approximation", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      activation: (x: Tensor, act: string) => inner.activation(x, act === "gelu" ? "gelu_new" : (act as never)),
      linear: (x: Tensor, w: Tensor, b: Tensor | undefined, act?: string) => inner.linear!(x, w, b, act === "gelu" ? "gelu_new" : (act as never)),
    });
    const { report, lines, failedOps } = await run(be, ["activation", "linear", "softmax"]);
    expect(report.passed).toBe(false);
    expect(failedOps.sort()).toEqual(["activation", "linear"]);
    const bad = report.results.filter((r) => !r.ok);
    expect(bad.every((r) => / gelu|gelu /.test(r.case) && !/gelu_/.test(r.case))).toBe(true);
    expect(lines.some((l) => l.includes("FAIL activation") && l.includes("gelu [17,33]"))).toBe(true);
  });

  it("an op that throws fails that op only", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      transpose: () => {
        throw new Error("kernel exploded");
      },
    });
    const { report, failedOps } = await run(be, ["transpose", "add"]);
    expect(failedOps).toEqual(["transpose"]);
    expect(report.results.find((r) => !r.ok)!.error).toMatch(/threw: Error: kernel exploded/);
  });

  it("an op that modifies its input, leaves an element unwritten or aliases its input", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      layerNorm: (x: Tensor, g: Tensor, b: Tensor, eps: number) => {
        const y = inner.layerNorm(x, g, b, eps);
        (x.storage as Float32Array)[0] += 1;
        return y;
      },
      mul: (a: Tensor, b: Tensor) => {
        const y = inner.mul(a, b);
        (y.storage as Float32Array)[y.size - 1] = NaN;
        return y;
      },
      cast: (x: Tensor) => x,
    });
    const { report, failedOps } = await run(be, ["layerNorm", "mul", "cast", "add"]);
    expect(failedOps.sort()).toEqual(["cast", "layerNorm", "mul"]);
    const err = (op: string) => report.results.find((r) => r.op === op && !r.ok)!.error!;
    expect(err("layerNorm")).toMatch(/modified its input x/);
    expect(err("mul")).toMatch(/NaN at/);
    expect(err("cast")).toMatch(/shares storage with input x/);
  });

  it("f16: an op that skips the rounding of its result", async () => {
    const inner = new HostBackend();
    const be = wrap(inner, {
      // returns f32 data for an f16 op
      gather: (t: Tensor, ids: Tensor) => inner.cast(inner.gather(t, ids), "f32"),
    });
    const { failedOps, report } = await run(be, ["gather"], "f16");
    expect(failedOps).toEqual(["gather"]);
    expect(report.results.find((r) => !r.ok)!.error).toMatch(/dtype f32, expected f16/);
  });
});
