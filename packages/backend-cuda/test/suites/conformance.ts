/**
 * core's backend conformance kit on the `CudaBackend`: every op, f32 and f16, the fused ops (linear,
 * addLayerNorm, the flash disentangled attention) and core's reference fallbacks on the backend's primitives.
 */
import { runConformance } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import type { CudaBackend } from "../../src/backend.js";

export function conformanceSuite(label: string, skip: string | undefined, make: () => Promise<CudaBackend>): void {
  describe.skipIf(!!skip)(`conformance kit (${label})${skip ? ` — skipped: ${skip}` : ""}`, () => {
    for (const dtype of ["f32", "f16"] as const) {
      it(`passes in ${dtype}`, async () => {
        const backend = await make();
        const lines: string[] = [];
        const report = await runConformance(backend, { dtype, log: (l) => lines.push(l), checkFallbacks: true });
        backend.destroy();
        const failed = report.results.filter((r) => !r.ok && !r.skipped);
        expect(failed.map((r) => `${r.op}/${r.case}: ${r.error}`).join("\n")).toBe("");
        expect(report.results.filter((r) => r.op === "disentangledAttention" && r.ok).length).toBeGreaterThan(0);
      });
    }
  });
}
