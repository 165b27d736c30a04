/**
 * HF parity on WebGPU (Dawn): every case of every fixture — base model and all heads — in f32, each element
 * within 1e-4 + 1e-4·|ref| of the stored Hugging Face output (padded positions included), through the shared
 * parity suite, once with each kernel family ("cpu": what SwiftShader gets by default; "gpu": the tiled kernels real
 * GPUs get). The worst errors are printed at the end.
 */
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { type CaseRunner, type FixtureCase, compareOutputs, defineParitySuite, loadFixtureCases } from "@deberta-js/core/testing";
import { headsRunner } from "@deberta-js/heads/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { KernelProfile, WebGpuBackend } from "../src/backend.js";
import { availability, describeGpu, gpuBackend } from "./gpu.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root);

const backends = new Map<KernelProfile, Promise<WebGpuBackend>>();
const backend = (kernels: KernelProfile) => {
  if (!backends.has(kernels)) backends.set(kernels, gpuBackend({ kernels }));
  return backends.get(kernels)!;
};
const byInputs = new Map<unknown, FixtureCase>(cases.map((c) => [c.inputs, c]));
const worst: Record<string, { name: string; maxAbsError: number }[]> = { cpu: [], gpu: [] };

/** The heads runner, noting each case's largest |a − r|. */
const runner =
  (kernels: KernelProfile): CaseRunner =>
  async (args) => {
    const out = await headsRunner(args);
    const c = byInputs.get(args.inputs);
    if (c) worst[kernels].push({ name: `${c.fixture}/${c.name}`, maxAbsError: compareOutputs(out, c.outputs).maxAbsError });
    return out;
  };

afterAll(async () => {
  for (const b of backends.values()) (await b).destroy();
  for (const [kernels, list] of Object.entries(worst)) {
    if (!list.length) continue;
    const top = [...list].sort((a, b) => b.maxAbsError - a.maxAbsError);
    console.log(
      `webgpu parity (${kernels} kernels): ${list.length} cases, max |a−r| ${top[0].maxAbsError.toExponential(2)} (${top[0].name}); next: ` +
        top
          .slice(1, 4)
          .map((w) => `${w.name} ${w.maxAbsError.toExponential(2)}`)
          .join(", "),
    );
  }
});

if (availability.available) {
  for (const kernels of ["cpu", "gpu"] as KernelProfile[]) {
    defineParitySuite(
      { describe, it, expect },
      { name: `HF parity on webgpu (f32, ${kernels} kernels)`, root, cases, backend: () => backend(kernels), runner: runner(kernels) },
    );
  }
} else {
  describeGpu("HF parity on webgpu", () => it("needs an adapter", () => {}));
}
