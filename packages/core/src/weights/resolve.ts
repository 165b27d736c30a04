/**
 * Which weight files of a model folder to load, chosen the way Hugging Face `from_pretrained` chooses them for a
 * local folder (`modeling_utils._get_resolved_checkpoint_files`): in order
 *   model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json
 * and with a variant `v`, HF's `_add_variant` puts `v` before the LAST extension:
 *   model.v.safetensors, model.safetensors.index.v.json, pytorch_model.v.bin, pytorch_model.bin.index.v.json.
 * For robustness we also accept `model.v.safetensors.index.json` / `pytorch_model.v.bin.index.json` right after
 * HF's spelling. As in HF, asking for a variant never falls back to the files without it.
 *
 * TensorFlow's `tf_model.h5` is used when it is the only weight file (HF would refuse and ask for `from_tf`), and
 * is the only candidate with `from_tf: true`, as in HF. It has no variants.
 */
import { WeightsError } from "../errors.js";
import type { ModelFiles } from "../files.js";
import { joinLocation } from "./source.js";
import { getLimits, limitHint } from "../limits.js";

export type WeightFormat = "safetensors" | "pytorch" | "tf";

export interface ResolveOptions {
  /** HF `variant`, e.g. "fp16" → `model.fp16.safetensors`. */
  variant?: string;
  /** Look for safetensors before pytorch_model.bin (default true, as HF). */
  preferSafetensors?: boolean;
  /** Only this format (HF's `use_safetensors=True/False`). */
  format?: WeightFormat;
  /** HF's `from_tf=True`: load `tf_model.h5` (TensorFlow/Keras weights) and nothing else. */
  from_tf?: boolean;
}

/** The file TF models save (HF's `TF2_WEIGHTS_NAME`). */
export const TF_WEIGHTS_NAME = "tf_model.h5";

export interface ResolvedWeights {
  format: WeightFormat;
  /** The index file when the checkpoint is sharded. */
  index?: string;
  /** The weight files to read, in order (one, or the shards in first-use order of the index). */
  files: string[];
  /** Tensor name → shard, from the index (sharded checkpoints only). */
  weightMap?: Map<string, string>;
}

/** HF's `_add_variant`: `a.b.ext` + v → `a.b.v.ext`. */
export function addVariant(name: string, variant?: string): string {
  if (variant === undefined) return name;
  const dot = name.lastIndexOf(".");
  return `${name.slice(0, dot)}.${variant}${name.slice(dot)}`;
}

interface Candidate {
  name: string;
  format: WeightFormat;
  sharded: boolean;
}

export function weightFileCandidates(opts: ResolveOptions = {}): Candidate[] {
  const tf: Candidate[] = [{ name: TF_WEIGHTS_NAME, format: "tf", sharded: false }];
  if (opts.from_tf || opts.format === "tf") return tf;
  const v = opts.variant;
  const st: Candidate[] = [
    { name: addVariant("model.safetensors", v), format: "safetensors", sharded: false },
    { name: addVariant("model.safetensors.index.json", v), format: "safetensors", sharded: true },
  ];
  const pt: Candidate[] = [
    { name: addVariant("pytorch_model.bin", v), format: "pytorch", sharded: false },
    { name: addVariant("pytorch_model.bin.index.json", v), format: "pytorch", sharded: true },
  ];
  if (v !== undefined) {
    st.push({ name: `model.${v}.safetensors.index.json`, format: "safetensors", sharded: true });
    pt.push({ name: `pytorch_model.${v}.bin.index.json`, format: "pytorch", sharded: true });
  }
  if (opts.format === "safetensors") return st;
  if (opts.format === "pytorch") return pt;
  const both = opts.preferSafetensors === false ? [...pt, ...st] : [...st, ...pt];
  return v === undefined ? [...both, ...tf] : both;
}

function validateVariant(variant: string | undefined): void {
  if (variant !== undefined && !/^[A-Za-z0-9_-]+$/.test(variant)) {
    throw new WeightsError(`variant ${JSON.stringify(variant)} is not valid (letters, digits, "_" and "-" only)`);
  }
}

/** A shard name from an index must stay inside the model folder. Returns the reason when it does not. */
export function unsafeShardName(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) return "is an absolute path";
  if (name.includes("\\")) return "contains a backslash";
  if (name.includes("\0")) return "contains a NUL character";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return "is a URL";
  const parts = name.split("/");
  if (parts.some((p) => p === "..")) return 'contains a ".." segment (escapes the model folder)';
  if (parts.some((p) => p === "" || p === ".")) return "has an empty or \".\" path segment";
  return undefined;
}

/** Reads and validates a sharded checkpoint's index; returns the shard list (in first-use order) and weight map. */
export async function readShardIndex(
  files: ModelFiles,
  indexName: string,
  format: WeightFormat,
): Promise<{ files: string[]; weightMap: Map<string, string> }> {
  const where = joinLocation(files.location, indexName);
  const maxJson = getLimits().maxJsonBytes;
  if (files.size && (await files.size(indexName)) > maxJson) {
    throw new WeightsError(`${where}: ${await files.size(indexName)} bytes is too large for an index file (${limitHint("maxJsonBytes", maxJson)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await files.read(indexName)));
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`${where}: not valid JSON (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
  const wm = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>).weight_map : undefined;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
    throw new WeightsError(`${where}: "weight_map" must be an object of tensor name → shard file`);
  }
  const dir = indexName.includes("/") ? indexName.slice(0, indexName.lastIndexOf("/") + 1) : "";
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const seen = new Set<string>();
  for (const [tensor, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== "string") throw new WeightsError(`${where}: weight_map entry "${tensor}" must be a file name, found ${typeof shard}`);
    const reason = unsafeShardName(shard);
    if (reason) throw new WeightsError(`${where}: shard "${shard}" (for tensor "${tensor}") ${reason}`);
    const ext = format === "safetensors" ? ".safetensors" : ".bin";
    if (!shard.endsWith(ext)) throw new WeightsError(`${where}: shard "${shard}" (for tensor "${tensor}") is not a ${ext} file`);
    const path = dir + shard;
    weightMap.set(tensor, path);
    if (!seen.has(path)) {
      seen.add(path);
      shards.push(path);
    }
  }
  if (shards.length === 0) throw new WeightsError(`${where}: "weight_map" is empty`);
  const missing: string[] = [];
  for (const s of shards) if (!(await files.has(s))) missing.push(s);
  if (missing.length) {
    throw new WeightsError(
      `${where}: shard file${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} listed in the index ${missing.length > 1 ? "are" : "is"} missing from ${files.location}`,
      "FILE_NOT_FOUND",
    );
  }
  return { files: shards, weightMap };
}

/** Picks the weight files of a model folder, like HF `from_pretrained`. */
export async function resolveWeightFiles(files: ModelFiles, opts: ResolveOptions = {}): Promise<ResolvedWeights> {
  validateVariant(opts.variant);
  const candidates = weightFileCandidates(opts);
  for (const c of candidates) {
    if (!(await files.has(c.name))) continue;
    if (!c.sharded) return { format: c.format, files: [c.name] };
    const { files: shards, weightMap } = await readShardIndex(files, c.name, c.format);
    return { format: c.format, index: c.name, files: shards, weightMap };
  }
  let present: string[] = [];
  try {
    present = await files.list();
  } catch {
    // listing is best effort, for the message only
  }
  const shown = present.slice(0, 30).join(", ") + (present.length > 30 ? `, ... (${present.length - 30} more)` : "");
  let hint = "";
  if (opts.variant !== undefined) {
    const plain = weightFileCandidates({ ...opts, variant: undefined }).find((c) => present.includes(c.name));
    if (plain) hint = ` There is "${plain.name}" without the variant "${opts.variant}": load without a variant to use it.`;
  } else if (opts.from_tf) {
    hint = ` from_tf asks for "${TF_WEIGHTS_NAME}" only.`;
  } else if (present.some((p) => /\.(msgpack|onnx|gguf)$/.test(p))) {
    hint = " Flax/ONNX/GGUF weights are not supported: convert the model to safetensors.";
  }
  throw new WeightsError(
    `${files.location}: no weight file found; looked for ${candidates.map((c) => c.name).join(", ")}; ` +
      `the folder has ${present.length ? shown : "no files"}.${hint}`,
    "FILE_NOT_FOUND",
  );
}
