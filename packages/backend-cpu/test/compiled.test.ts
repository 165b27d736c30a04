// The compiled kernel sets against the HF fixtures and the conformance kit: every ISA this CPU runs (native addon).
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases, runConformance } from "@deberta-js/core/testing";
import { CompiledCpuBackend, loadCpuBackend } from "../src/index.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });

const native = await loadCpuBackend({ kernels: "native", threads: 2 }).catch((e: Error) => e);
if (native instanceof Error) console.warn(`native CPU kernels skipped: ${native.message}`);

describe.skipIf(native instanceof Error)("native kernels", () => {
  const be = native as CompiledCpuBackend;
  it("loads a SIMD kernel set with threads", () => {
    expect(be.kernelSet).toMatch(/^native-(avx512|avx2|base)$/);
    expect(be.threads).toBe(2);
  });
  it("passes runConformance in f32", async () => {
    const report = await runConformance(be, { dtype: "f32" });
    expect(report.results.filter((x) => !x.ok).map((x) => `${x.op} / ${x.case}: ${x.error}`).join("\n")).toBe("");
    expect(report.results.some((r) => r.skipped)).toBe(false);
  });
  defineParitySuite({ describe, it, expect }, { name: "native kernels, fp32", root, cases, backend: async () => be });
});
