// bitsandbytes checkpoints through `deberta-js forward` (the built CLI), every case of fixtures/quantized within
// 1e-4 + 1e-4·|ref| of cases.json; and the quantized `--dtype` spellings.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { directoryFiles } from "@deberta-js/core/node";
import { compareOutputs, loadFixtureCases } from "@deberta-js/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticModel } from "../../heads/test/synthetic.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const QUANT = fileURLToPath(new URL("../../../fixtures/quantized", import.meta.url));
const MODELS = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const cases = await loadFixtureCases(directoryFiles(QUANT));
const tmp = mkdtempSync(join(tmpdir(), "deberta-cli-q-"));

export async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
});

describe("deberta-js forward on bitsandbytes checkpoints (cpu)", () => {
  it("has all 12 cases", () => expect(cases.length).toBe(12));
  cases.forEach((c, i) => {
    it(`${c.fixture}/${c.name}`, async () => {
      const dir = join(tmp, `q${i}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(QUANT, c.fixture, c.config), join(dir, "config.json"));
      copyFileSync(join(QUANT, c.fixture, c.weights), join(dir, "model.safetensors"));
      writeFileSync(join(dir, "inputs.json"), JSON.stringify(c.inputs));
      const { stdout, stderr, code } = await cli(["forward", "--model", dir, "--inputs", join(dir, "inputs.json")]);
      expect(code, stderr).toBe(0);
      const cmp = compareOutputs(JSON.parse(stdout), c.outputs);
      expect(cmp.ok, `${cmp.problems.join("; ")} max ${cmp.maxAbsError}`).toBe(true);
    });
  });
});

describe("deberta-js forward --dtype (quantize on load)", () => {
  it("q8 / q4 / nf4 on a float fixture stay close to the float outputs; an unknown dtype is INPUT_INVALID", async () => {
    const dir = join(MODELS, "tiny-v3");
    const fixture = (await loadFixtureCases(directoryFiles(MODELS), { fixtures: ["tiny-v3"], classes: ["DebertaV2Model"] })).find(
      (c) => c.weights === "model.safetensors",
    )!;
    const inputs = join(tmp, "in.json");
    writeFileSync(inputs, JSON.stringify(fixture.inputs));
    const errs: Record<string, number> = {};
    for (const dtype of ["q8", "q4", "nf4"]) {
      const r = await cli(["forward", "--model", dir, "--inputs", inputs, "--dtype", dtype]);
      expect(r.code, r.stderr).toBe(0);
      const cmp = compareOutputs(JSON.parse(r.stdout), fixture.outputs);
      errs[dtype] = cmp.maxAbsError;
      expect(cmp.maxAbsError).toBeGreaterThan(0); // quantized: not the float numbers
    }
    // outputs are LayerNorm-ed (|h| ~ 1): int8 stays within a few 1e-2, 4-bit within a few 1e-1
    expect(errs.q8).toBeLessThan(0.05);
    expect(errs.q4).toBeLessThan(0.5);
    expect(errs.nf4).toBeLessThan(0.5);
    const bad = await cli(["forward", "--model", dir, "--inputs", inputs, "--dtype", "q3"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dtype "q3"/);
  });
});

describe("deberta-js quantize, then deberta-js run --model OUT", () => {
  it("writes a bitsandbytes folder with the tokenizer, which run loads (nf4 and int8)", async () => {
    const src = await syntheticModel("DebertaV2ForSequenceClassification");
    const text = "A man is eating food.";
    const float = await cli(["run", "--task", "text-classification", "--model", src, text]);
    expect(float.code, float.stderr).toBe(0);
    for (const to of ["nf4", "int8"]) {
      const out = join(tmp, `quantized-${to}`);
      const q = await cli(["quantize", "--model", src, "--to", to, "--out", out]);
      expect(q.code, q.stderr).toBe(0);
      const summary = JSON.parse(q.stdout);
      expect(summary.copied).toContain("tokenizer.json");
      const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
      expect(config.quantization_config.quant_method).toBe("bitsandbytes");
      expect(config.quantization_config[to === "nf4" ? "load_in_4bit" : "load_in_8bit"]).toBe(true);
      const r = await cli(["run", "--task", "text-classification", "--model", out, text]);
      expect(r.code, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout);
      const ref = JSON.parse(float.stdout);
      // same labels, scores close to the float model's (random weights: the logits are small)
      expect(JSON.stringify(got).length).toBeGreaterThan(10);
      expect(Math.abs(flatScores(got)[0] - flatScores(ref)[0])).toBeLessThan(0.05);
    }
    const bad = await cli(["quantize", "--model", src, "--to", "int3", "--out", join(tmp, "bad")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to "int3"/);
  }, 60_000);
});

describe("deberta-js quantize --quantize-embeddings, then deberta-js run --model OUT", () => {
  it("writes the int8 embedding table in deberta-js's format (alone and with --to int8); run loads it to the in-memory model's outputs", async () => {
    const src = await syntheticModel("DebertaV2ForSequenceClassification");
    const text = "A man is eating food.";
    for (const to of [undefined, "int8"]) {
      const out = join(tmp, `qemb-${to ?? "fp32"}`);
      const q = await cli(["quantize", "--model", src, ...(to ? ["--to", to] : []), "--quantize-embeddings", "--out", out]);
      expect(q.code, q.stderr).toBe(0);
      const summary = JSON.parse(q.stdout);
      expect(summary.quantize_embeddings).toBe(true);
      expect(summary.copied).toContain("tokenizer.json");
      const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
      expect(config.quantization_config.deberta_js).toEqual(to ? { quantized_embeddings: "int8-row", activations: "int8-dynamic" } : { quantized_embeddings: "int8-row" });
      expect(config.quantization_config.quant_method).toBe(to ? "bitsandbytes" : "deberta-js");
      // the saved folder gives exactly what the source loaded with the same options gives (q8: asked again with
      // --dtype q8, which selects int8 activations for the saved int8 weights, as at quantization time)
      const q8 = to ? ["--dtype", "q8"] : [];
      const saved = await cli(["run", "--task", "text-classification", "--model", out, ...q8, text]);
      expect(saved.code, saved.stderr).toBe(0);
      const live = await cli(["run", "--task", "text-classification", "--model", src, "--quantize-embeddings", ...q8, text]);
      expect(live.code, live.stderr).toBe(0);
      expect(flatScores(JSON.parse(saved.stdout)).length).toBeGreaterThan(0);
      expect(JSON.parse(saved.stdout)).toEqual(JSON.parse(live.stdout));
    }
    const none = await cli(["quantize", "--model", src, "--out", join(tmp, "qemb-none")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--to.*--quantize-embeddings/);
  }, 60_000);
});

describe("deberta-js quantize --to X, then run --model OUT without --dtype", () => {
  it("gives exactly what run --model ORIG --dtype X gives (q8 ± embeddings, int8, q4, nf4, fp4); without the q8 marker it does not", async () => {
    const src = await syntheticModel("DebertaV2ForSequenceClassification");
    const text = "A man is eating food.";
    const runOn = async (model: string, extra: string[]) => {
      const r = await cli(["run", "--task", "text-classification", "--top-k", "3", "--model", model, ...extra, text]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const cases = [
      { to: "q8", dtype: "q8", emb: false },
      { to: "q8", dtype: "q8", emb: true },
      { to: "int8", dtype: "q8", emb: false },
      { to: "q4", dtype: "q4", emb: false },
      { to: "nf4", dtype: "nf4", emb: false },
      { to: "fp4", dtype: "fp4", emb: false },
    ];
    let q8Out = "";
    for (const c of cases) {
      const emb = c.emb ? ["--quantize-embeddings"] : [];
      const out = join(tmp, `reload-${c.to}${c.emb ? "-emb" : ""}`);
      const q = await cli(["quantize", "--model", src, "--to", c.to, ...emb, "--out", out]);
      expect(q.code, q.stderr).toBe(0);
      const saved = await runOn(out, []);
      expect(flatScores(saved).length).toBe(3);
      expect(saved).toEqual(await runOn(src, ["--dtype", c.dtype, ...emb]));
      if (c.to === "q8" && !c.emb) q8Out = out;
    }
    // the marker is what makes the difference: without it the int8 weights run with float activations
    const config = JSON.parse(readFileSync(join(q8Out, "config.json"), "utf8"));
    const marked = await runOn(q8Out, []);
    delete config.quantization_config.deberta_js;
    writeFileSync(join(q8Out, "config.json"), JSON.stringify(config));
    expect(await runOn(q8Out, [])).not.toEqual(marked);
    expect(await runOn(q8Out, ["--dtype", "q8"])).toEqual(marked);
  }, 120_000);
});

function flatScores(v: unknown): number[] {
  const out: number[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object" && "score" in x) out.push((x as { score: number }).score);
  };
  walk(v);
  return out;
}
