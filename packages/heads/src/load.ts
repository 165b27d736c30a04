/**
 * Where a `fromPretrained` call gets its files: a `ModelFiles` as given, or a string that is a local folder or a
 * hub id, resolved by the hub module (`resolveModelFiles`: downloads on demand into the HF cache in Node, Cache
 * Storage in browsers). Browser-safe: Node-only code is reached through dynamic imports only.
 */
import {
  type Backend,
  DebertaError,
  type FloatDType,
  isModelFiles,
  type ModelFiles,
  parseFloatDType,
  parseModelDType,
  type QuantizedDTypeName,
} from "@deberta-js/core";
import { type HubOptions, resolveModelFiles } from "./hub/index.js";

/** Progress of a download (`phase` "download"), of a file served from the HF cache ("cached"), or of reading weights ("load"). */
export interface ProgressEvent {
  phase: "download" | "cached" | "load";
  file: string;
  loaded: number;
  total: number;
}

/** Options every `fromPretrained` accepts (model classes, `AutoModel`, `AutoTokenizer`, `pipeline`). */
export interface PretrainedOptions {
  /** A backend instance or a registered backend's name ("cpu", "webgpu", "cuda"); default: the best available. */
  backend?: Backend | string;
  /**
   * Compute dtype: "fp32" (default) or "fp16" ("f32"/"f16"/"float32"/"float16" also accepted); or a quantized
   * dtype that quantizes the Linear weights at load: "q8", "q4", "nf4" ("bnb4"), "fp4", "q4f16" (q4 weights, fp16
   * compute), "q8f16", "nf4f16", "fp4f16". bitsandbytes checkpoints load quantized whatever the dtype.
   */
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
  /** Use the HF cache only, never the network (also when `HF_HUB_OFFLINE=1`). */
  localFilesOnly?: boolean;
  /** A `fetch` to use for hub requests instead of the global one. */
  fetch?: typeof fetch;
  onProgress?: (p: ProgressEvent) => void;
  /** Receives loading warnings (unused or newly initialized weights). Default: console.warn. */
  warn?: (message: string) => void;
}

export type DTypeName = FloatDType | "fp32" | "fp16" | "float32" | "float16" | QuantizedDTypeName;

/**
 * "fp16"/"float16"/"f16" → "f16"; "fp32"/"float32"/"f32"/undefined → "f32"; quantized names ("q8", "q4f16", …)
 * are returned as given (checked). Anything else is UNSUPPORTED.
 */
export function normalizeDtype(d: DTypeName | string | undefined): FloatDType | QuantizedDTypeName {
  if (d === undefined) return "f32";
  const dtype = parseFloatDType(d);
  if (dtype) return dtype;
  if (parseModelDType(d)) return d as QuantizedDTypeName;
  throw new DebertaError("UNSUPPORTED", `dtype "${d}" is not supported; use "fp32", "fp16", "q8", "q4", "nf4", "fp4" or "q4f16"`);
}

export { isModelFiles } from "@deberta-js/core";

type Resolver = (idOrPath: string, opts: HubOptions) => Promise<ModelFiles>;

let resolver: Resolver = resolveModelFiles;

/** Overrides how strings are resolved (tests, custom hosting). Pass `null` to restore the hub resolver. */
export function setModelResolver(r: Resolver | null): void {
  resolver = r ?? resolveModelFiles;
}

/** A model folder, a hub id (downloaded on demand into the HF cache), or `ModelFiles` → `ModelFiles`. */
export async function resolveFiles(idOrFiles: string | ModelFiles, options: PretrainedOptions = {}): Promise<ModelFiles> {
  if (isModelFiles(idOrFiles)) return idOrFiles;
  if (typeof idOrFiles !== "string" || idOrFiles.length === 0) {
    throw new DebertaError("INPUT_INVALID", `fromPretrained: expected a hub id, a folder path or ModelFiles, got ${JSON.stringify(idOrFiles)}`);
  }
  const onProgress = options.onProgress;
  return resolver(idOrFiles, {
    revision: options.revision,
    cacheDir: options.cacheDir,
    token: options.token,
    endpoint: options.endpoint,
    localFilesOnly: options.localFilesOnly,
    fetch: options.fetch,
    onProgress: onProgress ? (p) => onProgress({ ...p }) : undefined,
  });
}
