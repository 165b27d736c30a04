// Quantize-on-load streams: a q8/q4 load of an fp32 checkpoint quantizes each Linear weight as it is read, so the
// whole fp32 state dict is never held. A mid-size random checkpoint (~70 MB fp32, mostly Linear weights) is loaded
// in a child process (--max-old-space-size=48): peak RSS above the baseline must stay below the quantized resident
// weights + 0.9× the fp32 file — a load that holds the whole fp32 state dict needs ≥ resident + 1.0× file (asserted
// on the whole-state-dict load of the same file, measured in the same run) — and ≥ 0.25× the file below that load.
// What remains above "resident + one tensor" (35–52 MB measured here, varying run to run) is read buffers already
// dropped that V8 frees on its external-memory GC schedule (as in streaming-memory.test.ts's fp16 case): the peak is
// not yet "quantized size + one tensor". No timing is asserted.
import { rmSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryChild, type LoadMeasurement, type MemoryChild } from "./memory/child.js";
import { DebertaV2Config } from "@deberta-js/core";
import { writeRandomCheckpoint } from "@deberta-js/core/node";

const CONFIG = {
  model_type: "deberta-v2",
  hidden_size: 384,
  num_hidden_layers: 8,
  num_attention_heads: 6,
  intermediate_size: 1536,
  vocab_size: 8000,
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

let mem: MemoryChild;
let work: string;

beforeAll(async () => {
  mem = await memoryChild(new URL("./memory/quantize-child.ts", import.meta.url), "deberta-qmem-");
  work = mem.work;
});

afterAll(() => mem?.dispose());

async function load(dir: string, dtype: string, mode: "stream" | "whole"): Promise<LoadMeasurement> {
  return mem.run([dir, dtype, mode]);
}

describe("quantize-on-load streams per tensor (child process, --max-old-space-size=48)", () => {
  const config = new DebertaV2Config(CONFIG);
  for (const dtype of ["q8", "q4"]) {
    it(`${dtype}: peak RSS below resident + the fp32 file, and below the whole-state-dict load`, async () => {
      const dir = path.join(work, dtype);
      const { weightBytes } = await writeRandomCheckpoint(dir, config, CONFIG, { format: "safetensors" });
      expect(weightBytes).toBeGreaterThan(60e6);
      const s = await load(dir, dtype, "stream");
      const w = await load(dir, dtype, "whole");
      expect(s.outputs).toBe(4 * 384);
      expect(s.resident).toBe(w.resident); // the same weights either way
      const grewS = s.peak - s.baseline;
      const grewW = w.peak - w.baseline;
      console.log(
        `${dtype}: fp32 file ${(weightBytes / 1e6).toFixed(1)} MB, quantized resident ${(s.resident / 1e6).toFixed(1)} MB; peak RSS − baseline: ` +
          `streamed ${(grewS / 1e6).toFixed(1)} MB (${(grewS / s.resident).toFixed(2)}× resident), whole state dict ${(grewW / 1e6).toFixed(1)} MB (${(grewW / s.resident).toFixed(2)}×)`,
      );
      expect(grewW).toBeGreaterThanOrEqual(s.resident + weightBytes); // the old way holds the fp32 copy too
      expect(grewS).toBeLessThanOrEqual(s.resident + 0.9 * weightBytes);
      expect(grewS).toBeLessThan(grewW - 0.25 * weightBytes);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
