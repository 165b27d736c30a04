/**
 * The page: reads the form, talks to the model worker (`worker.ts`, through `protocol.ts`) and draws what comes
 * back. No model code runs here, so the page never freezes.
 *
 * For tests and curious users the displayed numbers are also in attributes, unrounded:
 *   #app[data-ready]                      "true" once the worker answered its first probe
 *   #results[data-state]                  idle | loading | running | done | error, with data-task, data-backend,
 *                                         data-run (a counter), data-load-ms, data-warmup-ms, data-inference-ms,
 *                                         data-load-phases (how the last load got its files: download, cached, load)
 *   #bars > li[data-key][data-label][data-score]   one per bar, in the order shown (key: token id or label)
 *   #raw                                  the pipeline's output as JSON
 */
import "./style.css";
import { renderHeatmap, type HeatmapHandle } from "./heatmap.js";
import {
  type AttentionShape,
  type BackendName,
  type ModelInfo,
  type ModelSource,
  type PlainError,
  type WorkerRequest,
  type WorkerResponse,
  type RunInput,
  type SequenceView,
  TASKS,
  TASK_TITLES,
  type Task,
  type TaskResult,
  type TokenInfo,
} from "./protocol.js";

// ── elements ─────────────────────────────────────────────────────────────────────────────────────────────────────

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};
const app = $("app");
const taskSelect = $<HTMLSelectElement>("task");
const hubInput = $<HTMLInputElement>("hub-id");
const folderInput = $<HTMLInputElement>("folder");
const loadButton = $<HTMLButtonElement>("load");
const runButton = $<HTMLButtonElement>("run");
const progressWrap = $("progress-wrap");
const progress = $<HTMLProgressElement>("progress");
const progressText = $("progress-text");
const modelStatus = $("model-status");
const bundledNote = $("bundled-note");
const bundledDetail = $("bundled-detail");
const webgpuStatus = $("webgpu-status");
const webgpuRadio = $<HTMLInputElement>("be-webgpu");
const cpuRadio = $<HTMLInputElement>("be-cpu");
const results = $("results");
const timing = $("timing");
const errorBox = $("error");
const highlightBox = $("highlight");
const barsList = $("bars");
const rawBox = $("raw");
const tokensList = $("tokens");
const tokensCount = $("tokens-count");
const layerSelect = $<HTMLSelectElement>("attn-layer");
const headSelect = $<HTMLSelectElement>("attn-head");
const attnCaption = $("attn-caption");
const canvas = $<HTMLCanvasElement>("heatmap");
const viewRow = $("view-row");
const viewLabel = $("view-label");
const viewSelect = $<HTMLSelectElement>("view-select");
const viewNote = $("view-note");
const attnView = $("attn-view");

for (const t of TASKS) taskSelect.add(new Option(TASK_TITLES[t], t));

// ── the worker ───────────────────────────────────────────────────────────────────────────────────────────────────

type Final = Exclude<WorkerResponse, { type: "progress" | "warning" | "device-lost" }>;
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "deberta-js model worker" });
let nextId = 1;
const pending = new Map<number, { resolve: (r: Final) => void; onProgress?: (p: Extract<WorkerResponse, { type: "progress" }>) => void }>();

worker.addEventListener("message", (ev: MessageEvent<WorkerResponse>) => {
  const msg = ev.data;
  if (msg.type === "warning") {
    modelWarnings.push(msg.message);
    return;
  }
  if (msg.type === "device-lost") {
    onDeviceLost(msg.error);
    return;
  }
  const p = pending.get(msg.id);
  if (!p) return;
  if (msg.type === "progress") {
    p.onProgress?.(msg);
    return;
  }
  pending.delete(msg.id);
  p.resolve(msg);
});
worker.addEventListener("error", (ev) => {
  // A worker that fails to start (a syntax error in the bundle, a failed import) ends up here.
  const error: PlainError = { title: "The model worker stopped unexpectedly.", detail: ev.message || "unknown error; see the browser console" };
  for (const [id, p] of pending) {
    pending.delete(id);
    p.resolve({ type: "error", id, error });
  }
  showError(error);
});

function call(body: RequestBody, onProgress?: (p: Extract<WorkerResponse, { type: "progress" }>) => void, transfer: Transferable[] = []): Promise<Final> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, { resolve, onProgress });
    worker.postMessage({ ...body, id } as WorkerRequest, transfer);
  });
}

// ── state ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** What the worker has loaded: a key of source + task + backend, and the model's description. */
let loaded: { key: string; info: ModelInfo } | null = null;
let busy = false;
let runCount = 0;
let modelWarnings: string[] = [];
/** A folder the user picked that the worker has not received yet. */
let pendingFolder: { label: string; files: Record<string, Uint8Array> } | null = null;
/** The folder the worker holds (its label), once sent. */
let folderLabel: string | null = null;
let folderSerial = 0;
let heatmap: HeatmapHandle | null = null;
let lastTokens: TokenInfo[] = [];

const currentTask = (): Task => taskSelect.value as Task;
const currentBackend = (): BackendName => (webgpuRadio.checked ? "webgpu" : "cpu");
const currentSourceKind = (): ModelSource["kind"] =>
  ((document.querySelector('input[name="source"]:checked') as HTMLInputElement | null)?.value ?? "bundled") as ModelSource["kind"];

function sourceKey(): string {
  switch (currentSourceKind()) {
    case "bundled":
      return "bundled";
    case "hub":
      return `hub:${hubInput.value.trim()}`;
    case "folder":
      return `folder:${folderSerial}`;
  }
}

const loadKey = () => `${sourceKey()}|${currentTask()}|${currentBackend()}`;

// ── form ─────────────────────────────────────────────────────────────────────────────────────────────────────────

const BUNDLED_FOLDERS: Record<Task, string> = {
  "fill-mask": "tiny-random-mlm",
  "text-classification": "tiny-random-nli",
  "zero-shot-classification": "tiny-random-nli",
  "token-classification": "tiny-random-ner",
  "question-answering": "tiny-random-qa",
  "multiple-choice": "tiny-random-mc",
};

function syncForm() {
  const task = currentTask();
  for (const el of document.querySelectorAll<HTMLElement>(".task-fields")) el.hidden = el.dataset.task !== task;
  const bundled = currentSourceKind() === "bundled";
  bundledNote.hidden = !bundled;
  bundledDetail.textContent = bundled
    ? ` This task uses models/${BUNDLED_FOLDERS[task]}: a DeBERTa-v3-shaped model (hidden 32, 2 layers, 4 heads) with the 8,000-piece test tokenizer, so scores are meaningless.`
    : "";
  const stale = loaded !== null && loaded.key !== loadKey();
  loadButton.textContent = loaded && !stale ? "Reload model" : "Load model";
  if (stale) modelStatus.textContent = `${describeModel(loaded!.info)} — settings changed; it will be reloaded on Run.`;
}

document.querySelectorAll('input[name="source"]').forEach((el) => el.addEventListener("change", syncForm));
document.querySelectorAll('input[name="backend"]').forEach((el) => el.addEventListener("change", syncForm));
taskSelect.addEventListener("change", syncForm);
hubInput.addEventListener("input", () => {
  ($("src-hub") as HTMLInputElement).checked = true;
  syncForm();
});

/** Files of a model folder worth reading (weights, config, tokenizer); other frameworks' weights are skipped. */
const SKIP = /\.(h5|msgpack|onnx|ot|ckpt|tflite|mlmodel|gguf|pt|pth|md|txt|gitattributes)$|(^|\/)\./i;

folderInput.addEventListener("change", async () => {
  const list = [...(folderInput.files ?? [])];
  ($("src-folder") as HTMLInputElement).checked = true;
  if (list.length === 0) return;
  const root = list[0].webkitRelativePath.split("/")[0] || "folder";
  const files: Record<string, Uint8Array> = {};
  const names: string[] = [];
  for (const f of list) {
    const rel = f.webkitRelativePath ? f.webkitRelativePath.split("/").slice(1).join("/") : f.name;
    // Only the top level: a model folder is flat (sharded weights included).
    if (!rel || rel.includes("/") || SKIP.test(rel)) continue;
    names.push(rel);
  }
  setModelStatus(`Reading ${names.length} file(s) of "${root}"…`);
  for (const f of list) {
    const rel = f.webkitRelativePath ? f.webkitRelativePath.split("/").slice(1).join("/") : f.name;
    if (names.includes(rel)) files[rel] = new Uint8Array(await f.arrayBuffer());
  }
  folderSerial++;
  pendingFolder = { label: root, files };
  syncForm();
  setModelStatus(`Folder "${root}": ${names.length ? names.join(", ") : "no model files"}. Press Load model.`);
});

function readInput(): RunInput | PlainError {
  const v = (id: string) => $<HTMLInputElement | HTMLTextAreaElement>(id).value;
  const int = (id: string, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(Number(v(id)) || lo)));
  const task = currentTask();
  switch (task) {
    case "fill-mask":
      return { task, text: v("fm-text"), topK: int("fm-topk", 1, 50) };
    case "text-classification": {
      const pair = v("tc-pair").trim();
      return { task, text: v("tc-text"), textPair: pair || undefined };
    }
    case "zero-shot-classification": {
      const labels = v("zs-labels").split(",").map((s) => s.trim()).filter(Boolean);
      if (labels.length === 0) return { title: "Give at least one candidate label.", detail: "Candidate labels are comma-separated, e.g. “sports, politics”." };
      return { task, text: v("zs-text"), labels, template: v("zs-template"), multiLabel: $<HTMLInputElement>("zs-multi").checked };
    }
    case "token-classification":
      return { task, text: v("tk-text"), aggregation: v("tk-agg") as "simple" };
    case "question-answering":
      return { task, question: v("qa-question"), context: v("qa-context"), topK: int("qa-topk", 1, 20) };
    case "multiple-choice": {
      const choices = v("mc-choices").split("\n").map((s) => s.trim()).filter(Boolean);
      if (choices.length < 2) return { title: "Give at least two choices, one per line.", detail: "" };
      return { task, prompt: v("mc-prompt"), choices };
    }
  }
}

// ── loading ──────────────────────────────────────────────────────────────────────────────────────────────────────

function setModelStatus(text: string) {
  modelStatus.textContent = text;
}

function describeModel(info: ModelInfo): string {
  const be = info.backend === "webgpu" ? `WebGPU${info.adapter ? ` (${info.adapter})` : ""}` : "CPU";
  return `${info.label} · ${info.className} · ${info.layers} layers × ${info.heads} heads, hidden ${info.hidden}, vocab ${info.vocab} · ${be}`;
}

function currentSource(): ModelSource | PlainError {
  switch (currentSourceKind()) {
    case "bundled":
      return { kind: "bundled", baseUrl: document.baseURI };
    case "hub": {
      const id = hubInput.value.trim();
      if (!id) return { title: "Type a Hugging Face model id first.", detail: "For example cross-encoder/nli-deberta-v3-xsmall." };
      return { kind: "hub", id };
    }
    case "folder":
      if (pendingFolder) return { kind: "folder", label: pendingFolder.label, files: pendingFolder.files };
      if (folderLabel !== null) return { kind: "folder", label: folderLabel };
      return { title: "Choose a model folder first.", detail: "It should hold config.json, the weights (model.safetensors or pytorch_model.bin) and the tokenizer files." };
  }
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

async function load(): Promise<boolean> {
  const source = currentSource();
  if (!("kind" in source)) {
    showError(source);
    return false;
  }
  const key = loadKey();
  const transfer: Transferable[] = [];
  if (source.kind === "folder" && source.files) {
    for (const b of Object.values(source.files)) transfer.push(b.buffer);
    folderLabel = source.label;
    pendingFolder = null;
  }
  setState("loading");
  loaded = null;
  modelWarnings = [];
  progressWrap.hidden = false;
  progress.removeAttribute("value"); // indeterminate until bytes are counted
  progressText.textContent = "starting…";
  setModelStatus(`Loading ${source.kind === "hub" ? source.id : source.kind === "folder" ? `folder "${source.label}"` : "the bundled model"} on ${currentBackend() === "webgpu" ? "WebGPU" : "CPU"}…`);
  const input = readInput();
  const warmup = "task" in input ? input : undefined;
  const phases = new Set<string>();
  const msg = await call({ type: "load", source, task: currentTask(), backend: currentBackend(), warmup }, (p) => {
    phases.add(p.phase);
    if (p.total > 0) {
      progress.max = p.total;
      progress.value = Math.min(p.loaded, p.total);
    } else progress.removeAttribute("value");
    if (p.phase === "warmup") {
      progressText.textContent = "compiling GPU shaders (one warm-up run)…";
      return;
    }
    const verb = p.phase === "download" ? "downloading" : p.phase === "cached" ? "from the browser cache:" : "reading";
    progressText.textContent = `${verb} ${p.file}${p.total ? ` — ${formatBytes(p.loaded)} / ${formatBytes(p.total)}` : p.loaded ? ` — ${formatBytes(p.loaded)}` : ""}`;
  }, transfer);
  progressWrap.hidden = true;
  results.dataset.loadPhases = [...phases].join(" ");
  if (msg.type === "error") {
    setModelStatus("No model loaded.");
    showError(msg.error);
    return false;
  }
  if (msg.type !== "loaded") return false;
  loaded = { key, info: msg.info };
  results.dataset.loadMs = String(msg.loadMs);
  const warnings = [...msg.info.warnings, ...modelWarnings];
  results.dataset.warmupMs = String(msg.warmupMs);
  const warm = msg.warmupMs > 0 ? ` (+ ${msg.warmupMs.toFixed(0)} ms compiling GPU shaders)` : "";
  setModelStatus(`Loaded in ${msg.loadMs.toFixed(0)} ms${warm}: ${describeModel(msg.info)}.${warnings.length ? ` Note: ${warnings.join(" ")}` : ""}`);
  clearError();
  setState("loaded");
  syncForm();
  return true;
}

// ── running ──────────────────────────────────────────────────────────────────────────────────────────────────────

function setState(state: "idle" | "loading" | "loaded" | "running" | "done" | "error") {
  results.dataset.state = state;
  busy = state === "loading" || state === "running";
  results.setAttribute("aria-busy", String(busy));
  loadButton.disabled = busy || !appReady;
  runButton.disabled = busy || !appReady;
}

async function run() {
  if (busy) return;
  clearError();
  const input = readInput();
  if (!("task" in input)) {
    showError(input);
    return;
  }
  if (!loaded || loaded.key !== loadKey()) {
    if (!(await load())) return;
  }
  setState("running");
  const msg = await call({ type: "run", input });
  if (msg.type === "error") {
    showError(msg.error);
    return;
  }
  if (msg.type !== "result") return;
  runCount++;
  showResult(msg.result, msg.inferenceMs);
  showTokens(msg.tokens);
  showView(msg.view);
  await setupAttention(msg.attention);
  results.dataset.task = msg.result.task;
  results.dataset.backend = loaded?.info.backend ?? "";
  results.dataset.inferenceMs = String(msg.inferenceMs);
  results.dataset.run = String(runCount);
  setState("done");
}

$("task-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void run();
});
loadButton.addEventListener("click", () => {
  if (!busy) {
    clearError();
    void load();
  }
});

// ── showing results ──────────────────────────────────────────────────────────────────────────────────────────────

function showResult(result: TaskResult, inferenceMs: number) {
  const info = loaded?.info;
  const loadMs = Number(results.dataset.loadMs);
  timing.textContent =
    `Inference ${inferenceMs.toFixed(1)} ms` +
    (Number.isFinite(loadMs) ? ` · model load ${loadMs.toFixed(0)} ms` : "") +
    (info ? ` · ${info.backend === "webgpu" ? "WebGPU" : "CPU"}` : "") +
    (info?.bundled ? " · tiny random-weights model (scores are meaningless)" : "");

  barsList.replaceChildren();
  const max = Math.max(1e-12, ...result.bars.map((b) => Math.abs(b.score)));
  const scale = result.bars.every((b) => b.score >= 0 && b.score <= 1) ? 1 : max;
  for (const b of result.bars) {
    const li = document.createElement("li");
    li.className = "bar";
    li.dataset.key = b.key;
    li.dataset.label = b.label;
    li.dataset.score = String(b.score);
    const label = document.createElement("span");
    label.className = "label";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = b.label;
    label.append(name);
    label.title = b.detail ? `${b.label} — ${b.detail}` : b.label;
    if (b.detail) {
      const d = document.createElement("span");
      d.className = "detail";
      d.textContent = b.detail;
      label.append(d);
    }
    const track = document.createElement("span");
    track.className = "track";
    track.setAttribute("role", "meter");
    track.setAttribute("aria-valuemin", "0");
    track.setAttribute("aria-valuemax", String(scale));
    track.setAttribute("aria-valuenow", String(b.score));
    track.setAttribute("aria-label", b.label);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${Math.max(0, Math.min(100, (Math.abs(b.score) / scale) * 100))}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = b.score.toFixed(4);
    li.append(label, track, value);
    barsList.append(li);
  }

  highlightBox.replaceChildren();
  highlightBox.hidden = !result.highlight;
  if (result.highlight) {
    const { text, spans } = result.highlight;
    // Highlight non-overlapping spans, best first (the QA answers may overlap).
    const chosen: typeof spans = [];
    const ranked = spans.map((s, rank) => ({ ...s, rank })).sort((a, b) => b.score - a.score);
    for (const s of ranked) if (!chosen.some((c) => s.start < c.end && c.start < s.end) && s.end > s.start) chosen.push(s);
    chosen.sort((a, b) => a.start - b.start);
    let at = 0;
    for (const s of chosen as (typeof spans[number] & { rank: number })[]) {
      if (s.start > at) highlightBox.append(text.slice(at, s.start));
      const mark = document.createElement("mark");
      mark.dataset.rank = String(s.rank);
      mark.dataset.label = s.label;
      mark.dataset.score = String(s.score);
      mark.title = `${s.label}: ${s.score.toFixed(4)}`;
      mark.append(text.slice(s.start, s.end));
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = s.label;
      mark.append(tag);
      highlightBox.append(mark);
      at = s.end;
    }
    if (at < text.length) highlightBox.append(text.slice(at));
    if (chosen.length === 0) highlightBox.append(" (nothing found)");
  }
  rawBox.textContent = JSON.stringify(result.raw, null, 2);
}

function showTokens(tokens: TokenInfo[]) {
  lastTokens = tokens;
  tokensCount.textContent = `(${tokens.length})`;
  tokensList.replaceChildren(
    ...tokens.map((t, i) => {
      const li = document.createElement("li");
      li.className = t.special ? "special" : "";
      li.dataset.id = String(t.id);
      li.title = `position ${i}, id ${t.id}`;
      const tok = document.createElement("span");
      tok.className = "tok";
      tok.textContent = t.token;
      const id = document.createElement("span");
      id.className = "id";
      id.textContent = String(t.id);
      li.append(tok, id);
      return li;
    }),
  );
}

async function setupAttention(shape: AttentionShape | null) {
  if (!shape) {
    layerSelect.replaceChildren();
    headSelect.replaceChildren();
    attnCaption.textContent = "no attention probabilities for this run";
    heatmap?.clear();
    return;
  }
  const fill = (sel: HTMLSelectElement, n: number) => {
    const keep = Math.min(Number(sel.value) || 0, n - 1);
    sel.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(String(i), String(i))));
    sel.value = String(keep);
  };
  fill(layerSelect, shape.layers);
  fill(headSelect, shape.heads);
  await drawAttention();
}

async function drawAttention() {
  const layer = Number(layerSelect.value);
  const head = Number(headSelect.value);
  if (!Number.isInteger(layer) || !Number.isInteger(head) || layerSelect.options.length === 0) return;
  const msg = await call({ type: "attention", layer, head });
  if (msg.type === "error") {
    attnCaption.textContent = msg.error.title;
    return;
  }
  if (msg.type !== "attention") return;
  heatmap = renderHeatmap(canvas, msg.data, msg.length, lastTokens.map((t) => t.token), (text) => (attnCaption.textContent = text));
  attnCaption.textContent = `layer ${layer}, head ${head}: row = query token, column = the token it attends to (each row sums to 1). Hover for values.`;
}
layerSelect.addEventListener("change", () => void drawAttention());
headSelect.addEventListener("change", () => void drawAttention());

// ── which sequence the tokens and attention show (multiple choice, zero-shot) ──────────────────────────────────

const VIEW_NOUN: Record<SequenceView["kind"], string> = { choice: "choice", label: "label" };

/**
 * Multiple choice encodes the prompt with each choice, zero-shot the text with each label's hypothesis: the tokens
 * and attention shown are those of one sequence, so say which one and let the user pick another.
 */
function showView(view: SequenceView | null) {
  viewRow.hidden = view === null;
  attnView.hidden = view === null;
  if (!view) {
    delete viewRow.dataset.index;
    return;
  }
  const noun = VIEW_NOUN[view.kind];
  viewLabel.textContent = `Tokens and attention of ${noun}`;
  viewSelect.replaceChildren(...view.options.map((o, i) => new Option(`${i + 1} of ${view.options.length}: ${o}`, String(i))));
  viewSelect.value = String(view.index);
  const what = view.kind === "choice" ? "the prompt with this choice" : `the text with the hypothesis “${view.pair}”`;
  viewNote.textContent = `(${what}; the model reads one such sequence per ${noun})`;
  attnView.textContent = `Attention of ${noun} ${view.index + 1} of ${view.options.length} (“${view.options[view.index]}”); pick another above the tokens.`;
  viewRow.dataset.index = String(view.index);
}

viewSelect.addEventListener("change", async () => {
  const index = Number(viewSelect.value);
  const msg = await call({ type: "view", index });
  if (msg.type === "error") {
    showError(msg.error);
    return;
  }
  if (msg.type !== "viewed") return;
  showTokens(msg.tokens);
  await setupAttention(msg.attention);
  showView(msg.view);
});

// ── errors ───────────────────────────────────────────────────────────────────────────────────────────────────────

function showError(error: PlainError) {
  const title = document.createElement("p");
  title.className = "title";
  const strong = document.createElement("strong");
  strong.textContent = error.title;
  title.append(strong);
  errorBox.replaceChildren(title);
  if (error.detail) {
    const detail = document.createElement("p");
    detail.className = "detail";
    detail.textContent = error.code ? `${error.code}: ${error.detail}` : error.detail;
    errorBox.append(detail);
  }
  errorBox.hidden = false;
  errorBox.dataset.code = error.code ?? "";
  setState("error");
}

function clearError() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
}

function onDeviceLost(error: PlainError) {
  if (loaded?.info.backend === "webgpu") loaded = null;
  showError(error);
  syncForm();
}

// Tests: `?e2e` in the URL offers a way to lose the WebGPU device, as a driver reset would.
if (new URLSearchParams(location.search).has("e2e")) {
  (globalThis as { debertaDemo?: unknown }).debertaDemo = { loseGpuDevice: () => call({ type: "lose-device" }) };
}

// ── start ────────────────────────────────────────────────────────────────────────────────────────────────────────

let appReady = false;
setState("idle");
syncForm();
void call({ type: "probe" }).then((msg) => {
  if (msg.type !== "probed") return;
  if (msg.webgpu.available) {
    webgpuStatus.textContent = "WebGPU is available.";
    webgpuRadio.checked = true;
  } else {
    webgpuStatus.textContent = `WebGPU is not available here (${msg.webgpu.reason ?? "unknown reason"}); using the CPU.`;
    webgpuRadio.disabled = true;
    cpuRadio.checked = true;
  }
  appReady = true;
  setState("idle");
  syncForm();
  app.dataset.ready = "true";
});
