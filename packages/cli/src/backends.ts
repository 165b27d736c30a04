/**
 * Backends are optional packages: import the one asked for (which registers it), then create it through the
 * core registry so "cannot start here" comes back with the backend's own reason.
 */
import { type Backend, createBackend, DebertaError, type FloatDType, parseFloatDType } from "@deberta-js/core";

const PACKAGES: Record<string, string> = {
  cpu: "@deberta-js/backend-cpu",
  webgpu: "@deberta-js/backend-webgpu/node",
  cuda: "@deberta-js/backend-cuda",
};

export const BACKEND_NAMES = Object.keys(PACKAGES);

export async function loadBackend(name = "cpu"): Promise<Backend> {
  const pkg = PACKAGES[name];
  if (!pkg) throw new DebertaError("UNSUPPORTED", `--backend "${name}" is not one of ${BACKEND_NAMES.join(", ")}`);
  try {
    await import(pkg);
  } catch (e) {
    throw new DebertaError("BACKEND_UNAVAILABLE", `backend "${name}": cannot load ${pkg} (${(e as Error).message})`, { cause: e });
  }
  return createBackend(name);
}

/** `fp32`/`fp16` (CLI spelling) or `f32`/`f16` → core dtype. */
export function parseDtype(s: string | undefined): FloatDType {
  const dtype = s === undefined ? "f32" : parseFloatDType(s);
  if (!dtype) throw new DebertaError("INPUT_INVALID", `--dtype "${s}" is not one of fp32, fp16`);
  return dtype;
}
