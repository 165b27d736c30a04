/**
 * bitsandbytes checkpoints on WebGPU (Dawn): every case of fixtures/quantized (NF4/FP4, nested absmax, LLM.int8,
 * the seq-cls head with a quantized pooler) within 1e-4 + 1e-4·|ref|, the weights dequantized inside the matmul
 * shader from packed u32 words; and the weights stay packed on the GPU.
 */
import { fileURLToPath } from "node:url";
import { DebertaV2Model, QuantizedWeight } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { headsRunner } from "@deberta-js/heads/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

const ROOT = fileURLToPath(new URL("../../../fixtures/quantized", import.meta.url));
const root = directoryFiles(ROOT);
const cases = await loadFixtureCases(root);
let be: Promise<WebGpuBackend> | undefined;
const backend = () => (be ??= gpuBackend({}));
afterAll(async () => (await be)?.destroy());

describeGpu("bitsandbytes checkpoints on WebGPU", () => {
  it("has every quantized case", () => expect(cases.length).toBe(12));
  defineParitySuite({ describe, it, expect }, { name: "webgpu parity", root, cases, backend, runner: headsRunner });

  it("keeps 4-bit weights packed on the GPU (resident bytes ≈ 1/8 of f32 for the Linear weights)", async () => {
    const model = await DebertaV2Model.fromPretrained(directoryFiles(`${ROOT}/tiny-v3q-nf4-dq`), { backend: await backend(), warn: () => {} });
    const q = [...model.parameters!.named.values()].filter((t): t is QuantizedWeight => t instanceof QuantizedWeight);
    expect(q.length).toBe(12); // 2 layers × (q, k, v, attention.output.dense, intermediate, output)
    for (const w of q) expect(w.data.size * 4).toBe(Math.ceil((w.outFeatures * w.inFeatures) / 2 / 4) * 4);
    model.dispose();
  });
});
