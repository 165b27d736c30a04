/**
 * Starting the backend: adapter → device with the limits the kernels want (the adapter's maxima for buffer sizes,
 * workgroup memory and storage bindings) and `shader-f16` when offered; and the registry factory.
 */
import { BackendUnavailableError, type BackendAvailability, type BackendFactory } from "@deberta-js/core";
import { WebGpuBackend, type WebGpuBackendOptions, kernelProfileFor } from "./backend.js";

/** GPUAdapterInfo's fields as a plain object (its getters do not spread). */
function infoFields(info: GPUAdapterInfo, adapter: GPUAdapter): Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } {
  const i = info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const fallback = i.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: fallback };
}

export interface CreateWebGpuBackendOptions extends Omit<WebGpuBackendOptions, "ownsDevice" | "adapterDescription"> {
  /** A device to run on (the caller keeps owning it: `destroy()` leaves it alive). */
  device?: GPUDevice;
  /** Where to find an adapter (default `navigator.gpu`; in Node the `webgpu` package's `create([])`). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

/** Limits requested at the adapter's maximum (the defaults are too small for real model sizes). */
const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupsPerDimension",
] as const;

/** `navigator.gpu` when this environment has one. */
export function defaultGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu ?? undefined;
}

export function describeAdapter(adapter: GPUAdapter): string {
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  if (!info) return "unknown adapter";
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") || "unknown adapter";
}

export async function createWebGpuBackend(options: CreateWebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  if (options.device) return new WebGpuBackend(options.device, { ...options, ownsDevice: false });
  const gpu = options.gpu ?? defaultGpu();
  if (!gpu) {
    throw new BackendUnavailableError(
      "webgpu",
      'navigator.gpu is undefined (this browser has no WebGPU, or the page is not a secure context; in Node import "@deberta-js/backend-webgpu/node")',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? "high-performance" });
  if (!adapter) throw new BackendUnavailableError("webgpu", "no adapter: navigator.gpu.requestAdapter() returned null");
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === "number") requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (options.f16 !== false && adapter.features.has("shader-f16")) requiredFeatures.push("shader-f16");
  if (options.profile && adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: "deberta-js" });
  } catch (e) {
    throw new BackendUnavailableError("webgpu", `requestDevice failed on ${describeAdapter(adapter)}: ${(e as Error).message}`, { cause: e });
  }
  const info = (adapter as { info?: GPUAdapterInfo; isFallbackAdapter?: boolean }).info;
  return new WebGpuBackend(device, {
    kernels: kernelProfileFor(info && infoFields(info, adapter)),
    ...options,
    ownsDevice: true,
    adapterDescription: describeAdapter(adapter),
  });
}

/** Why WebGPU cannot start with this `GPU` (or `navigator.gpu`), or that it can. */
export async function webgpuAvailability(gpu: GPU | undefined = defaultGpu()): Promise<BackendAvailability> {
  if (!gpu) return { available: false, reason: "navigator.gpu is undefined" };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: "no adapter: navigator.gpu.requestAdapter() returned null" };
    return { available: true };
  } catch (e) {
    return { available: false, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
}

/** The browser factory (`navigator.gpu`). Priority 10: preferred over the CPU backend when available. */
export const webgpuBackendFactory: BackendFactory<CreateWebGpuBackendOptions> = {
  name: "webgpu",
  priority: 10,
  isAvailable: () => webgpuAvailability(),
  create: (options) => createWebGpuBackend(options),
};
