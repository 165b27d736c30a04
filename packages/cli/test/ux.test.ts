// The CLI's flags and usage UX (issue 14): --version, one-line usage errors, the empty-stdin message, hub ids for
// info / forward / tokenize, --input / --output / --format, per-line pairs, bf16, and WebGPU through SwiftShader
// without driver noise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FakeHub } from "../../heads/test/hub/fake-hub.js";
import { syntheticModel } from "../../heads/test/synthetic.js";
import { csvField, resultRows, tsvField } from "../src/formats.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const REPO = "test-org/tiny-deberta-cls";
let hub: FakeHub;
let tmp: string;
let clsDir: string;

async function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = { ...process.env, HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: join(tmp, "cache"), HF_HOME: join(tmp, "home"), ...extraEnv };
  delete env.HF_TOKEN;
  delete env.HF_HUB_OFFLINE;
  const child = run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  child.child.stdin!.end(input ?? "");
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "deberta-cli-ux-"));
  clsDir = await syntheticModel("DebertaV2ForSequenceClassification");
  const files: Record<string, Uint8Array> = {};
  for (const f of await readdir(clsDir)) files[f] = new Uint8Array(await readFile(join(clsDir, f)));
  hub = await new FakeHub().start();
  hub.addRepo(REPO, { files });
});

afterAll(async () => {
  await hub?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe("usage", () => {
  it("--version prints the package version", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
  });

  it("a usage error is one line naming the problem and --help, not the whole help", async () => {
    for (const args of [["forward", "--model", "x"], ["frobnicate"], ["run", "--task", "fill-mask", "--model", "x", "--bogus"]]) {
      const r = await cli(args);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^deberta-js: .*(required option '--inputs|unknown command 'frobnicate'|unknown option '--bogus').*--help/);
    }
  });

  it("empty stdin says so instead of exiting silently", async () => {
    const r = await cli(["run", "--task", "text-classification", "--model", clsDir], "\n  \n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin had no input lines/);
    expect(r.stdout).toBe("");
  });

  it("bf16 is CUDA's mode: on another backend the error says so", async () => {
    const r = await cli(["run", "--task", "text-classification", "--model", clsDir, "--backend", "cpu", "--dtype", "bf16", "hello"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/dtype "bf16" runs on the cuda backend only/);
  });
});

describe("hub ids everywhere a model is taken", () => {
  it("info, tokenize and forward take a hub id; info reports the backend", async () => {
    const info = await cli(["info", "--model", REPO]);
    expect(info.code, info.stderr).toBe(0);
    const summary = JSON.parse(info.stdout);
    expect(summary.architectures).toEqual(["DebertaV2ForSequenceClassification"]);
    expect(summary.backend).toBe("cpu");
    const tok = await cli(["tokenize", "--model", REPO, "--text", "Hello world"]);
    expect(tok.code, tok.stderr).toBe(0);
    const ids = JSON.parse(tok.stdout).input_ids as number[][];
    expect(ids[0].length).toBeGreaterThan(2);
    const inputs = join(tmp, "inputs.json");
    await writeFile(inputs, JSON.stringify({ input_ids: ids }));
    const fwd = await cli(["forward", "--model", REPO, "--inputs", inputs]);
    expect(fwd.code, fwd.stderr).toBe(0);
    expect(JSON.parse(fwd.stdout).logits.shape).toEqual([1, 3]);
  });
});

describe("run: files, formats and per-line pairs", () => {
  it("--input / --output files, and per-line pairs (tab or JSON) equal --text-pair", async () => {
    const input = join(tmp, "pairs.txt");
    await writeFile(input, 'A man eats.\tSomeone eats.\n{"text": "A man eats.", "text_pair": "Someone eats."}\n');
    const output = join(tmp, "out.jsonl");
    const r = await cli(["run", "--task", "text-classification", "--model", clsDir, "--input", input, "--output", output, "--top-k", "3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const lines = (await readFile(output, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual(lines[0]);
    const flag = await cli(["run", "--task", "text-classification", "--model", clsDir, "--text-pair", "Someone eats.", "--top-k", "3", "A man eats."]);
    expect(JSON.parse(flag.stdout)).toEqual(lines[0]);
    const single = await cli(["run", "--task", "text-classification", "--model", clsDir, "--top-k", "3", "A man eats."]);
    expect(JSON.parse(single.stdout)).not.toEqual(lines[0]);
    // A failed run leaves no output file behind.
    const missing = join(tmp, "never.jsonl");
    const bad = await cli(["run", "--task", "question-answering", "--model", clsDir, "--output", missing, "no context here"]);
    expect(bad.code).not.toBe(0);
    expect((await readdir(tmp)).filter((f) => f.startsWith("never.jsonl"))).toEqual([]);
  });

  it("--format csv and tsv: a header, one row per result item, the input number first", async () => {
    const csv = await cli(["run", "--task", "text-classification", "--model", clsDir, "--top-k", "2", "--format", "csv", "one, two", "three"]);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = csv.stdout.trim().split("\n");
    expect(rows[0]).toBe("input,label,score");
    expect(rows).toHaveLength(5);
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual(["1", "1", "2", "2"]);
    const json = await cli(["run", "--task", "text-classification", "--model", clsDir, "--top-k", "2", "one, two", "three"]);
    const first = JSON.parse(json.stdout.trim().split("\n")[0]);
    expect(rows[1]).toBe(`1,${first[0].label},${first[0].score}`);
    const tsv = await cli(["run", "--task", "text-classification", "--model", clsDir, "--format", "tsv", "one"]);
    expect(tsv.stdout.trim().split("\n")[0]).toBe("input\tlabel\tscore");
    const badFormat = await cli(["run", "--task", "text-classification", "--model", clsDir, "--format", "xml", "one"]);
    expect(badFormat.stderr).toMatch(/--format "xml" is not one of json, csv, tsv/);
  });

  it("field escaping and row flattening", () => {
    expect(csvField('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvField("plain")).toBe("plain");
    expect(tsvField("a\tb\nc\\d")).toBe("a\\tb\\nc\\\\d");
    expect(resultRows([[{ a: 1 }], [{ a: 2 }, { a: 3 }]])).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(resultRows({ label: "x" })).toEqual([{ label: "x" }]);
  });
});

describe("WebGPU in Node", () => {
  it("uses SwiftShader when there is no GPU, with no driver noise on stderr unless --verbose", async () => {
    const inputs = join(tmp, "ids.json");
    await writeFile(inputs, JSON.stringify({ input_ids: [[1, 5, 7, 2]] }));
    const model = join(FIXTURES, "tiny-v3");
    const env = { VK_ICD_FILENAMES: "", XDG_RUNTIME_DIR: "" };
    const gpu = await cli(["forward", "--model", model, "--inputs", inputs, "--backend", "webgpu"], undefined, env);
    if (gpu.code !== 0 && /BACKEND_UNAVAILABLE/.test(gpu.stderr)) {
      console.warn(`skipped: WebGPU is not available here (${gpu.stderr.trim()})`);
      return;
    }
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).not.toMatch(/XDG_RUNTIME_DIR|Vulkan|Warning/);
    const cpu = await cli(["forward", "--model", model, "--inputs", inputs, "--backend", "cpu"]);
    const a = JSON.parse(gpu.stdout).last_hidden_state.data as number[];
    const b = JSON.parse(cpu.stdout).last_hidden_state.data as number[];
    a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(b[i])));
  });
});
