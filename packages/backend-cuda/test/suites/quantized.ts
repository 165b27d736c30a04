/**
 * bitsandbytes checkpoints through the `CudaBackend`'s dequantize-in-GEMM kernel (`djs_qlinear_*`): every base-model
 * case of fixtures/quantized within 1e-4 + 1e-4·|ref|, in f32; and the kernel is what ran (not the fallback).
 */
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { CudaBackend } from "../../src/backend.js";

const root = directoryFiles(fileURLToPath(new URL("../../../../fixtures/quantized", import.meta.url)));

export async function loadQuantizedCases() {
  return loadFixtureCases(root, { classes: ["DebertaV2Model"] });
}

export function quantizedSuite(label: string, skip: string | undefined, cases: Awaited<ReturnType<typeof loadQuantizedCases>>, make: () => Promise<CudaBackend>): void {
  let be: Promise<CudaBackend> | undefined;
  const backend = () => (be ??= make());
  afterAll(async () => (await be)?.destroy());
  describe.skipIf(!!skip)(`bitsandbytes checkpoints (${label})${skip ? ` — skipped: ${skip}` : ""}`, () => {
    it("runs quantizedLinear natively", async () => {
      expect(cases.length).toBe(9);
      expect(typeof (await backend()).quantizedLinear).toBe("function");
    });
    defineParitySuite({ describe, it, expect }, { name: "fp32", root, cases, backend });
  });
}
