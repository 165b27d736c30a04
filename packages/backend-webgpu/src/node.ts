/**
 * Node entry: WebGPU through Dawn (the `webgpu` npm package). Importing it registers the "webgpu" backend factory
 * for Node, so `createBackend("webgpu")` and `deberta-js … --backend webgpu` work.
 *
 * Without a GPU, Dawn can run on SwiftShader (Vulkan on the CPU, shipped with Chromium). This is automatic: on
 * Linux, when no GPU device node exists (or Dawn finds no adapter) and `VK_ICD_FILENAMES` is not set, Chromium's
 * SwiftShader ICD is used if installed (`/usr/lib/chromium/vk_swiftshader_icd.json`, Debian's `chromium`). Set
 * `VK_ICD_FILENAMES` yourself to choose another driver.
 */
import { existsSync } from "node:fs";
import { type BackendAvailability, type BackendFactory, BackendUnavailableError, registerBackend } from "@deberta-js/core";
import type { WebGpuBackend } from "./backend.js";
import { type CreateWebGpuBackendOptions, createWebGpuBackend, webgpuAvailability } from "./create.js";

export * from "./index.js";

export interface NodeWebGpuOptions extends Omit<CreateWebGpuBackendOptions, "gpu"> {
  /** Dawn flags for `create()`, e.g. `["backend=vulkan"]` or `["enable-dawn-features=allow_unsafe_apis"]`. */
  dawnFlags?: string[];
}

type DawnModule = { create: (flags: string[]) => GPU; globals: object };

/** Where distributions install Chromium's SwiftShader Vulkan driver. */
export const SWIFTSHADER_ICDS = [
  "/usr/lib/chromium/vk_swiftshader_icd.json",
  "/usr/lib/chromium-browser/vk_swiftshader_icd.json",
  "/usr/lib64/chromium-browser/vk_swiftshader_icd.json",
];

/** The installed SwiftShader ICD, if any. */
export function swiftShaderIcd(): string | undefined {
  return SWIFTSHADER_ICDS.find((p) => existsSync(p));
}

/** Whether this Linux machine shows a GPU to processes (DRM render nodes, NVIDIA, WSL's dxg). */
function hasGpuDeviceNode(): boolean {
  return ["/dev/dri", "/dev/nvidia0", "/dev/dxg"].some((p) => existsSync(p));
}

/**
 * Points Vulkan at SwiftShader when `VK_ICD_FILENAMES` is unset and SwiftShader is installed; with `onlyWithoutGpu`,
 * only when no GPU device node exists. Returns whether it did. Dawn reads the variable when an instance is created.
 */
export function useSwiftShader(onlyWithoutGpu: boolean): boolean {
  if (process.platform !== "linux" || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return false;
  if (onlyWithoutGpu && hasGpuDeviceNode()) return false;
  const icd = swiftShaderIcd();
  if (!icd) return false;
  process.env.VK_ICD_FILENAMES = icd;
  return true;
}
let dawn: Promise<DawnModule> | null = null;
let globalsInstalled = false;

/** Loads the `webgpu` package (an optional peer dependency) and installs its `GPU*` globals once. */
export async function loadDawn(): Promise<DawnModule> {
  // No GPU here: go straight to SwiftShader, so Dawn does not first probe (and warn about) other drivers.
  if (!dawn) useSwiftShader(true);
  dawn ??= import("webgpu").then(
    (m) => m as unknown as DawnModule,
    (e) => {
      dawn = null;
      throw new BackendUnavailableError("webgpu", `the "webgpu" package (Dawn for Node) is not installed: npm install webgpu (${(e as Error).message})`, { cause: e });
    },
  );
  const m = await dawn;
  if (!globalsInstalled) {
    for (const [k, v] of Object.entries(m.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    globalsInstalled = true;
  }
  return m;
}

const NO_ADAPTER_HINT =
  process.platform === "linux"
    ? "; Dawn found no Vulkan GPU — without one, install Chromium's SwiftShader (Debian: apt-get install chromium libvulkan1), which is then used automatically"
    : "";

/**
 * A backend on a fresh Dawn instance. The instance lives as long as the backend: `destroy()` releases it (a live
 * Dawn instance keeps Node's event loop running).
 */
export async function createNodeWebGpuBackend(options: NodeWebGpuOptions = {}): Promise<WebGpuBackend> {
  const { create } = await loadDawn();
  // A GPU device node but no usable adapter (e.g. no Vulkan driver for it): SwiftShader next, on a fresh instance.
  if (!(await nodeWebGpuAvailability()).available) throw new BackendUnavailableError("webgpu", `no adapter: Dawn's requestAdapter() returned null${NO_ADAPTER_HINT}`);
  const holder: { gpu: GPU | null } = { gpu: create(options.dawnFlags ?? []) };
  const userDestroy = options.onDestroy;
  try {
    return await createWebGpuBackend({
      ...options,
      gpu: holder.gpu!,
      onDestroy: () => {
        holder.gpu = null;
        userDestroy?.();
      },
    });
  } catch (e) {
    holder.gpu = null;
    if (e instanceof BackendUnavailableError && /no adapter/.test(e.message)) {
      throw new BackendUnavailableError("webgpu", `no adapter: Dawn's requestAdapter() returned null${NO_ADAPTER_HINT}`);
    }
    throw e;
  }
}

let availability: Promise<BackendAvailability> | null = null;

/** Whether Dawn finds an adapter here (checked once per process). */
export function nodeWebGpuAvailability(): Promise<BackendAvailability> {
  availability ??= (async (): Promise<BackendAvailability> => {
    let m: DawnModule;
    try {
      m = await loadDawn();
    } catch (e) {
      return { available: false, reason: (e as Error).message };
    }
    let gpu: GPU | null = m.create([]);
    let a = await webgpuAvailability(gpu);
    if (!a.available && useSwiftShader(false)) a = await webgpuAvailability((gpu = m.create([])));
    gpu = null;
    return a.available ? a : { available: false, reason: `no adapter: Dawn's requestAdapter() returned null${NO_ADAPTER_HINT}` };
  })();
  return availability;
}

export const nodeWebgpuBackendFactory: BackendFactory<NodeWebGpuOptions> = {
  name: "webgpu",
  priority: 10,
  isAvailable: nodeWebGpuAvailability,
  create: (options) => createNodeWebGpuBackend(options),
};

/** Registers the Dawn factory under "webgpu" (done on import). */
export function registerNodeWebGpu(): void {
  registerBackend(nodeWebgpuBackendFactory);
}

registerNodeWebGpu();
