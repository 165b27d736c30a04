/**
 * `env`: process-wide defaults for loading, as transformers.js's `env`. Set a field once instead of passing the same
 * option to every call; an option given to a call always wins.
 *
 *   import { env } from "@deberta-js/heads";
 *   env.allowRemoteModels = false;          // never download: the hub cache and local folders only
 *   env.localModelPath = "/models";        // "my-model" is looked up as /models/my-model first
 *   env.cacheDir = "/data/hf-cache";        // the HF cache folder (Node)
 */
export interface DebertaEnv {
  /** Download from the hub when a file is not cached (default true). false = `local_files_only: true` everywhere. */
  allowRemoteModels: boolean;
  /** Look model names up under `localModelPath` before the hub (default true). */
  allowLocalModels: boolean;
  /** A folder holding model folders: `fromPretrained("name")` tries `<localModelPath>/name` first (Node). */
  localModelPath: string | undefined;
  /** The HF cache folder (default `$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`). */
  cacheDir: string | undefined;
  /** Hub endpoint (default `$HF_ENDPOINT` or https://huggingface.co). */
  remoteHost: string | undefined;
  /** Default `device` (backend name) when a call names none; undefined = the best available. */
  device: string | undefined;
  /** Default `dtype` when a call names none (default "fp32"). */
  dtype: string | undefined;
  /** Where loading warnings go when a call passes no `warn` (default console.warn). */
  warn: ((message: string) => void) | undefined;
}

export const env: DebertaEnv = {
  allowRemoteModels: true,
  allowLocalModels: true,
  localModelPath: undefined,
  cacheDir: undefined,
  remoteHost: undefined,
  device: undefined,
  dtype: undefined,
  warn: undefined,
};

/** The warning sink: the call's, else `env.warn`, else console.warn. */
export function warnSink(warn?: (message: string) => void): (message: string) => void {
  return warn ?? env.warn ?? ((m: string) => console.warn(m));
}
