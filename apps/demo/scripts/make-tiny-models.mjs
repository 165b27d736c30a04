#!/usr/bin/env node
/**
 * Builds the bundled demo models into `public/models/` (git-ignored; run by `pnpm build` / `pnpm dev`):
 *
 *   public/models/tiny-random-<task>/   config.json, model.safetensors, and the spm-v3-like tokenizer files
 *   public/models/manifest.json         which folder serves which task, with each file's size
 *
 * Every folder is a complete Hugging Face model folder (loadable by `deberta-js run --model <dir>` and by HF
 * transformers): a tiny DeBERTa-v3-shaped backbone (hidden 32, 2 layers, 4 heads, 256 position buckets) with
 * vocab_size 8001 to match the tokenizer of `fixtures/tokenizer/spm-v3-like` (8000 pieces + [MASK] = 8000), and one
 * task head each. All weights are random, drawn from a fixed seed, so the output is byte-identical on every machine.
 * The weights were never trained: the models show the machinery, not real predictions.
 *
 * Usage: node scripts/make-tiny-models.mjs [--force]     (skips the work when the folders are up to date)
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSafetensors } from "@deberta-js/core";

const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, "..");
const outRoot = join(appDir, "public", "models");
const tokenizerDir = join(appDir, "..", "..", "fixtures", "tokenizer", "spm-v3-like");
const TOKENIZER_FILES = ["spm.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];
/** Bump when the weights or configs change, so stale folders are rebuilt. */
const GENERATOR_VERSION = 1;
const SEED = 20240607;

const BASE_CONFIG = {
  model_type: "deberta-v2",
  vocab_size: 8001,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 0,
  initializer_range: 0.02,
  layer_norm_eps: 1e-7,
  relative_attention: true,
  max_relative_positions: -1,
  position_buckets: 256,
  norm_rel_ebd: "layer_norm",
  share_att_key: true,
  pos_att_type: ["p2c", "c2p"],
  position_biased_input: false,
  pad_token_id: 0,
  pooler_dropout: 0,
  pooler_hidden_act: "gelu",
  pooler_hidden_size: 32,
  legacy: true,
  tie_word_embeddings: true,
  torch_dtype: "float32",
};

const labels = (names) => ({
  id2label: Object.fromEntries(names.map((n, i) => [String(i), n])),
  label2id: Object.fromEntries(names.map((n, i) => [n, i])),
});

/** One folder per task. `head` lists the head tensors: [name, shape, kind]. */
export const MODELS = [
  {
    name: "tiny-random-mlm",
    tasks: ["fill-mask"],
    architecture: "DebertaV2ForMaskedLM",
    config: {},
    head: (H, V) => [
      ["cls.predictions.transform.dense.weight", [H, H], "w"],
      ["cls.predictions.transform.dense.bias", [H], "b"],
      ["cls.predictions.transform.LayerNorm.weight", [H], "ln"],
      ["cls.predictions.transform.LayerNorm.bias", [H], "b"],
      ["cls.predictions.bias", [V], "b"],
    ],
  },
  {
    name: "tiny-random-nli",
    tasks: ["text-classification", "zero-shot-classification"],
    architecture: "DebertaV2ForSequenceClassification",
    config: labels(["entailment", "neutral", "contradiction"]),
    head: (H) => [
      ["pooler.dense.weight", [H, H], "w"],
      ["pooler.dense.bias", [H], "b"],
      ["classifier.weight", [3, H], "w"],
      ["classifier.bias", [3], "b"],
    ],
  },
  {
    name: "tiny-random-ner",
    tasks: ["token-classification"],
    architecture: "DebertaV2ForTokenClassification",
    config: labels(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]),
    head: (H) => [
      ["classifier.weight", [9, H], "w"],
      ["classifier.bias", [9], "b"],
    ],
  },
  {
    name: "tiny-random-qa",
    tasks: ["question-answering"],
    architecture: "DebertaV2ForQuestionAnswering",
    config: {},
    head: (H) => [
      ["qa_outputs.weight", [2, H], "w"],
      ["qa_outputs.bias", [2], "b"],
    ],
  },
  {
    name: "tiny-random-mc",
    tasks: ["multiple-choice"],
    architecture: "DebertaV2ForMultipleChoice",
    config: {},
    head: (H) => [
      ["pooler.dense.weight", [H, H], "w"],
      ["pooler.dense.bias", [H], "b"],
      ["classifier.weight", [1, H], "w"],
      ["classifier.bias", [1], "b"],
    ],
  },
];

/** mulberry32 + Box–Muller: a small seeded normal generator (deterministic across machines). */
function normalRng(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Like the model fixtures: large enough weights that every attention term visibly moves the output (a 0.02 init
 * makes attention almost uniform, which would make a dull heat map).
 */
const STD = { emb: 0.5, qk: 0.25, w: 0.1, b: 0.02 };

function tensor(shape, kind, rng) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === "ln") data[i] = 1 + 0.1 * rng();
    else data[i] = STD[kind] * rng();
  }
  return { dtype: "f32", shape, data };
}

/** The backbone tensors, HF names with the `deberta.` prefix, drawn in a fixed order from `rng`. */
function backbone(c, rng) {
  const H = c.hidden_size;
  const I = c.intermediate_size;
  const out = {};
  const add = (name, shape, kind) => (out[`deberta.${name}`] = tensor(shape, kind, rng));
  add("embeddings.word_embeddings.weight", [c.vocab_size, H], "emb");
  add("embeddings.LayerNorm.weight", [H], "ln");
  add("embeddings.LayerNorm.bias", [H], "b");
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    add(`${p}.attention.self.query_proj.weight`, [H, H], "qk");
    add(`${p}.attention.self.query_proj.bias`, [H], "b");
    add(`${p}.attention.self.key_proj.weight`, [H, H], "qk");
    add(`${p}.attention.self.key_proj.bias`, [H], "b");
    add(`${p}.attention.self.value_proj.weight`, [H, H], "w");
    add(`${p}.attention.self.value_proj.bias`, [H], "b");
    add(`${p}.attention.output.dense.weight`, [H, H], "w");
    add(`${p}.attention.output.dense.bias`, [H], "b");
    add(`${p}.attention.output.LayerNorm.weight`, [H], "ln");
    add(`${p}.attention.output.LayerNorm.bias`, [H], "b");
    add(`${p}.intermediate.dense.weight`, [I, H], "w");
    add(`${p}.intermediate.dense.bias`, [I], "b");
    add(`${p}.output.dense.weight`, [H, I], "w");
    add(`${p}.output.dense.bias`, [H], "b");
    add(`${p}.output.LayerNorm.weight`, [H], "ln");
    add(`${p}.output.LayerNorm.bias`, [H], "b");
  }
  add("encoder.rel_embeddings.weight", [2 * c.position_buckets, H], "emb");
  add("encoder.LayerNorm.weight", [H], "ln");
  add("encoder.LayerNorm.bias", [H], "b");
  return out;
}

const README = (m) => `# ${m.name}

A **tiny random-weights model** bundled with the deberta-js demo: it shows the machinery, not real predictions.

- architecture: \`${m.architecture}\` (task${m.tasks.length > 1 ? "s" : ""}: ${m.tasks.join(", ")})
- backbone: DeBERTa-v3 shape, hidden 32, 2 layers, 4 heads, 256 relative-position buckets, vocab 8001
- tokenizer: \`fixtures/tokenizer/spm-v3-like\` (8000 SentencePiece pieces + [MASK] = 8000)
- weights: random normal draws from a fixed seed (${SEED}); never trained

Generated by \`apps/demo/scripts/make-tiny-models.mjs\`; do not edit.
`;

function stamp() {
  const h = createHash("sha256");
  h.update(String(GENERATOR_VERSION));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of TOKENIZER_FILES) h.update(readFileSync(join(tokenizerDir, f)));
  return h.digest("hex").slice(0, 16);
}

export function makeTinyModels({ force = false, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const id = stamp();
  const manifestFile = join(outRoot, "manifest.json");
  if (!force && existsSync(manifestFile) && JSON.parse(readFileSync(manifestFile, "utf8")).stamp === id) {
    log(`make-tiny-models: ${outRoot} is up to date`);
    return outRoot;
  }
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  const manifest = { stamp: id, note: "tiny random-weights models: they show the machinery, not real predictions", models: [] };
  for (const m of MODELS) {
    const dir = join(outRoot, m.name);
    mkdirSync(dir, { recursive: true });
    const config = { architectures: [m.architecture], ...BASE_CONFIG, ...m.config };
    // The same seed for every folder: all five share one backbone; each head gets its own stream.
    const tensors = backbone(config, normalRng(SEED));
    const headRng = normalRng(SEED + 1 + MODELS.indexOf(m));
    for (const [name, shape, kind] of m.head(config.hidden_size, config.vocab_size)) tensors[name] = tensor(shape, kind, headRng);
    const files = {
      "config.json": new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
      "model.safetensors": writeSafetensors(tensors, { format: "pt" }),
      "README.md": new TextEncoder().encode(README(m)),
    };
    for (const f of TOKENIZER_FILES) files[f] = readFileSync(join(tokenizerDir, f));
    for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
    manifest.models.push({
      name: m.name,
      tasks: m.tasks,
      architecture: m.architecture,
      files: Object.fromEntries(Object.entries(files).map(([f, b]) => [f, b.byteLength])),
    });
    log(`make-tiny-models: wrote ${dir}`);
  }
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return outRoot;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeTinyModels({ force: process.argv.includes("--force") });
}
