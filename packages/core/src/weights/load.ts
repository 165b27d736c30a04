/**
 * Loads a model folder's state dict: resolves the files (single or sharded, safetensors or pytorch_model.bin,
 * with an optional HF variant, or TensorFlow's tf_model.h5 mapped to PyTorch names), reads each one through `ModelFiles` (ranged reads when available) and converts
 * every float tensor to the requested dtype.
 */
import { WeightsError } from "../errors.js";
import type { ModelFiles } from "../files.js";
import { readSafetensors } from "./safetensors.js";
import { type ByteSource, joinLocation, openSource } from "./source.js";
import type { HostDType, SourceDType, StateDict } from "./state-dict.js";
import { readTorchCheckpoint } from "./torch-pickle.js";
import { resolveWeightFiles, type ResolveOptions, type WeightFormat } from "./resolve.js";
import { readTfH5 } from "./tf-h5.js";
import { tfWeightsToStateDict } from "./tf-names.js";

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
  const resolved = await resolveWeightFiles(files, opts);
  const stateDict: StateDict = new Map();
  const sourceDtypes = new Set<SourceDType>();
  const origin = new Map<string, string>();
  for (const file of resolved.files) {
    const src = await openSource(files, file);
    const onProgress = opts.onProgress ? (loaded: number, total: number) => opts.onProgress!({ file, loaded, total }) : undefined;
    const part =
      resolved.format === "safetensors"
        ? await readSafetensors(src, { dtype: opts.dtype, onProgress })
        : resolved.format === "tf"
          ? await readTfCheckpoint(src, { dtype: opts.dtype, onProgress })
          : await readTorchCheckpoint(src, { dtype: opts.dtype, onProgress });
    for (const [name, t] of part.tensors) {
      const prev = origin.get(name);
      if (prev !== undefined) {
        throw new WeightsError(`${files.location}: tensor "${name}" appears in both "${prev}" and "${file}"`);
      }
      origin.set(name, file);
      stateDict.set(name, t);
    }
    for (const d of part.sourceDtypes) sourceDtypes.add(d);
  }
  if (resolved.weightMap) {
    for (const [name, shard] of resolved.weightMap) {
      const found = origin.get(name);
      if (found !== shard) {
        throw new WeightsError(
          `${joinLocation(files.location, resolved.index ?? "")}: tensor "${name}" is listed in shard "${shard}" but ${found === undefined ? "no shard holds it" : `was found in "${found}"`}`,
        );
      }
    }
  }
  return {
    stateDict,
    files: resolved.index ? [resolved.index, ...resolved.files] : resolved.files,
    sourceDtypes,
    format: resolved.format,
  };
}

/** A `tf_model.h5` as a state dict under PyTorch names (see tf-names.ts). */
async function readTfCheckpoint(
  src: ByteSource,
  opts: { dtype?: HostDType; onProgress?: (loaded: number, total: number) => void },
): Promise<{ tensors: StateDict; sourceDtypes: Set<SourceDType> }> {
  const weights = await readTfH5(src, opts);
  return { tensors: tfWeightsToStateDict(weights, src.name), sourceDtypes: weights.sourceDtypes };
}
