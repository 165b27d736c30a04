/**
 * core's backend conformance kit, run on the real `CudaBackend` over the CPU emulator: every op, f32 and f16, with
 * the fused ops (linear, addLayerNorm, the flash disentangled attention) and core's reference fallbacks.
 */
import { runConformance } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import { emuBackend, emulatorUnavailable } from "./harness.js";

describe.skipIf(!!emulatorUnavailable)(`conformance kit on the emulated CUDA backend${emulatorUnavailable ? ` (skipped: ${emulatorUnavailable})` : ""}`, () => {
  for (const dtype of ["f32", "f16"] as const) {
    it(`passes in ${dtype}`, async () => {
      const { backend } = await emuBackend();
      const lines: string[] = [];
      const report = await runConformance(backend, { dtype, log: (l) => lines.push(l), checkFallbacks: true });
      backend.destroy();
      const failed = report.results.filter((r) => !r.ok && !r.skipped);
      expect(failed.map((r) => `${r.op}/${r.case}: ${r.error}`).join("\n")).toBe("");
      expect(report.results.filter((r) => r.op === "disentangledAttention" && r.ok).length).toBeGreaterThan(0);
    });
  }
});
