// Seeded fuzzing of the tokenizer's files: every mutated input must load (and encode/decode) or throw a
// TokenizerError / DebertaError; no case over 5 s or 2 GiB RSS. FUZZ_LONG=1 runs 10,000 cases per target
// (scripts/fuzz-long.sh); `pnpm test` runs FUZZ_CASES (default 60).
import { DebertaError } from "@deberta-js/core";
import { formatFuzzReport, runFuzz } from "@deberta-js/core/testing";
import { TokenizerError } from "@deberta-js/tokenizer";
import { describe, expect, it } from "vitest";
import { TOKENIZER_TARGETS } from "./tokenizer-targets.js";

const LONG = process.env.FUZZ_LONG === "1";
const CASES = Number(process.env.FUZZ_CASES ?? (LONG ? 10_000 : 60));
const SEED = Number(process.env.FUZZ_SEED ?? 13);

describe("fuzz: tokenizer files", () => {
  for (const target of TOKENIZER_TARGETS) {
    it(`${target.name}: ${CASES} seeded cases → a tokenizer or a TokenizerError`, async () => {
      const report = await runFuzz(target, { cases: CASES, seed: SEED, isTyped: (e) => e instanceof TokenizerError || e instanceof DebertaError });
      console.log(`[fuzz] ${formatFuzzReport(report)}`);
      expect(report.findings.slice(0, 5)).toEqual([]);
      expect(report.cases).toBe(CASES);
    }, LONG ? 3_600_000 : 60_000);
  }
});
