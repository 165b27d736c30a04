/**
 * Backends are optional packages: import the one asked for (which registers it), then create it through the
 * core registry so "cannot start here" comes back with the backend's own reason.
 */
import { type Backend, createBackend, DebertaError, type FloatDType, parseFloatDType, parseModelDType } from "@deberta-js/core";

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

/**
 * `--dtype` of commands that load a model: fp32 | fp16, or a quantized dtype (q8, q4, nf4, fp4, q4f16, …) that
 * quantizes the Linear weights at load. Returned as given once checked.
 */
export function parseModelDtype(s: string | undefined): string {
  if (s === undefined) return "f32";
  if (!parseModelDType(s)) {
    throw new DebertaError("INPUT_INVALID", `--dtype "${s}" is not one of fp32, fp16, q8, q4, nf4, fp4, q4f16, q8f16, nf4f16, fp4f16`);
  }
  return s;
}

/** `fp32`/`fp16` (CLI spelling) or `f32`/`f16` → core dtype. */
export function parseDtype(s: string | undefined): FloatDType {
  const dtype = s === undefined ? "f32" : parseFloatDType(s);
  if (!dtype) throw new DebertaError("INPUT_INVALID", `--dtype "${s}" is not one of fp32, fp16`);
  return dtype;
}
