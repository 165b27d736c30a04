// The page of browser-load-bench.mjs (bundled by esbuild for the browser): loads the served model folder with
// `urlFiles` (Range requests streamed into each tensor) onto the CPU (TypeScript kernels) or WebGPU backend.
import { DebertaV2Model, urlFiles, type Backend } from "@deberta-js/core";
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { createWebGpuBackend } from "@deberta-js/backend-webgpu";

async function memory(): Promise<number | undefined> {
  const p = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
  if (!crossOriginIsolated || !p.measureUserAgentSpecificMemory) return undefined;
  try {
    // the measurement waits for a GC; headless Chromium may take long: give up after 30 s
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000));
    return (await Promise.race([p.measureUserAgentSpecificMemory(), timeout]))?.bytes;
  } catch {
    return undefined;
  }
}

(globalThis as Record<string, unknown>).runLoad = async (backendName: string, dtype: "f32" | "f16") => {
  const backend: Backend = backendName === "webgpu" ? await createWebGpuBackend() : createCpuBackend();
  const t0 = performance.now();
  const model = await DebertaV2Model.fromPretrained(urlFiles("/model/"), { backend, dtype, precompute: false, warn: () => {} });
  const seconds = (performance.now() - t0) / 1000;
  const resident = model.residentWeightBytes;
  const uaMemory = await memory();
  (globalThis as Record<string, unknown>).keep = model; // held while the parent reads the process memory
  return { seconds, resident, uaMemory, crossOriginIsolated };
};
(globalThis as Record<string, unknown>).pageReady = true;
