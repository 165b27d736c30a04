/**
 * Tokenizer throughput benchmark (Node only): DebertaV2TokenizerFast, DebertaV2Tokenizer, the pure-TypeScript
 * SentencePieceProcessor, sentencepiece-js (Google's C++ SentencePiece in WASM) and Hugging Face's Rust
 * tokenizers (npm `tokenizers`, pinned to one thread), on the same deterministic ~5 MB mixed-language corpus built
 * from the fixtures' case texts. Each implementation encodes every document without special tokens; throughput
 * is tokens per second of wall time and of process CPU time (the latter is steadier on a shared machine).
 * Identical ids are checked along the way: fast vs Rust tokenizers, pure-TS vs WASM SentencePiece.
 */
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "fflate";
import { TokenizerError } from "../errors.js";
import { loadFastTokenizer, loadSlowTokenizer } from "../load.js";
import { SentencePieceProcessor } from "../sentencepiece.js";

export const BENCH_IMPLEMENTATIONS = ["fast", "fast-nocache", "slow", "sentencepiece-ts", "sentencepiece-js", "hf-tokenizers"] as const;
export type BenchImplementation = (typeof BENCH_IMPLEMENTATIONS)[number];

export interface TokenizerBenchOptions {
  /** The fixtures/tokenizer folder: model folders and their cases.json (the corpus source). */
  fixturesDir: string;
  /** Model folders to benchmark (default: the real 128K DeBERTa-v3 model and the 8K one). */
  models?: string[];
  corpusBytes?: number;
  seed?: number;
  rounds?: number;
  implementations?: BenchImplementation[];
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface BenchRun {
  wallSeconds: number;
  cpuSeconds: number;
}

export interface BenchResult {
  model: string;
  implementation: BenchImplementation;
  semantics: string;
  tokens: number;
  loadSeconds: number;
  best: { wallSeconds: number; cpuSeconds: number; tokensPerSecondWall: number; tokensPerSecondCpu: number };
  runs: BenchRun[];
  note?: string;
}

export interface BenchReport {
  corpus: { bytes: number; documents: number; distinctDocuments: number; seed: number; source: string };
  machine: { node: string; platform: string; cpu: string; cpus: number; loadAverage: number[] };
  results: BenchResult[];
  skipped: Array<{ model: string; implementation: string; reason: string }>;
  verification: Array<{ model: string; compare: string; documents: number; mismatchedDocuments: number; example?: string }>;
}

const SEMANTICS: Record<BenchImplementation, string> = {
  fast: "tokenizers (HF Rust) semantics, pure TS, word cache on",
  "fast-nocache": "tokenizers (HF Rust) semantics, pure TS, word cache off",
  slow: "transformers slow DebertaV2Tokenizer semantics (added-token split + SentencePiece), pure TS",
  "sentencepiece-ts": "raw SentencePiece encodeIds, pure TS",
  "sentencepiece-js": "raw SentencePiece encodeIds, sentencepiece-js (C++ in WASM)",
  "hf-tokenizers": "HF Rust tokenizers (npm tokenizers, N-API), encodeBatch, RAYON_NUM_THREADS=1",
};

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The benchmark corpus: every case text of every cases.json, shuffled (seeded) and repeated up to `bytes`. */
export async function buildBenchCorpus(fixturesDir: string, bytes = 5_000_000, seed = 20240601): Promise<{ documents: string[]; distinct: number; bytes: number }> {
  const texts = new Set<string>();
  let dirs: string[];
  try {
    dirs = (await fs.readdir(fixturesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    throw new TokenizerError(`${fixturesDir}: cannot read the fixtures folder`, "FILE_NOT_FOUND", { cause: e });
  }
  for (const d of dirs) {
    const file = path.join(fixturesDir, d, "cases.json");
    let raw: string;
    try {
      raw = await fs.readFile(file, "utf8");
    } catch {
      continue;
    }
    const c = JSON.parse(raw) as { singles?: Array<{ text: string }>; pairs?: Array<{ text: string; text_pair: string }> };
    for (const s of c.singles ?? []) if (s.text) texts.add(s.text);
    for (const p of c.pairs ?? []) {
      if (p.text) texts.add(p.text);
      if (p.text_pair) texts.add(p.text_pair);
    }
  }
  if (texts.size === 0) throw new TokenizerError(`${fixturesDir}: no cases.json with texts found`, "FILE_NOT_FOUND");
  const pool = [...texts];
  const rnd = prng(seed);
  const enc = new TextEncoder();
  const docs: string[] = [];
  let total = 0;
  while (total < bytes) {
    const order = pool.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const t of order) {
      if (total >= bytes) break;
      docs.push(t);
      total += enc.encode(t).length + 1;
    }
  }
  return { documents: docs, distinct: pool.length, bytes: total };
}

type Encoder = { encodeAll(docs: string[], sink: Int32Array | null): Promise<number> | number; load: number; note?: string };

function hashIds(ids: ArrayLike<number>): number {
  let h = 0x811c9dc5 ^ ids.length;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i]!, 0x01000193);
  return h | 0;
}

async function readModelFiles(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const f of await fs.readdir(dir)) {
    if (!/^(spm\.model|tokenizer\.json(\.gz)?|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json)$/.test(f)) continue;
    out[f] = new Uint8Array(await fs.readFile(path.join(dir, f)));
  }
  return out;
}

/** An encoder that tokenizes one document at a time (every implementation but the batched Rust binding). */
function perDocument(load: number, encode: (doc: string) => ArrayLike<number>): Encoder {
  return {
    load,
    encodeAll(docs, sink) {
      let n = 0;
      for (let i = 0; i < docs.length; i++) {
        const ids = encode(docs[i]!);
        n += ids.length;
        if (sink) sink[i] = hashIds(ids);
      }
      return n;
    },
  };
}

async function makeEncoder(impl: BenchImplementation, dir: string, files: Record<string, Uint8Array>): Promise<Encoder> {
  const t0 = performance.now();
  const done = () => (performance.now() - t0) / 1000;
  switch (impl) {
    case "fast":
    case "fast-nocache": {
      const tok = await loadFastTokenizer(files);
      tok.useWordCache = impl === "fast";
      const load = done();
      return perDocument(load, (doc) => tok.encode(doc, { addSpecialTokens: false }));
    }
    case "slow": {
      const tok = await loadSlowTokenizer(files);
      const load = done();
      return perDocument(load, (doc) => tok.encode(doc, { addSpecialTokens: false }));
    }
    case "sentencepiece-ts": {
      if (!files["spm.model"]) throw new Error("no spm.model");
      const sp = SentencePieceProcessor.fromBytes(files["spm.model"], path.join(dir, "spm.model"));
      const load = done();
      return perDocument(load, (doc) => sp.encodeIds(doc));
    }
    case "sentencepiece-js": {
      const require = createRequire(import.meta.url);
      const mod = require("sentencepiece-js") as { SentencePieceProcessor: new () => { load(p: string): Promise<void>; encodeIds(s: string): number[] } };
      const sp = new mod.SentencePieceProcessor();
      await sp.load(path.join(dir, "spm.model"));
      const load = done();
      return perDocument(load, (doc) => sp.encodeIds(doc));
    }
    case "hf-tokenizers": {
      // One thread: rayon reads this when the binding starts its pool.
      process.env.RAYON_NUM_THREADS = "1";
      process.env.TOKENIZERS_PARALLELISM = "false";
      const require = createRequire(import.meta.url);
      const { Tokenizer } = require("tokenizers") as {
        Tokenizer: {
          fromString(s: string): {
            encodeBatch(inputs: string[], o: { addSpecialTokens: boolean }): Promise<Array<{ getIds(): number[] }>>;
          };
        };
      };
      let json = files["tokenizer.json"];
      if (!json && files["tokenizer.json.gz"]) json = gunzipSync(files["tokenizer.json.gz"]);
      if (!json) throw new Error("no tokenizer.json");
      const tok = Tokenizer.fromString(new TextDecoder().decode(json));
      const load = done();
      return {
        load,
        note: "encodeBatch in chunks of 256 documents; the binding runs them on one worker thread (RAYON_NUM_THREADS=1)",
        async encodeAll(docs, sink) {
          let n = 0;
          for (let i = 0; i < docs.length; i += 256) {
            const encs = await tok.encodeBatch(docs.slice(i, i + 256), { addSpecialTokens: false });
            for (let k = 0; k < encs.length; k++) {
              const ids = encs[k]!.getIds();
              n += ids.length;
              if (sink) sink[i + k] = hashIds(ids);
            }
          }
          return n;
        },
      };
    }
  }
}

/** Runs the benchmark; returns a JSON-able report. */
export async function runTokenizerBenchmark(options: TokenizerBenchOptions): Promise<BenchReport> {
  const progress = options.progress ?? (() => {});
  const models = options.models ?? ["deberta-v3-real", "spm-v3-like"];
  const impls = options.implementations ?? [...BENCH_IMPLEMENTATIONS];
  const rounds = options.rounds ?? 3;
  const seed = options.seed ?? 20240601;
  for (const i of impls) {
    if (!BENCH_IMPLEMENTATIONS.includes(i)) {
      throw new TokenizerError(`unknown benchmark implementation "${i}" (expected one of ${BENCH_IMPLEMENTATIONS.join(", ")})`, "INVALID_ARGUMENT");
    }
  }
  progress(`building the corpus from ${options.fixturesDir} ...`);
  const corpus = await buildBenchCorpus(options.fixturesDir, options.corpusBytes ?? 5_000_000, seed);
  const docs = corpus.documents;
  progress(`corpus: ${docs.length} documents (${corpus.distinct} distinct), ${(corpus.bytes / 1e6).toFixed(2)} MB`);
  const report: BenchReport = {
    corpus: { bytes: corpus.bytes, documents: docs.length, distinctDocuments: corpus.distinct, seed, source: `${options.fixturesDir}/*/cases.json` },
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: os.cpus()[0]?.model ?? "?", cpus: os.cpus().length, loadAverage: os.loadavg() },
    results: [],
    skipped: [],
    verification: [],
  };
  for (const model of models) {
    const dir = path.join(options.fixturesDir, model);
    const files = await readModelFiles(dir);
    const encoders = new Map<BenchImplementation, Encoder>();
    const hashes = new Map<BenchImplementation, Int32Array>();
    for (const impl of impls) {
      try {
        progress(`[${model}] loading ${impl} ...`);
        const e = await makeEncoder(impl, dir, files);
        encoders.set(impl, e);
        // Warm-up on a fifth of the corpus, recording per-document id hashes for the identity checks.
        const sink = new Int32Array(docs.length);
        await e.encodeAll(docs.slice(0, Math.ceil(docs.length / 5)), null);
        await e.encodeAll(docs, sink);
        hashes.set(impl, sink);
      } catch (err) {
        report.skipped.push({ model, implementation: impl, reason: (err as Error).message });
        progress(`[${model}] skipping ${impl}: ${(err as Error).message}`);
      }
    }
    const runs = new Map<BenchImplementation, { tokens: number; runs: BenchRun[] }>();
    for (let r = 0; r < rounds; r++) {
      // Interleaved rounds: every implementation sees the same machine conditions.
      for (const [impl, e] of encoders) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const tokens = await e.encodeAll(docs, null);
        const wall = (performance.now() - t0) / 1000;
        const cu = process.cpuUsage(c0);
        const cpu = (cu.user + cu.system) / 1e6;
        const entry = runs.get(impl) ?? { tokens, runs: [] };
        entry.runs.push({ wallSeconds: wall, cpuSeconds: cpu });
        runs.set(impl, entry);
        progress(`[${model}] round ${r + 1}/${rounds} ${impl}: ${(tokens / wall / 1e6).toFixed(2)} M tokens/s wall, ${(tokens / cpu / 1e6).toFixed(2)} M tokens/s CPU`);
      }
    }
    for (const [impl, { tokens, runs: rs }] of runs) {
      const bestWall = Math.min(...rs.map((x) => x.wallSeconds));
      const bestCpu = Math.min(...rs.map((x) => x.cpuSeconds));
      report.results.push({
        model,
        implementation: impl,
        semantics: SEMANTICS[impl],
        tokens,
        loadSeconds: encoders.get(impl)!.load,
        best: { wallSeconds: bestWall, cpuSeconds: bestCpu, tokensPerSecondWall: tokens / bestWall, tokensPerSecondCpu: tokens / bestCpu },
        runs: rs,
        ...(encoders.get(impl)!.note ? { note: encoders.get(impl)!.note } : {}),
      });
    }
    const compare = (a: BenchImplementation, b: BenchImplementation) => {
      const ha = hashes.get(a);
      const hb = hashes.get(b);
      if (!ha || !hb) return;
      let bad = 0;
      let example: string | undefined;
      for (let i = 0; i < docs.length; i++) {
        if (ha[i] !== hb[i]) {
          bad++;
          example ??= docs[i]!.slice(0, 80);
        }
      }
      report.verification.push({ model, compare: `${a} == ${b}`, documents: docs.length, mismatchedDocuments: bad, ...(example ? { example } : {}) });
    };
    compare("fast", "hf-tokenizers");
    compare("fast-nocache", "hf-tokenizers");
    compare("sentencepiece-ts", "sentencepiece-js");
  }
  return report;
}
