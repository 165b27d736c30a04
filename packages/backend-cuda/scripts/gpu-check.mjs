#!/usr/bin/env node
/**
 * Everything the CUDA backend needs checked on a real GPU, in one run (scripts/gpu-check.sh unpacks the carried
 * Node and packages and starts this from that runtime tree):
 *
 *  1. NVRTC compiles every kernel module (in parallel; times printed);
 *  2. checks: core's conformance kit (f32, f16 with tensor-core attention, f16 with the scalar kernel), the
 *     multi-tile attention checks of `@deberta-js/backend-cuda/testing`, and every HF fixture (fp32 padded and
 *     packed ≤ 1e-4 + 1e-4·|ref|; fp16 and bf16 weight variants ≤ 2e-2 relative);
 *  3. benchmark against Hugging Face transformers' own DebertaV2Model (scripts/hf_bench.py): the same random
 *     weights (saved by the Python side, loaded here) and inputs, deberta-v3-base and deberta-v2-xlarge in fp16,
 *     1×128, 8×512, 64×128 and an MNLI-like set of sentence pairs (20–200 tokens, batch 16; padded for HF, packed
 *     and padded for us), plus the relative difference of our outputs to HF's on two batches.
 * The table of ms, tokens/s and the ratio to HF comes last. Exit code 1 when a check failed.
 *
 * Options: --repo DIR (repo root, for fixtures and configs), --python EXE, --out DIR, --work DIR,
 *          --skip-checks, --skip-bench, --quick (fewer runs, 800 pairs), --pairs N, --models a,b
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DebertaV2Model, f16ArrayToF32 } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { caseFiles, compareOutputs, loadFixtureCases, relativeError, runConformance, runFixtureCase } from "@deberta-js/core/testing";
import { CudaBackend, CudaDevice, probeCuda } from "@deberta-js/backend-cuda";
import { ATTENTION_CASES, ATTENTION_RUNS, checkAttention } from "@deberta-js/backend-cuda/testing";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(`--${name}`);
const repo = opt("repo", process.cwd());
const pkgDir = join(repo, "packages/backend-cuda");
const work = opt("work", "/tmp/djs-gpu");
const out = opt("out", join(work, "out"));
const python = opt("python", "python3");
const quick = flag("quick");
const pairs = Number(opt("pairs", quick ? 800 : 3000));
const modelNames = opt("models", "deberta-v3-base,deberta-v2-xlarge").split(",");
const started = performance.now();
const DEADLINE_MS = Number(opt("deadline-s", 450)) * 1000;
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });

const log = (s) => process.stdout.write(`${s}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const checks = [];
function record(name, ok, detail = "") {
  checks.push({ name, ok, detail });
  log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? `  ${detail}` : ""}`);
}
async function guarded(name, fn) {
  try {
    await fn();
  } catch (e) {
    record(name, false, `threw: ${e?.stack ?? e}`);
  }
}

// ── 0. device ────────────────────────────────────────────────────────────────────────────────────────────────
// DJS_GPU_CHECK_DEVICE: a module exporting createDevice() used instead of the GPU (the README's dry run of this
// script on the CPU emulator).
const hook = process.env.DJS_GPU_CHECK_DEVICE ? await import(process.env.DJS_GPU_CHECK_DEVICE) : undefined;
const avail = hook ? { available: true } : probeCuda();
if (!avail.available) {
  log(`CUDA backend unavailable: ${avail.reason}`);
  process.exit(2);
}
const backends = [];
const make = (o = {}) => {
  const b = new CudaBackend(hook ? hook.createDevice() : CudaDevice.create(), o);
  backends.push(b);
  return b;
};
const main = make();
const info = main.device.info;
log(`device: ${info.name}, sm_${info.computeCapability.join("")}, ${info.multiprocessors} SMs, ${(info.totalMemory / 2 ** 30).toFixed(0)} GiB, ${info.maxSharedOptin} B smem/block`);
for (const [k, v] of Object.entries(info.versions)) log(`  ${k}: ${v}`);
const result = { device: info, checks, bench: {} };

// ── 1. NVRTC ─────────────────────────────────────────────────────────────────────────────────────────────────
{
  const t = performance.now();
  const mods = await main.warmup();
  log(`NVRTC: ${mods.length} modules in ${((performance.now() - t) / 1000).toFixed(1)}s wall (${mods.map((m) => `${m.module} ${m.fromCache ? "cached" : `${(m.ms / 1000).toFixed(1)}s`}`).join(", ")})`);
  result.nvrtc = mods;
}

// ── 2. checks ────────────────────────────────────────────────────────────────────────────────────────────────
if (!flag("skip-checks")) {
  log(`\n== checks (${elapsed()}) ==`);
  for (const [label, o, dtype] of [
    ["conformance f32", {}, "f32"],
    ["conformance f16 (tensor-core attention)", {}, "f16"],
    ["conformance f16 (scalar attention)", { attention: "scalar" }, "f16"],
  ]) {
    await guarded(label, async () => {
      const b = Object.keys(o).length ? make(o) : main;
      const report = await runConformance(b, { dtype, log: () => {}, checkFallbacks: true });
      const bad = report.results.filter((r) => !r.ok && !r.skipped);
      record(label, bad.length === 0, `${report.results.filter((r) => r.ok).length} cases ok${bad.length ? `; failed: ${bad.map((r) => `${r.op}/${r.case}: ${r.error}`).join(" | ")}` : ""}`);
    });
  }
  const attBackends = new Map();
  for (const run of ATTENTION_RUNS) {
    const key = `${run.kind}-${run.half}`;
    if (!attBackends.has(key)) attBackends.set(key, make({ attention: run.kind, half: run.half }));
    for (const c of ATTENTION_CASES) {
      const name = `attention ${run.kind} ${run.dtype === "f32" ? "f32" : run.half}: ${c.name}`;
      await guarded(name, async () => {
        const r = await checkAttention(attBackends.get(key), c, run);
        record(name, r.ok, `${r.kernel} rel ${r.relError.toExponential(2)}${r.problems.length ? `; ${r.problems.join("; ")}` : ""}`);
      });
    }
  }
  const root = directoryFiles(join(repo, "fixtures/models"));
  const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });
  const bf16 = make({ half: "bf16" });
  for (const c of cases) {
    const half = c.name.startsWith("bf16/") ? "bf16" : c.name.startsWith("fp16/") ? "f16" : undefined;
    const name = `fixture ${c.fixture}/${c.name}${half ? ` (${half})` : " (fp32 padded)"}`;
    await guarded(name, async () => {
      if (half) {
        const { actual } = await runFixtureCase(root, c, { backend: half === "bf16" ? bf16 : main, dtype: "f16" });
        const err = relativeError(actual.last_hidden_state.data, c.outputs.last_hidden_state.data);
        record(name, err < 2e-2, `rel ${err.toExponential(2)}`);
        return;
      }
      const { comparison } = await runFixtureCase(root, c, { backend: main, dtype: "f32" });
      record(name, comparison.ok, `max |a-r| ${comparison.maxAbsError.toExponential(2)}${comparison.ok ? "" : `; ${comparison.problems.join("; ")}`}`);
    });
    const mask = c.inputs.attention_mask?.flat?.();
    if (!half && mask?.includes(0)) {
      const pname = `fixture ${c.fixture}/${c.name} (fp32 packed)`;
      await guarded(pname, async () => {
        const { files, variant } = caseFiles(root, c);
        const model = await DebertaV2Model.fromPretrained(files, { backend: main, variant, warn: () => {} });
        try {
          const o = await model.forward(c.inputs, { packed: true });
          const data = await o.last_hidden_state.data();
          o.last_hidden_state.dispose();
          const H = c.outputs.last_hidden_state.shape[2];
          const expected = c.outputs.last_hidden_state.data.map((v, i) => (mask[Math.floor(i / H)] ? v : 0));
          const cmp = compareOutputs({ last_hidden_state: { shape: o.last_hidden_state.shape, data } }, { last_hidden_state: { ...c.outputs.last_hidden_state, data: expected } });
          record(pname, cmp.ok, `max |a-r| ${cmp.maxAbsError.toExponential(2)}${cmp.ok ? "" : `; ${cmp.problems.join("; ")}`}`);
        } finally {
          model.dispose();
        }
      });
    }
  }
  for (const b of backends.splice(1)) b.destroy();
  writeFileSync(join(out, "gpu-check.json"), JSON.stringify(result, null, 1));
}

// ── 3. benchmark ─────────────────────────────────────────────────────────────────────────────────────────────
const rows = [];
const comparisons = [];
/** The token ids hf_bench.py uses too: sequence s of length n, a 2 at `split` for pairs. */
function seqIds(s, n, vocab, split) {
  const mod = Math.min(8000, vocab - 3);
  const ids = new Array(n);
  for (let p = 0; p < n; p++) ids[p] = 3 + ((s * 1009 + p * 7919) % mod);
  ids[0] = 1;
  ids[n - 1] = 2;
  if (split !== undefined && split > 0 && split < n - 1) ids[split] = 2;
  return ids;
}
function padded(rowsIds) {
  const L = Math.max(...rowsIds.map((r) => r.length));
  return {
    input_ids: rowsIds.map((r) => [...r, ...new Array(L - r.length).fill(0)]),
    attention_mask: rowsIds.map((r) => [...new Array(r.length).fill(1), ...new Array(L - r.length).fill(0)]),
  };
}
function mnliLengths(n, batch) {
  let x = 0x9e3779b9 | 0;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const lens = Array.from({ length: n }, () => 20 + Math.floor(rnd() * 181));
  const out = [];
  for (let i = 0; i < lens.length; i += batch) out.push(lens.slice(i, i + batch));
  return out;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

if (!flag("skip-bench")) {
  log(`\n== benchmark (${elapsed()}) ==`);
  const models = modelNames.map((name) => ({ name, config: join(pkgDir, "configs", `${name}.json`), dir: join(work, "models", name), seed: 0 }));
  const lengths = mnliLengths(pairs, 16);
  const workloads = [
    { name: "1x128", kind: "fixed", batch: 1, seq: 128, warmup: 5, runs: quick ? 10 : 30, save: true },
    { name: "8x512", kind: "fixed", batch: 8, seq: 512, warmup: 3, runs: quick ? 5 : 10 },
    { name: "64x128", kind: "fixed", batch: 64, seq: 128, warmup: 3, runs: quick ? 5 : 10 },
    { name: "mnli", kind: "pairs", lengths, warmup_batches: 5, save_first: true },
  ];
  main.releaseCachedMemory(); // leave the GPU's memory to PyTorch while it runs
  const specPath = join(work, "spec.json");
  const hfPath = join(work, "hf.json");
  writeFileSync(specPath, JSON.stringify({ models, workloads }));
  const t = performance.now();
  const py = spawnSync(python, [join(pkgDir, "scripts/hf_bench.py"), "--spec", specPath, "--result", hfPath], {
    stdio: "inherit",
    env: { ...process.env, PYTHONUNBUFFERED: "1", TOKENIZERS_PARALLELISM: "false" },
  });
  log(`hf_bench.py: exit ${py.status} after ${((performance.now() - t) / 1000).toFixed(0)}s`);
  const hf = existsSync(hfPath) ? JSON.parse(readFileSync(hfPath, "utf8")) : { models: {} };
  result.bench.hf = hf;
  for (const m of models) {
    if (performance.now() - started > DEADLINE_MS) {
      log(`skipping ${m.name}: past the ${DEADLINE_MS / 1000}s deadline`);
      continue;
    }
    if (!existsSync(join(m.dir, "model.safetensors")) && !existsSync(join(m.dir, "model.safetensors.index.json"))) {
      log(`skipping ${m.name}: hf_bench.py saved no weights in ${m.dir}`);
      continue;
    }
    await guarded(`bench ${m.name}`, async () => {
      const be = make();
      const tl = performance.now();
      const model = await DebertaV2Model.fromPretrained(directoryFiles(m.dir), { backend: be, dtype: "f16", warn: () => {} });
      log(`[ours] ${m.name}: loaded in ${((performance.now() - tl) / 1000).toFixed(1)}s`);
      const H = model.config.hidden_size;
      const V = model.config.vocab_size;
      const hm = hf.models?.[m.name]?.workloads ?? {};
      const forward = async (inputs, packed) => {
        const o = await model.forward(inputs, { packed });
        await be.sync();
        return o.last_hidden_state;
      };
      for (const w of workloads) {
        if (performance.now() - started > DEADLINE_MS) {
          log(`skipping ${m.name} ${w.name}: past the deadline`);
          continue;
        }
        if (w.kind === "fixed") {
          const inputs = { input_ids: Array.from({ length: w.batch }, (_, s) => seqIds(s, w.seq, V)) };
          for (let i = 0; i < w.warmup; i++) (await forward(inputs, false)).dispose();
          const times = [];
          for (let i = 0; i < w.runs; i++) {
            const t0 = performance.now();
            const o = await forward(inputs, false);
            times.push(performance.now() - t0);
            o.dispose();
          }
          const ms = median(times);
          rows.push({ model: m.name, workload: `${w.batch}x${w.seq}`, tokens: w.batch * w.seq, hf: hm[w.name]?.ms, ours: ms });
          log(`[ours] ${m.name} ${w.name}: ${ms.toFixed(2)} ms`);
          if (w.save && hm[w.name]?.output && existsSync(hm[w.name].output)) {
            const o = await forward(inputs, false);
            const ours = f16ArrayToF32(await o.raw());
            o.dispose();
            const ref = new Float32Array(readFileSync(hm[w.name].output).buffer.slice(0));
            const err = relativeError(ours, ref);
            comparisons.push({ model: m.name, workload: w.name, relError: err });
            record(`real-size parity ${m.name} ${w.name} (fp16 vs HF fp16)`, err < 2e-2, `rel ${err.toExponential(2)}`);
          }
        } else {
          let s = 0;
          const batches = w.lengths.map((lens) => padded(lens.map((n) => seqIds(s++, n, V, Math.floor(n / 2)))));
          const real = w.lengths.flat().reduce((a, b) => a + b, 0);
          for (const packed of [true, false]) {
            for (const b of batches.slice(0, w.warmup_batches)) (await forward(b, packed)).dispose();
            const t0 = performance.now();
            for (const b of batches) {
              const o = await model.forward(b, { packed });
              o.last_hidden_state.dispose();
            }
            await be.sync();
            const ms = performance.now() - t0;
            rows.push({ model: m.name, workload: `mnli ${pairs} pairs, ${packed ? "HF padded / ours packed" : "both padded"}`, tokens: real, hf: hm[w.name]?.ms, ours: ms });
            log(`[ours] ${m.name} mnli ${packed ? "packed" : "padded"}: ${ms.toFixed(0)} ms`);
          }
          if (hm[w.name]?.output && existsSync(hm[w.name].output)) {
            const o = await forward(batches[0], true);
            const ours = f16ArrayToF32(await o.raw());
            o.dispose();
            const ref = new Float32Array(readFileSync(hm[w.name].output).buffer.slice(0));
            const mask = batches[0].attention_mask.flat();
            const a = [];
            const r = [];
            for (let i = 0; i < ref.length; i++) if (mask[Math.floor(i / H)]) (a.push(ours[i]), r.push(ref[i]));
            const err = relativeError(a, r);
            comparisons.push({ model: m.name, workload: "mnli batch 0 (ours packed vs HF padded, real tokens)", relError: err });
            record(`real-size parity ${m.name} mnli batch 0 packed (fp16 vs HF fp16)`, err < 2e-2, `rel ${err.toExponential(2)}`);
          }
        }
      }
      model.dispose();
      be.destroy();
    });
  }
  result.bench.rows = rows;
  result.bench.comparisons = comparisons;
}

writeFileSync(join(out, "gpu-check.json"), JSON.stringify(result, null, 1));
const failed = checks.filter((c) => !c.ok);
log(`\n== summary (${elapsed()}) ==`);
log(`checks: ${checks.length - failed.length} passed, ${failed.length} failed`);
for (const f of failed) log(`  FAILED ${f.name}: ${f.detail.slice(0, 400)}`);
if (rows.length) {
  log(`\nbenchmark: fp16, ${info.name}; HF = transformers ${result.bench.hf?.transformers ?? "?"} / torch ${result.bench.hf?.torch ?? "?"} DebertaV2Model; ours = deberta-js cuda`);
  const head = ["model", "workload", "tokens", "HF ms", "ours ms", "HF tok/s", "ours tok/s", "ours vs HF"];
  const table = rows.map((r) => [
    r.model,
    r.workload,
    String(r.tokens),
    r.hf ? r.hf.toFixed(2) : "n/a",
    r.ours.toFixed(2),
    r.hf ? Math.round((r.tokens / r.hf) * 1000).toLocaleString("en-US") : "n/a",
    Math.round((r.tokens / r.ours) * 1000).toLocaleString("en-US"),
    r.hf ? `${(r.hf / r.ours).toFixed(2)}x` : "n/a",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  log(line(head));
  for (const t of table) log(line(t));
}
for (const b of backends) b.destroy();
process.exit(failed.length ? 1 : 0);
