// `deberta-js run` end to end against a local hub on 127.0.0.1: the CLI downloads a model (with its tokenizer)
// into an HF cache in Python's layout, runs the pipeline, prints JSON lines; a second run is served from the cache.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FakeHub } from "../../heads/test/hub/fake-hub.js";
import { syntheticModel } from "../../heads/test/synthetic.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const REPO = "test-org/tiny-deberta-mlm";
let hub: FakeHub;
let tmp: string;

async function folderFiles(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const f of await readdir(dir)) out[f] = new Uint8Array(await readFile(join(dir, f)));
  return out;
}

async function cli(args: string[], input?: string) {
  const env = { ...process.env, HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: join(tmp, "cache"), HF_HOME: join(tmp, "home") };
  delete env.HF_TOKEN;
  delete env.HF_HUB_OFFLINE;
  const child = run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "deberta-cli-hub-"));
  hub = await new FakeHub().start();
  hub.addRepo(REPO, { files: await folderFiles(await syntheticModel("DebertaV2ForMaskedLM")) });
});

afterAll(async () => {
  await hub?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe("deberta-js run against a local hub", () => {
  it("downloads into the HF cache, runs fill-mask on stdin lines, then reuses the cache", async () => {
    const first = await cli(["run", "--task", "fill-mask", "--model", REPO, "--top-k", "3"], "Paris is the [MASK] of France.\nHello [MASK].\n");
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBe(2);
    for (const l of lines) {
      expect(l.length).toBe(3);
      expect(l[0]).toHaveProperty("token_str");
      expect(l[0].score).toBeGreaterThanOrEqual(l[1].score);
    }
    // Python's layout: models--org--name/{blobs,snapshots/<commit>,refs/main}.
    const repoDir = join(tmp, "cache", "models--test-org--tiny-deberta-mlm");
    expect((await readdir(repoDir)).sort()).toEqual(expect.arrayContaining(["blobs", "refs", "snapshots"]));
    const before = hub.requests.length;
    expect(before).toBeGreaterThan(0);
    const second = await cli(["run", "--task", "fill-mask", "--model", REPO, "--top-k", "3", "Paris is the [MASK] of France."]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim())).toEqual(lines[0]);
    expect(hub.requests.length).toBe(before);
  });

  it("names the repo when it does not exist", async () => {
    const r = await cli(["run", "--task", "fill-mask", "--model", "test-org/no-such-model", "x [MASK]"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/test-org\/no-such-model/);
  });
});
