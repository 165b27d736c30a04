/**
 * Which backend a load runs on, and who owns it. Like onnxruntime's execution providers, backends are shared:
 * `getBackend(name)` creates a backend once per name (and options) and hands the same instance to every later load,
 * so loading ten models does not start ten WebGPU devices, and disposing a model never pulls the device from under
 * another. `disposeBackends()` destroys them all (e.g. before a CLI exits, as a live Dawn instance keeps Node's event
 * loop running).
 *
 * Default choice (no `device`, or "auto"): packages that are installed but not imported are discovered (CUDA in
 * Node; WebGPU in browsers that have `navigator.gpu`; the CPU backend everywhere), then the registered backend with
 * the highest priority that says it is available here wins (cuda 20 > webgpu 10 > cpu 0). WebGPU in Node is used
 * only when asked for by name or imported, as Dawn without a GPU falls back to a software adapter slower than the
 * CPU backend.
 */
import { type Backend, type BackendFactory, createBackend, registeredBackends } from "../backend.js";
import { BackendUnavailableError } from "../errors.js";

type Loader = () => Promise<unknown>;

const isNode = () => typeof process !== "undefined" && typeof process.versions?.node === "string";

/** Imports a package by a non-literal specifier, so browser bundlers leave optional packages alone. */
const importPackage = (spec: string): Loader => () => import(/* @vite-ignore */ /* webpackIgnore: true */ spec);

/** name → how to import the package that registers it. Packages that depend on a backend may register a loader that resolves from their own location. */
const loaders = new Map<string, Loader>([
  ["cpu", importPackage("@deberta-js/backend-cpu")],
  ["cuda", importPackage("@deberta-js/backend-cuda")],
  ["webgpu", () => (isNode() ? importPackage("@deberta-js/backend-webgpu/node")() : importPackage("@deberta-js/backend-webgpu")())],
]);

/** The package to install for a backend name (for messages). */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  cpu: "@deberta-js/backend-cpu",
  cuda: "@deberta-js/backend-cuda",
  webgpu: "@deberta-js/backend-webgpu",
};

/** Tells `getBackend` how to import the package registering `name` (a CLI or app that depends on it statically). */
export function registerBackendLoader(name: string, load: () => Promise<unknown>): void {
  loaders.set(name, load);
}

/** transformers.js device names that mean one of ours. */
const DEVICE_ALIASES: Record<string, string> = { wasm: "cpu", auto: "" };

/** Canonical backend name for a `device` value ("" = the default choice). */
export function deviceName(device: string | undefined): string {
  if (device === undefined) return "";
  return DEVICE_ALIASES[device] ?? device;
}

const cache = new Map<string, Promise<Backend>>();

/**
 * The shared backend for `device` (a registered name, "auto"/undefined for the best available, "wasm" = "cpu", "gpu" =
 * the best GPU backend). `options` are the backend's creation options; backends with different options are cached
 * apart.
 */
export function getBackend(device?: string, options?: Record<string, unknown>): Promise<Backend> {
  const name = deviceName(device);
  const key = options && Object.keys(options).length ? `${name}|${JSON.stringify(options)}` : name;
  let p = cache.get(key);
  if (!p) {
    p = (name === "" ? defaultBackend(options) : name === "gpu" ? gpuBackend(options) : namedBackend(name, options)).catch((e) => {
      cache.delete(key);
      throw e;
    });
    cache.set(key, p);
  }
  return p;
}

/** Destroys every backend `getBackend` created. Models loaded on them are unusable afterwards. */
export async function disposeBackends(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    const b = await p.catch(() => undefined);
    b?.destroy?.();
  }
}

async function tryLoad(name: string): Promise<void> {
  const load = loaders.get(name);
  if (load) await load().catch(() => undefined);
}

async function namedBackend(name: string, options?: Record<string, unknown>): Promise<Backend> {
  if (!registeredBackends().some((f) => f.name === name)) {
    const load = loaders.get(name);
    if (load) {
      try {
        await load();
      } catch (e) {
        const pkg = BACKEND_PACKAGES[name] ?? `@deberta-js/backend-${name}`;
        throw new BackendUnavailableError(name, `its package is not installed or failed to load: npm install ${pkg} (${(e as Error).message})`, { cause: e });
      }
    }
  }
  return createBackend(name, options);
}

/** Packages worth discovering without being asked, here. */
function discoverable(): string[] {
  if (isNode()) return ["cuda", "cpu"];
  const hasGpu = typeof navigator !== "undefined" && "gpu" in navigator;
  return hasGpu ? ["webgpu", "cpu"] : ["cpu"];
}

async function firstAvailable(factories: BackendFactory[], options?: Record<string, unknown>): Promise<Backend | { reasons: string[] }> {
  const reasons: string[] = [];
  for (const f of factories) {
    const a = await f.isAvailable();
    if (!a.available) {
      reasons.push(`${f.name}: ${a.reason}`);
      continue;
    }
    try {
      return await f.create(options);
    } catch (e) {
      reasons.push(`${f.name}: ${(e as Error).message}`);
    }
  }
  return { reasons };
}

async function defaultBackend(options?: Record<string, unknown>): Promise<Backend> {
  for (const name of discoverable()) await tryLoad(name);
  const got = await firstAvailable(registeredBackends(), options);
  if ("reasons" in got) {
    throw new BackendUnavailableError(
      "(any)",
      got.reasons.length ? got.reasons.join("; ") : `no backend registered; install and import one, e.g. npm install ${BACKEND_PACKAGES.cpu}`,
    );
  }
  return got;
}

async function gpuBackend(options?: Record<string, unknown>): Promise<Backend> {
  await tryLoad("cuda");
  await tryLoad("webgpu");
  const got = await firstAvailable(registeredBackends().filter((f) => f.name !== "cpu"), options);
  if ("reasons" in got) throw new BackendUnavailableError("gpu", got.reasons.join("; ") || "no GPU backend installed (@deberta-js/backend-cuda or @deberta-js/backend-webgpu)");
  return got;
}
