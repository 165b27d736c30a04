import { describe, expect, it } from "vitest";
import { HostBackend, runConformance, type ConformanceReport } from "@deberta-js/core/testing";

function failures(r: ConformanceReport): string {
  return r.results
    .filter((x) => !x.ok)
    .map((x) => `${x.op} / ${x.case}: ${x.error}`)
    .join("\n");
}

describe("runConformance on HostBackend (every op is the reference)", () => {
  for (const dtype of ["f32", "f16"] as const) {
    it(`passes in ${dtype}`, async () => {
      const lines: string[] = [];
      const be = new HostBackend();
      const report = await runConformance(be, { dtype, log: (l) => lines.push(l) });
      expect(failures(report)).toBe("");
      expect(report.passed).toBe(true);
      // Every op was exercised, fused ones included (HostBackend has them).
      const ops = new Set(report.results.map((r) => r.op));
      for (const op of ["cast", "matmul", "add", "mul", "gather", "takeAlongAxis", "layerNorm", "activation", "softmax", "conv1d", "transpose", "linear", "addLayerNorm", "disentangledAttention", "quantizedLinear", "gatherQuantized"]) {
        expect(ops.has(op), op).toBe(true);
      }
      expect(report.results.some((r) => r.skipped)).toBe(false);
      expect(lines.at(-1)).toMatch(/passed — \d+ passed, 0 failed/);
      // The kit disposes everything it creates.
      expect(be.live.size).toBe(0);
    });
  }

  it("reports missing fused ops as skipped", async () => {
    const lines: string[] = [];
    const report = await runConformance(new HostBackend({ fused: false }), { ops: ["linear", "addLayerNorm", "disentangledAttention", "gather"], log: (l) => lines.push(l) });
    expect(report.passed).toBe(true);
    const skipped = report.results.filter((r) => r.skipped).map((r) => r.op);
    expect(skipped.sort()).toEqual(["addLayerNorm", "disentangledAttention", "linear"]);
    expect(report.results.find((r) => r.skipped)!.case).toBe("skipped: not implemented, reference fallback used");
    expect(lines.at(-1)).toMatch(/3 skipped/);
  });

  it("checks core's reference fallbacks on the primitives (checkFallbacks)", async () => {
    const report = await runConformance(new HostBackend({ fused: false }), {
      ops: ["linear", "addLayerNorm", "disentangledAttention"],
      checkFallbacks: true,
      log: () => {},
    });
    expect(failures(report)).toBe("");
    expect(report.results.every((r) => r.case.startsWith("reference fallback: "))).toBe(true);
  });

  it("is deterministic for a seed and selects ops", async () => {
    const a = await runConformance(new HostBackend(), { ops: ["matmul"], seed: 7, log: () => {} });
    const b = await runConformance(new HostBackend(), { ops: ["matmul"], seed: 7, log: () => {} });
    expect(a.results.map((r) => r.op)).toEqual(a.results.map(() => "matmul"));
    expect(a.results.map((r) => r.maxAbsError)).toEqual(b.results.map((r) => r.maxAbsError));
    await expect(runConformance(new HostBackend(), { ops: ["nope"] })).rejects.toThrow(/unknown op "nope"/);
  });

  it("fails cleanly when the dtype is not supported", async () => {
    const r = await runConformance(new HostBackend({ f16: false }), { dtype: "f16", log: () => {} });
    expect(r.passed).toBe(false);
    expect(r.results[0].error).toMatch(/does not support f16/);
  });
});
