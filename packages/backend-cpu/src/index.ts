// @deberta-js/backend-cpu — the CPU backend (TypeScript on typed arrays; Node and browsers).
// Importing this module registers the backend under the name "cpu" (priority 0, always available).
import { registerBackend, type BackendFactory } from "@deberta-js/core";
import { CpuBackend, type CpuBackendOptions } from "./backend.js";

export { CpuBackend, type CpuBackendOptions } from "./backend.js";
export { gemm } from "./gemm.js";

export const cpuBackendFactory: BackendFactory<CpuBackendOptions> = {
  name: "cpu",
  priority: 0,
  async isAvailable() {
    return { available: true };
  },
  async create(options?: CpuBackendOptions) {
    return new CpuBackend(options);
  },
};

registerBackend(cpuBackendFactory);

export function createCpuBackend(options?: CpuBackendOptions): CpuBackend {
  return new CpuBackend(options);
}
