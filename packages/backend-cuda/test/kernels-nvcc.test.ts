/**
 * CI's syntax check of every kernel module: the exact sources NVRTC compiles at run time (plus the signature
 * static_asserts of `signatureChecks`) through `nvcc` —
 *  - sm_90 to CUBIN, so ptxas also checks the inline PTX (mma.sync, cvt) and reports spills;
 *  - sm_75 to PTX, the branch without tensor cores.
 * Skips with a message when nvcc is absent. `DEBERTA_JS_NVCC` picks the compiler (default nvcc on PATH, then
 * /usr/local/cuda/bin/nvcc).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KERNEL_MODULES, signatureChecks } from "../src/kernels/index.js";

function findNvcc(): string | undefined {
  for (const c of [process.env.DEBERTA_JS_NVCC, "nvcc", "/usr/local/cuda/bin/nvcc", "/usr/local/bin/nvcc"]) {
    if (!c) continue;
    const r = spawnSync(c, ["--version"], { encoding: "utf8" });
    if (!r.error && r.status === 0) return c;
  }
  return undefined;
}

const nvcc = findNvcc();
const dir = mkdtempSync(join(tmpdir(), "djs-nvcc-"));

function compile(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(nvcc!, args, { cwd: dir });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code: code ?? 1, out }));
    p.on("error", (e) => resolve({ code: 1, out: String(e) }));
  });
}

describe.skipIf(!nvcc)(`kernel sources compile with nvcc${nvcc ? "" : " (skipped: nvcc not found; set DEBERTA_JS_NVCC)"}`, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sm_90 CUBIN (with ptxas) and sm_75 PTX, every module", async () => {
    const files = KERNEL_MODULES.map((m) => {
      const f = `${m.name}.cu`;
      writeFileSync(join(dir, f), `${m.source}\n${signatureChecks(m)}`);
      return f;
    });
    const common = ["-std=c++17", "-diag-suppress", "177"];
    const [sm90, sm75] = await Promise.all([
      compile(["--cubin", "-arch=sm_90", ...common, "-odir", ".", ...files]),
      compile(["--ptx", "-arch=sm_75", ...common, "-odir", ".", ...files]),
    ]);
    expect(sm90.code, `nvcc -arch=sm_90 failed:\n${sm90.out}`).toBe(0);
    expect(sm75.code, `nvcc -arch=sm_75 failed:\n${sm75.out}`).toBe(0);
    for (const m of KERNEL_MODULES) {
      expect(existsSync(join(dir, `${m.name}.cubin`)), `${m.name}.cubin`).toBe(true);
      expect(existsSync(join(dir, `${m.name}.ptx`)), `${m.name}.ptx`).toBe(true);
    }
  }, 300_000);
});
