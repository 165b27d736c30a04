// Seeded fuzzing of core's parsers: every mutated input must parse or throw a DebertaError; no case may take
// more than 5 s or push RSS over 2 GiB. `pnpm test` runs FUZZ_CASES (default 150) cases per target; the long
// mode (`FUZZ_LONG=1`, 10,000 per target) is run by scripts/fuzz-long.sh under --max-old-space-size=2048.
import { describe, expect, it } from "vitest";
import { DebertaError } from "../../src/errors.js";
import { formatFuzzReport, runFuzz } from "../../src/testing/fuzz.js";
import { CORE_TARGETS, TF_H5_TARGET } from "./targets.js";

const LONG = process.env.FUZZ_LONG === "1";
const CASES = Number(process.env.FUZZ_CASES ?? (LONG ? 10_000 : 150));
const SEED = Number(process.env.FUZZ_SEED ?? 13);
// tf_model.h5 cases cost a worker start each when they fail (~0.5 s): fewer of them in the default run.
const TF_H5_CASES = Number(process.env.TF_H5_CASES ?? (LONG ? CASES : 20));

describe("fuzz: core parsers", () => {
  for (const target of CORE_TARGETS) {
    it(`${target.name}: ${CASES} seeded cases → a value or a DebertaError`, async () => {
      const report = await runFuzz(target, { cases: CASES, seed: SEED, isTyped: (e) => e instanceof DebertaError });
      console.log(`[fuzz] ${formatFuzzReport(report)}`);
      expect(report.findings.slice(0, 5)).toEqual([]);
      expect(report.cases).toBe(CASES);
    }, LONG ? 3_600_000 : 60_000);
  }
  it(`${TF_H5_TARGET.name}: ${TF_H5_CASES} seeded cases → a value or a DebertaError`, async () => {
    const report = await runFuzz(TF_H5_TARGET, { cases: TF_H5_CASES, seed: SEED, isTyped: (e) => e instanceof DebertaError });
    console.log(`[fuzz] ${formatFuzzReport(report)}`);
    expect(report.findings.slice(0, 5)).toEqual([]);
    expect(report.cases).toBe(TF_H5_CASES);
  }, LONG ? 36_000_000 : 120_000);
});
