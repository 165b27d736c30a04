/**
 * The real `CudaDevice` (koffi bindings to the driver, NVRTC and cuBLASLt; cuLaunchKernel argument arrays; the
 * dynamic shared memory opt-in; pinned staging and readback; event polling; the NVRTC disk cache; cuBLASLt
 * descriptors, layouts, preferences and heuristics) on fake_cuda.cpp, which implements those entry points on the
 * CPU emulator and checks the parameters as the cuBLASLt documentation defines them.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runConformance } from "@deberta-js/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CudaBackend } from "../../src/backend.js";
import { ATTENTION_CASES, ATTENTION_RUNS, checkAttention } from "../../src/testing/index.js";
import { buildFakeCuda } from "./emu-build.js";
import { emulatorUnavailable } from "./harness.js";

describe.skipIf(!!emulatorUnavailable)(`CudaDevice on a fake libcuda/NVRTC/cuBLASLt${emulatorUnavailable ? ` — skipped: ${emulatorUnavailable}` : ""}`, () => {
  const cache = mkdtempSync(join(tmpdir(), "djs-kcache-"));
  let index: typeof import("../../src/index.js");
  let backend: CudaBackend;
  beforeAll(async () => {
    const lib = await buildFakeCuda();
    process.env.DEBERTA_JS_LIBCUDA = lib;
    process.env.DEBERTA_JS_NVRTC = lib;
    process.env.DEBERTA_JS_CUBLASLT = lib;
    process.env.DEBERTA_JS_CUDA_CACHE = cache;
    index = await import("../../src/index.js");
    backend = await index.createCudaBackend();
  });
  afterAll(() => {
    backend?.destroy();
    rmSync(cache, { recursive: true, force: true });
  });

  it("reports the device and library versions through the real bindings", async () => {
    expect(await index.cudaBackendFactory.isAvailable()).toEqual({ available: true });
    const info = backend.device.info;
    expect(info.name).toBe("Fake H100 (deberta-js emulator)");
    expect(info.computeCapability).toEqual([9, 0]);
    expect(info.maxSharedOptin).toBe(232448);
    expect(info.versions.nvrtc).toMatch(/^99\.0 /);
    expect(info.versions.cublasLt).toMatch(/^13\.0\.0 /);
  });

  it("compiles every module in parallel (koffi async) into the disk cache, then reads it back", async () => {
    const first = await backend.warmup();
    expect(first.length).toBe(index.KERNEL_MODULES.length);
    expect(first.every((m) => !m.fromCache)).toBe(true);
    expect(readdirSync(cache).filter((f) => f.endsWith(".cubin")).length).toBe(index.KERNEL_MODULES.length);
    const other = await index.createCudaBackend();
    const second = await other.warmup();
    expect(second.every((m) => m.fromCache)).toBe(true);
    other.destroy();
  });

  for (const dtype of ["f32", "f16"] as const) {
    it(`passes the conformance kit in ${dtype}`, async () => {
      const report = await runConformance(backend, { dtype, log: () => {}, checkFallbacks: true });
      const failed = report.results.filter((r) => !r.ok && !r.skipped);
      expect(failed.map((r) => `${r.op}/${r.case}: ${r.error}`).join("\n")).toBe("");
    });
  }

  it("runs the tensor-core attention (dynamic shared memory above 48 KiB) and the f32 kernel", async () => {
    for (const run of ATTENTION_RUNS.filter((r) => r.half === "f16")) {
      const b = await index.createCudaBackend({ attention: run.kind });
      try {
        const res = await checkAttention(b, ATTENTION_CASES[0], run);
        expect(res.problems.join("; ")).toBe("");
      } finally {
        b.destroy();
      }
    }
  });

  it("names the failing call and the CUDA error", async () => {
    expect(() => backend.device.launch("djs_attn_mma_f16_d64", [1, 1, 1], [128, 1, 1], 200_000, new Array(17).fill(0))).toThrow(/argument 0 must be a device pointer/);
    const dev = backend.device as import("../../src/cuda-device.js").CudaDevice;
    expect(() => dev.memAlloc(2 ** 60)).toThrow(/cuMemAlloc\(\d+ bytes\): CUDA_ERROR_OUT_OF_MEMORY \(2\)/);
  });
});
