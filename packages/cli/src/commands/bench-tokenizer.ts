/**
 * `deberta-js bench-tokenizer [--fixtures DIR] [--models a,b] [--bytes N] [--rounds N] [--impl list]`
 *
 * Tokens per second of DebertaV2TokenizerFast (word cache on and off), DebertaV2Tokenizer, the pure-TS
 * SentencePieceProcessor, sentencepiece-js (C++ SentencePiece in WASM) and HF's Rust tokenizers (one thread), on
 * the same deterministic ~5 MB mixed-language corpus built from the fixtures' case texts, for the real 128K
 * DeBERTa-v3 model and the 8K one; also checks the ids are identical (fast vs Rust, TS vs WASM SentencePiece).
 * JSON report on stdout, progress on stderr.
 */
import * as path from "node:path";
import type { Command } from "commander";
import { TokenizerError } from "@deberta-js/tokenizer";
import { runTokenizerBenchmark, BENCH_IMPLEMENTATIONS, type BenchImplementation } from "@deberta-js/tokenizer/node";
import { action, log, printJson } from "../output.js";

export interface BenchTokenizerOptions {
  fixtures?: string;
  models?: string;
  bytes?: string;
  rounds?: string;
  impl?: string;
  seed?: string;
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TokenizerError(`--${name} must be a positive integer, got "${v}"`, "INVALID_ARGUMENT");
  return n;
}

export async function benchTokenizerCommand(opts: BenchTokenizerOptions) {
  const impls = opts.impl ? (opts.impl.split(",") as BenchImplementation[]) : undefined;
  for (const i of impls ?? []) {
    if (!BENCH_IMPLEMENTATIONS.includes(i)) {
      throw new TokenizerError(`--impl: unknown implementation "${i}" (expected ${BENCH_IMPLEMENTATIONS.join(", ")})`, "INVALID_ARGUMENT");
    }
  }
  return runTokenizerBenchmark({
    fixturesDir: path.resolve(opts.fixtures ?? "fixtures/tokenizer"),
    models: opts.models ? opts.models.split(",") : undefined,
    corpusBytes: positive("bytes", opts.bytes, 5_000_000),
    rounds: positive("rounds", opts.rounds, 3),
    seed: positive("seed", opts.seed, 20240601),
    implementations: impls,
    progress: (line) => log(`[bench-tokenizer] ${line}`),
  });
}

export function registerBenchTokenizer(program: Command): void {
  program
    .command("bench-tokenizer")
    .description("Tokenizer throughput (tokens/s) of the fast and slow classes, sentencepiece-js and HF tokenizers; JSON on stdout")
    .option("--fixtures <dir>", "fixtures/tokenizer folder (models + cases.json corpus source)", "fixtures/tokenizer")
    .option("--models <list>", "comma-separated model folders", "deberta-v3-real,spm-v3-like")
    .option("--bytes <n>", "corpus size in UTF-8 bytes", "5000000")
    .option("--rounds <n>", "timed passes per implementation (best is reported)", "3")
    .option("--impl <list>", `comma-separated subset of ${BENCH_IMPLEMENTATIONS.join(",")}`)
    .option("--seed <n>", "corpus shuffle seed", "20240601")
    .action(
      action(async (opts: BenchTokenizerOptions) => {
        printJson(await benchTokenizerCommand(opts));
      }),
    );
}
