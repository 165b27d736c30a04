// One end-to-end run per task on synthetic models (random weights, real tokenizer): the pipeline's wiring
// (tokenizer → batches → model → post-processing) is checked against the model called directly.
import { directoryFiles } from "@deberta-js/core/node";
import { loadFastTokenizer } from "@deberta-js/tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DebertaV2ForMultipleChoice,
  DebertaV2ForSequenceClassification,
  asPipelineTokenizer,
  pipeline,
  softmax,
} from "../src/index.js";
import { testBackend } from "./backend.js";
import { syntheticModel } from "./synthetic.js";

const quiet = { warn: () => {} };
const dirs: Record<string, string> = {};
beforeAll(async () => {
  for (const cls of [
    "DebertaV2ForMaskedLM",
    "DebertaV2ForSequenceClassification",
    "DebertaV2ForTokenClassification",
    "DebertaV2ForQuestionAnswering",
    "DebertaV2ForMultipleChoice",
  ]) {
    dirs[cls] = await syntheticModel(cls);
  }
});

describe("fill-mask", () => {
  it("top_k predictions for the mask, with the HF result fields", async () => {
    const backend = await testBackend();
    const fill = await pipeline("fill-mask", dirs.DebertaV2ForMaskedLM, { backend, ...quiet });
    const text = "Paris is the [MASK] of France.";
    const out = (await fill(text, { top_k: 3 })) as Array<{ score: number; token: number; token_str: string; sequence: string }>;
    expect(out).toHaveLength(3);
    expect(out[0].score).toBeGreaterThanOrEqual(out[1].score);
    // The scores are the softmax of the model's logits at the mask.
    const enc = fill.tokenizer.encode(text)[0];
    const pos = enc.ids.indexOf(fill.tokenizer.maskTokenId!);
    const { logits } = await fill.model.forward({ input_ids: [enc.ids] });
    const V = logits.shape[2];
    const row = (await logits.data()).subarray(pos * V, (pos + 1) * V);
    const probs = softmax(row);
    for (const r of out) expect(r.score).toBeCloseTo(probs[r.token], 6);
    expect(out[0].token_str).toBe(fill.tokenizer.decode([out[0].token]));
    expect(out[0].sequence).not.toContain("[CLS]");
    // targets restrict the candidates; a list of inputs gives one list per input
    const targeted = (await fill(text, { targets: ["▁capital", "▁city"] })) as Array<{ token: number }>;
    expect(targeted).toHaveLength(2);
    const two = (await fill([text, "The [MASK] sat on the [MASK]."], { top_k: 2 })) as unknown[][];
    expect(two).toHaveLength(2);
    expect((two[1] as unknown[][])[0]).toHaveLength(2); // two masks: a list per mask
    await expect(fill("no mask here")).rejects.toThrow(/no mask_token/);
    fill.dispose();
  });

  it("warns when the checkpoint has no trained MLM head", async () => {
    const backend = await testBackend();
    const warnings: string[] = [];
    const fill = await pipeline("fill-mask", dirs.DebertaV2ForSequenceClassification, { backend, warn: (m) => warnings.push(m) });
    expect(warnings.some((w) => /no trained MLM head/.test(w))).toBe(true);
    fill.dispose();
  });
});

describe("text-classification", () => {
  it("HF's result shapes, pairs, and batching that does not change the numbers", async () => {
    const backend = await testBackend();
    const clf = await pipeline("text-classification", dirs.DebertaV2ForSequenceClassification, { backend, ...quiet });
    const single = (await clf("A man is eating food.")) as Array<{ label: string; score: number }>;
    expect(single).toHaveLength(1);
    expect(["entailment", "neutral", "contradiction"]).toContain(single[0].label);
    const all = (await clf("A man is eating food.", { top_k: null })) as Array<{ label: string; score: number }>;
    expect(all).toHaveLength(3);
    expect(all.reduce((s, x) => s + x.score, 0)).toBeCloseTo(1, 6);
    expect(all[0]).toEqual(single[0]);
    const pair = (await clf({ text: "A man is eating.", text_pair: "Someone eats." })) as { label: string; score: number };
    expect(typeof pair.score).toBe("number");
    const texts = ["short", "a somewhat longer sentence here", "mid length text", "x", "the longest sentence of this small batch, by far"];
    const batched = (await clf(texts, { top_k: null, batchSize: 2 })) as Array<Array<{ label: string; score: number }>>;
    for (let i = 0; i < texts.length; i++) {
      const alone = (await clf(texts[i], { top_k: null, batchSize: 1 })) as Array<{ label: string; score: number }>;
      alone.forEach((x, k) => {
        expect(batched[i][k].label).toBe(x.label);
        expect(batched[i][k].score).toBeCloseTo(x.score, 5);
      });
    }
    const packed = (await clf(texts, { top_k: null, packed: true })) as Array<Array<{ score: number }>>;
    packed.forEach((p, i) => p.forEach((x, k) => expect(x.score).toBeCloseTo(batched[i][k].score, 5)));
    clf.dispose();
  });
});

describe("zero-shot-classification", () => {
  it("every (text, label) pair in one batched run; scores as HF's entailment softmax", async () => {
    const backend = await testBackend();
    const zs = await pipeline("zero-shot-classification", dirs.DebertaV2ForSequenceClassification, { backend, ...quiet });
    const labels = ["sports", "politics", "cooking"];
    const r = await zs("The match ended in a draw.", { candidate_labels: labels });
    expect([...r.labels].sort()).toEqual([...labels].sort());
    expect(r.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Against the model called directly on the NLI pairs (entailment is class 0 here).
    const model = zs.model as DebertaV2ForSequenceClassification;
    const ent: number[] = [];
    for (const l of labels) {
      const enc = zs.tokenizer.encode("The match ended in a draw.", { pair: `This example is ${l}.` })[0];
      ent.push((await (await model.forward({ input_ids: [enc.ids] })).logits.data())[0]);
    }
    const expected = softmax(ent);
    r.labels.forEach((l, i) => expect(r.scores[i]).toBeCloseTo(expected[labels.indexOf(l)], 5));
    // All pairs of a sequence go through one forward pass, even with many labels.
    let calls = 0;
    const forwardHost = model.forwardHost.bind(model);
    model.forwardHost = (...args) => (calls++, forwardHost(...args));
    const many = Array.from({ length: 12 }, (_, i) => `label ${i}`);
    expect((await zs("one sequence", { candidate_labels: many })).labels).toHaveLength(12);
    expect(calls).toBe(1);
    model.forwardHost = forwardHost;
    const multi = await zs(["a", "b"], { candidate_labels: "x, y", multi_label: true });
    expect(multi).toHaveLength(2);
    await expect(zs("t", { candidate_labels: [] })).rejects.toThrow(/at least one label/);
    await expect(zs("t", { candidate_labels: ["a"], hypothesis_template: "no slot" })).rejects.toThrow(/hypothesis_template/);
    zs.dispose();
  });
});

describe("token-classification", () => {
  it("entities carry character offsets into the input; aggregation groups them", async () => {
    const backend = await testBackend();
    const ner = await pipeline("token-classification", dirs.DebertaV2ForTokenClassification, { backend, ignore_labels: [], ...quiet });
    const text = "Angela Merkel visited Paris in 2015 😀.";
    const tokens = (await ner(text)) as Array<{ entity: string; word: string; start: number; end: number; index: number }>;
    expect(tokens.length).toBeGreaterThan(5);
    for (const t of tokens) {
      expect(text.slice(t.start, t.end).length).toBe(t.end - t.start);
      if (t.word !== "[UNK]") expect(t.word.replace(/▁/g, " ").trimStart()).toBe(text.slice(t.start, t.end).trimStart());
    }
    for (const s of ["simple", "first", "average", "max"] as const) {
      const groups = (await ner(text, { aggregation_strategy: s })) as Array<{ entity_group: string; start: number; end: number }>;
      expect(groups.length).toBeGreaterThan(0);
      for (let i = 1; i < groups.length; i++) expect(groups[i].start).toBeGreaterThanOrEqual(groups[i - 1].end);
    }
    await expect(ner(text, { stride: 2 })).rejects.toThrow(/stride/);
    ner.dispose();
  });

  it("stride splits long texts into windows (tokenizer with a short model_max_length)", async () => {
    const backend = await testBackend();
    const tokenizer = asPipelineTokenizer(await loadFastTokenizer(directoryFiles(dirs.DebertaV2ForTokenClassification), { modelMaxLength: 12 }));
    const ner = await pipeline("ner", dirs.DebertaV2ForTokenClassification, { backend, tokenizer, ignore_labels: [], ...quiet });
    const text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen";
    expect(tokenizer.encode(text, { truncation: true, stride: 3, returnOverflowing: true }).length).toBeGreaterThan(1);
    const groups = (await ner(text, { aggregation_strategy: "first", stride: 3 })) as Array<{ start: number; end: number }>;
    expect(groups.length).toBeGreaterThan(0);
    expect(groups[groups.length - 1].end).toBe(text.length); // the last window reaches the end of the text
    for (let i = 1; i < groups.length; i++) expect(groups[i].start).toBeGreaterThanOrEqual(groups[i - 1].end);
    ner.dispose();
  });
});

describe("question-answering", () => {
  it("answers are context slices; doc_stride windows of a long context", async () => {
    const backend = await testBackend();
    const qa = await pipeline("question-answering", dirs.DebertaV2ForQuestionAnswering, { backend, ...quiet });
    const context = "The cat sat on the mat. It was a sunny day in Paris, and the cat was happy.";
    const a = (await qa({ question: "Where did the cat sit?", context })) as { score: number; start: number; end: number; answer: string };
    expect(a.answer).toBe(context.slice(a.start, a.end));
    expect(a.score).toBeGreaterThan(0);
    const top = (await qa("Where did the cat sit?", context, { top_k: 3 })) as Array<{ score: number; answer: string }>;
    expect(top).toHaveLength(3);
    expect(top[0].score).toBeGreaterThanOrEqual(top[1].score);
    const windows = (await qa({ question: "Where?", context }, { max_seq_len: 16, doc_stride: 4, top_k: 2, max_answer_len: 3 })) as Array<{
      answer: string;
      start: number;
      end: number;
    }>;
    for (const w of windows) expect(w.answer).toBe(context.slice(w.start, w.end));
    // The windows cover the whole context, however long.
    const rows = qa.tokenizer.encode("Where?", { pair: context, truncation: "only_second", maxLength: 16, stride: 4, returnOverflowing: true });
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) expect(r.ids.length).toBeLessThanOrEqual(16);
    const lastRow = rows[rows.length - 1];
    const lastCtx = lastRow.sequenceIds.lastIndexOf(1);
    expect(lastRow.offsets[lastCtx][1]).toBe(context.length);
    const withNull = (await qa({ question: "Where?", context }, { handle_impossible_answer: true, top_k: 30 })) as Array<{ answer: string }>;
    expect(withNull.some((x) => x.answer === "")).toBe(true);
    const many = (await qa([{ question: "Where?", context }, { question: "When?", context }])) as unknown[];
    expect(many).toHaveLength(2);
    await expect(qa({ question: "", context })).rejects.toThrow(/question/);
    qa.dispose();
  });
});

describe("multiple-choice", () => {
  it("scores per choice; logits equal the [batch, choices, seq] model call", async () => {
    const backend = await testBackend();
    const mc = await pipeline("multiple-choice", dirs.DebertaV2ForMultipleChoice, { backend, ...quiet });
    const input = { prompt: "The animal that purrs is", choices: ["a dog", "a very small cat", "a fish"] };
    const r = await mc(input);
    expect(r.choices).toEqual(input.choices);
    expect(r.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const rows = input.choices.map((c) => mc.tokenizer.encode(input.prompt, { pair: c })[0].ids);
    const L = Math.max(...rows.map((x) => x.length));
    const ids = rows.map((x) => [...x, ...Array(L - x.length).fill(0)]);
    const mask = rows.map((x) => [...x.map(() => 1), ...Array(L - x.length).fill(0)]);
    const direct = await (mc.model as DebertaV2ForMultipleChoice).forward({ input_ids: [ids], attention_mask: [mask] });
    const d = await direct.logits.data();
    r.logits.forEach((l, i) => expect(l).toBeCloseTo(d[i], 5));
    const two = await mc([input, { prompt: "x", choices: ["y", "z"] }]);
    expect(two[1].scores).toHaveLength(2);
    mc.dispose();
  });
});
