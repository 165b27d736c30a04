import { describe, expect, it } from "vitest";
import { runConformance, type ConformanceReport } from "@deberta-js/core/testing";
import { CpuBackend } from "../src/index.js";

function failures(r: ConformanceReport): string {
  return r.results
    .filter((x) => !x.ok)
    .map((x) => `${x.op} / ${x.case}: ${x.error}`)
    .join("\n");
}

describe("CpuBackend conformance", () => {
  for (const dtype of ["f32", "f16"] as const) {
    it(`passes runConformance in ${dtype}`, async () => {
      const report = await runConformance(new CpuBackend(), { dtype });
      expect(failures(report)).toBe("");
      expect(report.passed).toBe(true);
      expect(report.results.some((r) => r.skipped)).toBe(false); // every fused op is native
    });
  }
});
