/**
 * Lifetimes on WebGPU (Dawn): a forward that throws mid-layer leaks no tensor (nor pool buffer), and a disposed
 * model or pipeline throws DISPOSED — the checks heads runs on the CPU backend.
 */
import { fileURLToPath } from "node:url";
import { liveTensorCount } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { withInjectedFailure } from "@deberta-js/core/testing";
import { DebertaV2ForQuestionAnswering, DebertaV2ForSequenceClassification, pipeline } from "@deberta-js/heads";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

const fixtures = fileURLToPath(new URL("../../../fixtures", import.meta.url));
const headDir = (cls: string) => directoryFiles(`${fixtures}/models/tiny-v3/heads/${cls}`);
const inputs = { input_ids: [[1, 5, 9, 2], [1, 7, 2, 0]], attention_mask: [[1, 1, 1, 1], [1, 1, 1, 0]] };

describeGpu("lifetimes on WebGPU (Dawn)", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend();
  });
  afterAll(() => be?.destroy());

  for (const op of ["linear", "disentangledAttention"] as const) {
    it(`a forward whose ${op} throws mid-layer leaks no tensor`, async () => {
      const f = withInjectedFailure(be, op);
      const model = await DebertaV2ForQuestionAnswering.fromPretrained(headDir("DebertaV2ForQuestionAnswering"), { backend: f.backend, warn: () => {} });
      const ok = await model.forward(inputs);
      ok.start_logits.dispose();
      ok.end_logits.dispose();
      const perForward = f.calls;
      expect(perForward).toBeGreaterThanOrEqual(2);
      const before = liveTensorCount();
      f.failAt(Math.ceil(perForward / 2));
      await expect(model.forward(inputs, { output_hidden_states: true, output_attentions: true })).rejects.toThrow(/injected failure/);
      expect(liveTensorCount()).toBe(before);
      model.dispose();
    });
  }

  it("a disposed model and a disposed pipeline throw DISPOSED", async () => {
    const model = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { backend: be, warn: () => {} });
    const clf = await pipeline("text-classification", model, { tokenizer: `${fixtures}/tokenizer/spm-v3-like`, warn: () => {} });
    (await model.forward(inputs)).logits.dispose();
    clf.dispose();
    await expect(model.forward(inputs)).rejects.toMatchObject({ code: "DISPOSED" });
    await expect(clf("some text")).rejects.toMatchObject({ code: "DISPOSED", message: 'pipeline("text-classification") was used after dispose()' });
    const t = be.upload(Float32Array.of(1, 2), [2], "f32");
    t.dispose();
    expect(() => be.add(t, t)).toThrow(expect.objectContaining({ code: "DISPOSED" }));
  });
});
