// Node-only conveniences around weight loading. Imported through `@deberta-js/core/node`.
import { promises as fs } from "node:fs";
import { directoryFiles } from "./files.js";
import { loadStateDict, type LoadStateDictOptions, type LoadedStateDict } from "../weights/load.js";
import { writeSafetensors, type RawTensor } from "../weights/safetensors.js";
import type { HostTensor } from "../weights/state-dict.js";

/** `loadStateDict(directoryFiles(dir), opts)`. */
export function loadStateDictFromDirectory(dir: string, opts?: LoadStateDictOptions): Promise<LoadedStateDict> {
  return loadStateDict(directoryFiles(dir), opts);
}

/** Writes tensors as a safetensors file (e.g. random weights for benchmarks). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, HostTensor | RawTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await fs.writeFile(path, writeSafetensors(tensors, metadata));
}
