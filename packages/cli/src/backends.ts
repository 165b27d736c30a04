/**
 * The CLI's backends go through core's front door (`getBackend`, shared per name): this file only tells core how
 * to import each backend package from the CLI's own dependencies, so `--backend webgpu` works in any install
 * layout. `--backend auto` (the default) is the library's default choice.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Backend, DTYPES, DebertaError, type FloatDType, getBackend, parseModelDType, registerBackendLoader, resolveDtype } from "@deberta-js/core";

registerBackendLoader("cpu", () => import("@deberta-js/backend-cpu"));
registerBackendLoader("webgpu", async () => {
  if (!verbose) quietVulkan();
  return import("@deberta-js/backend-webgpu/node");
});
registerBackendLoader("cuda", () => import("@deberta-js/backend-cuda"));

let verbose = false;

/** `--verbose`: let backend drivers print their own messages. */
export function setVerbose(v: boolean): void {
  verbose = v;
}

/**
 * Vulkan's WSI layer prints "XDG_RUNTIME_DIR is invalid or not set" for every Dawn instance when the variable is
 * unset (servers, containers, CI); a private empty runtime folder for this process keeps stderr for our messages.
 */
function quietVulkan(): void {
  if (process.platform !== "linux" || process.env.XDG_RUNTIME_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), "deberta-js-xdg-"));
  chmodSync(dir, 0o700);
  process.env.XDG_RUNTIME_DIR = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
}

export const BACKEND_NAMES = ["auto", "cpu", "webgpu", "cuda"];

/** The shared backend for a `--backend` value (`threads`: the cpu backend's thread count). */
export async function loadBackend(name = "auto", options?: { threads?: number }): Promise<Backend> {
  return name === "cpu" && options?.threads ? getBackend(name, { threads: options.threads }) : getBackend(name);
}

/**
 * `--dtype` of commands that load a model: fp32 | fp16, or a quantized dtype (q8, q4, nf4, fp4, q4f16, …) that
 * quantizes the Linear weights at load. Returned as given once checked; undefined when not given, so the model
 * folder decides what it records (a folder saved from a q8 model runs as q8, anything else in fp32).
 */
export function parseModelDtype(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (!DTYPES[s.toLowerCase()] && !parseModelDType(s)) {
    throw new DebertaError("INPUT_INVALID", `--dtype "${s}" is not one of fp32, fp16, bf16 (cuda), q8, q4, nf4, fp4, q4f16, q8f16, nf4f16, fp4f16`);
  }
  return s;
}

/** `fp32`/`fp16`/`bf16` (and HF's other spellings) → the compute dtype. */
export function parseDtype(s: string | undefined): FloatDType {
  return resolveDtype(s, "--dtype").compute;
}
