// @deberta-js/backend-cpu — the CPU backend (compiled SIMD kernels, multithreaded; TypeScript fallback).
// Importing this module registers the backend under the name "cpu" (priority 0, always available).
import { BackendUnavailableError, InputError, registerBackend, type BackendFactory } from "@deberta-js/core";
import { CpuBackend, type CpuBackendOptions } from "./backend.js";
import { CompiledCpuBackend } from "./compiled-backend.js";
import { isCpuKernels, type CpuKernels } from "./kernels.js";
import { loadNativeKernels } from "./native.js";
import { loadWasmKernels } from "./wasm.js";

export { CpuBackend, type CpuBackendOptions } from "./backend.js";
export { CompiledCpuBackend } from "./compiled-backend.js";
export type { CpuKernels, KernelSet } from "./kernels.js";
export { gemm } from "./gemm.js";

export interface CpuFactoryOptions extends CpuBackendOptions {
  /**
   * Which kernels run: "native" (the Node addon), "wasm", or "js" (TypeScript, single thread). Default: the
   * `DEBERTA_JS_CPU` environment variable, else the fastest that loads (native, then wasm, then js).
   */
  kernels?: CpuKernels;
  /** Threads for the compiled kernels (default: the available cores). */
  threads?: number;
}

let warned = false;

function envKernels(): CpuKernels | undefined {
  const v = typeof process !== "undefined" ? process.env?.DEBERTA_JS_CPU : undefined;
  if (!v) return undefined;
  if (!isCpuKernels(v)) throw new InputError(`DEBERTA_JS_CPU="${v}" is not one of native, wasm, js`);
  return v;
}

/** Creates the CPU backend with the kernels asked for (or the fastest available). */
export async function loadCpuBackend(options: CpuFactoryOptions = {}): Promise<CpuBackend> {
  const want = options.kernels ?? envKernels();
  if (want !== undefined && !isCpuKernels(want)) throw new InputError(`cpu backend: kernels "${want}" is not one of native, wasm, js`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new InputError(`cpu backend: threads must be a positive integer, got ${options.threads}`);
  }
  const reasons: string[] = [];
  if (want === undefined || want === "native") {
    const k = await loadNativeKernels(options.threads);
    if (typeof k !== "string") return new CompiledCpuBackend(k, options);
    if (want === "native") throw new BackendUnavailableError("cpu", `kernels "native": ${k}`);
    reasons.push(k);
  }
  if (want === undefined || want === "wasm") {
    const k = await loadWasmKernels(options.threads);
    if (typeof k !== "string") return new CompiledCpuBackend(k, options);
    if (want === "wasm") throw new BackendUnavailableError("cpu", `kernels "wasm": ${k}`);
    reasons.push(k);
  }
  if (reasons.length && !warned) {
    warned = true;
    console.warn(`deberta-js cpu: using the TypeScript kernels (${reasons.join("; ")})`);
  }
  return new CpuBackend(options);
}

export const cpuBackendFactory: BackendFactory<CpuFactoryOptions> = {
  name: "cpu",
  priority: 0,
  async isAvailable() {
    return { available: true };
  },
  create: (options?: CpuFactoryOptions) => loadCpuBackend(options),
};

registerBackend(cpuBackendFactory);

/** Name of the kernel set a CPU backend runs, e.g. "native-avx2", or "js". */
export function cpuKernelSet(b: unknown): string {
  return b instanceof CompiledCpuBackend ? b.kernelSet : "js";
}

/** The CPU backend with its TypeScript kernels only (synchronous; the reference the compiled kernels are tested against). */
export function createCpuBackend(options?: CpuBackendOptions): CpuBackend {
  return new CpuBackend(options);
}
