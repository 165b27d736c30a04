// bitsandbytes fixtures (NF4 / FP4 with and without double quant, LLM.int8) through the CPU backend's
// quantizedLinear: every base-model case within 1e-4 + 1e-4·|ref| of cases.json.
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import { CpuBackend, loadCpuBackend } from "../src/index.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/quantized", import.meta.url)));
const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });
const backend = new CpuBackend();

it("has the quantized fixtures and a quantizedLinear op", () => {
  expect(cases.length).toBe(9);
  expect(typeof backend.quantizedLinear).toBe("function");
});
defineParitySuite({ describe, it, expect }, { name: "cpu backend, bitsandbytes checkpoints", root, cases, backend: async () => backend });

// The compiled kernel sets (native addon, WASM): dequantized panels through the compiled SGEMM.
for (const kernels of ["native", "wasm"] as const) {
  const be = await loadCpuBackend({ kernels, threads: 2 }).catch((e: Error) => e);
  if (be instanceof Error) {
    it.skip(`${kernels} kernels: ${be.message}`, () => {});
    continue;
  }
  defineParitySuite({ describe, it, expect }, { name: `cpu backend (${(be as { kernelSet?: string }).kernelSet}), bitsandbytes checkpoints`, root, cases, backend: async () => be });
}
