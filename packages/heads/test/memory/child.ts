// Memory tests run the load in a child process (its RSS is the load's alone, its JS heap capped with
// --max-old-space-size): the child script is bundled once from TypeScript (source condition), then each run
// prints one JSON line of measurements on stdout.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { expect } from "vitest";

export interface LoadMeasurement {
  baseline: number;
  peak: number;
  resident: number;
  outputs: number;
}

export interface MemoryChild {
  /** A scratch folder for checkpoints, removed by `dispose`. */
  work: string;
  run(args: string[]): Promise<LoadMeasurement>;
  dispose(): void;
}

/** The memory tests' model shape (deberta-v3-xsmall's widths); layers and vocabulary set each test's size. */
export function memoryTestConfig(size: { num_hidden_layers: number; vocab_size: number }): Record<string, unknown> {
  return {
    model_type: "deberta-v2",
    hidden_size: 384,
    num_attention_heads: 6,
    intermediate_size: 1536,
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
    ...size,
  };
}

/** Bundles `entry` (a file URL) into a scratch folder and returns a runner for it. */
export async function memoryChild(entry: URL, prefix: string): Promise<MemoryChild> {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  const child = path.join(work, "child.mjs");
  await build({
    entryPoints: [entry.pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["source"],
    outfile: child,
    logLevel: "error",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return {
    work,
    async run(args) {
      const p = spawn(process.execPath, ["--max-old-space-size=48", child, ...args], { stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      const status = await new Promise<number | null>((resolve) => p.on("close", resolve));
      expect(status, stderr).toBe(0);
      return JSON.parse(stdout.trim().split("\n").at(-1)!) as LoadMeasurement;
    },
    dispose() {
      rmSync(work, { recursive: true, force: true });
    },
  };
}
