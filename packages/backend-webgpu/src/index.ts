// @deberta-js/backend-webgpu — browser-safe entry (no Node imports). In Node, import "@deberta-js/backend-webgpu/node".
import { registerBackend } from "@deberta-js/core";
import { webgpuBackendFactory } from "./create.js";

export { WebGpuBackend, type WebGpuBackendOptions, type KernelProfile, kernelProfileFor } from "./backend.js";
export { createWebGpuBackend, webgpuBackendFactory, webgpuAvailability, describeAdapter, type CreateWebGpuBackendOptions } from "./create.js";
export { SplitTensorError } from "./storage.js";
export type { KernelTiming } from "./profiler.js";

/** Registers the `navigator.gpu` factory under "webgpu" (done on import; call again to undo a replacement). */
export function registerWebGpu(): void {
  registerBackend(webgpuBackendFactory);
}

registerWebGpu();
