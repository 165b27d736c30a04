// Lifetimes of head models and pipelines on the CPU backend: a forward that throws mid-layer leaks no tensor, and
// a disposed model or pipeline throws DISPOSED. (backend-webgpu runs the same checks on Dawn.)
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { liveTensorCount } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { withInjectedFailure } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import { DebertaV2ForQuestionAnswering, DebertaV2ForSequenceClassification, pipeline } from "../src/index.js";

const fixtures = fileURLToPath(new URL("../../../fixtures", import.meta.url));
const headDir = (cls: string) => directoryFiles(`${fixtures}/models/tiny-v3/heads/${cls}`);
const tokenizer = `${fixtures}/tokenizer/spm-v3-like`;
const inputs = { input_ids: [[1, 5, 9, 2], [1, 7, 2, 0]], attention_mask: [[1, 1, 1, 1], [1, 1, 1, 0]] };

describe("head lifetimes (cpu)", () => {
  for (const op of ["linear", "disentangledAttention", "addLayerNorm"] as const) {
    for (const packed of [false, true]) {
      it(`a forward whose ${op} throws mid-layer leaks no tensor${packed ? " (packed)" : ""}`, async () => {
        const f = withInjectedFailure(createCpuBackend(), op);
        const model = await DebertaV2ForQuestionAnswering.fromPretrained(headDir("DebertaV2ForQuestionAnswering"), { backend: f.backend, warn: () => {} });
        const ok = await model.forward(inputs, { packed });
        ok.start_logits.dispose();
        ok.end_logits.dispose();
        const perForward = f.calls;
        expect(perForward).toBeGreaterThanOrEqual(2);
        const before = liveTensorCount();
        f.failAt(Math.ceil(perForward / 2));
        await expect(model.forward(inputs, { packed, output_hidden_states: true, output_attentions: true })).rejects.toThrow(/injected failure/);
        expect(liveTensorCount()).toBe(before);
        f.reset();
        const again = await model.forward(inputs, { packed });
        expect(liveTensorCount()).toBe(before + 2);
        again.start_logits.dispose();
        again.end_logits.dispose();
        model.dispose();
      });
    }
  }

  it("a disposed model and a disposed pipeline throw DISPOSED", async () => {
    const backend = createCpuBackend();
    const model = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { backend, warn: () => {} });
    const clf = await pipeline("text-classification", model, { tokenizer, warn: () => {} });
    (await model.forward(inputs)).logits.dispose(); // builds the weight-derived caches (kept with the weights)
    const before = liveTensorCount();
    (await model.forward(inputs)).logits.dispose();
    expect(liveTensorCount()).toBe(before);
    clf.dispose();
    expect(model.isDisposed).toBe(true);
    await expect(model.forward(inputs)).rejects.toMatchObject({ code: "DISPOSED", message: expect.stringMatching(/DebertaV2ForSequenceClassification was used after dispose/) });
    await expect(clf("some text")).rejects.toMatchObject({ code: "DISPOSED", message: 'pipeline("text-classification") was used after dispose()' });
    // the backbone shares the head's weights: it refuses too
    await expect(model.deberta.forward(inputs)).rejects.toMatchObject({ code: "DISPOSED" });
  });
});
