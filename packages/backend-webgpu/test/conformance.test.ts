/**
 * The core conformance kit on WebGPU (Dawn), for both kernel families: "cpu" (barrier-free, what SwiftShader and
 * other CPU adapters get by default) and "gpu" (tiled, workgroup memory — what real GPUs get), so CI on SwiftShader
 * checks the kernels real GPUs run too.
 */
import { runConformance } from "@deberta-js/core/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KernelProfile, WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

for (const kernels of ["cpu", "gpu"] as KernelProfile[]) {
  describeGpu(`conformance kit on WebGPU (Dawn), ${kernels} kernels`, () => {
    let be: WebGpuBackend;
    beforeAll(async () => {
      be = await gpuBackend({ kernels });
    });
    afterAll(() => be?.destroy());

    it("f32: every primitive and fused op", async () => {
      const lines: string[] = [];
      const report = await runConformance(be, { dtype: "f32", log: (l) => lines.push(l) });
      if (!report.passed) console.error(lines.join("\n"));
      const failed = report.results.filter((r) => !r.ok && !r.skipped);
      expect(failed.map((r) => `${r.op} ${r.case}: ${r.error}`)).toEqual([]);
      expect(report.results.filter((r) => r.skipped).map((r) => r.op)).toEqual([]);
      const worst = Math.max(...report.results.map((r) => r.maxAbsError).filter(Number.isFinite));
      console.log(`webgpu conformance (${kernels} kernels, f32): ${report.results.length} cases passed, max |a−r| ${worst.toExponential(2)}`);
      expect(report.passed).toBe(true);
    });

    it("f16 where the adapter has shader-f16", async () => {
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
}
