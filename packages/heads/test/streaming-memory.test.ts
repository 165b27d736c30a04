// Memory bound of streaming weight loading: a mid-size random checkpoint (~110 MB fp32) is loaded in a child
// process whose JS heap is capped with --max-old-space-size, and its peak RSS above the pre-load baseline must
// stay within 1.2× the weights (fp32 → fp32) and within 0.7× the file (fp32 file → fp16 compute). Loading the
// whole state dict and then uploading it (the previous loader) peaks at ~2× and fails this test.
// No timing is asserted.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DebertaV2Config } from "@deberta-js/core";
import { writeRandomCheckpoint, type RandomCheckpointFormat } from "@deberta-js/core/node";

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

let work: string;
let child: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "deberta-mem-"));
  child = path.join(work, "load-child.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./memory/load-child.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["source"],
    outfile: child,
    logLevel: "error",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function load(dir: string, dtype: "f32" | "f16"): { baseline: number; peak: number; resident: number; outputs: number } {
  const r = spawnSync(process.execPath, ["--max-old-space-size=48", child, dir, dtype], { encoding: "utf8", timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

describe("streaming load stays within its memory bound (child process, --max-old-space-size=48)", () => {
  const config = new DebertaV2Config(CONFIG);
  for (const format of ["safetensors", "sharded", "bin"] as RandomCheckpointFormat[]) {
    it(`${format}: fp32 → fp32 peak ≤ 1.2× weights, fp32 → fp16 peak ≤ 0.7× file`, async () => {
      const dir = path.join(work, format);
      const { weightBytes } = await writeRandomCheckpoint(dir, config, CONFIG, { format, maxShardBytes: 40e6 });
      expect(weightBytes).toBeGreaterThan(100e6);

      const f32 = load(dir, "f32");
      expect(f32.resident).toBe(weightBytes);
      expect(f32.outputs).toBe(4 * 384);
      const grew32 = f32.peak - f32.baseline;
      console.log(`${format} f32: weights ${(weightBytes / 1e6).toFixed(1)} MB, peak RSS − baseline ${(grew32 / 1e6).toFixed(1)} MB (${(grew32 / weightBytes).toFixed(2)}×)`);
      expect(grew32).toBeLessThanOrEqual(1.2 * weightBytes);

      const f16 = load(dir, "f16");
      expect(f16.resident).toBe(weightBytes / 2);
      const grew16 = f16.peak - f16.baseline;
      console.log(`${format} f16: file ${(weightBytes / 1e6).toFixed(1)} MB, peak RSS − baseline ${(grew16 / 1e6).toFixed(1)} MB (${(grew16 / weightBytes).toFixed(2)}× file)`);
      expect(grew16).toBeLessThanOrEqual(0.7 * weightBytes);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
