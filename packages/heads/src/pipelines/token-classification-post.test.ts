// Expected values: HF's own pipeline tests (tests/pipelines/test_pipelines_token_classification.py:
// test_aggregation_strategy, _example2, _no_b_i_prefix, test_word_heuristic_leading_space; scores there are rounded
// to 3 decimals) and HF's algorithm worked by hand on DeBERTa-style tokens.
import { describe, expect, it } from "vitest";
import {
  type PreEntity,
  type TokenInfo,
  aggregate,
  aggregateOverlappingEntities,
  gatherPreEntities,
  postprocessTokenClassification,
} from "./token-classification-post.js";

const wordPiece = (tokens: string[]) => tokens.join(" ").replace(/ ##/g, "").trim();
const metaspace = (tokens: string[]) => tokens.join("").replace(/▁/g, " ").replace(/^ /, "");
const conll = { 0: "O", 1: "B-MISC", 2: "I-MISC", 3: "B-PER", 4: "I-PER", 5: "B-ORG", 6: "I-ORG", 7: "B-LOC", 8: "I-LOC" };

const simplify = (x: unknown) =>
  JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v)));

const enzo = (): PreEntity[] => [
  { scores: [0, 0, 0, 0, 0.9968166351318359, 0, 0, 0], index: 1, is_subword: false, word: "En", start: 0, end: 2 },
  { scores: [0, 0, 0, 0, 0.9957635998725891, 0, 0, 0], index: 2, is_subword: true, word: "##zo", start: 2, end: 4 },
  { scores: [0, 0, 0, 0, 0, 0.9986497163772583, 0, 0], index: 7, is_subword: false, word: "UN", start: 11, end: 13 },
];

describe("aggregation strategies (HF test_aggregation_strategy)", () => {
  const o = { id2label: conll, tokensToString: wordPiece };
  it("none", () => {
    expect(simplify(aggregate(enzo(), "none", o))).toEqual([
      { end: 2, entity: "I-PER", score: 0.997, start: 0, word: "En", index: 1 },
      { end: 4, entity: "I-PER", score: 0.996, start: 2, word: "##zo", index: 2 },
      { end: 13, entity: "B-ORG", score: 0.999, start: 11, word: "UN", index: 7 },
    ]);
  });
  const grouped = (score: number) => [
    { entity_group: "PER", score, word: "Enzo", start: 0, end: 4 },
    { entity_group: "ORG", score: 0.999, word: "UN", start: 11, end: 13 },
  ];
  it("simple", () => expect(simplify(aggregate(enzo(), "simple", o))).toEqual(grouped(0.996)));
  it("first", () => expect(simplify(aggregate(enzo(), "first", o))).toEqual(grouped(0.997)));
  it("max", () => expect(simplify(aggregate(enzo(), "max", o))).toEqual(grouped(0.997)));
  it("average", () => expect(simplify(aggregate(enzo(), "average", o))).toEqual(grouped(0.996)));
});

describe("aggregation strategies (HF test_aggregation_strategy_example2)", () => {
  const ex = (): PreEntity[] => [
    { scores: [0, 0.55, 0, 0.45, 0, 0, 0, 0, 0, 0], is_subword: false, index: 1, word: "Ra", start: 0, end: 2 },
    { scores: [0, 0, 0, 0.2, 0, 0, 0, 0.8, 0, 0], is_subword: true, word: "##ma", start: 2, end: 4, index: 2 },
    { scores: [0, 0, 0, 0.4, 0, 0, 0.6, 0, 0, 0], is_subword: true, word: "##zotti", start: 11, end: 13, index: 3 },
  ];
  const o = { id2label: conll, tokensToString: wordPiece };
  it("none", () => {
    expect(aggregate(ex(), "none", o)).toEqual([
      { end: 2, entity: "B-MISC", score: 0.55, start: 0, word: "Ra", index: 1 },
      { end: 4, entity: "B-LOC", score: 0.8, start: 2, word: "##ma", index: 2 },
      { end: 13, entity: "I-ORG", score: 0.6, start: 11, word: "##zotti", index: 3 },
    ]);
  });
  it("first / max / average disagree as in HF", () => {
    expect(aggregate(ex(), "first", o)).toEqual([{ entity_group: "MISC", score: 0.55, word: "Ramazotti", start: 0, end: 13 }]);
    expect(aggregate(ex(), "max", o)).toEqual([{ entity_group: "LOC", score: 0.8, word: "Ramazotti", start: 0, end: 13 }]);
    expect(simplify(aggregate(ex(), "average", o))).toEqual([{ entity_group: "PER", score: 0.35, word: "Ramazotti", start: 0, end: 13 }]);
  });
});

describe("labels without B-/I- prefixes (HF test_aggregation_strategy_no_b_i_prefix)", () => {
  const o = { id2label: { 0: "O", 1: "MISC", 2: "PER", 3: "ORG", 4: "LOC" }, tokensToString: wordPiece };
  const ex = (): PreEntity[] => [
    { scores: [0, 0, 0, 0, 0.9968166351318359], index: 1, is_subword: false, word: "En", start: 0, end: 2 },
    { scores: [0, 0, 0, 0, 0.9957635998725891], index: 2, is_subword: true, word: "##zo", start: 2, end: 4 },
    { scores: [0, 0, 0, 0.9986497163772583, 0], index: 7, word: "UN", is_subword: false, start: 11, end: 13 },
  ];
  it("none and simple", () => {
    expect(simplify(aggregate(ex(), "none", o))).toEqual([
      { end: 2, entity: "LOC", score: 0.997, start: 0, word: "En", index: 1 },
      { end: 4, entity: "LOC", score: 0.996, start: 2, word: "##zo", index: 2 },
      { end: 13, entity: "ORG", score: 0.999, start: 11, word: "UN", index: 7 },
    ]);
    expect(simplify(aggregate(ex(), "simple", o))).toEqual([
      { entity_group: "LOC", score: 0.996, word: "Enzo", start: 0, end: 4 },
      { entity_group: "ORG", score: 0.999, word: "UN", start: 11, end: 13 },
    ]);
  });
});

describe("gather_pre_entities on DeBERTa-v2 tokens", () => {
  it("word heuristic with ▁-offsets covering the space (HF test_word_heuristic_leading_space)", () => {
    const sentence = "I play the theremin";
    const tok = (token: string, offset: [number, number], special = false): TokenInfo => ({ id: 10, token, offset, special });
    const tokens = [tok("[CLS]", [0, 0], true), tok("▁I", [0, 1]), tok("▁play", [1, 6]), tok("▁the", [6, 10]), tok("▁there", [10, 16]), tok("min", [16, 19]), tok("[SEP]", [0, 0], true)];
    const pre = gatherPreEntities(sentence, tokens, tokens.map(() => [1, 0]));
    expect(pre.map((e) => [e.word, e.is_subword])).toEqual([
      ["▁I", false],
      ["▁play", false],
      ["▁the", false],
      ["▁there", false],
      ["min", true],
    ]);
  });

  it("an unknown token takes its text from the sentence and starts a word", () => {
    const tokens: TokenInfo[] = [
      { id: 1, token: "[CLS]", offset: [0, 0], special: true },
      { id: 5, token: "▁a", offset: [0, 1], special: false },
      { id: 3, token: "[UNK]", offset: [1, 3], special: false },
    ];
    const pre = gatherPreEntities("a🦾", tokens, [[1], [1], [1]], 3);
    expect(pre.map((e) => [e.word, e.is_subword, e.start, e.end])).toEqual([
      ["▁a", false, 0, 1],
      ["🦾", false, 1, 3],
    ]);
  });
});

describe("postprocess from logits", () => {
  // "Enzo works at UN": [CLS] ▁En zo ▁works ▁at ▁UN [SEP]
  const sentence = "Enzo works at UN";
  const id2label = { 0: "O", 1: "B-PER", 2: "I-PER", 3: "B-ORG", 4: "I-ORG" };
  const T = (token: string, offset: [number, number], special = false): TokenInfo => ({ id: 7, token, offset, special });
  const tokens = [T("[CLS]", [0, 0], true), T("▁En", [0, 2]), T("zo", [2, 4]), T("▁works", [4, 10]), T("▁at", [10, 13]), T("▁UN", [13, 16]), T("[SEP]", [0, 0], true)];
  const logits = [
    [9, 0, 0, 0, 0],
    [0, 4, 0, 0, 0],
    [0, 0, 0, 0, 3],
    [5, 0, 0, 0, 0],
    [5, 0, 0, 0, 0],
    [0, 0, 0, 4, 0],
    [9, 0, 0, 0, 0],
  ];
  const p4 = Math.exp(4) / (Math.exp(4) + 4); // 0.93174
  const p3 = Math.exp(3) / (Math.exp(3) + 4); // 0.83393
  const o = { id2label, tokensToString: metaspace };
  const run = (aggregation_strategy: any, extra: object = {}) =>
    postprocessTokenClassification(sentence, [{ tokens, logits }], { ...o, aggregation_strategy, ...extra });

  it("none: per token, special tokens and O left out", () => {
    const r = run("none") as any[];
    expect(r.map((e) => [e.entity, e.index, e.word, e.start, e.end])).toEqual([
      ["B-PER", 1, "▁En", 0, 2],
      ["I-ORG", 2, "zo", 2, 4],
      ["B-ORG", 5, "▁UN", 13, 16],
    ]);
    expect(r[0].score).toBeCloseTo(p4, 12);
    expect(r[1].score).toBeCloseTo(p3, 12);
  });

  it("simple: the I-ORG sub-token is its own group", () => {
    const r = run("simple") as any[];
    expect(r.map((e) => [e.entity_group, e.word, e.start, e.end])).toEqual([
      ["PER", "En", 0, 2],
      ["ORG", "zo", 2, 4],
      ["ORG", "UN", 13, 16],
    ]);
  });

  it("first / max / average make Enzo one PER word", () => {
    for (const s of ["first", "max"]) {
      const r = run(s) as any[];
      expect(r.map((e) => [e.entity_group, e.word, e.start, e.end])).toEqual([
        ["PER", "Enzo", 0, 4],
        ["ORG", "UN", 13, 16],
      ]);
      expect(r[0].score).toBeCloseTo(p4, 12);
    }
    const avg = run("average") as any[];
    expect(avg[0].entity_group).toBe("PER");
    expect(avg[0].score).toBeCloseTo((p4 + 1 / (Math.exp(3) + 4)) / 2, 12); // 0.48663
  });

  it("ignore_labels: [] keeps the O group", () => {
    // HF joins already-decoded words with convert_tokens_to_string again: for a Metaspace (SentencePiece) tokenizer
    // the space between words is lost ("worksat"); "simple" keeps the ▁ tokens and so the space.
    expect((run("simple", { ignore_labels: [] }) as any[])[2].word).toBe("works at");
    const r = run("first", { ignore_labels: [] }) as any[];
    expect(r.map((e) => [e.entity_group, e.word, e.start, e.end])).toEqual([
      ["PER", "Enzo", 0, 4],
      ["O", "worksat", 4, 13],
      ["ORG", "UN", 13, 16],
    ]);
    expect(r[1].score).toBeCloseTo(Math.exp(5) / (Math.exp(5) + 4), 12);
  });
});

describe("aggregate_overlapping_entities (stride chunks)", () => {
  it("keeps the longer entity, then the higher score", () => {
    const e = (start: number, end: number, score: number, w: string) => ({ entity_group: "X", word: w, start, end, score });
    expect(
      aggregateOverlappingEntities([e(10, 14, 0.9, "b"), e(0, 4, 0.5, "a"), e(10, 18, 0.6, "b2"), e(0, 4, 0.7, "a2"), e(20, 22, 0.1, "c")]).map((x) => x.word),
    ).toEqual(["a2", "b2", "c"]);
  });
});
