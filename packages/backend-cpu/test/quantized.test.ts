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

// An LLM.int8 checkpoint loaded with dtype "q8" runs the int8 GEMM with dynamic activations: the fixtures README
// compares any int8-GEMM implementation with cases.json at an absolute tolerance of about 0.1 (a wrong CB/SCB/row
// handling moves outputs by O(1)); the int8 path and the dequantized reference differ by up to ~0.05 there.
describe("LLM.int8 checkpoint with dtype q8 (int8 activations)", async () => {
  const { DebertaV2Model } = await import("@deberta-js/core");
  const { readFile } = await import("node:fs/promises");
  const dir = fileURLToPath(new URL("../../../fixtures/quantized/tiny-v3q-int8", import.meta.url));
  const all = JSON.parse(await readFile(`${dir}/cases.json`, "utf8")) as {
    name: string;
    inputs: { input_ids: number[][]; attention_mask?: number[][] };
    outputs: { last_hidden_state: { shape: number[]; data: number[] } };
  }[];
  for (const kernels of ["native", "wasm", "js"] as const) {
    it(`${kernels}: every case within 0.1 of cases.json, and not the float-activation result`, async () => {
      const be = await loadCpuBackend({ kernels, threads: 2 }).catch(() => undefined);
      if (!be) return; // the kernel set is not built here (the parity suites above say so)
      const model = await DebertaV2Model.fromPretrained(directoryFiles(dir), { backend: be, dtype: "q8" });
      let moved = 0;
      for (const c of all) {
        const out = await model.forward(c.inputs);
        const got = (await out.last_hidden_state.data()) as Float32Array;
        out.last_hidden_state.dispose();
        const ref = c.outputs.last_hidden_state.data;
        expect(got.length).toBe(ref.length);
        for (let i = 0; i < ref.length; i++) {
          expect(Math.abs(got[i] - ref[i])).toBeLessThan(0.1);
          moved = Math.max(moved, Math.abs(got[i] - ref[i]));
        }
      }
      expect(moved).toBeGreaterThan(1e-3); // activations really were quantized
      model.dispose();
    });
  }
});
