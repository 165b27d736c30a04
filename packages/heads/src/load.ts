/**
 * Where a `fromPretrained` call gets its files: a `ModelFiles` as given, or a string that is a local folder or a
 * hub id, resolved by the hub module (`resolveModelFiles`: downloads on demand into the HF cache in Node, Cache
 * Storage in browsers). Options are checked and resolved once, by core's `resolveLoadOptions` (the loading front
 * door shared with core, pipelines and the CLI). Browser-safe: Node-only code is reached through dynamic imports only.
 */
import {
  DebertaError,
  type FloatDType,
  type LoadOptions,
  type ModelFiles,
  type OptionSpec,
  type QuantizedDTypeName,
  type ResolvedLoadOptions,
  env,
  isModelFiles,
  progressEvent,
  resolveDtype,
  resolveLoadOptions,
} from "@deberta-js/core";
import { type HubOptions, resolveModelFiles } from "./hub/index.js";

export type { ProgressEvent } from "@deberta-js/core";

/** Options every `fromPretrained` accepts (model classes, Auto classes, `AutoTokenizer`, `pipeline`): core's `LoadOptions`. */
export interface PretrainedOptions extends LoadOptions {}

/** Options of model classes: the loading options plus `strict`. */
export const HEAD_OPTIONS: readonly OptionSpec[] = [{ name: "strict" }];

/** Any dtype name core's `resolveDtype` knows ("fp32", "fp16", "bf16", "q8", "q4f16", …). */
export type DTypeName = FloatDType | "fp32" | "fp16" | "float32" | "float16" | "bf16" | "auto" | QuantizedDTypeName | (string & {});

/**
 * "fp16"/"float16"/"f16" → "f16"; "fp32"/"float32"/"f32"/undefined → "f32"; quantized names ("q8", "q4f16", …)
 * are returned as given (checked). Anything else is UNSUPPORTED (see core `resolveDtype`).
 */
export function normalizeDtype(d: DTypeName | undefined): FloatDType | QuantizedDTypeName {
  const choice = resolveDtype(d);
  return choice.quantize ? (d as QuantizedDTypeName) : choice.compute;
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
  return resolveFilesWith(idOrFiles, resolveLoadOptions(options, "resolveFiles").load);
}

/** `resolveFiles` with options already resolved. `env.localModelPath` is tried first for names. */
export async function resolveFilesWith(idOrFiles: string | ModelFiles, load: ResolvedLoadOptions): Promise<ModelFiles> {
  if (isModelFiles(idOrFiles)) return idOrFiles;
  if (typeof idOrFiles !== "string" || idOrFiles.length === 0) {
    throw new DebertaError("INPUT_INVALID", `fromPretrained: expected a hub id, a folder path or ModelFiles, got ${JSON.stringify(idOrFiles)}`);
  }
  const progress = load.progress;
  const hub: HubOptions = {
    revision: load.revision,
    cacheDir: load.cacheDir,
    token: load.token,
    endpoint: load.endpoint,
    localFilesOnly: load.localFilesOnly,
    fetch: load.fetch,
    onProgress: progress ? (p) => progress(progressEvent(p.phase, p, idOrFiles)) : undefined,
  };
  const local = env.allowLocalModels && env.localModelPath && !/^(\/|\.\.?\/|[A-Za-z]:[\\/])/.test(idOrFiles) ? `${env.localModelPath.replace(/[\\/]+$/, "")}/${idOrFiles}` : undefined;
  if (local !== undefined) {
    // A folder under env.localModelPath wins; anything else falls through to the hub.
    try {
      return await resolver(local, { ...hub, localFilesOnly: true });
    } catch {
      /* not there: the hub */
    }
  }
  return resolver(idOrFiles, hub);
}
