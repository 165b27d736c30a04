// Expected values: HF's text_classification / zero_shot_classification / fill_mask post-processing transcribed to
// numpy and run on the same hand-made logits (float32 there, hence toBeCloseTo(…, 6)).
import { describe, expect, it } from "vitest";
import {
  applyFunction,
  classificationResult,
  defaultFunctionToApply,
  entailmentId,
  fillMaskTopK,
  formatTemplate,
  parseCandidateLabels,
  zeroShotResult,
} from "./classification-post.js";

const closeArr = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));
};

describe("text-classification", () => {
  it("function_to_apply defaults follow problem_type and num_labels", () => {
    expect(defaultFunctionToApply({ problem_type: "regression", num_labels: 1 })).toBe("none");
    expect(defaultFunctionToApply({ problem_type: null, num_labels: 1 })).toBe("sigmoid");
    expect(defaultFunctionToApply({ problem_type: "multi_label_classification", num_labels: 5 })).toBe("sigmoid");
    expect(defaultFunctionToApply({ problem_type: "single_label_classification", num_labels: 1 })).toBe("sigmoid");
    expect(defaultFunctionToApply({ problem_type: null, num_labels: 3 })).toBe("softmax");
  });

  it("softmax / sigmoid / none", () => {
    const lg = [1, 3, -0.5];
    closeArr(applyFunction(lg, "softmax"), [0.1161145269870758, 0.8579767942428589, 0.025908654555678368]);
    closeArr(applyFunction(lg, "sigmoid"), [0.7310585975646973, 0.9525741338729858, 0.3775406777858734]);
    expect(applyFunction(lg, "none")).toEqual(lg);
    expect(() => applyFunction(lg, "tanh" as never)).toThrow(/function_to_apply/);
  });

  it("result shapes: legacy best label, top_k sorted, top_k null = all", () => {
    const id2label = { 0: "entailment", 1: "neutral", 2: "contradiction" };
    const s = [0.2, 0.5, 0.3];
    expect(classificationResult(s, id2label, undefined)).toEqual({ label: "neutral", score: 0.5 });
    expect(classificationResult(s, id2label, 2)).toEqual([
      { label: "neutral", score: 0.5 },
      { label: "contradiction", score: 0.3 },
    ]);
    expect(classificationResult(s, id2label, null)).toHaveLength(3);
    expect(classificationResult(s, id2label, 1)).toEqual([{ label: "neutral", score: 0.5 }]);
  });
});

describe("zero-shot-classification", () => {
  const labels = ["sports", "politics", "cooking"];
  const logits = [
    [0.5, 0.1, 2.0],
    [1.5, 0.0, 1.0],
    [-1.0, 0.3, 2.5],
  ];
  it("entailment id from label2id (first name starting with 'entail', any case), else -1", () => {
    expect(entailmentId({ CONTRADICTION: 0, NEUTRAL: 1, ENTAILMENT: 2 })).toBe(2);
    expect(entailmentId({ entailment: 0, not_entailment: 1 })).toBe(0);
    expect(entailmentId({ LABEL_0: 0, LABEL_1: 1 })).toBe(-1);
  });

  it("single label: softmax of entailment logits across candidates", () => {
    const r = zeroShotResult("text", labels, logits, 2, false);
    expect(r.sequence).toBe("text");
    expect(r.labels).toEqual(["cooking", "sports", "politics"]);
    closeArr(r.scores, [0.546549379825592, 0.3314989507198334, 0.12195166200399399]);
    // entailment id −1 indexes the last class, as Python does
    closeArr(zeroShotResult("text", labels, logits, -1, false).scores, r.scores);
  });

  it("multi label: entailment vs contradiction per candidate", () => {
    const r = zeroShotResult("text", labels, logits, 2, true);
    expect(r.labels).toEqual(["cooking", "sports", "politics"]);
    closeArr(r.scores, [0.970687747001648, 0.8175745010375977, 0.3775406777858734]);
    const r0 = zeroShotResult("text", labels, logits, 0, true); // contradiction is then the last class
    expect(r0.labels).toEqual(["politics", "sports", "cooking"]);
    closeArr(r0.scores, [0.6224592924118042, 0.18242552876472473, 0.02931223064661026]);
  });

  it("a single candidate is scored like multi-label", () => {
    const r = zeroShotResult("text", ["sports"], [logits[0]], 2, false);
    closeArr(r.scores, [0.8175745010375977]);
  });

  it("ties: later candidate first (reversed argsort)", () => {
    expect(zeroShotResult("t", ["a", "b"], [[0, 0, 1], [0, 0, 1]], 2, false).labels).toEqual(["b", "a"]);
  });

  it("template and labels parsing", () => {
    expect(formatTemplate("This example is {}.", "sports")).toBe("This example is sports.");
    expect(formatTemplate("{0} or {{braces}}", "x")).toBe("x or {braces}");
    expect(parseCandidateLabels(" urgent, not urgent ,, phone")).toEqual(["urgent", "not urgent", "phone"]);
  });
});

describe("fill-mask", () => {
  const row = [0.1, 2.0, -1.0, 2.5, 0.0, 1.0];
  it("top_k over the whole vocabulary", () => {
    const r = fillMaskTopK(row, 3);
    expect(r.map((x) => x.token)).toEqual([3, 1, 5]);
    closeArr(
      r.map((x) => x.score),
      [0.4919658899307251, 0.2983924150466919, 0.10977242887020111],
    );
  });
  it("targets: probabilities stay normalized over the vocabulary; top_k capped by the number of targets", () => {
    const r = fillMaskTopK(row, 2, [4, 2, 5]);
    expect(r.map((x) => x.token)).toEqual([5, 4]);
    closeArr(
      r.map((x) => x.score),
      [0.10977242887020111, 0.04038302227854729],
    );
    expect(fillMaskTopK(row, 5, [4, 2])).toHaveLength(2);
  });
});
