/**
 * The HF parity suite every backend runs: the fixtures' `cases.json` (inputs + the outputs Hugging Face's own
 * modeling code computed), a runner that computes the same outputs with deberta-js, and an element-wise
 * comparison with `|a − r| ≤ atol + rtol·|r|` on every element, padded positions included.
 *
 * Test-framework agnostic: `defineParitySuite` takes vitest's (or jest's) `describe`/`it`/`expect`.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import type { ModelFiles } from "../files.js";
import type { ModelInputs } from "../model/inputs.js";
import { DebertaV2Model } from "../model/deberta.js";
import { WeightsError } from "../errors.js";

export interface FixtureOutput {
  shape: number[];
  data: number[];
}

export interface FixtureCase {
  /** Fixture folder name, e.g. "tiny-v3". */
  fixture: string;
  name: string;
  model_class: string;
  config: string;
  weights: string;
  inputs: Record<string, number[][] | number[][][]>;
  outputs: Record<string, FixtureOutput>;
}

export interface ActualOutput {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Runs one case: returns outputs by HF name. `files` is the case's model folder (config.json + weights). */
export type CaseRunner = (args: {
  modelClass: string;
  files: ModelFiles;
  variant?: string;
  inputs: Record<string, number[][] | number[][][]>;
  backend: Backend;
  dtype: FloatDType;
}) => Promise<Record<string, ActualOutput>>;

/** The base-model runner (`DebertaV2Model` → `last_hidden_state`). Heads provide a runner for every class. */
export const baseModelRunner: CaseRunner = async ({ modelClass, files, variant, inputs, backend, dtype }) => {
  if (modelClass !== "DebertaV2Model") throw new Error(`baseModelRunner runs DebertaV2Model only, not ${modelClass}`);
  const model = await DebertaV2Model.fromPretrained(files, { backend, dtype, variant, warn: () => {} });
  try {
    const out = await model.forward(inputs as unknown as ModelInputs);
    const data = await out.last_hidden_state.data();
    out.last_hidden_state.dispose();
    return { last_hidden_state: { shape: out.last_hidden_state.shape, data } };
  } finally {
    model.dispose();
  }
};

/** Reads every `<fixture>/cases.json` under `root` (a ModelFiles over the fixtures/models folder). */
export async function loadFixtureCases(root: ModelFiles, filter?: { fixtures?: string[]; classes?: string[] }): Promise<FixtureCase[]> {
  const names = (await root.list()).filter((n) => /^[^/]+\/cases\.json$/.test(n)).sort();
  const cases: FixtureCase[] = [];
  for (const n of names) {
    const fixture = n.split("/")[0];
    if (filter?.fixtures && !filter.fixtures.includes(fixture)) continue;
    const list = JSON.parse(new TextDecoder().decode(await root.read(n))) as Omit<FixtureCase, "fixture">[];
    for (const c of list) {
      if (filter?.classes && !filter.classes.includes(c.model_class)) continue;
      cases.push({ ...c, fixture });
    }
  }
  return cases;
}

/**
 * The case's model folder as `ModelFiles`: only its `config.json` and its one weights file are visible, so the
 * loader picks exactly that file (e.g. `pytorch_model.bin` although `model.safetensors` sits beside it).
 */
export function caseFiles(root: ModelFiles, c: FixtureCase): { files: ModelFiles; variant?: string } {
  const weightsName = c.weights.split("/").pop()!;
  const map: Record<string, string> = { "config.json": `${c.fixture}/${c.config}`, [weightsName]: `${c.fixture}/${c.weights}` };
  const variant = /^model\.([^.]+)\.safetensors$/.exec(weightsName)?.[1] ?? /^pytorch_model\.([^.]+)\.bin$/.exec(weightsName)?.[1];
  const location = `${root.location}/${c.fixture}`;
  const source = (name: string): string => {
    if (!(name in map)) throw new WeightsError(`${location}: file "${name}" not found`, "FILE_NOT_FOUND");
    return map[name];
  };
  const files: ModelFiles = {
    location,
    list: async () => Object.keys(map),
    has: async (name) => name in map,
    read: async (name) => root.read(source(name)),
    readRange: root.readRange ? async (name, start, end) => root.readRange!(source(name), start, end) : undefined,
    size: root.size ? async (name) => root.size!(source(name)) : undefined,
  };
  return { files, variant };
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** fp32: `1e-4 + 1e-4·|r|`. */
export const FP32_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

export interface Comparison {
  ok: boolean;
  /** Largest |a − r| and the worst element's details. */
  maxAbsError: number;
  worst?: { output: string; index: number; actual: number; expected: number };
  problems: string[];
}

/** Element-wise check of every output (shape first); NaN never passes. */
export function compareOutputs(actual: Record<string, ActualOutput>, expected: Record<string, FixtureOutput>, tol: Tolerance = FP32_TOLERANCE): Comparison {
  const res: Comparison = { ok: true, maxAbsError: 0, problems: [] };
  let worstExcess = -Infinity;
  for (const [name, exp] of Object.entries(expected)) {
    const act = actual[name];
    if (!act) {
      res.ok = false;
      res.problems.push(`output "${name}" missing`);
      continue;
    }
    if (act.shape.length !== exp.shape.length || act.shape.some((d, i) => d !== exp.shape[i])) {
      res.ok = false;
      res.problems.push(`output "${name}": shape [${act.shape}] != expected [${exp.shape}]`);
      continue;
    }
    let bad = 0;
    for (let i = 0; i < exp.data.length; i++) {
      const a = act.data[i];
      const r = exp.data[i];
      const err = Math.abs(a - r);
      const limit = tol.atol + tol.rtol * Math.abs(r);
      if (!(err <= limit)) bad++;
      if (err > res.maxAbsError || Number.isNaN(err)) res.maxAbsError = Number.isNaN(err) ? NaN : err;
      const excess = Number.isNaN(err) ? Infinity : err - limit;
      if (excess > worstExcess) {
        worstExcess = excess;
        res.worst = { output: name, index: i, actual: a, expected: r };
      }
    }
    if (bad) {
      res.ok = false;
      res.problems.push(`output "${name}": ${bad} of ${exp.data.length} elements outside ${tol.atol} + ${tol.rtol}·|ref|`);
    }
  }
  return res;
}

/** fp16/bf16 weights/compute: relative error of the whole output, ‖a − r‖ / ‖r‖. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    num += d * d;
    den += expected[i] * expected[i];
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

export async function runFixtureCase(
  root: ModelFiles,
  c: FixtureCase,
  options: { backend: Backend; dtype?: FloatDType; runner?: CaseRunner },
): Promise<{ actual: Record<string, ActualOutput>; comparison: Comparison }> {
  const { files, variant } = caseFiles(root, c);
  const runner = options.runner ?? baseModelRunner;
  const actual = await runner({ modelClass: c.model_class, files, variant, inputs: c.inputs, backend: options.backend, dtype: options.dtype ?? "f32" });
  return { actual, comparison: compareOutputs(actual, c.outputs) };
}

interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeout?: number) => void;
  expect: (v: unknown, message?: string) => { toBe(v: unknown): void };
}

/**
 * Registers one test per fixture case. `cases` are loaded up front by the caller (top-level await in the test
 * file) so test names are known at collection time.
 */
export function defineParitySuite(
  api: TestApi,
  options: {
    name: string;
    root: ModelFiles;
    cases: FixtureCase[];
    backend: () => Promise<Backend>;
    dtype?: FloatDType;
    runner?: CaseRunner;
  },
): void {
  api.describe(options.name, () => {
    for (const c of options.cases) {
      api.it(`${c.fixture}/${c.name}`, async () => {
        const backend = await options.backend();
        const { comparison } = await runFixtureCase(options.root, c, { backend, dtype: options.dtype, runner: options.runner });
        const msg = comparison.ok
          ? ""
          : `${c.fixture}/${c.name}: ${comparison.problems.join("; ")}; max |a−r| = ${comparison.maxAbsError}; worst ${JSON.stringify(comparison.worst)}`;
        api.expect(comparison.ok, msg).toBe(true);
      });
    }
  });
}
