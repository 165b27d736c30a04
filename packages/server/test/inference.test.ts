// HF Inference-style `POST /` for every pipeline task: `{inputs, parameters}` answered with the pipeline's own
// result, equal (numbers within fp32 tolerance: the server runs packed batches) to calling the pipeline directly.
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { pipeline } from "@deberta-js/heads";
import { describe, expect, it } from "vitest";
import { DebertaServer } from "../src/index.js";
import { testModel } from "./models.js";

const backend = createCpuBackend();

/** Same structure; numbers within |a − r| ≤ 1e-4 + 1e-4·|r|. */
function expectClose(a: unknown, r: unknown, path = "$"): void {
  if (typeof r === "number") {
    expect(typeof a, path).toBe("number");
    expect(Math.abs((a as number) - r) <= 1e-4 + 1e-4 * Math.abs(r), `${path}: ${a} vs ${r}`).toBe(true);
  } else if (Array.isArray(r)) {
    expect(Array.isArray(a), path).toBe(true);
    expect((a as unknown[]).length, path).toBe(r.length);
    r.forEach((x, i) => expectClose((a as unknown[])[i], x, `${path}[${i}]`));
  } else if (r && typeof r === "object") {
    expect(Object.keys(a as object).sort(), path).toEqual(Object.keys(r).sort());
    for (const [k, v] of Object.entries(r)) expectClose((a as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else expect(a, path).toEqual(r);
}

const CASES: Array<{ cls: string; task: string; inputs: unknown; parameters?: Record<string, unknown> }> = [
  { cls: "DebertaV2ForMaskedLM", task: "fill-mask", inputs: "Paris is the [MASK] of France.", parameters: { top_k: 3 } },
  { cls: "DebertaV2ForSequenceClassification", task: "text-classification", inputs: ["A man is eating.", "It rains."], parameters: { top_k: null } },
  {
    cls: "DebertaV2ForSequenceClassification",
    task: "zero-shot-classification",
    inputs: "The match ended in a draw after extra time.",
    parameters: { candidate_labels: ["sports", "politics", "cooking"], multi_label: true },
  },
  { cls: "DebertaV2ForTokenClassification", task: "token-classification", inputs: "Hugging Face is based in New York City.", parameters: { aggregation_strategy: "simple", ignore_labels: [] } },
  { cls: "DebertaV2ForQuestionAnswering", task: "question-answering", inputs: { question: "Where did the cat sit?", context: "The cat sat on the mat in the kitchen." }, parameters: { top_k: 2 } },
  { cls: "DebertaV2ForMultipleChoice", task: "multiple-choice", inputs: { prompt: "The animal that purrs is", choices: ["a dog", "a cat", "a fish"] } },
];

describe("POST / (HF Inference API style)", { timeout: 30_000 }, () => {
  for (const c of CASES) {
    it(`${c.task}`, async () => {
      const dir = await testModel(c.cls);
      const server = await DebertaServer.load(dir, { backend, task: c.task, warn: () => {}, log: () => {} });
      const { port } = await server.listen(0, "127.0.0.1");
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: c.inputs, parameters: c.parameters }) });
        const body = await r.json();
        expect(r.status, JSON.stringify(body)).toBe(200);
        const pipe = (await pipeline(c.task as never, dir, { backend, warn: () => {} })) as unknown as (i: unknown, o?: unknown) => Promise<unknown>;
        const ref = await pipe(c.inputs, c.parameters ?? {});
        expectClose(body, JSON.parse(JSON.stringify(ref)));
        (pipe as unknown as { dispose(): void }).dispose();
        // An unknown parameter is a 422 naming it, in TEI's error body.
        const bad = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify({ inputs: c.inputs, parameters: { top_kk: 1 } }) });
        expect(bad.status).toBe(422);
        const err = await bad.json();
        expect(err.error_type).toBe("Validation");
        expect(err.error).toMatch(/top_kk/);
        // The info route names the task.
        expect((await (await fetch(`http://127.0.0.1:${port}/info`)).json()).pipeline_tag).toBe(c.task);
      } finally {
        await server.drain();
      }
    });
  }

  it("bad inputs for the task are a 422 with the pipeline's message; /predict on a non-classifier is 424", async () => {
    const dir = await testModel("DebertaV2ForMaskedLM");
    const server = await DebertaServer.load(dir, { backend, warn: () => {}, log: () => {} });
    const { port } = await server.listen(0, "127.0.0.1");
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify({ inputs: "no mask here" }) });
      expect(r.status).toBe(422);
      expect((await r.json()).error).toMatch(/mask/);
      const p = await fetch(`http://127.0.0.1:${port}/predict`, { method: "POST", body: JSON.stringify({ inputs: "x" }) });
      expect(p.status).toBe(424);
      expect((await p.json()).error_type).toBe("Backend");
      const t = await fetch(`http://127.0.0.1:${port}/tokenize`, { method: "POST", body: JSON.stringify({ inputs: "still tokenizes" }) });
      expect(t.status).toBe(200);
    } finally {
      await server.drain();
    }
  });
});
