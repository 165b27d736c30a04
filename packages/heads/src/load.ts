/**
 * Where a `fromPretrained` call gets its files: a `ModelFiles` as given, or a string that is a hub id or a local
 * folder, resolved by the hub module (`./hub/index.js`, `resolveModelFiles`) which downloads into the HF cache.
 * Browser-safe: Node-only code is reached through dynamic imports only.
 */
import { type Backend, DebertaError, type FloatDType, type ModelFiles } from "@deberta-js/core";

/** Progress of a download or of reading weights. `phase` says which. */
export interface ProgressEvent {
  phase: "download" | "load";
  file: string;
  loaded: number;
  total: number;
}

/** Options every `fromPretrained` accepts (model classes, `AutoModel`, `pipeline`). */
export interface PretrainedOptions {
  /** A backend instance or a registered backend's name ("cpu", "webgpu", "cuda"); default: the best available. */
  backend?: Backend | string;
  /** Compute dtype: "fp32" (default) or "fp16" ("f32"/"f16"/"float32"/"float16" also accepted). */
  dtype?: DTypeName;
  /** HF weight-file `variant`, e.g. "fp16" → `model.fp16.safetensors`. */
  variant?: string;
  /** Hub revision (branch, tag or commit); default "main". */
  revision?: string;
  /** HF cache folder (default: `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`). */
  cacheDir?: string;
  /** Hub access token (default: `$HF_TOKEN`). */
  token?: string;
  /** Hub endpoint (default: `$HF_ENDPOINT` or https://huggingface.co). */
  endpoint?: string;
  onProgress?: (p: ProgressEvent) => void;
  /** Receives loading warnings (unused or newly initialized weights). Default: console.warn. */
  warn?: (message: string) => void;
}

export type DTypeName = FloatDType | "fp32" | "fp16" | "float32" | "float16";

/** "fp16"/"float16"/"f16" → "f16"; "fp32"/"float32"/"f32"/undefined → "f32". */
export function normalizeDtype(d: DTypeName | string | undefined): FloatDType {
  if (d === undefined) return "f32";
  switch (d) {
    case "f32":
    case "fp32":
    case "float32":
      return "f32";
    case "f16":
    case "fp16":
    case "float16":
      return "f16";
  }
  throw new DebertaError("UNSUPPORTED", `dtype "${d}" is not supported; use "fp32" or "fp16"`);
}

export function isModelFiles(x: unknown): x is ModelFiles {
  return typeof x === "object" && x !== null && typeof (x as ModelFiles).read === "function" && typeof (x as ModelFiles).has === "function";
}

type HubResolver = (
  idOrPath: string | ModelFiles,
  opts: { revision?: string; cacheDir?: string; token?: string; endpoint?: string; onProgress?: (p: ProgressEvent) => void },
) => Promise<ModelFiles>;

let hubResolver: HubResolver | null | undefined;

/** Overrides how strings are resolved (tests, custom hosting). Pass `null` to restore the default. */
export function setModelResolver(resolver: HubResolver | null): void {
  hubResolver = resolver ?? undefined;
}

async function defaultResolver(): Promise<HubResolver | null> {
  if (hubResolver !== undefined) return hubResolver;
  try {
    // A variable specifier until src/hub/index.ts lands (the hub module is written separately).
    const spec = "./hub/index.js";
    const hub = (await import(/* @vite-ignore */ spec)) as { resolveModelFiles?: HubResolver };
    hubResolver = hub.resolveModelFiles ?? null;
  } catch {
    hubResolver = null;
  }
  return hubResolver;
}

/** A model folder, a hub id, or `ModelFiles` → `ModelFiles`. */
export async function resolveFiles(idOrFiles: string | ModelFiles, options: PretrainedOptions = {}): Promise<ModelFiles> {
  if (isModelFiles(idOrFiles)) return idOrFiles;
  if (typeof idOrFiles !== "string" || idOrFiles.length === 0) {
    throw new DebertaError("INPUT_INVALID", `fromPretrained: expected a hub id, a folder path or ModelFiles, got ${JSON.stringify(idOrFiles)}`);
  }
  const resolver = await defaultResolver();
  if (resolver) {
    return resolver(idOrFiles, {
      revision: options.revision,
      cacheDir: options.cacheDir,
      token: options.token,
      endpoint: options.endpoint,
      onProgress: options.onProgress,
    });
  }
  // No hub module: a local folder (Node only).
  const node = (await import("@deberta-js/core/node")) as typeof import("@deberta-js/core/node");
  return node.directoryFiles(idOrFiles);
}
