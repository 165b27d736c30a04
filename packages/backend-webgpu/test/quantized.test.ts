/**
 * bitsandbytes checkpoints on WebGPU (Dawn): every case of fixtures/quantized (NF4/FP4, nested absmax, LLM.int8,
 * the seq-cls head with a quantized pooler) within 1e-4 + 1e-4·|ref|, the weights dequantized inside the matmul
 * shader from packed u32 words; and the weights stay packed on the GPU.
 */
import { fileURLToPath } from "node:url";
import { DebertaV2Model, QuantizedWeight } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { HostBackend, defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
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

describeGpu("int8 word embeddings (quantize_embeddings) on WebGPU", () => {
  const MODELS = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
  const inputs = { input_ids: [[1, 17, 42, 99, 2, 0], [1, 5, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]] };

  it("gathers from the int8 table kept packed on the GPU (no host copy); hidden states match the host backend's", async () => {
    const files = directoryFiles(`${MODELS}/tiny-v3`);
    const gpu = await DebertaV2Model.fromPretrained(files, { backend: await backend(), quantize_embeddings: true, warn: () => {} });
    const table = gpu.embeddings.wordEmbeddings as QuantizedWeight;
    expect(table).toBeInstanceOf(QuantizedWeight);
    expect(table.host).toBeUndefined(); // the shader gathers: the table is not held on the host too
    expect(table.data.size).toBe((1000 * 32) / 4); // int8 codes packed 4 per u32 word
    const ref = await DebertaV2Model.fromPretrained(files, { backend: new HostBackend({ name: "host-ref" }), quantize_embeddings: true, warn: () => {} });
    const a = (await (await gpu.forward(inputs)).last_hidden_state.data()) as Float32Array;
    const r = (await (await ref.forward(inputs)).last_hidden_state.data()) as Float32Array;
    expect(a.length).toBe(r.length);
    let worst = 0;
    for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(a[i] - r[i]) - (1e-4 + 1e-4 * Math.abs(r[i])));
    expect(worst).toBeLessThanOrEqual(0);
    gpu.dispose();
    ref.dispose();
  });
});
