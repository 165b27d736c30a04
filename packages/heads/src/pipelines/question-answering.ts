/**
 * `question-answering`: HF's `QuestionAnsweringPipeline` (fast-tokenizer path). Each `{ question, context }` is
 * encoded question-first, truncating only the context to `max_seq_len` (default min(model_max_length, 384)) in
 * windows overlapping by `doc_stride` (default min(max_seq_len / 2, 128)); every window of every example runs
 * batched, and the spans are chosen as in `question-answering-post.ts`. Result: `{ score, start, end, answer }`,
 * or a list with `top_k > 1`.
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForQuestionAnswering } from "../question-answering.js";
import { type BatchingOptions, Pipeline } from "./base.js";
import { runBatched } from "./batching.js";
import { type QaAnswer, type QaChunk, postprocessQuestionAnswering } from "./question-answering-post.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";

export interface QuestionAnsweringOptions extends BatchingOptions {
  top_k?: number;
  doc_stride?: number;
  max_answer_len?: number;
  max_seq_len?: number;
  /** Accepted for HF compatibility; the fast-tokenizer path ignores it, as HF's does. */
  max_question_len?: number;
  handle_impossible_answer?: boolean;
  align_to_words?: boolean;
}

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

export class QuestionAnsweringPipeline extends Pipeline<DebertaV2ForQuestionAnswering, QuestionAnsweringOptions, QuestionAnsweringInput, QaAnswer | QaAnswer[]> {
  static readonly callOptions: readonly OptionSpec[] = [
    { name: "top_k" },
    { name: "doc_stride" },
    { name: "max_answer_len" },
    { name: "max_seq_len" },
    { name: "max_question_len" },
    { name: "handle_impossible_answer" },
    { name: "align_to_words" },
  ];
  static readonly unwrapsSingleList = true;

  constructor(model: DebertaV2ForQuestionAnswering, tokenizer: PipelineTokenizer, defaults?: QuestionAnsweringOptions, warn?: (m: string) => void) {
    super("question-answering", model, tokenizer, defaults, warn);
  }

  /** One question: its best answer (with `top_k` > 1: a list of answers). */
  call(inputs: QuestionAnsweringInput, options?: QuestionAnsweringOptions & { top_k?: 1 }): Promise<QaAnswer>;
  call(inputs: QuestionAnsweringInput, options: QuestionAnsweringOptions): Promise<QaAnswer | QaAnswer[]>;
  call(inputs: QuestionAnsweringInput[], options?: QuestionAnsweringOptions & { top_k?: 1 }): Promise<QaAnswer[]>;
  call(inputs: QuestionAnsweringInput[], options: QuestionAnsweringOptions): Promise<Array<QaAnswer | QaAnswer[]>>;
  call(question: string, context: string, options?: QuestionAnsweringOptions & { top_k?: 1 }): Promise<QaAnswer>;
  call(question: string, context: string, options: QuestionAnsweringOptions): Promise<QaAnswer | QaAnswer[]>;
  async call(
    a: QuestionAnsweringInput | QuestionAnsweringInput[] | string,
    b?: string | QuestionAnsweringOptions,
    c?: QuestionAnsweringOptions,
  ): Promise<unknown> {
    let examples: QuestionAnsweringInput[];
    let options: QuestionAnsweringOptions | undefined;
    if (typeof a === "string") {
      if (typeof b !== "string") throw new InputError("question-answering: call(question, context) needs the context as a string");
      examples = [{ question: a, context: b }];
      options = c;
    } else {
      examples = Array.isArray(a) ? a : [a];
      options = b as QuestionAnsweringOptions | undefined;
    }
    const o = this.options(options);
    examples.forEach((e, i) => {
      for (const k of ["question", "context"] as const) {
        if (!e || typeof e[k] !== "string") throw new InputError(`question-answering: input ${i}: \`${k}\` must be a string`);
        if (e[k].length === 0) throw new InputError(`question-answering: input ${i}: \`${k}\` cannot be empty`);
      }
    });
    if (o.top_k !== undefined && !(o.top_k >= 1)) throw new InputError(`question-answering: top_k parameter should be >= 1 (got ${o.top_k})`);
    if (o.max_answer_len !== undefined && !(o.max_answer_len >= 1)) {
      throw new InputError(`question-answering: max_answer_len parameter should be >= 1 (got ${o.max_answer_len})`);
    }
    const tok = this.tokenizer;
    const maxSeqLen = o.max_seq_len ?? Math.min(tok.modelMaxLength, 384);
    const docStride = o.doc_stride ?? Math.min(Math.floor(maxSeqLen / 2), 128);
    if (docStride > maxSeqLen) throw new InputError(`question-answering: \`doc_stride\` (${docStride}) is larger than \`max_seq_len\` (${maxSeqLen})`);

    const rows: TokenizedRow[] = [];
    const owner: number[] = [];
    examples.forEach((e, i) => {
      for (const w of tok.encode(e.question, { pair: e.context, truncation: "only_second", maxLength: maxSeqLen, stride: docStride, returnOverflowing: true })) {
        rows.push(w);
        owner.push(i);
      }
    });
    const logits = await runBatched(rows, this.model.config, this.batchOptions(o), async (host, idx) => {
      const out = this.model.forwardHost(host, { packed: o.packed });
      const [s, e] = await Promise.all([out.start_logits.data(), out.end_logits.data()]);
      out.start_logits.dispose();
      out.end_logits.dispose();
      const L = out.start_logits.shape[1];
      return idx.map((i, b) => ({ start: s.slice(b * L, b * L + rows[i].ids.length), end: e.slice(b * L, b * L + rows[i].ids.length) }));
    });
    const cls = tok.clsTokenId;
    const results = examples.map((e, i) => {
      const chunks: QaChunk[] = rows.flatMap((row, r) =>
        owner[r] === i
          ? [
              {
                startLogits: logits[r].start,
                endLogits: logits[r].end,
                tokens: row.ids.map((_, t) => ({ offset: row.offsets[t], wordId: row.wordIds[t], sequenceId: row.sequenceIds[t] })),
                clsIndexes: cls === undefined ? [] : row.ids.flatMap((id, t) => (id === cls ? [t] : [])),
              },
            ]
          : [],
      );
      return postprocessQuestionAnswering(e.context, chunks, {
        top_k: o.top_k,
        max_answer_len: o.max_answer_len,
        handle_impossible_answer: o.handle_impossible_answer,
        align_to_words: o.align_to_words,
      });
    });
    return Array.isArray(a) && results.length !== 1 ? results : results[0];
  }
}
