/**
 * `deberta-js info --model ID_OR_DIR`: config summary, parameter count, dtypes and files without running the model,
 * and the backend a run would use (`--backend auto` picks the best available).
 */
import type { Command } from "commander";
import { getBackend, loadConfig, openSource, readSafetensorsHeader, resolveWeightFiles, loadStateDict } from "@deberta-js/core";
import { resolveFiles } from "@deberta-js/heads";
import { BACKEND_NAMES } from "../backends.js";
import { action, printJson } from "../output.js";
import { kernelInfo } from "./bench.js";

/** The backend a run would use, and for cpu its kernel set and threads. */
async function backendInfo(name: string | undefined) {
  const b = await getBackend(name);
  return { backend: b.name, ...kernelInfo(b) };
}

export async function infoCommand(opts: { model: string; variant?: string; backend?: string; revision?: string; cacheDir?: string }) {
  const files = await resolveFiles(opts.model, { revision: opts.revision, cache_dir: opts.cacheDir });
  const config = await loadConfig(files);
  const resolved = await resolveWeightFiles(files, { variant: opts.variant });
  let parameters = 0;
  const dtypes = new Set<string>();
  if (resolved.format === "safetensors") {
    for (const f of resolved.files.filter((f) => f.endsWith(".safetensors"))) {
      const header = await readSafetensorsHeader(await openSource(files, f));
      for (const e of header.entries) {
        parameters += e.shape.reduce((a: number, b: number) => a * b, 1);
        dtypes.add(e.dtype);
      }
    }
  } else {
    const { stateDict, sourceDtypes } = await loadStateDict(files, { variant: opts.variant });
    for (const t of stateDict.values()) parameters += t.data.length;
    for (const d of sourceDtypes) dtypes.add(d);
  }
  return {
    model: files.location,
    architectures: config.architectures,
    model_type: config.model_type,
    hidden_size: config.hidden_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    attention_head_size: config.attention_head_size,
    intermediate_size: config.intermediate_size,
    vocab_size: config.vocab_size,
    max_position_embeddings: config.max_position_embeddings,
    relative_attention: config.relative_attention,
    pos_att_type: config.pos_att_type,
    position_buckets: config.position_buckets,
    share_att_key: config.share_att_key,
    conv_kernel_size: config.conv_kernel_size,
    num_labels: config.num_labels,
    id2label: config.id2label,
    parameters,
    dtypes: [...dtypes],
    weights: resolved.files,
    files: await files.list(),
    ...(await backendInfo(opts.backend)),
  };
}

export function registerInfo(program: Command): void {
  program
    .command("info")
    .description("summarise a model folder: config, parameter count, dtypes, files")
    .requiredOption("--model <id-or-dir>", "hub id (downloaded into the HF cache) or model folder")
    .option("--variant <variant>", "weights variant, e.g. fp16")
    .option("--backend <name>", `the backend to report: ${BACKEND_NAMES.join(" | ")}`, "auto")
    .option("--revision <rev>", "hub revision (branch, tag or commit)")
    .option("--cache-dir <dir>", "HF cache folder")
    .action(action(async (opts: { model: string; variant?: string; backend?: string }) => printJson(await infoCommand(opts))));
}
