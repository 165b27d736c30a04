/**
 * Issue 13: WebGPU output tensors that the caller never disposes must not pin GPU buffers forever. When a tensor's
 * storage is garbage-collected, its buffers go back to the pool (FinalizationRegistry), so 200 forward passes without
 * `dispose()` hold about as many bytes as 20 do.
 */
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { directoryFiles } from "@deberta-js/core/node";
import { DebertaV2ForSequenceClassification } from "@deberta-js/heads";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const fixtures = fileURLToPath(new URL("../../../fixtures", import.meta.url));
const inputs = { input_ids: [[1, 5, 9, 2, 7, 3], [1, 7, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]] };

/** Collects garbage and lets the FinalizationRegistry callbacks run (they are queued as tasks). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
}

describeGpu("undisposed WebGPU outputs (Dawn)", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend();
  });
  afterAll(() => be?.destroy());

  it("200 forward passes without dispose() keep the pool bounded once outputs are collected", async () => {
    const dir = directoryFiles(`${fixtures}/models/tiny-v3/heads/DebertaV2ForSequenceClassification`);
    const model = await DebertaV2ForSequenceClassification.fromPretrained(dir, { backend: be, warn: () => {} });
    const pass = async () => {
      const out = await model.forward(inputs, { output_hidden_states: true });
      await out.logits.data(); // used, never disposed
    };
    for (let i = 0; i < 20; i++) await pass();
    await collect();
    const after20 = be.bytesAllocated;
    for (let i = 0; i < 180; i++) {
      await pass();
      if (i % 20 === 19) await collect();
    }
    await collect();
    const after200 = be.bytesAllocated;
    // one pass's outputs (logits + 3 hidden states) as the slack: the pool may keep a few more free buffers
    const onePass = 256 + 3 * 2 * 6 * 32 * 4;
    console.log(`[leak] pool bytes after 20 passes ${after20}, after 200 passes ${after200} (growth ${after200 - after20})`);
    expect(after200 - after20).toBeLessThanOrEqual(4 * onePass);
    model.dispose();
  });

  it("a collected output's buffers are reused, and a disposed one is not released twice", async () => {
    let t: ReturnType<WebGpuBackend["upload"]> | null = be.upload(new Float32Array(1024), [1024], "f32");
    const before = be.bytesAllocated;
    t = null;
    await collect();
    const u = be.upload(new Float32Array(1024), [1024], "f32");
    expect(be.bytesAllocated).toBe(before); // reused the collected tensor's buffer
    u.dispose();
    u.dispose();
    await collect();
    const a = be.upload(new Float32Array(1024), [1024], "f32");
    const b = be.upload(new Float32Array(1024), [1024], "f32");
    expect(a.storage).not.toBe(b.storage);
    expect((a.storage as { chunks: { buffer: unknown }[] }).chunks[0].buffer).not.toBe((b.storage as { chunks: { buffer: unknown }[] }).chunks[0].buffer);
    a.dispose();
    b.dispose();
    void t;
  });
});
