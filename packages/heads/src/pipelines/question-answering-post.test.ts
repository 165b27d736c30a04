// Expected values: HF's `decode_spans` / `select_starts_ends` / `postprocess` (transformers 4.5x
// question_answering.py) run in numpy on the same hand-made logits and tokens.
import { describe, expect, it } from "vitest";
import { type QaChunk, type QaToken, decodeSpans, postprocessQuestionAnswering, selectStartsEnds } from "./question-answering-post.js";

const T = (seq: number | null, word: number | null, offset: [number, number]): QaToken => ({ sequenceId: seq, wordId: word, offset });
// [CLS] ▁Where ▁is ▁it [SEP] | ▁The ▁cat ▁sat ▁on ▁the ▁ma t . [SEP]
const question = [T(null, null, [0, 0]), T(0, 0, [0, 5]), T(0, 1, [5, 8]), T(0, 2, [8, 11]), T(null, null, [0, 0])];
const context = "The cat sat on the mat.";
const ctxTokens = [
  T(1, 0, [0, 3]),
  T(1, 1, [3, 7]),
  T(1, 2, [7, 11]),
  T(1, 3, [11, 14]),
  T(1, 4, [14, 18]),
  T(1, 5, [18, 21]),
  T(1, 5, [21, 22]),
  T(1, 5, [22, 23]),
  T(null, null, [0, 0]),
];
const tokens = [...question, ...ctxTokens];
const start = [2, 0, 5, 0, 0, 1.2, 0.5, 0, 0, 2, 3, 0.8, 0, 0];
const end = [1, 0, 0, 6, 0, 0, 1, 0, 0, 0, 0.5, 4, 2.3, 0];
const chunk: QaChunk = { startLogits: start, endLogits: end, tokens, clsIndexes: [0] };

const close = (actual: unknown, expected: unknown) => {
  const a = JSON.parse(JSON.stringify(actual));
  const walk = (x: any, y: any) => {
    if (typeof y === "number") expect(x).toBeCloseTo(y, 6);
    else if (Array.isArray(y)) {
      expect(x).toHaveLength(y.length);
      y.forEach((v, i) => walk(x[i], v));
    } else if (y && typeof y === "object") {
      expect(Object.keys(x).sort()).toEqual(Object.keys(y).sort());
      for (const k of Object.keys(y)) walk(x[k], y[k]);
    } else expect(x).toEqual(y);
  };
  walk(a, expected);
};

describe("select_starts_ends / decode_spans", () => {
  it("masks question and special tokens, keeps max_answer_len, ranks start×end", () => {
    const pMask = tokens.map((t) => (t.sequenceId !== 1 ? 1 : 0));
    const r = selectStartsEnds(start, end, pMask, undefined, { topK: 5, handleImpossibleAnswer: true, maxAnswerLen: 3 });
    close(
      r.spans.map((s) => [s.start, s.end, s.score]),
      [
        [10, 11, 0.39913132786750793],
        [9, 11, 0.14683221280574799],
        [10, 12, 0.07291471213102341],
        [11, 11, 0.04422501474618912],
        [10, 10, 0.01205272227525711],
      ],
    );
    expect(r.minNullScore).toBe(0); // [CLS] masked here: its probability underflows to 0
  });

  it("decode_spans drops spans that start or end on a disallowed token after the top-k cut", () => {
    const s = [0.1, 0.6, 0.3];
    const e = [0.2, 0.2, 0.6];
    // candidates: (1,2)=.36 (2,2)=.18 (1,1)=.12 (0,2)=.06 …; top 3 then filter token 2 out
    const spans = decodeSpans(s, e, 3, 15, [1, 1, 0]);
    expect(spans.map((x) => [x.start, x.end])).toEqual([[1, 1]]);
    expect(spans[0].score).toBeCloseTo(0.12, 12);
    // max_answer_len 1: only s == e
    expect(decodeSpans(s, e, 2, 1, [1, 1, 1]).map((x) => [x.start, x.end])).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });
});

describe("question-answering postprocess", () => {
  it("top_k with word alignment (answers keep the ▁-space of their first word, as HF's offsets do)", () => {
    close(postprocessQuestionAnswering(context, [chunk], { top_k: 3 }), [
      { score: 0.432326533831656, start: 18, end: 23, answer: " mat." },
      { score: 0.1435357870068401, start: 14, end: 23, answer: " the mat." },
      { score: 0.06288905255496502, start: 0, end: 23, answer: "The cat sat on the mat." },
    ]);
  });

  it("top_k without word alignment", () => {
    close(postprocessQuestionAnswering(context, [chunk], { top_k: 3, align_to_words: false }), [
      { score: 0.321689248085022, start: 18, end: 22, answer: " mat" },
      { score: 0.11834285408258438, start: 14, end: 22, answer: " the mat" },
      { score: 0.058767322450876236, start: 18, end: 23, answer: " mat." },
    ]);
  });

  it("max_answer_len 1 returns a single answer object", () => {
    close(postprocessQuestionAnswering(context, [chunk], { max_answer_len: 1, align_to_words: false }), {
      score: 0.03564418479800224,
      start: 21,
      end: 22,
      answer: "t",
    });
  });

  it("handle_impossible_answer adds the null answer, which wins when [CLS] dominates", () => {
    close(postprocessQuestionAnswering(context, [chunk], { top_k: 2, handle_impossible_answer: true }), [
      { score: 0.432326533831656, start: 18, end: 23, answer: " mat." },
      { score: 0.1435357870068401, start: 14, end: 23, answer: " the mat." },
    ]);
    const s2 = [...start];
    const e2 = [...end];
    s2[0] = 8;
    e2[0] = 8;
    close(
      postprocessQuestionAnswering(context, [{ ...chunk, startLogits: s2, endLogits: e2 }], { top_k: 2, handle_impossible_answer: true }),
      [
        { score: 0.9639350771903992, start: 0, end: 0, answer: "" },
        { score: 0.0001598721428308636, start: 18, end: 23, answer: " mat." },
      ],
    );
  });

  it("doc_stride windows: spans of both windows compete, equal answers merge their scores", () => {
    const ctx2 = "red fox and red fox ran";
    const words: Array<[number, number]> = [
      [0, 3],
      [3, 7],
      [7, 11],
      [11, 15],
      [15, 19],
      [19, 23],
    ];
    const window = (ws: number[]) => [...question, ...ws.map((w) => T(1, w, words[w])), T(null, null, [0, 0])];
    const A: QaChunk = { tokens: window([0, 1, 2, 3]), startLogits: [0, 0, 0, 0, 0, 3, 0, 0, 2.5, 0], endLogits: [0, 0, 0, 0, 0, 0, 3, 0, 0, 1], clsIndexes: [0] };
    const B: QaChunk = { tokens: window([2, 3, 4, 5]), startLogits: [0, 0, 0, 0, 0, 0, 2, 0, 0, 0], endLogits: [0, 0, 0, 0, 0, 0, 0, 2, 0, 0], clsIndexes: [0] };
    close(postprocessQuestionAnswering(ctx2, [A, B], { top_k: 3 }), [
      { score: 0.4749297797679901, start: 0, end: 7, answer: "red fox" },
      { score: 0.42092275619506836, start: 11, end: 19, answer: " red fox" },
      { score: 0.08061105757951736, start: 3, end: 7, answer: " fox" },
    ]);
    close(postprocessQuestionAnswering(ctx2, [A, B], { top_k: 2, max_answer_len: 1 }), [
      { score: 0.08061105757951736, start: 3, end: 7, answer: " fox" },
      { score: 0.07130733411759138, start: 11, end: 15, answer: " red" },
    ]);
  });
});
