/**
 * The model worker: every byte of model work happens here, off the page's thread. It loads models (bundled, hub,
 * or a folder the user picked) into `@deberta-js/heads` pipelines on the WebGPU or the CPU backend, runs them,
 * and keeps the last run's attention probabilities on the backend so the page can ask for one layer/head at a time.
 * Messages: `protocol.ts`.
 */
import "@deberta-js/backend-cpu"; // registers "cpu"
import { type Backend, DebertaError, type ModelFiles, type Tensor, createBackend, memoryFiles } from "@deberta-js/core";
import { formatTemplate, pipeline, resolveFiles } from "@deberta-js/heads";
import { createWebGpuBackend, webgpuAvailability, type WebGpuBackend } from "@deberta-js/backend-webgpu";
import type {
  AttentionShape,
  BackendName,
  Bar,
  ModelInfo,
  ModelSource,
  PlainError,
  WorkerRequest,
  WorkerResponse,
  RunInput,
  SequenceView,
  Span,
  Task,
  TaskResult,
  TokenInfo,
} from "./protocol.js";

type Progress = Extract<WorkerResponse, { type: "progress" }>;
type ProgressSink = (p: Omit<Progress, "type" | "id">) => void;

const post = (msg: WorkerResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

// ── backends ─────────────────────────────────────────────────────────────────────────────────────────────────────

let cpu: Promise<Backend> | null = null;
let gpu: Promise<WebGpuBackend> | null = null;

function getBackend(name: BackendName): Promise<Backend> {
  if (name === "cpu") {
    cpu ??= createBackend("cpu");
    return cpu;
  }
  if (!gpu) {
    const p = createWebGpuBackend();
    gpu = p;
    p.then(
      (backend) => {
        void backend.device.lost.then((info: { reason?: string; message: string }) => {
          if (gpu !== p) return;
          gpu = null; // the next load asks for a fresh device
          dropPipeline("webgpu");
          // The demo never destroys its device itself, so "destroyed" is a loss too (the e2e test causes one).
          post({
            type: "device-lost",
            error: {
              title: "The GPU stopped working (WebGPU device lost). Load the model again, or switch to CPU.",
              detail: `${info.reason ?? "unknown"}: ${info.message || "no message"}`,
              code: "BACKEND_ERROR",
            },
          });
        });
      },
      () => {
        if (gpu === p) gpu = null;
      },
    );
  }
  return gpu;
}

// ── model files ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Which bundled folder serves each task (see scripts/make-tiny-models.mjs). */
const BUNDLED: Record<Task, string> = {
  "fill-mask": "tiny-random-mlm",
  "text-classification": "tiny-random-nli",
  "zero-shot-classification": "tiny-random-nli",
  "token-classification": "tiny-random-ner",
  "question-answering": "tiny-random-qa",
  "multiple-choice": "tiny-random-mc",
};

interface Manifest {
  models: { name: string; tasks: string[]; files: Record<string, number> }[];
}

/** Model files by source key: a task switch or a backend switch reuses what was downloaded or read. */
const filesCache = new Map<string, Promise<ModelFiles>>();
/** Where the progress of the current load goes (hub files report when they are first read, during the load). */
let progressSink: ProgressSink | null = null;
let manifest: Promise<Manifest> | null = null;
let folder: { label: string; files: ModelFiles } | null = null;

async function fetchBytes(url: URL, name: string, expected: number): Promise<Uint8Array> {
  let resp: Response;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new DebertaError("FILE_NOT_FOUND", `cannot fetch ${url.pathname}: ${(e as Error).message}`);
  }
  if (!resp.ok || !resp.body) throw new DebertaError("FILE_NOT_FOUND", `cannot fetch ${url.pathname}: HTTP ${resp.status}`);
  const total = Number(resp.headers.get("content-length")) || expected;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = resp.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    progressSink?.({ phase: "download", file: name, loaded, total: Math.max(total, loaded) });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function bundledFiles(task: Task, baseUrl: string): Promise<ModelFiles> {
  const modelsUrl = new URL("models/", baseUrl);
  manifest ??= fetch(new URL("manifest.json", modelsUrl)).then(async (r) => {
    if (!r.ok) throw new DebertaError("FILE_NOT_FOUND", `the bundled models are missing (models/manifest.json: HTTP ${r.status}); rebuild the demo`);
    return (await r.json()) as Manifest;
  });
  manifest.catch(() => (manifest = null));
  const m = await manifest;
  const name = BUNDLED[task];
  const entry = m.models.find((x) => x.name === name);
  if (!entry) throw new DebertaError("FILE_NOT_FOUND", `the bundled model "${name}" is not in models/manifest.json; rebuild the demo`);
  const files: Record<string, Uint8Array> = {};
  for (const [file, size] of Object.entries(entry.files)) {
    files[file] = await fetchBytes(new URL(`${name}/${file}`, modelsUrl), file, size);
  }
  return memoryFiles(files, `models/${name}`);
}

function sourceKey(source: ModelSource, task: Task): string {
  switch (source.kind) {
    case "bundled":
      return `bundled:${BUNDLED[task]}`;
    case "hub":
      return `hub:${source.id}@${source.revision ?? "main"}`;
    case "folder":
      return `folder:${source.label}`;
  }
}

async function resolveSource(source: ModelSource, task: Task): Promise<{ files: ModelFiles; label: string }> {
  if (source.kind === "folder") {
    if (source.files) {
      folder = { label: source.label, files: memoryFiles(source.files, source.label) };
    }
    if (!folder) throw new DebertaError("INPUT_INVALID", "no model folder was chosen");
    await checkFolder(folder.files);
    return { files: folder.files, label: `folder "${folder.label}"` };
  }
  const key = sourceKey(source, task);
  let p = filesCache.get(key);
  if (!p) {
    if (source.kind === "bundled") p = bundledFiles(task, source.baseUrl);
    else {
      // heads resolves hub ids: fetch + Cache Storage in browsers, so a second visit needs no network.
      p = resolveFiles(source.id, {
        revision: source.revision,
        onProgress: (e) => progressSink?.({ phase: e.phase === "download" ? "download" : e.phase === "load" ? "load" : "cached", file: e.file, loaded: e.loaded, total: e.total }),
      });
    }
    filesCache.set(key, p);
    p.catch(() => filesCache.delete(key));
  }
  const files = await p;
  return { files, label: source.kind === "bundled" ? `models/${BUNDLED[task]}` : source.id };
}

/** The commonest mistake with folders (picking the parent folder, or a folder of something else), said plainly. */
async function checkFolder(files: ModelFiles) {
  const names = await files.list();
  if (!names.includes("config.json")) {
    throw new DebertaError(
      "FILE_NOT_FOUND",
      `${files.location}: no config.json among ${names.length ? names.slice(0, 12).join(", ") + (names.length > 12 ? ", …" : "") : "(no files)"}`,
    );
  }
}

// ── pipelines ────────────────────────────────────────────────────────────────────────────────────────────────────

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPipeline = Awaited<ReturnType<typeof pipeline>> & ((...args: any[]) => Promise<unknown>);

let current: { key: string; task: Task; backend: BackendName; pipe: AnyPipeline; info: ModelInfo } | null = null;
/** The last run's attentions (`[1, heads, L, L]` per layer), kept on the backend until the next run. */
let attentions: Tensor[] | null = null;
let attentionLength = 0;
/** The last run's input, so the page can ask for the tokens and attention of another of its sequences. */
let lastInput: RunInput | null = null;

function dropAttentions() {
  for (const t of attentions ?? []) t.dispose();
  attentions = null;
}

function dropPipeline(backend?: BackendName) {
  if (!current || (backend && current.backend !== backend)) return;
  dropAttentions();
  lastInput = null;
  try {
    current.pipe.dispose();
  } catch {
    // a lost device cannot free anything; nothing to do
  }
  current = null;
}

async function load(source: ModelSource, task: Task, backendName: BackendName, onProgress: ProgressSink, warmup?: RunInput): Promise<{ info: ModelInfo; loadMs: number; warmupMs: number }> {
  const t0 = performance.now();
  progressSink = onProgress;
  try {
    dropPipeline();
    const { files, label } = await resolveSource(source, task);
    const backend = await getBackend(backendName);
    const warnings: string[] = [];
    const pipe = (await pipeline(task, files, {
      backend,
      onProgress: (e) => onProgress({ phase: e.phase === "download" ? "download" : "load", file: e.file, loaded: e.loaded, total: e.total }),
      warn: (m: string) => warnings.push(m),
    })) as AnyPipeline;
    const model = pipe.model;
    const config = model.config;
    const info: ModelInfo = {
      label,
      bundled: source.kind === "bundled",
      task,
      className: (model.constructor as { className?: string }).className ?? model.constructor.name,
      backend: backendName,
      adapter: backendName === "webgpu" ? adapterOf(backend) : undefined,
      layers: config.num_hidden_layers,
      heads: config.num_attention_heads,
      hidden: config.hidden_size,
      vocab: config.vocab_size,
      newlyInitialized: [...model.newlyInitialized],
      warnings,
    };
    current = { key: `${sourceKey(source, task)}|${task}|${backendName}`, task, backend: backendName, pipe, info };
    const loadMs = performance.now() - t0;
    // WebGPU compiles its shaders on first use (seconds on a software adapter): do that now, so the inference time
    // the page shows is the model's, not the compiler's.
    let warmupMs = 0;
    if (backendName === "webgpu") {
      onProgress({ phase: "warmup", file: "", loaded: 0, total: 0 });
      const t1 = performance.now();
      await run(warmupInput(task, pipe.tokenizer.maskToken ?? "[MASK]"));
      if (warmup?.task === task) {
        // The form's own input may fail (no [MASK] yet…): that is for the real run to report.
        await run(warmup).catch(() => {});
      }
      dropAttentions();
      warmupMs = performance.now() - t1;
    }
    return { info, loadMs, warmupMs };
  } finally {
    progressSink = null;
  }
}

function adapterOf(backend: Backend): string | undefined {
  const d = (backend as unknown as { options?: { adapterDescription?: string } }).options?.adapterDescription;
  return d || undefined;
}

/**
 * The sequence whose tokens and attention the page shows. Multiple choice and zero-shot encode one sequence per
 * choice or label: `index` picks which (the page says which, and lets the user pick another).
 */
function displayText(input: RunInput, index = 0): { text: string; pair?: string; view: SequenceView | null } {
  switch (input.task) {
    case "fill-mask":
    case "token-classification":
      return { text: input.text, view: null };
    case "text-classification":
      return { text: input.text, pair: input.textPair, view: null };
    case "zero-shot-classification": {
      const i = clampIndex(index, input.labels.length);
      const pair = formatTemplate(input.template, input.labels[i] ?? ""); // the hypothesis the pipeline encodes
      return { text: input.text, pair, view: { kind: "label", index: i, options: input.labels, pair } };
    }
    case "question-answering":
      return { text: input.question, pair: input.context, view: null };
    case "multiple-choice": {
      const i = clampIndex(index, input.choices.length);
      return { text: input.prompt, pair: input.choices[i], view: { kind: "choice", index: i, options: input.choices, pair: input.choices[i] } };
    }
  }
}

function clampIndex(index: number, n: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new DebertaError("INPUT_INVALID", `there is no sequence ${index} to show (this run has ${n})`);
  return index;
}

/** A tiny input of each task, for the warm-up run. */
function warmupInput(task: Task, mask: string): RunInput {
  switch (task) {
    case "fill-mask":
      return { task, text: `Hello ${mask}.`, topK: 1 };
    case "text-classification":
      return { task, text: "Hello.", textPair: "Hi." };
    case "zero-shot-classification":
      return { task, text: "Hello.", labels: ["a", "b"], template: "This is {}.", multiLabel: false };
    case "token-classification":
      return { task, text: "Hello.", aggregation: "simple" };
    case "question-answering":
      return { task, question: "Who?", context: "Hello.", topK: 1 };
    case "multiple-choice":
      return { task, prompt: "Hello.", choices: ["a", "b"] };
  }
}

/** Attention is drawn for at most this many tokens (a 512 × 512 map is already 262,144 cells). */
const MAX_ATTENTION_TOKENS = 512;

async function run(
  input: RunInput,
): Promise<{ result: TaskResult; tokens: TokenInfo[]; inferenceMs: number; attention: AttentionShape | null; view: SequenceView | null }> {
  if (!current) throw new DebertaError("INPUT_INVALID", "no model is loaded");
  if (current.task !== input.task) throw new DebertaError("INPUT_INVALID", `the loaded pipeline is for ${current.task}, not ${input.task}`);
  const pipe = current.pipe;
  dropAttentions();

  const t0 = performance.now();
  const raw = await callPipeline(pipe, input);
  const inferenceMs = performance.now() - t0;
  const result = toResult(input, raw);

  lastInput = input;
  const shown = await showSequence(input, 0);
  return { result, inferenceMs, ...shown };
}

/** Tokens and attention of one encoded sequence of `input`, from a separate forward pass of the backbone (not timed). */
async function showSequence(input: RunInput, index: number): Promise<{ tokens: TokenInfo[]; attention: AttentionShape | null; view: SequenceView | null }> {
  if (!current) throw new DebertaError("INPUT_INVALID", "no model is loaded");
  const pipe = current.pipe;
  const { text, pair, view } = displayText(input, index);
  dropAttentions();
  const row = pipe.tokenizer.encode(text, { pair, truncation: true, maxLength: MAX_ATTENTION_TOKENS })[0];
  const tokens: TokenInfo[] = row.ids.map((id: number, i: number) => ({ id, token: row.tokens[i], special: row.specialTokensMask[i] === 1 }));
  let attention: AttentionShape | null = null;
  if (row.ids.length > 0) {
    const cfg = pipe.model.config;
    const typeIds = cfg.type_vocab_size > 0 ? { token_type_ids: [row.typeIds] } : {};
    const out = await pipe.model.deberta.forward({ input_ids: [row.ids], ...typeIds }, { output_attentions: true });
    out.last_hidden_state.dispose();
    attentions = out.attentions ?? null;
    attentionLength = row.ids.length;
    if (attentions && attentions.length > 0) attention = { layers: attentions.length, heads: attentions[0].shape[1], length: attentionLength };
  }
  return { tokens, attention, view };
}

async function callPipeline(pipe: AnyPipeline, input: RunInput): Promise<unknown> {
  switch (input.task) {
    case "fill-mask":
      return pipe(input.text, { top_k: input.topK });
    case "text-classification":
      return pipe(input.textPair ? { text: input.text, text_pair: input.textPair } : input.text, { top_k: null });
    case "zero-shot-classification":
      return pipe(input.text, { candidate_labels: input.labels, hypothesis_template: input.template, multi_label: input.multiLabel });
    case "token-classification":
      return pipe(input.text, { aggregation_strategy: input.aggregation });
    case "question-answering":
      return pipe({ question: input.question, context: input.context }, { top_k: input.topK });
    case "multiple-choice":
      return pipe({ prompt: input.prompt, choices: input.choices });
  }
}

interface FillMaskItem { score: number; token: number; token_str: string; sequence: string }
interface Entity { entity_group?: string; entity?: string; score: number; word: string; start: number | null; end: number | null }
interface Answer { score: number; start: number; end: number; answer: string }

const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** The pipeline's output → bars and highlights for the page. */
function toResult(input: RunInput, raw: unknown): TaskResult {
  const task = input.task;
  let bars: Bar[] = [];
  let highlight: TaskResult["highlight"];
  switch (task) {
    case "fill-mask": {
      // One list per [MASK]; a single mask gives a flat list.
      const lists = (Array.isArray(raw) && Array.isArray(raw[0]) ? raw : [raw]) as FillMaskItem[][];
      lists.forEach((list, m) => {
        for (const p of list) bars.push({ key: `${lists.length > 1 ? `${m}:` : ""}${p.token}`, label: `${lists.length > 1 ? `mask ${m + 1}: ` : ""}${p.token_str}`, score: p.score, detail: `id ${p.token} · ${p.sequence}` });
      });
      break;
    }
    case "text-classification":
      bars = asList(raw as { label: string; score: number } | { label: string; score: number }[]).map((x) => ({ key: x.label, label: x.label, score: x.score }));
      break;
    case "zero-shot-classification": {
      const r = raw as { labels: string[]; scores: number[] };
      bars = r.labels.map((label, i) => ({ key: label, label, score: r.scores[i] }));
      break;
    }
    case "token-classification": {
      const ents = raw as Entity[];
      bars = ents.map((e, i) => ({ key: String(i), label: `${e.entity_group ?? e.entity ?? "?"}: ${e.word}`, score: e.score, detail: e.start !== null ? `chars ${e.start}–${e.end}` : undefined }));
      const spans: Span[] = ents
        .filter((e) => e.start !== null && e.end !== null)
        .map((e) => ({ start: e.start!, end: e.end!, label: e.entity_group ?? e.entity ?? "?", score: e.score }));
      highlight = { text: input.text, spans };
      break;
    }
    case "question-answering": {
      const answers = asList(raw as Answer | Answer[]);
      bars = answers.map((a) => ({ key: `${a.start}-${a.end}`, label: a.answer || "(no answer)", score: a.score, detail: `chars ${a.start}–${a.end}` }));
      highlight = { text: input.context, spans: answers.map((a, i) => ({ start: a.start, end: a.end, label: i === 0 ? "answer" : `#${i + 1}`, score: a.score })) };
      break;
    }
    case "multiple-choice": {
      const r = raw as { choices: string[]; scores: number[] };
      bars = r.choices.map((label, i) => ({ key: String(i), label, score: r.scores[i] }));
      break;
    }
  }
  return { task, bars, highlight, raw };
}

async function attentionMap(layer: number, head: number): Promise<{ data: Float32Array; length: number }> {
  if (!attentions) throw new DebertaError("INPUT_INVALID", "run a task first: there is no attention to show yet");
  const t = attentions[layer];
  if (!t) throw new DebertaError("INPUT_INVALID", `layer ${layer} does not exist (the model has ${attentions.length})`);
  const H = t.shape[1];
  const L = attentionLength;
  if (!(head >= 0 && head < H)) throw new DebertaError("INPUT_INVALID", `head ${head} does not exist (the model has ${H})`);
  const all = await t.data();
  return { data: Float32Array.from(all.subarray(head * L * L, (head + 1) * L * L)), length: L };
}

// ── errors in plain words ────────────────────────────────────────────────────────────────────────────────────────

function plain(e: unknown, context: { backend?: BackendName; source?: ModelSource } = {}): PlainError {
  const err = e instanceof Error ? e : new Error(String(e));
  const detail = err.message;
  const code = e instanceof DebertaError ? e.code : undefined;
  const reason = (e as { reason?: string }).reason;
  const say = (title: string): PlainError => ({ title, detail, code });
  const lower = detail.toLowerCase();

  if (reason === "repo-not-found" || reason === "invalid-id") return say("There is no such model on the Hugging Face hub. Check the id (e.g. “cross-encoder/nli-deberta-v3-xsmall”).");
  if (reason === "unauthorized") return say("This hub model is private or gated; the demo cannot download it.");
  if (reason === "download-failed") return say("The download failed. Check the network connection and try again; files already downloaded stay cached.");
  if (reason === "network") {
    return say(
      "Could not reach the Hugging Face hub. Check the network connection, and that no extension, proxy or firewall blocks huggingface.co; then try again. Models downloaded before load from the browser cache without the network.",
    );
  }
  if (reason === "offline") return say("This model is not in the browser cache and the network is not available.");
  if (code === "FILE_NOT_FOUND" && /config\.json/.test(detail)) {
    return say("This folder has no config.json, so it is not a Hugging Face model folder. Choose the folder that holds config.json, the weights and the tokenizer files.");
  }
  if (code === "CONFIG_INVALID" && /model_type/.test(detail)) {
    const m = /model_type is "([^"]+)"/.exec(detail);
    return say(`This is not a DeBERTa-v2/v3 model${m ? ` (its config.json says model_type "${m[1]}")` : ""}. The demo runs DeBERTa-v2 and DeBERTa-v3 models only.`);
  }
  if (code === "CONFIG_INVALID") return say("The model's config.json is not valid.");
  if (code === "TOKENIZER_INVALID" || /tokenizer/.test(lower)) {
    if (code === "FILE_NOT_FOUND" || /not found|missing|no tokenizer/.test(lower)) return say("The model has no tokenizer files (tokenizer.json or spm.model).");
    return say("The tokenizer files could not be read.");
  }
  if (code === "FILE_NOT_FOUND" && /safetensors|pytorch_model|weights/.test(lower)) return say("The model has no weights the demo can read (model.safetensors or pytorch_model.bin).");
  if (code === "FILE_NOT_FOUND") return say("A file the model needs is missing.");
  if (code === "WEIGHTS_MISSING") return say("The weights do not fit this model: tensors are missing.");
  if (code === "WEIGHTS_INVALID") return say("The weights file is damaged or in a format the demo cannot read.");
  if (code === "BACKEND_UNAVAILABLE") {
    return context.backend === "webgpu" || /webgpu/.test(lower)
      ? say("WebGPU is not available in this browser. Switch the backend to CPU.")
      : say("This backend cannot start here.");
  }
  if (/device (was )?lost|devicelost/i.test(detail)) return say("The GPU stopped working (WebGPU device lost). Load the model again, or switch to CPU.");
  if (code === "BACKEND_ERROR") return say("The backend failed while running the model.");
  if (code === "INPUT_INVALID") {
    if (/mask/i.test(detail)) return say("The text needs exactly the mask token [MASK] where a word should be predicted.");
    return say("The input cannot be used.");
  }
  if (code === "UNSUPPORTED") return say("This model or option is not supported.");
  if (err.name === "RangeError" || /out of memory|allocation/i.test(detail)) return say("The model is too large for the memory available here.");
  return say("Something went wrong.");
}

// ── messages ─────────────────────────────────────────────────────────────────────────────────────────────────────

let queue: Promise<void> = Promise.resolve();

self.addEventListener("message", (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  // One request at a time, in order: a run never overlaps a load.
  queue = queue.then(() => handle(req));
});

async function handle(req: WorkerRequest): Promise<void> {
  try {
    switch (req.type) {
      case "probe": {
        const a = await webgpuAvailability();
        post({ type: "probed", id: req.id, webgpu: a.available ? { available: true } : { available: false, reason: a.reason } });
        return;
      }
      case "load": {
        try {
          const { info, loadMs, warmupMs } = await load(req.source, req.task, req.backend, (p) => post({ type: "progress", id: req.id, ...p }), req.warmup);
          post({ type: "loaded", id: req.id, info, loadMs, warmupMs });
        } catch (e) {
          post({ type: "error", id: req.id, error: plain(e, { backend: req.backend, source: req.source }) });
        }
        return;
      }
      case "run": {
        const { result, tokens, inferenceMs, attention, view } = await run(req.input);
        post({ type: "result", id: req.id, result, tokens, inferenceMs, attention, view });
        return;
      }
      case "view": {
        if (!lastInput || !current || current.task !== lastInput.task) throw new DebertaError("INPUT_INVALID", "run a task first: there is no sequence to show yet");
        const { tokens, attention, view } = await showSequence(lastInput, req.index);
        if (!view) throw new DebertaError("INPUT_INVALID", `${lastInput.task} encodes one sequence only`);
        post({ type: "viewed", id: req.id, tokens, attention, view });
        return;
      }
      case "lose-device": {
        if (gpu) (await gpu).device.destroy();
        post({ type: "ok", id: req.id });
        return;
      }
      case "attention": {
        const { data, length } = await attentionMap(req.layer, req.head);
        post({ type: "attention", id: req.id, layer: req.layer, head: req.head, length, data }, [data.buffer]);
        return;
      }
    }
  } catch (e) {
    post({ type: "error", id: req.id, error: plain(e, { backend: current?.backend }) });
  }
}
