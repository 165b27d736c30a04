#!/usr/bin/env node
// Tokenizer benchmark: prints a JSON report on stdout, progress on stderr.
//   node packages/tokenizer/scripts/bench.mjs [--models deberta-v3-real,spm-v3-like] [--bytes 5000000]
//        [--rounds 3] [--impl fast,fast-nocache,slow,sentencepiece-ts,sentencepiece-js,hf-tokenizers] [--fixtures DIR]
// Bundles src/ with esbuild on the fly when it can (a workspace checkout), otherwise uses the built dist/.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// One thread for HF tokenizers: must be set before its binding loads.
process.env.RAYON_NUM_THREADS ??= "1";
process.env.TOKENIZERS_PARALLELISM ??= "false";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};

async function loadModule() {
  const dist = join(pkg, "dist/node/index.js");
  let build;
  try {
    if (!existsSync(join(pkg, "src/node/index.ts"))) throw new Error("no sources");
    ({ build } = await import("esbuild"));
  } catch {
    return import(pathToFileURL(dist).href);
  }
  const out = join(mkdtempSync(join(tmpdir(), "tok-bench-")), "bench.mjs");
  const r = await build({
    entryPoints: [join(pkg, "src/node/index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    external: ["tokenizers", "sentencepiece-js"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
  writeFileSync(out, r.outputFiles[0].text);
  // Resolve the externals from this package's node_modules.
  process.env.NODE_PATH = join(pkg, "node_modules");
  (await import("node:module")).Module._initPaths?.();
  return import(pathToFileURL(out).href);
}

const mod = await loadModule();
const report = await mod.runTokenizerBenchmark({
  fixturesDir: resolve(opt("fixtures", join(pkg, "../../fixtures/tokenizer"))),
  models: opt("models", "deberta-v3-real,spm-v3-like").split(","),
  corpusBytes: Number(opt("bytes", "5000000")),
  rounds: Number(opt("rounds", "3")),
  seed: Number(opt("seed", "20240601")),
  implementations: opt("impl") ? opt("impl").split(",") : undefined,
  progress: (line) => process.stderr.write(`[bench-tokenizer] ${line}\n`),
});
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
