// Model inputs from careless or hostile callers (issue 13): garbage dims, null data and over-long sequences are
// typed InputErrors before anything is allocated (they were garbage shapes, TypeErrors, RangeErrors or GiBs).
import { afterEach, describe, expect, it } from "vitest";
import { DebertaV2Config } from "../../src/config.js";
import { InputError } from "../../src/errors.js";
import { resetLimits, setLimits } from "../../src/limits.js";
import { readInputs } from "../../src/model/inputs.js";

afterEach(() => resetLimits());
const rel = new DebertaV2Config({ vocab_size: 100, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1, relative_attention: true, position_biased_input: false, max_position_embeddings: 512 });

function inputError(f: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, String(err)).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(re);
}

describe("input dims and data", () => {
  it.each([
    [[1.5, 2], /dims \[1.5, 2\] must be non-negative integers/],
    [[-1, -3], /dims \[-1, -3\] must be non-negative integers/],
    [[NaN, 3], /must be non-negative integers/],
    [[2 ** 53, 2], /must be non-negative integers/],
  ])("dims %j are refused", (dims, re) => {
    inputError(() => readInputs({ input_ids: { data: [1, 2, 3], dims } }, rel), re);
  });
  it("data: null / not array-like is an InputError, not a TypeError", () => {
    inputError(() => readInputs({ input_ids: { data: null as never, dims: [1, 2] } }, rel), /tensor data must be an array/);
    inputError(() => readInputs({ input_ids: { data: [1, 2], dims: "12" as never } }, rel), /expected a 2-D tensor/);
  });
  it("bigint ids beyond int32 are refused (no silent wrap)", () => {
    inputError(() => readInputs({ input_ids: { data: [1n, 2n ** 40n], dims: [1, 2] } }, rel), /is not an integer/);
  });
});

describe("sequence-length cap for relative-attention models", () => {
  it.each([[100_000], [30_000]])("%d tokens is a typed error that suggests truncation, fast and without allocating", (n) => {
    const ids = [new Array(n).fill(1)];
    const t0 = performance.now();
    inputError(() => readInputs({ input_ids: ids }, rel), new RegExp(`sequence length ${n} is longer than this model can run here \\(limit maxSequenceLength = 8192.*truncation: true`));
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it("too many tokens in one batch; limits can be raised", () => {
    setLimits({ maxTokensPerBatch: 1000 });
    inputError(() => readInputs({ input_ids: Array.from({ length: 20 }, () => new Array(100).fill(1)) }, rel), /20 × 100 = 2000 tokens.*maxTokensPerBatch/);
    resetLimits();
    setLimits({ maxSequenceLength: 200_000 });
    expect(readInputs({ input_ids: [new Array(10_000).fill(1)] }, rel).seqLen).toBe(10_000);
  });
});
