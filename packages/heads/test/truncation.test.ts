// `truncation` and `max_length` as call options (and pipeline defaults) of every text pipeline, with HF's
// semantics: max_length alone truncates (longest_first), truncation alone cuts at model_max_length, truncation:
// false keeps everything. Checked against the model run directly on the ids HF's truncation leaves; fill-mask with
// several masks gives one list per mask.
import { InputError, UnknownOptionError } from "@deberta-js/core";
import { beforeAll, describe, expect, it } from "vitest";
import { AutoTokenizer, DebertaV2ForSequenceClassification, type FillMaskResult, pipeline, softmax } from "../src/index.js";
import { testBackend } from "./backend.js";
import { syntheticModel } from "./synthetic.js";

const quiet = { warn: () => {} };
const LONG = "A soccer game with multiple males playing on a sunny afternoon in the park near the old river bridge.";
const dirs: Record<string, string> = {};

beforeAll(async () => {
  for (const cls of ["DebertaV2ForMaskedLM", "DebertaV2ForSequenceClassification", "DebertaV2ForTokenClassification", "DebertaV2ForMultipleChoice"]) {
    dirs[cls] = await syntheticModel(cls);
  }
});

describe("truncation / max_length", () => {
  it("text-classification: max_length truncates as HF (first max_length − 1 tokens + [SEP]), checked against the model", async () => {
    const backend = await testBackend();
    const dir = dirs.DebertaV2ForSequenceClassification;
    const clf = await pipeline("text-classification", dir, { backend, ...quiet });
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await DebertaV2ForSequenceClassification.fromPretrained(dir, { backend, ...quiet });
    const ids = tokenizer(LONG).input_ids;
    expect(ids.length).toBeGreaterThan(12);
    const cut = [...ids.slice(0, 7), ids.at(-1)!]; // HF longest_first on one text, max_length 8
    const { logits } = await model.forward({ input_ids: [cut] });
    const expected = softmax(Array.from(await logits.data()));
    logits.dispose();

    for (const options of [{ max_length: 8 }, { truncation: true, max_length: 8 }, { truncation: "longest_first" as const, max_length: 8 }]) {
      const got = await clf(LONG, { ...options, top_k: null });
      for (const { label, score } of got) expect(score).toBeCloseTo(expected[Number(model.config.label2id[label])], 6);
    }
    // As a pipeline default too.
    const clf8 = await pipeline("text-classification", dir, { backend, max_length: 8, ...quiet });
    const dflt = await clf8(LONG, { top_k: null });
    for (const { label, score } of dflt) expect(score).toBeCloseTo(expected[Number(model.config.label2id[label])], 6);
    // truncation: false keeps every token, whatever max_length says (HF).
    expect(await clf(LONG, { truncation: false, max_length: 8, top_k: null })).toEqual(await clf(LONG, { top_k: null }));
    model.dispose();
    clf.dispose();
    clf8.dispose();
  });

  it("fill-mask: max_length cuts the text (a mask past it is HF's 'no mask_token' error); several masks give one list per mask", async () => {
    const backend = await testBackend();
    const fill = await pipeline("fill-mask", dirs.DebertaV2ForMaskedLM, { backend, ...quiet });
    const text = `The [MASK] ${LONG}`;
    const full = await fill(text, { top_k: 2 });
    const cut = await fill(text, { top_k: 2, max_length: 6 });
    expect(cut).toHaveLength(2);
    expect(cut[0].sequence.length).toBeLessThan(full[0].sequence.length);
    await expect(fill(`${LONG} [MASK]`, { max_length: 6 })).rejects.toThrow(/no mask_token/);
    const two: FillMaskResult[][] = await fill("The [MASK] is the [MASK] of France.", { top_k: 3 });
    expect(two).toHaveLength(2);
    for (const list of two) expect(list).toHaveLength(3);
    fill.dispose();
  });

  it("zero-shot: max_length with HF's only_first (the hypothesis is never cut)", async () => {
    const backend = await testBackend();
    const zs = await pipeline("zero-shot-classification", dirs.DebertaV2ForSequenceClassification, { backend, ...quiet });
    const labels = ["sports", "politics"];
    const full = await zs(LONG, labels);
    const cut = await zs(LONG, labels, { max_length: 16, truncation: "only_first" });
    expect(cut.labels.sort()).toEqual(labels.sort());
    expect(cut.scores).not.toEqual(full.scores);
    // The same numbers as each (text, hypothesis) pair through text-classification with the same truncation:
    // raw logits (function_to_apply "none"), entailment of each label, softmax over the labels.
    const clf = await pipeline("text-classification", dirs.DebertaV2ForSequenceClassification, { backend, ...quiet });
    const entail = [];
    for (const l of labels) {
      const logits = await clf({ text: LONG, text_pair: `This example is ${l}.` }, { truncation: "only_first", max_length: 16, function_to_apply: "none", top_k: null });
      entail.push(logits.find((x) => x.label === "entailment")!.score);
    }
    const expected = softmax(entail);
    labels.forEach((l, i) => expect(cut.scores[cut.labels.indexOf(l)]).toBeCloseTo(expected[i], 6));
    clf.dispose();
    zs.dispose();
  });

  it("token-classification: max_length limits the tokens labelled; multiple-choice takes both options", async () => {
    const backend = await testBackend();
    const ner = await pipeline("token-classification", dirs.DebertaV2ForTokenClassification, { backend, ignore_labels: [], ...quiet });
    const all = await ner(LONG);
    const cut = await ner(LONG, { max_length: 6 });
    expect(cut).toHaveLength(4); // 6 − [CLS] − [SEP]
    // The same tokens as the first four of the full text (their scores differ: the model saw a shorter context).
    const where = (e: { index?: number; word: string; start: number | null; end: number | null }) => ({ index: e.index, word: e.word, start: e.start, end: e.end });
    expect(cut.map(where)).toEqual(all.slice(0, 4).map(where));
    await expect(ner(LONG, { aggregation_strategy: "simple", stride: 2, truncation: false })).rejects.toThrow(InputError);
    ner.dispose();

    const mc = await pipeline("multiple-choice", dirs.DebertaV2ForMultipleChoice, { backend, ...quiet });
    const r = await mc({ prompt: LONG, choices: ["It is fun.", "It is not."] }, { truncation: "only_first", max_length: 12 });
    expect(r.scores[0] + r.scores[1]).toBeCloseTo(1, 6);
    expect(r.scores).not.toEqual((await mc({ prompt: LONG, choices: ["It is fun.", "It is not."] })).scores);
    mc.dispose();
  });

  it("bad values are typed errors naming the option; misspellings name the right one", async () => {
    const backend = await testBackend();
    const clf = await pipeline("text-classification", dirs.DebertaV2ForSequenceClassification, { backend, ...quiet });
    await expect(clf(LONG, { max_length: 0 })).rejects.toThrow(/max_length must be a positive integer/);
    await expect(clf(LONG, { truncation: "sideways" as never })).rejects.toThrow(/truncation must be/);
    const err = await clf(LONG, { max_lenght: 8 } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect((err as Error).message).toContain("max_length");
    clf.dispose();
  });
});
