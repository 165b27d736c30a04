// Model folders for the server tests: tiny-v3 fixture heads (random weights) with the vocabulary enlarged to the
// spm-v3-like fixture tokenizer (8000 pieces; vocab_size 8100), written with the tokenizer files into a temp
// folder — the same construction as the heads package's pipeline tests. `reranker` keeps one row of the
// classifier, making a one-label classifier (TEI's re-ranker).
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadStateDict, writeSafetensors } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";

const fixtures = fileURLToPath(new URL("../../../fixtures", import.meta.url));
const TOKENIZER = join(fixtures, "tokenizer/spm-v3-like");
const VOCAB = 8100;

let seed = 11;
function normal(std: number): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  const u = (seed + 1) / 4294967297;
  seed = (seed * 1103515245 + 12345) >>> 0;
  const v = (seed + 1) / 4294967297;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * std;
}

type T = { dtype: "f32"; shape: number[]; data: Float32Array };

export async function testModel(cls: string, options: { reranker?: boolean } = {}): Promise<string> {
  const src = join(fixtures, "models/tiny-v3/heads", cls);
  const dir = await mkdtemp(join(tmpdir(), `deberta-js-server-${cls}-`));
  const { stateDict } = await loadStateDict(directoryFiles(src));
  const tensors: Record<string, T> = {};
  for (const [name, t] of stateDict) tensors[name] = { dtype: "f32", shape: [...t.shape], data: t.data as Float32Array };
  const E = tensors["deberta.embeddings.word_embeddings.weight"].shape[1];
  tensors["deberta.embeddings.word_embeddings.weight"] = { dtype: "f32", shape: [VOCAB, E], data: Float32Array.from({ length: VOCAB * E }, () => normal(0.5)) };
  if (tensors["cls.predictions.bias"]) tensors["cls.predictions.bias"] = { dtype: "f32", shape: [VOCAB], data: Float32Array.from({ length: VOCAB }, () => normal(0.5)) };
  const config = JSON.parse(await readFile(join(src, "config.json"), "utf8"));
  config.vocab_size = VOCAB;
  if (options.reranker) {
    const w = tensors["classifier.weight"];
    tensors["classifier.weight"] = { dtype: "f32", shape: [1, w.shape[1]], data: w.data.slice(0, w.shape[1]) };
    tensors["classifier.bias"] = { dtype: "f32", shape: [1], data: tensors["classifier.bias"].data.slice(0, 1) };
    config.id2label = { 0: "LABEL_0" };
    config.label2id = { LABEL_0: 0 };
  }
  await writeFile(join(dir, "model.safetensors"), writeSafetensors(tensors));
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spm.model"]) await copyFile(join(TOKENIZER, f), join(dir, f));
  return dir;
}
