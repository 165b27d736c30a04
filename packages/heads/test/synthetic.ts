// A model folder for end-to-end pipeline tests: a tiny-v3 fixture head (random weights) with its vocabulary
// enlarged to fit the spm-v3-like fixture tokenizer (8000 pieces + [MASK] = 8000; vocab_size 8100 like the real
// models' padding), written with the tokenizer files into a temp folder.
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadStateDict, writeSafetensors } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";

const fixtures = fileURLToPath(new URL("../../../fixtures", import.meta.url));
const TOKENIZER = join(fixtures, "tokenizer/spm-v3-like");
export const VOCAB = 8100;

let seed = 7;
function normal(std: number): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  const u = (seed + 1) / 4294967297;
  seed = (seed * 1103515245 + 12345) >>> 0;
  const v = (seed + 1) / 4294967297;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * std;
}

/** `heads/<cls>` of tiny-v3 with an 8100-row vocabulary, plus the tokenizer files. Returns the folder. */
export async function syntheticModel(cls: string, configPatch: Record<string, unknown> = {}): Promise<string> {
  const src = join(fixtures, "models/tiny-v3/heads", cls);
  const dir = await mkdtemp(join(tmpdir(), `deberta-js-${cls}-`));
  const { stateDict } = await loadStateDict(directoryFiles(src));
  const tensors: Record<string, { dtype: "f32"; shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of stateDict) tensors[name] = { dtype: "f32", shape: t.shape, data: t.data as Float32Array };
  const E = tensors["deberta.embeddings.word_embeddings.weight"].shape[1];
  tensors["deberta.embeddings.word_embeddings.weight"] = { dtype: "f32", shape: [VOCAB, E], data: Float32Array.from({ length: VOCAB * E }, () => normal(0.5)) };
  if (tensors["cls.predictions.bias"]) tensors["cls.predictions.bias"] = { dtype: "f32", shape: [VOCAB], data: Float32Array.from({ length: VOCAB }, () => normal(0.5)) };
  await writeFile(join(dir, "model.safetensors"), writeSafetensors(tensors));
  const config = JSON.parse(await readFile(join(src, "config.json"), "utf8"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...config, vocab_size: VOCAB, ...configPatch }));
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spm.model"]) await copyFile(join(TOKENIZER, f), join(dir, f));
  return dir;
}
