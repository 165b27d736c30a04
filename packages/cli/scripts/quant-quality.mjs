#!/usr/bin/env node
// Quantize-on-load quality: for each model folder given, last_hidden_state of fp32 vs each quantized dtype on the
// same inputs — max and mean |a − r| and cosine similarity (whole tensor, and per-token mean / min).
// Inputs: the folder's cases.json (every DebertaV2Model case) when it has one, else the bench README pattern
// (token i = 3 + (i·7919) % 8000, batch × seq from --batch/--seq, mask all ones).
//
//   node packages/cli/scripts/quant-quality.mjs [--dtypes q8,q4,nf4,fp4] [--batch 1 --seq 128] [--kernels native|wasm|js] [--quantize-embeddings] DIR...
// --quantize-embeddings also loads every dtype with `quantize_embeddings: true` (int8 row-wise word embeddings);
// a dtype "fp32" in --dtypes then measures the embedding quantization alone.
// Prints one JSON line per (model, dtype) on stdout and a markdown table on stderr. Needs `pnpm build` first.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DebertaV2Model } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { loadCpuBackend } from "@deberta-js/backend-cpu";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const qembIndex = args.indexOf("--quantize-embeddings");
const quantizeEmbeddings = qembIndex >= 0;
if (quantizeEmbeddings) args.splice(qembIndex, 1);
const dtypes = opt("dtypes", "q8,q4,nf4").split(",");
const batch = Number(opt("batch", "1"));
const seq = Number(opt("seq", "128"));
const dirs = args;
if (!dirs.length) {
  console.error("usage: quant-quality.mjs [--dtypes q8,q4,nf4] [--batch B --seq L] MODEL_DIR...");
  process.exit(2);
}

function inputsFor(dir) {
  const f = join(dir, "cases.json");
  if (existsSync(f)) {
    const cases = JSON.parse(readFileSync(f, "utf8")).filter((c) => c.model_class === "DebertaV2Model" && c.weights === "model.safetensors");
    if (cases.length) return cases.map((c) => ({ name: c.name, inputs: c.inputs }));
  }
  const ids = [];
  for (let b = 0; b < batch; b++) ids.push(Array.from({ length: seq }, (_, j) => 3 + (((b * seq + j) * 7919) % 8000)));
  return [{ name: `${batch}x${seq}`, inputs: { input_ids: ids, attention_mask: ids.map((r) => r.map(() => 1)) } }];
}

async function run(model, inputs) {
  const { last_hidden_state: t } = await model.forward(inputs);
  const data = await t.data();
  const H = t.shape[t.shape.length - 1];
  t.dispose();
  // Only real tokens count (padded rows are defined but meaningless).
  const mask = (inputs.attention_mask ?? inputs.input_ids.map((r) => r.map(() => 1))).flat();
  return { data, H, mask };
}

function compare(a, r) {
  let maxAbs = 0, sumAbs = 0, n = 0, dot = 0, na = 0, nr = 0, tokMin = 1, tokSum = 0, tokens = 0;
  for (let t = 0; t < r.mask.length; t++) {
    if (!r.mask[t]) continue;
    let td = 0, ta = 0, tr = 0;
    for (let h = 0; h < r.H; h++) {
      const x = a.data[t * r.H + h], y = r.data[t * r.H + h];
      const e = Math.abs(x - y);
      maxAbs = Math.max(maxAbs, e);
      sumAbs += e;
      n++;
      td += x * y; ta += x * x; tr += y * y;
    }
    dot += td; na += ta; nr += tr;
    const c = td / Math.sqrt(ta * tr);
    tokMin = Math.min(tokMin, c);
    tokSum += c;
    tokens++;
  }
  return { max_abs: maxAbs, mean_abs: sumAbs / n, cosine: dot / Math.sqrt(na * nr), token_cosine_mean: tokSum / tokens, token_cosine_min: tokMin };
}

// The CPU backend as users get it (compiled kernels: q8 runs the int8 GEMM with dynamic activations; --kernels js
// for the TypeScript reference, whose numbers agree to rounding)
const backend = await loadCpuBackend({ kernels: opt("kernels", undefined), threads: 2 });
console.error(`kernels: ${backend.kernelSet ?? "js"}`);
const rows = [];
for (const dir of dirs) {
  const files = directoryFiles(dir);
  const warn = () => {};
  const ref = await DebertaV2Model.fromPretrained(files, { backend, dtype: "fp32", warn });
  const cases = inputsFor(dir);
  const refs = [];
  for (const c of cases) refs.push(await run(ref, c.inputs));
  const refBytes = ref.residentWeightBytes;
  ref.dispose();
  for (const dtype of dtypes) {
    const q = await DebertaV2Model.fromPretrained(files, { backend, dtype, warn, quantize_embeddings: quantizeEmbeddings });
    const all = { max_abs: 0, mean_abs: 0, cosine: 1, token_cosine_mean: 0, token_cosine_min: 1 };
    for (let i = 0; i < cases.length; i++) {
      const m = compare(await run(q, cases[i].inputs), refs[i]);
      all.max_abs = Math.max(all.max_abs, m.max_abs);
      all.mean_abs += m.mean_abs / cases.length;
      all.cosine = Math.min(all.cosine, m.cosine);
      all.token_cosine_mean += m.token_cosine_mean / cases.length;
      all.token_cosine_min = Math.min(all.token_cosine_min, m.token_cosine_min);
    }
    const row = { model: dir, dtype: quantizeEmbeddings ? `${dtype}+qemb` : dtype, cases: cases.map((c) => c.name), ...all, resident_weight_bytes: q.residentWeightBytes, fp32_resident_weight_bytes: refBytes };
    q.dispose();
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const f = (x, d = 4) => x.toPrecision(d);
console.error("| model | dtype | max abs err | mean abs err | cosine (min over cases) | per-token cosine mean / min | weight bytes (fp32 → q) |");
console.error("|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.error(
    `| ${r.model.split("/").slice(-1)[0]} | ${r.dtype} | ${f(r.max_abs)} | ${f(r.mean_abs)} | ${f(r.cosine, 6)} | ${f(r.token_cosine_mean, 6)} / ${f(r.token_cosine_min, 6)} | ${(r.fp32_resident_weight_bytes / 2 ** 20).toFixed(2)} MiB → ${(r.resident_weight_bytes / 2 ** 20).toFixed(2)} MiB |`,
  );
}
