// `bench --isolate` runs each side in its own child process and reports that process's peak RSS (max_rss_mb);
// `bench --profile` on a model folder.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code ?? 1 };
  }
}

describe("bench --isolate", () => {
  it("times ours in a child process and reports its peak RSS", async () => {
    const r = await cli(["bench", "--config", join(FIXTURES, "tiny-v2-conv", "config.json"), "--seq", "16", "--runs", "2", "--warmup", "1", "--isolate"]);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout);
    expect(b).toMatchObject({ backend: "cpu", seq: 16, isolated: true });
    expect(b.ms_median).toBeGreaterThan(0);
    // a Node process running a model holds at least its heap and code: tens of MiB
    expect(b.max_rss_mb).toBeGreaterThan(20);
    expect(r.stderr).toContain("--isolate: ours in a child process");
  });
  it("--profile on a model folder prints per-op times (the profiled backend owns the tensors it makes)", async () => {
    const r = await cli(["bench", "--model", join(FIXTURES, "tiny-v3"), "--seq", "16", "--runs", "1", "--warmup", "1", "--profile"]);
    expect(r.code, r.stderr).toBe(0);
    const ops = JSON.parse(r.stdout).profile.ops as { op: string; calls: number }[];
    expect(ops.find((o) => o.op === "linear")?.calls).toBeGreaterThan(0);
  });
  it("rejects a bad --side with a clear error", async () => {
    const r = await cli(["bench", "--config", join(FIXTURES, "tiny-v2-conv", "config.json"), "--side", "both"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--side must be ours or peer, got "both"');
  });
});
