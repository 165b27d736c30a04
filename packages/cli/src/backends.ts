/**
 * The CLI's backends go through core's front door (`getBackend`, shared per name): this file only tells core how
 * to import each backend package from the CLI's own dependencies, so `--backend webgpu` works in any install
 * layout. `--backend auto` (the default) is the library's default choice.
 */
import { type Backend, type FloatDType, getBackend, registerBackendLoader, resolveDtype } from "@deberta-js/core";

registerBackendLoader("cpu", () => import("@deberta-js/backend-cpu"));
registerBackendLoader("webgpu", () => import("@deberta-js/backend-webgpu/node"));
registerBackendLoader("cuda", () => import("@deberta-js/backend-cuda"));

export const BACKEND_NAMES = ["auto", "cpu", "webgpu", "cuda"];

/** The shared backend for a `--backend` value. */
export async function loadBackend(name = "auto"): Promise<Backend> {
  return getBackend(name);
}

/** `fp32`/`fp16`/`bf16` (and HF's other spellings) → the compute dtype. */
export function parseDtype(s: string | undefined): FloatDType {
  return resolveDtype(s, "--dtype").compute;
}
