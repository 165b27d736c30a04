/**
 * Post-processing of the question-answering pipeline, following HF's `question_answering.py`: `select_starts_ends`
 * (mask tokens that cannot be part of an answer, softmax start and end, track the null score), `decode_spans`
 * (the top `start × end` products with `end - start < max_answer_len`), then per chunk (`doc_stride` windows) the
 * spans → character offsets (aligned to words), answers with the same text merged (scores summed), the null answer
 * when `handle_impossible_answer`, sorted, `top_k`.
 */
import { softmax } from "./math.js";

export interface Span {
  start: number;
  end: number;
  score: number;
}

/**
 * `candidates[s][e] = start[s]·end[e]` for `s ≤ e ≤ s + max_answer_len − 1` (0 elsewhere); the `topk` largest
 * (largest first, ties by position), then only spans whose start and end are both allowed.
 */
export function decodeSpans(start: ArrayLike<number>, end: ArrayLike<number>, topk: number, maxAnswerLen: number, allowed: ArrayLike<boolean | number>): Span[] {
  const n = start.length;
  const flat = new Float64Array(n * n);
  for (let s = 0; s < n; s++) {
    for (let e = s; e < Math.min(n, s + maxAnswerLen); e++) flat[s * n + e] = start[s] * end[e];
  }
  let order: number[];
  if (topk === 1) {
    let best = 0;
    for (let i = 1; i < flat.length; i++) if (flat[i] > flat[best]) best = i;
    order = [best];
  } else {
    order = Array.from({ length: flat.length }, (_, i) => i);
    order.sort((a, b) => flat[b] - flat[a] || a - b);
    order = order.slice(0, Math.min(topk, order.length));
  }
  const spans: Span[] = [];
  for (const i of order) {
    const s = Math.floor(i / n);
    const e = i % n;
    if (allowed[s] && allowed[e]) spans.push({ start: s, end: e, score: flat[i] });
  }
  return spans;
}

/**
 * `p_mask` 1 marks tokens that cannot be in an answer (question, special tokens except [CLS]); `attention_mask` 0
 * marks padding. Their logits become −10000 before the softmax. With `handleImpossibleAnswer`, the null score is
 * `min(minNullScore, p_start[0]·p_end[0])`; position 0 then scores 0.
 */
export function selectStartsEnds(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  pMask: ArrayLike<number>,
  attentionMask: ArrayLike<number> | undefined,
  options: { minNullScore?: number; topK?: number; handleImpossibleAnswer?: boolean; maxAnswerLen?: number } = {},
): { spans: Span[]; minNullScore: number } {
  const n = startLogits.length;
  const allowed = Array.from({ length: n }, (_, i) => (1 - pMask[i] !== 0 && (attentionMask ? attentionMask[i] !== 0 : true) ? 1 : 0));
  const masked = (x: ArrayLike<number>) => Array.from({ length: n }, (_, i) => (allowed[i] ? x[i] : -10000));
  const start = softmax(masked(startLogits));
  const end = softmax(masked(endLogits));
  let minNullScore = options.minNullScore ?? 1000000;
  if (options.handleImpossibleAnswer) minNullScore = Math.min(minNullScore, start[0] * end[0]);
  start[0] = 0;
  end[0] = 0;
  const spans = decodeSpans(start, end, options.topK ?? 1, options.maxAnswerLen ?? 15, allowed);
  return { spans, minNullScore };
}

/** A token of a question/context encoding. */
export interface QaToken {
  /** `[start, end)` in its own segment (the context for context tokens). */
  offset: readonly [number, number];
  /** Word index within its segment, null for special tokens. */
  wordId: number | null;
  /** 0 question, 1 context, null special/padding. */
  sequenceId: number | null;
}

/** One `doc_stride` window: logits and tokens of `[CLS] question [SEP] context-part [SEP]`. */
export interface QaChunk {
  startLogits: ArrayLike<number>;
  endLogits: ArrayLike<number>;
  tokens: readonly QaToken[];
  attentionMask?: ArrayLike<number>;
  /** Default: HF's — 1 for every token not in the context, except [CLS] tokens (`clsIndexes`). */
  pMask?: ArrayLike<number>;
  clsIndexes?: readonly number[];
}

export interface QaAnswer {
  score: number;
  start: number;
  end: number;
  answer: string;
}

export interface QaPostOptions {
  top_k?: number;
  max_answer_len?: number;
  handle_impossible_answer?: boolean;
  /** Extend answers to whole words (HF default true). */
  align_to_words?: boolean;
}

/** HF's p_mask for question-first encodings: everything but context tokens, with [CLS] allowed. */
export function defaultPMask(chunk: QaChunk): number[] {
  const p = chunk.tokens.map((t) => (t.sequenceId !== 1 ? 1 : 0));
  for (const i of chunk.clsIndexes ?? []) p[i] = 0;
  return p;
}

/** `enc.word_to_chars(word, sequence_index)`: first token's start to last token's end of that word. */
function wordToChars(tokens: readonly QaToken[], word: number, sequenceIndex: number): [number, number] | undefined {
  let first = -1;
  let last = -1;
  tokens.forEach((t, i) => {
    if (t.wordId === word && t.sequenceId === sequenceIndex) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return first < 0 ? undefined : [tokens[first].offset[0], tokens[last].offset[1]];
}

/** HF's `get_indices`: word-aligned character span of tokens `s..e`, or their own offsets. */
export function answerIndices(tokens: readonly QaToken[], s: number, e: number, alignToWords: boolean): [number, number] {
  if (alignToWords) {
    const sw = tokens[s].wordId;
    const ew = tokens[e].wordId;
    if (sw !== null && ew !== null) {
      const a = wordToChars(tokens, sw, 1);
      const b = wordToChars(tokens, ew, 1);
      if (a && b) return [a[0], b[1]];
    }
  }
  return [tokens[s].offset[0], tokens[e].offset[1]];
}

/** Answers for one question/context pair from all of its chunks: a single answer, or a list when `top_k > 1`. */
export function postprocessQuestionAnswering(context: string, chunks: readonly QaChunk[], o: QaPostOptions = {}): QaAnswer | QaAnswer[] {
  const topK = o.top_k ?? 1;
  const alignToWords = o.align_to_words ?? true;
  let minNullScore = 1000000;
  const answers: QaAnswer[] = [];
  for (const chunk of chunks) {
    const preTopK = alignToWords ? topK * 2 + 10 : topK;
    const r = selectStartsEnds(chunk.startLogits, chunk.endLogits, chunk.pMask ?? defaultPMask(chunk), chunk.attentionMask, {
      minNullScore,
      topK: preTopK,
      handleImpossibleAnswer: o.handle_impossible_answer ?? false,
      maxAnswerLen: o.max_answer_len ?? 15,
    });
    minNullScore = r.minNullScore;
    for (const span of r.spans) {
      const [startIndex, endIndex] = answerIndices(chunk.tokens, span.start, span.end, alignToWords);
      const text = context.slice(startIndex, endIndex);
      const same = answers.find((a) => a.answer.toLowerCase() === text.toLowerCase());
      if (same) same.score += span.score;
      else answers.push({ score: span.score, start: startIndex, end: endIndex, answer: text });
    }
  }
  if (o.handle_impossible_answer) answers.push({ score: minNullScore, start: 0, end: 0, answer: "" });
  const sorted = answers
    .map((a, i) => [a, i] as const)
    .sort((x, y) => y[0].score - x[0].score || x[1] - y[1])
    .map(([a]) => a)
    .slice(0, topK);
  return sorted.length === 1 ? sorted[0] : sorted;
}
