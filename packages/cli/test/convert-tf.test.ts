// TensorFlow checkpoints through the CLI (the built dist/bin.js, as a user runs it): `forward` on every case of
// fixtures/tf straight from tf_model.h5, and `convert --from tf` → model.safetensors equal to the PyTorch
// fixture's tensors, which `forward` then runs to HF's outputs. Malformed input: a typed error, nothing written.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseSafetensors } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { type FixtureCase, compareOutputs, loadFixtureCases } from "@deberta-js/core/testing";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const TF = fileURLToPath(new URL("../../../fixtures/tf", import.meta.url));
const MODELS = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const cases = await loadFixtureCases(directoryFiles(TF));
const tmp = mkdtempSync(join(tmpdir(), "deberta-cli-tf-"));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A folder with the case's config.json and tf_model.h5 only. */
function tfFolder(c: FixtureCase): string {
  const dir = join(tmp, c.fixture, c.weights.replace(/\/?tf_model\.h5$/, "") || "base");
  if (!existsSync(join(dir, "tf_model.h5"))) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(TF, c.fixture, c.config), join(dir, "config.json"));
    copyFileSync(join(TF, c.fixture, c.weights), join(dir, "tf_model.h5"));
  }
  return dir;
}

async function forward(dir: string, c: FixtureCase, i: number): Promise<void> {
  const inputs = join(tmp, `inputs-${i}.json`);
  writeFileSync(inputs, JSON.stringify(c.inputs));
  const { stdout, stderr, code } = await cli(["forward", "--model", dir, "--inputs", inputs, "--backend", "cpu"]);
  expect(code, stderr).toBe(0);
  const cmp = compareOutputs(JSON.parse(stdout), c.outputs);
  expect(cmp.ok, `${c.fixture}/${c.name}: ${cmp.problems.join("; ")}`).toBe(true);
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
});

describe("deberta-js forward on tf_model.h5", () => {
  cases.forEach((c, i) => it(`${c.fixture}/${c.name}`, () => forward(tfFolder(c), c, i)));
});

describe("deberta-js convert --from tf", () => {
  const byWeights = new Map<string, FixtureCase>();
  for (const c of cases) if (!byWeights.has(`${c.fixture}/${c.weights}`)) byWeights.set(`${c.fixture}/${c.weights}`, c);
  [...byWeights.values()].forEach((c, i) => {
    it(`${c.fixture}/${c.weights} → model.safetensors equal to the PyTorch fixture, then forward`, async () => {
      const out = join(tmp, `converted-${i}`);
      const { stdout, stderr, code } = await cli(["convert", "--from", "tf", "--model", tfFolder(c), "--out", out]);
      expect(code, stderr).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary.written).toEqual(["model.safetensors", "config.json"]);
      const converted = parseSafetensors(readFileSync(join(out, "model.safetensors")), "converted").tensors;
      const reference = parseSafetensors(readFileSync(join(MODELS, c.fixture, c.weights.replace("tf_model.h5", "model.safetensors"))), "reference").tensors;
      expect([...converted.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [k, t] of reference) {
        expect(converted.get(k)!.shape, k).toEqual(t.shape);
        expect(Array.from(converted.get(k)!.data), k).toEqual(Array.from(t.data));
      }
      expect(existsSync(join(out, "tf_model.h5"))).toBe(false);
      await forward(out, c, 100 + i);
    });
  });

  it("bad requests and malformed files: a typed error, nothing written", async () => {
    const bad = await cli(["convert", "--from", "onnx", "--model", tmp, "--out", join(tmp, "x")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from "onnx"');
    const broken = join(tmp, "broken");
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(TF, "tiny-v3/config.json"), join(broken, "config.json"));
    writeFileSync(join(broken, "tf_model.h5"), readFileSync(join(TF, "tiny-v3/tf_model.h5")).subarray(0, 5000));
    const out = join(tmp, "broken-out");
    const res = await cli(["convert", "--from", "tf", "--model", broken, "--out", out]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/error \[WEIGHTS_INVALID\]: .*tf_model\.h5: not a readable HDF5 file \(truncated or corrupt\)/);
    expect(res.stdout).toBe("");
    expect(existsSync(join(out, "model.safetensors"))).toBe(false);
  });
});
