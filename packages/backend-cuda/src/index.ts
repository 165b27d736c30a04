/**
 * @deberta-js/backend-cuda — the deberta-js `Backend` for NVIDIA GPUs in Node.
 *
 * Importing registers the "cuda" backend (priority 20) with core's registry. Nothing native is touched at import:
 * koffi, libcuda, NVRTC and cuBLASLt are loaded by `isAvailable()` / `create()`, which say why when they cannot.
 */
import { type BackendFactory, BackendUnavailableError, registerBackend } from "@deberta-js/core";
import { CudaBackend, type CudaBackendOptions } from "./backend.js";
import { CudaDevice, type CudaDeviceOptions, probeCuda } from "./cuda-device.js";

export { CudaBackend, type CudaBackendOptions, type CudaStorage } from "./backend.js";
export { CudaDevice, type CudaDeviceOptions, loadLibraries, probeCuda } from "./cuda-device.js";
export type { Device, DeviceInfo, Dim3 } from "./device.js";
export { CudaError } from "./driver.js";
export { libraryCandidates, type CudaLibrary } from "./libraries.js";
export { KERNEL_MODULES, KERNELS, type KernelModule, type ParamKind } from "./kernels/index.js";
export { defaultCacheDir } from "./nvrtc.js";

export type CudaOptions = CudaBackendOptions & CudaDeviceOptions;

/**
 * Options from the environment, for callers that cannot pass any (`deberta-js --backend cuda`):
 * `DEBERTA_JS_CUDA_HALF` (f16 | bf16), `DEBERTA_JS_CUDA_ATTENTION` (auto | mma | scalar | reference),
 * `DEBERTA_JS_CUDA_TF32` (1), `DEBERTA_JS_CUDA_DEVICE` (ordinal), `DEBERTA_JS_CUDA_CACHE` (kernel cache folder).
 */
export function cudaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CudaOptions {
  const o: CudaOptions = {};
  if (env.DEBERTA_JS_CUDA_HALF === "bf16" || env.DEBERTA_JS_CUDA_HALF === "f16") o.half = env.DEBERTA_JS_CUDA_HALF;
  const att = env.DEBERTA_JS_CUDA_ATTENTION;
  if (att === "auto" || att === "mma" || att === "scalar" || att === "reference") o.attention = att;
  if (env.DEBERTA_JS_CUDA_TF32 === "1") o.tf32 = true;
  if (env.DEBERTA_JS_CUDA_DEVICE) o.ordinal = Number(env.DEBERTA_JS_CUDA_DEVICE);
  return o;
}

export const cudaBackendFactory: BackendFactory<CudaOptions> = {
  name: "cuda",
  priority: 20,
  async isAvailable() {
    return probeCuda();
  },
  async create(given: CudaOptions = {}) {
    const options = { ...cudaOptionsFromEnv(), ...given };
    const a = probeCuda();
    if (!a.available) throw new BackendUnavailableError("cuda", a.reason);
    let device: CudaDevice;
    try {
      device = CudaDevice.create(options);
    } catch (e) {
      throw new BackendUnavailableError("cuda", (e as Error).message, { cause: e });
    }
    return new CudaBackend(device, options);
  },
};

/** Creates a CUDA backend directly (throws `BackendUnavailableError` with the reason when it cannot start). */
export function createCudaBackend(options: CudaOptions = {}): Promise<CudaBackend> {
  return cudaBackendFactory.create(options) as Promise<CudaBackend>;
}

registerBackend(cudaBackendFactory);
