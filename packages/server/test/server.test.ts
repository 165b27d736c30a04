// The server on 127.0.0.1 with a tiny random-weight classifier: every route against TEI's schemas (request and
// response shapes, status codes, `{error, error_type}` bodies — text-embeddings-inference docs/openapi.json),
// scores against the text-classification pipeline on the same model, batching seen in /metrics, 429 under
// overload, cancellation, timeouts and graceful drain.
import { request } from "node:http";
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { pipeline } from "@deberta-js/heads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DebertaServer } from "../src/index.js";
import { testModel } from "./models.js";

const backend = createCpuBackend();
const quiet = { warn: () => {}, log: () => {} };
let classifierDir: string;
let server: DebertaServer;
let base: string;

async function start(dir: string, options: Record<string, unknown> = {}): Promise<{ server: DebertaServer; base: string }> {
  const s = await DebertaServer.load(dir, { backend, modelId: "test/tiny", ...quiet, ...options });
  const addr = await s.listen(0, "127.0.0.1");
  return { server: s, base: `http://127.0.0.1:${addr.port}` };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** TEI's ErrorResponse: `{ error: string, error_type: ErrorType }`. */
function expectError(r: { status: number; body: any }, status: number, type: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(Object.keys(r.body).sort()).toEqual(["error", "error_type"]);
  expect(typeof r.body.error).toBe("string");
  expect(r.body.error_type).toBe(type);
}

/** TEI's Prediction list: `[{score: number, label: string}]`, sorted by score, descending. */
function expectPredictions(p: any, labels: number): void {
  expect(Array.isArray(p)).toBe(true);
  expect(p).toHaveLength(labels);
  for (const x of p) {
    expect(Object.keys(x).sort()).toEqual(["label", "score"]);
    expect(typeof x.score).toBe("number");
    expect(typeof x.label).toBe("string");
  }
  for (let i = 1; i < p.length; i++) expect(p[i - 1].score).toBeGreaterThanOrEqual(p[i].score);
}

const close = (a: number, r: number) => Math.abs(a - r) <= 1e-4 + 1e-4 * Math.abs(r);

/** A promise the test resolves: queued as an exclusive task it holds the model, so requests pile up behind it. */
function hold(s: DebertaServer): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  void s.engine.queue.exclusive(() => gate, 0);
  return release;
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

beforeAll(async () => {
  classifierDir = await testModel("DebertaV2ForSequenceClassification");
  ({ server, base } = await start(classifierDir, { maxClientBatchSize: 8 }));
});

afterAll(async () => {
  await server?.drain();
});

describe("TEI routes", { timeout: 20_000 }, () => {
  it("/predict: single, pair and batch, in TEI's shapes, equal to the pipeline's scores", async () => {
    const clf = await pipeline("text-classification", classifierDir, { backend, warn: () => {} });
    const texts = ["A man is eating food.", "The weather is nice today, isn't it?", "x"];
    const single = await post(`${base}/predict`, { inputs: texts[0] });
    expect(single.status).toBe(200);
    expectPredictions(single.body, 3);
    const ref = (await clf(texts[0], { top_k: null })) as Array<{ label: string; score: number }>;
    expect(single.body.map((p: any) => p.label)).toEqual(ref.map((p) => p.label));
    single.body.forEach((p: any, i: number) => expect(close(p.score, ref[i].score), `${p.score} vs ${ref[i].score}`).toBe(true));

    const pair = await post(`${base}/predict`, { inputs: ["A man is eating.", "Someone eats."] });
    expectPredictions(pair.body, 3);
    const refPair = (await clf({ text: "A man is eating.", text_pair: "Someone eats." }, { top_k: null })) as Array<{ label: string; score: number }>;
    pair.body.forEach((p: any, i: number) => expect(close(p.score, refPair[i].score)).toBe(true));

    const batch = await post(`${base}/predict`, { inputs: texts.map((t) => [t]) });
    expect(batch.status).toBe(200);
    expect(batch.body).toHaveLength(3);
    for (const [i, p] of (batch.body as any[]).entries()) {
      expectPredictions(p, 3);
      const r = (await clf(texts[i], { top_k: null })) as Array<{ label: string; score: number }>;
      p.forEach((x: any, k: number) => expect(close(x.score, r[k].score)).toBe(true));
    }

    // raw_scores: the logits, unnormalized (softmax of them gives the default scores)
    const raw = await post(`${base}/predict`, { inputs: texts[0], raw_scores: true });
    const byLabel = Object.fromEntries(single.body.map((p: any) => [p.label, p.score]));
    const m = Math.max(...raw.body.map((p: any) => p.score));
    const den = raw.body.reduce((s: number, p: any) => s + Math.exp(p.score - m), 0);
    for (const p of raw.body) expect(close(Math.exp(p.score - m) / den, byLabel[p.label])).toBe(true);
    clf.dispose();
  });

  it("/predict errors: 413 too long / too many, 422 invalid, truncate", async () => {
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    const r = await post(`${base}/predict`, { inputs: long });
    expectError(r, 413, "Validation");
    expect(r.body.error).toMatch(/must have less than 64 tokens/);
    const t = await post(`${base}/predict`, { inputs: long, truncate: true });
    expect(t.status).toBe(200);
    expectPredictions(t.body, 3);
    expectError(await post(`${base}/predict`, { inputs: Array.from({ length: 9 }, () => ["a"]) }), 413, "Validation");
    expectError(await post(`${base}/predict`, { inputs: ["a", "b", "c"] }), 422, "Validation");
    expectError(await post(`${base}/predict`, { inputs: 5 }), 422, "Validation");
    expectError(await post(`${base}/predict`, { inputs: "a", truncate: "yes" }), 422, "Validation");
    expectError(await post(`${base}/predict`, "{not json"), 422, "Validation");
    expectError(await post(`${base}/predict`, { inputs: "a", truncation_direction: "Left" }), 422, "Validation");
  });

  it("/rerank: a one-label classifier ranks texts; a 3-label classifier is 424", async () => {
    expectError(await post(`${base}/rerank`, { query: "q", texts: ["a"] }), 424, "Backend");
    expectError(await post(`${base}/rerank`, { query: "q", texts: [] }), 400, "Empty");
    const dir = await testModel("DebertaV2ForSequenceClassification", { reranker: true });
    const rr = await start(dir);
    try {
      const texts = ["Paris is the capital of France.", "Bananas are yellow.", "The capital of France is big."];
      const r = await post(`${rr.base}/rerank`, { query: "What is the capital of France?", texts, return_text: true });
      expect(r.status).toBe(200);
      expect(r.body).toHaveLength(3);
      expect(r.body.map((x: any) => x.index).sort()).toEqual([0, 1, 2]);
      for (const x of r.body) {
        expect(Object.keys(x).sort()).toEqual(["index", "score", "text"]);
        expect(x.text).toBe(texts[x.index]);
        expect(x.score).toBeGreaterThan(0);
        expect(x.score).toBeLessThan(1);
      }
      for (let i = 1; i < 3; i++) expect(r.body[i - 1].score).toBeGreaterThanOrEqual(r.body[i].score);
      // the score is the sigmoid of the pair's logit (the pipeline with function_to_apply sigmoid)
      const clf = await pipeline("text-classification", dir, { backend, warn: () => {} });
      for (const x of r.body) {
        const ref = (await clf({ text: "What is the capital of France?", text_pair: texts[x.index] })) as { score: number };
        expect(close(x.score, ref.score)).toBe(true);
      }
      clf.dispose();
      const noText = await post(`${rr.base}/rerank`, { query: "q", texts: ["a", "b"], raw_scores: true });
      for (const x of noText.body) expect(Object.keys(x).sort()).toEqual(["index", "score"]);
      const info = await (await fetch(`${rr.base}/info`)).json();
      expect(Object.keys(info.model_type)).toEqual(["reranker"]);
    } finally {
      await rr.server.drain();
    }
  });

  it("/tokenize and /decode", async () => {
    const text = "Héllo wörld, naïve café!";
    const r = await post(`${base}/tokenize`, { inputs: text });
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    const ids = server.engine.tokenizer.encode(text)[0].ids;
    expect(r.body[0].map((t: any) => t.id)).toEqual(ids);
    const bytes = Buffer.from(text, "utf8");
    for (const t of r.body[0]) {
      expect(Object.keys(t).sort()).toEqual(["id", "special", "start", "stop", "text"]);
      if (t.special) expect([t.start, t.stop]).toEqual([null, null]);
      else expect(bytes.subarray(t.start, t.stop).toString("utf8")).toBe(t.text); // TEI: UTF-8 byte offsets
    }
    expect(r.body[0][0].special).toBe(true);
    const noSpecial = await post(`${base}/tokenize`, { inputs: [text, "b"], add_special_tokens: false });
    expect(noSpecial.body).toHaveLength(2);
    expect(noSpecial.body[0].some((t: any) => t.special)).toBe(false);
    expectError(await post(`${base}/tokenize`, { inputs: [] }), 400, "Empty");

    const d = await post(`${base}/decode`, { ids });
    expect(d.status).toBe(200);
    expect(d.body).toEqual([server.engine.tokenizer.decode(ids, { skipSpecialTokens: true })]);
    expect(d.body[0]).toContain("wörld");
    const d2 = await post(`${base}/decode`, { ids: [ids, ids], skip_special_tokens: false });
    expect(d2.body).toHaveLength(2);
    expect(d2.body[0]).toContain("[CLS]");
    expectError(await post(`${base}/decode`, { ids: [1, 99999] }), 422, "Tokenizer");
    expectError(await post(`${base}/decode`, { ids: "x" }), 422, "Validation");
  });

  it("/info, /health, /metrics, /openapi.json, unknown routes", async () => {
    const info = await (await fetch(`${base}/info`)).json();
    for (const k of ["model_id", "model_dtype", "served_model_name", "model_type", "max_concurrent_requests", "max_input_length", "max_batch_tokens", "max_client_batch_size", "auto_truncate", "tokenization_workers", "version"]) {
      expect(info, k).toHaveProperty(k);
    }
    expect(info.model_id).toBe("test/tiny");
    expect(info.max_input_length).toBe(64);
    expect(info.model_type.classifier.id2label).toEqual({ 0: "entailment", 1: "neutral", 2: "contradiction" });
    expect(info.model_type.classifier.label2id).toEqual({ entailment: 0, neutral: 1, contradiction: 2 });
    const h = await fetch(`${base}/health`);
    expect(h.status).toBe(200);
    const m = await metricsText(base);
    for (const name of ["te_request_count", "te_request_success", "te_request_failure", "te_request_duration_bucket", "te_batch_next_size_bucket", "te_batch_next_tokens_bucket", "te_queue_size", "te_request_input_length_bucket"]) {
      expect(m, name).toContain(name);
    }
    // prom-client's process metrics: the event-loop lag since the previous scrape, CPU time of all threads.
    expect(m).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(m).toMatch(/^process_cpu_seconds_total \d/m);
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ["/predict", "/rerank", "/tokenize", "/decode", "/info", "/health", "/metrics", "/"]) expect(doc.paths, p).toHaveProperty(p);
    expect(doc.components.schemas.ErrorType.enum).toEqual(["Unhealthy", "Backend", "Overloaded", "Validation", "Tokenizer", "Empty"]);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe("batching, overload, cancellation, timeouts, drain", { timeout: 20_000 }, () => {
  it("concurrent requests are answered from shared batches (te_batch_next_size > 1), with unchanged results", async () => {
    const texts = Array.from({ length: 24 }, (_, i) => `sentence number ${i} ${"and more ".repeat(i % 5)}`);
    const alone = [];
    for (const t of texts.slice(0, 4)) alone.push((await post(`${base}/predict`, { inputs: t })).body);
    const before = await metricsText(base);
    const release = hold(server); // the model is busy: the requests queue up behind it, as under load
    const pending = texts.map((t) => post(`${base}/predict`, { inputs: t }));
    while (server.engine.queue.size < texts.length) await new Promise((r) => setTimeout(r, 5));
    release();
    const answers = await Promise.all(pending);
    for (const a of answers) expect(a.status).toBe(200);
    for (let i = 0; i < 4; i++) answers[i].body.forEach((p: any, k: number) => expect(close(p.score, alone[i][k].score)).toBe(true));
    const after = await metricsText(base);
    const count = (text: string) => Number(/te_batch_next_size_count (\d+)/.exec(text)?.[1] ?? 0);
    const sum = (text: string) => Number(/te_batch_next_size_sum (\d+)/.exec(text)?.[1] ?? 0);
    const batches = count(after) - count(before) - 1; // minus the held task
    const inputs = sum(after) - sum(before) - 1;
    expect(inputs).toBe(texts.length);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(texts.length); // several inputs per batch
    expect(after).toMatch(/te_batch_next_size_bucket\{le="1"\} \d+/);
    const le1 = (text: string) => Number(/te_batch_next_size_bucket\{le="1"\} (\d+)/.exec(text)![1]);
    const countAll = (text: string) => Number(/te_batch_next_size_count (\d+)/.exec(text)![1]);
    expect(countAll(after) - le1(after)).toBeGreaterThan(countAll(before) - le1(before)); // some batch has size > 1
  });

  it("429 with TEI's Overloaded body when more than --max-concurrent-requests are in flight", async () => {
    const s = await start(classifierDir, { maxConcurrentRequests: 2 });
    try {
      const release = hold(s.server);
      const first = [post(`${s.base}/predict`, { inputs: "one" }), post(`${s.base}/predict`, { inputs: "two" })];
      while (s.server.engine.queue.size < 2) await new Promise((r) => setTimeout(r, 5));
      const third = await post(`${s.base}/predict`, { inputs: "three" });
      expectError(third, 429, "Overloaded");
      expect(third.body.error).toMatch(/overloaded/i);
      release();
      for (const r of await Promise.all(first)) expect(r.status).toBe(200);
      expect(await metricsText(s.base)).toMatch(/te_request_failure\{err="overloaded"\} 1/);
    } finally {
      await s.server.drain();
    }
  });

  it("a client that disconnects has its queued inputs dropped; a timeout answers 504", async () => {
    const s = await start(classifierDir, { requestTimeoutMs: 300 });
    try {
      const release = hold(s.server);
      const url = new URL(`${s.base}/predict`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json" } });
      req.on("error", () => {});
      req.end(JSON.stringify({ inputs: [["a"], ["b"], ["c"]] }));
      while (s.server.engine.queue.size < 3) await new Promise((r) => setTimeout(r, 5));
      req.destroy(); // the client goes away
      while (s.server.engine.queue.size > 0) await new Promise((r) => setTimeout(r, 5));
      expect(s.server.engine.queue.size).toBe(0); // its three inputs left the queue before any batch formed
      expect(await metricsText(s.base)).toMatch(/te_request_failure\{err="cancelled"\} 1/);
      // still held: this one times out
      const t = await post(`${s.base}/predict`, { inputs: "slow" });
      expectError(t, 504, "Backend");
      expect(t.body.error).toMatch(/timed out after 300 ms/);
      release();
      expect((await post(`${s.base}/predict`, { inputs: "fine" })).status).toBe(200);
    } finally {
      await s.server.drain();
    }
  });

  it("drain: in-flight requests finish, new ones are refused, /health turns unhealthy", async () => {
    const s = await start(classifierDir);
    const release = hold(s.server);
    const inflight = [post(`${s.base}/predict`, { inputs: "one" }), post(`${s.base}/predict`, { inputs: [["two"], ["three"]] })];
    while (s.server.engine.queue.size < 3) await new Promise((r) => setTimeout(r, 5));
    const drained = s.server.drain();
    expect(s.server.isDraining).toBe(true);
    // a new request is refused: 503 Unhealthy on a kept-alive connection, or the listener is already closed
    const refused = await fetch(`${s.base}/health`).then(
      async (r) => ({ status: r.status, body: await r.json() }),
      (e: Error) => ({ status: 0, body: String(e) }),
    );
    if (refused.status !== 0) expectError(refused, 503, "Unhealthy");
    release();
    const done = await Promise.all(inflight);
    for (const r of done) expect(r.status).toBe(200);
    expect(done[1].body).toHaveLength(2);
    await drained;
    await expect(fetch(`${s.base}/health`)).rejects.toThrow();
  });
});

describe("backend options", { timeout: 30_000 }, () => {
  it("backendOptions create the named backend with them; with a Backend object they are an InputError", async () => {
    const ref = await pipeline("text-classification", classifierDir, { backend, warn: () => {} });
    const want = (await ref("hello there", { top_k: null })) as Array<{ label: string; score: number }>;
    ref.dispose();
    const check = async (s: DebertaServer) => {
      const addr = await s.listen(0, "127.0.0.1");
      try {
        const r = await post(`http://127.0.0.1:${addr.port}/predict`, { inputs: "hello there" });
        expect(r.status).toBe(200);
        expect(r.body.map((p: any) => p.label)).toEqual(want.map((p) => p.label));
        r.body.forEach((p: any, i: number) => expect(close(p.score, want[i].score)).toBe(true));
      } finally {
        await s.drain();
      }
    };
    // In-process: the TypeScript kernels asked for by name (the default would be the compiled ones when built).
    const inProcess = await DebertaServer.load(classifierDir, { device: "cpu", backendOptions: { kernels: "js" }, ...quiet });
    expect(inProcess.engine.runner.backend).toBe("cpu js");
    await check(inProcess);
    // On the model thread: the CLI's serve test (`--threads 1`, the thread runs the built dist/model-thread.js).
    await expect(DebertaServer.load(classifierDir, { backend, backendOptions: { threads: 1 }, ...quiet })).rejects.toThrow(/backendOptions apply to a backend created by name/);
  });
});
