// The browser streaming path end to end: a mid-size random checkpoint (~106 MB fp32) served from 127.0.0.1 is loaded
// in headless Chromium with `urlFiles` (Range requests streamed into each tensor's buffer) onto the CPU and WebGPU
// backends by scripts/browser-load-bench.mjs. Checked: every weight arrives (resident bytes = the weights) and, where
// Chromium answers performance.measureUserAgentSpecificMemory(), the page's memory stays ≤ 1.3× the weights (a
// whole-file ArrayBuffer plus the weights would be ≥ 2×). The renderer's RSS is printed, not asserted (at this size
// it is dominated by fixed costs). No timing is asserted. Skips without Chromium.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCRIPT = fileURLToPath(new URL("../scripts/browser-load-bench.mjs", import.meta.url));
const CONFIG = {
  model_type: "deberta-v2",
  hidden_size: 384,
  num_hidden_layers: 4,
  num_attention_heads: 6,
  intermediate_size: 1536,
  vocab_size: 50000,
  max_position_embeddings: 512,
  relative_attention: true,
  position_buckets: 256,
  norm_rel_ebd: "layer_norm",
  share_att_key: true,
  pos_att_type: ["p2c", "c2p"],
  position_biased_input: false,
  type_vocab_size: 0,
  layer_norm_eps: 1e-7,
  hidden_act: "gelu",
};

const have = existsSync(CHROMIUM);
if (!have) console.warn(`browser load test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const work = mkdtempSync(path.join(tmpdir(), "deberta-browser-load-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!have)("browser streaming load (headless Chromium, urlFiles)", () => {
  it("loads a served ~106 MB checkpoint onto the CPU and WebGPU backends, page memory ≤ 1.3× the weights", async () => {
    const config = path.join(work, "mid.json");
    writeFileSync(config, JSON.stringify(CONFIG));
    const p = spawn(process.execPath, [SCRIPT, "--config", config, "--dir", work, "--backends", "cpu,webgpu", "--chromium", CHROMIUM], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => p.on("close", resolve));
    expect(status, stderr).toBe(0);
    const rows = stdout.trim().split("\n").map((l) => JSON.parse(l));
    console.log(stderr.split("\n").filter((l) => l.startsWith("|")).join("\n"));
    expect(rows.map((r) => r.backend)).toEqual(["cpu", "webgpu"]);
    for (const r of rows) {
      expect(r.error, r.error).toBeUndefined();
      expect(r.cross_origin_isolated).toBe(true);
      expect(r.resident_bytes).toBe(r.weights_in_memory_bytes);
      expect(r.weights_in_memory_bytes).toBeGreaterThan(100e6);
    }
    const cpu = rows[0];
    if (cpu.ua_specific_memory_bytes !== null) expect(cpu.ua_specific_memory_bytes).toBeLessThanOrEqual(1.3 * cpu.weights_in_memory_bytes);
  }, 180_000);
});
