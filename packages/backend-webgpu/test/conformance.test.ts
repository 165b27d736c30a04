import { runConformance } from "@deberta-js/core/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

describeGpu("conformance kit on WebGPU (Dawn)", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend();
  });
  afterAll(() => be?.destroy());

  it("f32: every primitive and fused op", async () => {
    const lines: string[] = [];
    const report = await runConformance(be, { dtype: "f32", log: (l) => lines.push(l) });
    if (!report.passed) console.error(lines.join("\n"));
    const failed = report.results.filter((r) => !r.ok && !r.skipped);
    expect(failed.map((r) => `${r.op} ${r.case}: ${r.error}`)).toEqual([]);
    expect(report.results.filter((r) => r.skipped)).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it("f16: runs where the adapter has shader-f16, and says so where it does not", async () => {
    if (!be.supportsDtype("f16")) {
      console.warn("WebGPU f16 conformance skipped: this adapter has no shader-f16 (SwiftShader does not offer it)");
      return;
    }
    const lines: string[] = [];
    const report = await runConformance(be, { dtype: "f16", log: (l) => lines.push(l) });
    if (!report.passed) console.error(lines.join("\n"));
    expect(report.results.filter((r) => !r.ok && !r.skipped).map((r) => `${r.op} ${r.case}: ${r.error}`)).toEqual([]);
  });
});
