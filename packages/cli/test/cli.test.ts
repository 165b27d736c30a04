// The CLI end to end: the built `dist/bin.js` run as a user would, on every base-model fixture case
// (F32, F16, BF16 and pytorch_model.bin weights), compared with HF's stored outputs.
import { describe, expect, it, beforeAll } from "vitest";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { directoryFiles } from "@deberta-js/core/node";
import { compareOutputs, loadFixtureCases, type FixtureCase } from "@deberta-js/core/testing";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const cases = await loadFixtureCases(directoryFiles(FIXTURES), { classes: ["DebertaV2Model"] });
const tmp = mkdtempSync(join(tmpdir(), "deberta-cli-"));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A model folder holding exactly the case's config and weights file, as save_pretrained would write it. */
function caseFolder(c: FixtureCase, i: number): { dir: string; variant?: string } {
  const dir = join(tmp, `case${i}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIXTURES, c.fixture, c.config), join(dir, "config.json"));
  const weights = c.weights.split("/").pop()!;
  copyFileSync(join(FIXTURES, c.fixture, c.weights), join(dir, weights));
  return { dir, variant: /^model\.(\w+)\.safetensors$/.exec(weights)?.[1] };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
});

describe("deberta-js forward", () => {
  cases.forEach((c, i) => {
    it(`${c.fixture}/${c.name}`, async () => {
      const { dir, variant } = caseFolder(c, i);
      const inputs = join(dir, "inputs.json");
      writeFileSync(inputs, JSON.stringify(c.inputs));
      const args = ["forward", "--model", dir, "--inputs", inputs, ...(variant ? ["--variant", variant] : [])];
      const { stdout, stderr, code } = await cli(args);
      expect(code, stderr).toBe(0);
      const out = JSON.parse(stdout);
      expect(Object.keys(out)).toEqual(["last_hidden_state"]);
      const cmp = compareOutputs(out, c.outputs);
      expect(cmp.ok, cmp.problems.join("; ")).toBe(true);
    });
  });
});

describe("deberta-js errors and info", () => {
  it("names the config field at fault and exits non-zero", async () => {
    const dir = join(tmp, "bad-config");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "deberta-v2", hidden_size: "32" }));
    writeFileSync(join(dir, "inputs.json"), JSON.stringify({ input_ids: [[1, 2]] }));
    const { stdout, stderr, code } = await cli(["forward", "--model", dir, "--inputs", join(dir, "inputs.json")]);
    expect(code).not.toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/error \[CONFIG_INVALID\].*field "hidden_size" must be an integer/);
  });

  it("rejects ragged inputs and ids beyond the vocabulary", async () => {
    const model = join(FIXTURES, "tiny-v3");
    const f = join(tmp, "ragged.json");
    writeFileSync(f, JSON.stringify({ input_ids: [[1, 2, 3], [1, 2]] }));
    let r = await cli(["forward", "--model", model, "--inputs", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ragged input — row 1 has 2 tokens but row 0 has 3/);
    writeFileSync(f, JSON.stringify({ input_ids: [[1, 5000, 2]] }));
    r = await cli(["forward", "--model", model, "--inputs", f]);
    expect(r.stderr).toMatch(/input_ids\[0\]\[1\] = 5000 is out of range/);
  });

  it("says which files a folder lacks", async () => {
    const dir = join(tmp, "no-weights");
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, "tiny-v3", "config.json"), join(dir, "config.json"));
    writeFileSync(join(dir, "inputs.json"), JSON.stringify({ input_ids: [[1, 2]] }));
    const r = await cli(["forward", "--model", dir, "--inputs", join(dir, "inputs.json")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FILE_NOT_FOUND/);
    expect(r.stderr).toMatch(/model\.safetensors/);
  });

  it("summarises a model folder", async () => {
    const r = await cli(["info", "--model", join(FIXTURES, "tiny-v3")]);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.hidden_size).toBe(32);
    expect(info.weights).toEqual(["model.safetensors"]);
    expect(info.dtypes).toEqual(["F32"]);
    expect(info.parameters).toBeGreaterThan(0);
  });

  it("info --load reports the weight bytes resident on each backend after a streamed load", async () => {
    for (const [dtype, bytes] of [["fp32", 4], ["fp16", 2]] as const) {
      const r = await cli(["info", "--model", join(FIXTURES, "tiny-v3"), "--load", "cpu", "--dtype", dtype]);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout);
      // tiny-v3 holds exactly the base model's parameters, so all of them are resident
      expect(info.loaded).toHaveLength(1);
      expect(info.loaded[0]).toMatchObject({ backend: "cpu", dtype: dtype === "fp32" ? "f32" : "f16", resident_weight_bytes: bytes * info.parameters });
      expect(info.loaded[0].peak_rss_bytes).toBeGreaterThan(0);
    }
  });

  it("benchmarks a config with random weights", async () => {
    const r = await cli(["bench", "--config", join(FIXTURES, "tiny-v2-conv", "config.json"), "--batch", "2", "--seq", "16", "--runs", "2", "--warmup", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout);
    expect(b).toMatchObject({ backend: "cpu", batch: 2, seq: 16 });
    expect(b.ms_median).toBeGreaterThan(0);
    expect(b.tokens_per_s).toBeGreaterThan(0);
  });
});
