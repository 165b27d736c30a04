/**
 * Loads a model folder's state dict: resolves the files (single or sharded, safetensors or pytorch_model.bin,
 * with an optional HF variant), and streams every tensor (`stream.ts`) into memory, each float tensor converted
 * to the requested dtype as it is read.
 */
import type { ModelFiles } from "../files.js";
import type { HostDType, SourceDType, StateDict } from "./state-dict.js";
import type { ResolveOptions, WeightFormat } from "./resolve.js";
import { collectingSink, streamWeights } from "./stream.js";

export interface LoadProgress {
  /** The file being read. */
  file: string;
  /** Bytes of that file read so far. */
  loaded: number;
  /** Its size in bytes. */
  total: number;
}

export interface LoadStateDictOptions extends ResolveOptions {
  /** Target dtype of the float tensors (default f32). Integer buffers (e.g. position_ids) stay f32. */
  dtype?: HostDType;
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadedStateDict {
  stateDict: StateDict;
  /** The files read, in order (index first when sharded). */
  files: string[];
  /** Dtypes found in the files, safetensors spelling: "F32", "F16", "BF16", "F64", "I64", "I32". */
  sourceDtypes: Set<string>;
  format: WeightFormat;
}

export async function loadStateDict(files: ModelFiles, opts: LoadStateDictOptions = {}): Promise<LoadedStateDict> {
  const stateDict: StateDict = new Map();
  const streamed = await streamWeights(files, collectingSink(stateDict, opts.dtype ?? "f32"), opts);
  return { stateDict, files: streamed.files, sourceDtypes: streamed.sourceDtypes, format: streamed.format };
}
