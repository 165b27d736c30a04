/**
 * Streaming weight loading: every tensor of a checkpoint (single file or shards, safetensors or
 * `pytorch_model.bin`) is handed to a sink one at a time, in file order, and its bytes are released before the
 * next one is read. The sink decides what a tensor becomes (converted, uploaded to a backend, pre-packed,
 * quantized) — so peak memory is what the sink keeps plus one tensor in flight, never the file.
 *
 * All headers (and the shard index) are read and validated before the first tensor is handed over, so a corrupt
 * or inconsistent checkpoint fails before anything is uploaded.
 */
import { WeightsError } from "../errors.js";
import type { ModelFiles } from "../files.js";
import type { LoadProgress } from "./load.js";
import { resolveWeightFiles, type ResolveOptions, type WeightFormat } from "./resolve.js";
import { joinLocation, openSource } from "./source.js";
import type { HostDType, HostTensor, SourceDType } from "./state-dict.js";
import { safetensorsRecords, torchRecords, type TensorRecord } from "./tensor-records.js";
import { tfRecords } from "./tf-records.js";

export type { TensorRecord } from "./tensor-records.js";

/**
 * Receives each tensor. `read(target)` reads it (at most once is useful; not calling it skips the tensor's bytes
 * entirely). Resolves when the sink is done with it, so the loader reads the next one only then.
 */
export type TensorSink = (record: TensorRecord) => Promise<void> | void;

export interface StreamWeightsOptions extends ResolveOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Called once with every record (all headers read and checked) before the first tensor is handed over. */
  onListed?: (checkpoint: StreamedCheckpoint) => void;
}

export interface StreamedCheckpoint {
  format: WeightFormat;
  /** The files read, in order (index first when sharded). */
  files: string[];
  /** Every record, in the order handed to the sink (names, dtypes, shapes). */
  records: TensorRecord[];
  sourceDtypes: Set<SourceDType>;
}

/** Reads the checkpoint's headers: every tensor record of every file, checked against the shard index. */
export async function listCheckpoint(files: ModelFiles, opts: ResolveOptions = {}): Promise<StreamedCheckpoint & { sizes: Map<string, number> }> {
  const resolved = await resolveWeightFiles(files, opts);
  const records: TensorRecord[] = [];
  const origin = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const file of resolved.files) {
    const src = await openSource(files, file);
    sizes.set(file, src.size);
    const part =
      resolved.format === "safetensors"
        ? await safetensorsRecords(src, file)
        : resolved.format === "tf"
          ? await tfRecords(src, file)
          : await torchRecords(src, file);
    for (const r of part.records) {
      const prev = origin.get(r.name);
      if (prev !== undefined) throw new WeightsError(`${files.location}: tensor "${r.name}" appears in both "${prev}" and "${file}"`);
      origin.set(r.name, file);
      records.push(r);
    }
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
    format: resolved.format,
    files: resolved.index ? [resolved.index, ...resolved.files] : resolved.files,
    records,
    sourceDtypes: new Set(records.map((r) => r.dtype)),
    sizes,
  };
}

/** Hands every tensor of the checkpoint in `files` to `sink`, one at a time, in file order. */
export async function streamWeights(files: ModelFiles, sink: TensorSink, opts: StreamWeightsOptions = {}): Promise<StreamedCheckpoint> {
  const listed = await listCheckpoint(files, opts);
  const { sizes: _sizes, ...rest } = listed;
  opts.onListed?.(rest);
  const size = (f: string) => listed.sizes.get(f)!;
  let lastFile = "";
  for (const r of listed.records) {
    if (r.file !== lastFile) {
      if (lastFile) opts.onProgress?.({ file: lastFile, loaded: size(lastFile), total: size(lastFile) });
      lastFile = r.file;
      opts.onProgress?.({ file: r.file, loaded: 0, total: size(r.file) });
    }
    await sink(r);
    opts.onProgress?.({ file: r.file, loaded: r.fileOffsetAfter, total: size(r.file) });
  }
  if (lastFile) opts.onProgress?.({ file: lastFile, loaded: size(lastFile), total: size(lastFile) });
  return rest;
}

/** A sink that collects the tensors in memory, converted to `dtype` (what `loadStateDict` returns, one at a time). */
export function collectingSink(out: Map<string, HostTensor>, dtype: HostDType = "f32"): TensorSink {
  return async (r) => {
    out.set(r.name, await r.read(dtype));
  };
}
