/**
 * The real GPU, when this machine has one: `skip` is undefined, or the reason the CUDA backend cannot start here
 * (shown in the test names, so a skipped GPU run says why).
 */
import { CudaBackend, type CudaBackendOptions } from "../../src/backend.js";
import { CudaDevice, probeCuda } from "../../src/cuda-device.js";

const a = probeCuda();
export const gpuUnavailable: string | undefined = process.env.DEBERTA_JS_SKIP_GPU ? "DEBERTA_JS_SKIP_GPU is set" : a.available ? undefined : `no usable CUDA GPU: ${a.reason}`;

export async function gpuBackend(opts: CudaBackendOptions = {}): Promise<CudaBackend> {
  return new CudaBackend(CudaDevice.create(), opts);
}
