/**
 * Node entry: WebGPU through Dawn (the `webgpu` npm package). Importing it registers the "webgpu" backend factory
 * for Node, so `createBackend("webgpu")` and `deberta-js … --backend webgpu` work.
 *
 * Without a GPU, Dawn can run on SwiftShader (Vulkan on the CPU, shipped with Chromium):
 * `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`.
 */
import { type BackendAvailability, type BackendFactory, BackendUnavailableError, registerBackend } from "@deberta-js/core";
import type { WebGpuBackend } from "./backend.js";
import { type CreateWebGpuBackendOptions, createWebGpuBackend, webgpuAvailability } from "./create.js";

export * from "./index.js";

export interface NodeWebGpuOptions extends Omit<CreateWebGpuBackendOptions, "gpu"> {
  /** Dawn flags for `create()`, e.g. `["backend=vulkan"]` or `["enable-dawn-features=allow_unsafe_apis"]`. */
  dawnFlags?: string[];
}

type DawnModule = { create: (flags: string[]) => GPU; globals: object };
let dawn: Promise<DawnModule> | null = null;
let globalsInstalled = false;

/** Loads the `webgpu` package (an optional peer dependency) and installs its `GPU*` globals once. */
export async function loadDawn(): Promise<DawnModule> {
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
    ? "; Dawn found no Vulkan GPU — without one, install Chromium's SwiftShader (Debian: apt-get install chromium libvulkan1) and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json"
    : "";

/**
 * A backend on a fresh Dawn instance. The instance lives as long as the backend: `destroy()` releases it (a live
 * Dawn instance keeps Node's event loop running).
 */
export async function createNodeWebGpuBackend(options: NodeWebGpuOptions = {}): Promise<WebGpuBackend> {
  const { create } = await loadDawn();
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
    const a = await webgpuAvailability(gpu);
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
