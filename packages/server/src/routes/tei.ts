/**
 * TEI's routes with its request and response shapes (text-embeddings-inference `router/src/http/types.rs`):
 * `/predict`, `/rerank`, `/tokenize`, `/decode`. Each input of a request is queued on its own and answered from
 * whichever shared batch it lands in.
 */
import { HttpError, empty, tooLarge, validation } from "../errors.js";
import { type Row, teiScores } from "../engine.js";
import type { RouteContext } from "./context.js";
import { bool, object, string, truncationDirection } from "./validate.js";

type Sequence = { text: string; pair?: string };

/** TEI's `PredictInput`: "a", ["a"], ["a", "b"], or a batch [["a"], ["a", "b"], …]. */
export function readPredictInputs(inputs: unknown): { batch: boolean; sequences: Sequence[] } {
  const fromArray = (v: unknown[], where: string): Sequence => {
    if (v.length < 1 || v.length > 2 || !v.every((s) => typeof s === "string")) {
      throw validation(`${where} must be a string, a pair of strings [string, string] or a batch of mixed strings and pairs [[string], [string, string], ...]`);
    }
    return { text: v[0] as string, pair: v[1] as string | undefined };
  };
  if (typeof inputs === "string") return { batch: false, sequences: [{ text: inputs }] };
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw validation("`inputs` must be a string, a pair of strings [string, string] or a batch of mixed strings and pairs [[string], [string, string], ...]");
  }
  if (typeof inputs[0] === "string") return { batch: false, sequences: [fromArray(inputs, "`inputs`")] };
  return {
    batch: true,
    sequences: inputs.map((x, i) => {
      if (!Array.isArray(x)) throw validation(`\`inputs[${i}]\` must be [string] or [string, string] in a batch`);
      return fromArray(x, `\`inputs[${i}]\``);
    }),
  };
}

function checkBatchSize(n: number, ctx: RouteContext): void {
  if (n > ctx.limits.maxClientBatchSize) {
    throw tooLarge(`batch size ${n} > maximum allowed batch size ${ctx.limits.maxClientBatchSize}`, "batch_size");
  }
}

/** Tokenizes every sequence (timed), then queues each row and waits for all of them. */
async function classifyAll(ctx: RouteContext, sequences: Sequence[], truncate: boolean): Promise<Float32Array[]> {
  const t0 = performance.now();
  const rows: Row[] = sequences.map((s) => ctx.engine.encode(s.text, s.pair, truncate));
  ctx.metrics.tokenizationDuration.observe((performance.now() - t0) / 1000);
  for (const r of rows) ctx.metrics.inputLength.observe(r.ids.length);
  const answers = await Promise.all(rows.map((r) => ctx.engine.queue.submit(r, r.ids.length, ctx.signal)));
  ctx.metrics.queueDuration.observe(Math.max(...answers.map((a) => a.timing.queueSeconds)));
  ctx.metrics.inferenceDuration.observe(answers.reduce((s, a) => s + a.timing.inferenceSeconds, 0) / answers.length);
  return answers.map((a) => a.value);
}

function needClassifier(ctx: RouteContext): void {
  if (!ctx.engine.isClassifier) throw new HttpError("Backend", `Model is not a classifier model (the server runs the ${ctx.engine.task} pipeline)`, 424, "model_type");
}

export async function predict(ctx: RouteContext): Promise<unknown> {
  const body = object(ctx.body);
  needClassifier(ctx);
  const { batch, sequences } = readPredictInputs(body.inputs);
  ctx.method = batch ? "batch" : "single";
  if (batch) checkBatchSize(sequences.length, ctx);
  truncationDirection(body);
  const truncate = bool(body, "truncate", false);
  const raw = bool(body, "raw_scores", false);
  const id2label = ctx.engine.config.id2label;
  const logits = await classifyAll(ctx, sequences, truncate);
  const predictions = logits.map((l) => {
    const scores = teiScores(l, raw);
    if (scores.some(Number.isNaN)) throw new HttpError("Backend", "score is NaN", 424);
    return scores.map((score, i) => ({ score, label: id2label[i] ?? `LABEL_${i}` })).sort((a, b) => b.score - a.score);
  });
  return batch ? predictions : predictions[0];
}

export async function rerank(ctx: RouteContext): Promise<unknown> {
  const body = object(ctx.body);
  const query = string(body, "query");
  const texts = body.texts;
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) throw validation("`texts` must be a list of strings");
  if (texts.length === 0) throw empty("`texts` cannot be empty");
  if (!ctx.engine.isReranker) {
    throw new HttpError("Backend", `model is not a re-ranker model (a re-ranker is a sequence classifier with one label; this one has ${ctx.engine.config.num_labels})`, 424, "model_type");
  }
  ctx.method = "batch";
  checkBatchSize(texts.length, ctx);
  truncationDirection(body);
  const truncate = bool(body, "truncate", false);
  const raw = bool(body, "raw_scores", false);
  const returnText = bool(body, "return_text", false);
  const logits = await classifyAll(ctx, (texts as string[]).map((t) => ({ text: query, pair: t })), truncate);
  const ranks = logits.map((l, index) => {
    const score = teiScores(l, raw)[0];
    if (Number.isNaN(score)) throw new HttpError("Backend", "score is NaN", 424);
    return returnText ? { index, text: texts[index] as string, score } : { index, score };
  });
  return ranks.sort((a, b) => b.score - a.score || a.index - b.index);
}

/** UTF-16 index → UTF-8 byte offset (TEI's offsets are byte offsets into the input). */
function byteOffset(text: string, i: number): number {
  return Buffer.byteLength(text.slice(0, i), "utf8");
}

export async function tokenize(ctx: RouteContext): Promise<unknown> {
  const body = object(ctx.body);
  const inputs = body.inputs;
  let list: string[];
  if (typeof inputs === "string") list = [inputs];
  else if (Array.isArray(inputs) && inputs.every((s) => typeof s === "string")) {
    if (inputs.length === 0) throw empty("`inputs` cannot be empty");
    checkBatchSize(inputs.length, ctx);
    list = inputs as string[];
    ctx.method = "batch";
  } else throw validation("`inputs` must be a string or a list of strings");
  const addSpecialTokens = bool(body, "add_special_tokens", true);
  const tok = ctx.engine.tokenizer;
  return list.map((text) => {
    const row = tok.encode(text, { addSpecialTokens })[0];
    return row.ids.map((id, k) => {
      const special = row.specialTokensMask[k] === 1;
      if (special) return { id, text: row.tokens[k], special, start: null, stop: null };
      const [a, b] = row.offsets[k];
      return { id, text: text.slice(a, b), special, start: byteOffset(text, a), stop: byteOffset(text, b) };
    });
  });
}

export async function decode(ctx: RouteContext): Promise<unknown> {
  const body = object(ctx.body);
  const ids = body.ids;
  const vocab = ctx.engine.config.vocab_size;
  const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && (x as number) >= 0);
  let list: number[][];
  if (isIds(ids)) list = [ids];
  else if (Array.isArray(ids) && ids.every(isIds)) {
    if (ids.length === 0) throw empty("`ids` cannot be empty");
    checkBatchSize(ids.length, ctx);
    list = ids as number[][];
    ctx.method = "batch";
  } else throw validation("`ids` must be a list of non-negative integers or a list of such lists");
  const skip = bool(body, "skip_special_tokens", true);
  return list.map((row, r) => {
    const bad = row.find((id) => id >= vocab);
    if (bad !== undefined) throw new HttpError("Tokenizer", `\`ids\`${list.length > 1 ? `[${r}]` : ""}: token id ${bad} is out of the vocabulary (size ${vocab})`, 422, "tokenizer");
    return ctx.engine.tokenizer.decode(row, { skipSpecialTokens: skip });
  });
}
