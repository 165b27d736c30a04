/**
 * End to end: the built demo in headless Chromium (Debian's `chromium`, WebGPU through SwiftShader), driven with
 * playwright-core. Loads the bundled tiny models, runs fill-mask and text-classification on WebGPU and on the CPU,
 * and checks that every score the page shows equals `deberta-js run` on the same model and input (within 1e-4);
 * shows a folder without config.json and a non-DeBERTa model to the page and checks the plain-words errors; fails on
 * any console error. Screenshots go to test-results/ (and to screenshot.png when that is absent, or with
 * DEBERTA_JS_UPDATE_SCREENSHOT=1).
 *
 * Skipped, saying so, when /usr/bin/chromium (or $CHROMIUM_PATH) is absent.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const rootDir = join(appDir, "..", "..");
const distDir = join(appDir, "dist");
const modelsDir = join(appDir, "public", "models");
const resultsDir = join(appDir, "test-results");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const hasChromium = existsSync(CHROMIUM);
const TOLERANCE = 1e-4;

if (!hasChromium) {
  console.warn(`demo e2e: skipped — ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);
}

// ── building ─────────────────────────────────────────────────────────────────────────────────────────────────────

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) if (e !== "node_modules" && e !== "dist") t = Math.max(t, newestMtime(join(path, e)));
  return t;
}

/** The app bundles the workspace packages from source, so their sources count too. */
function distIsStale(): boolean {
  const built = existsSync(join(distDir, "index.html")) ? statSync(join(distDir, "index.html")).mtimeMs : 0;
  const inputs = [
    join(appDir, "src"),
    join(appDir, "index.html"),
    join(appDir, "vite.config.ts"),
    join(modelsDir, "manifest.json"),
    ...["core", "tokenizer", "heads", "backend-cpu", "backend-webgpu"].map((p) => join(rootDir, "packages", p, "src")),
  ];
  return inputs.some((p) => newestMtime(p) > built);
}

async function ensureBuilt(): Promise<void> {
  const { makeTinyModels } = (await import("../scripts/make-tiny-models.mjs")) as { makeTinyModels: (o?: object) => string };
  makeTinyModels({ log: () => {} });
  if (!distIsStale()) return;
  const r = spawnSync(process.execPath, [join(appDir, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], {
    cwd: appDir,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

// ── reference numbers: `deberta-js run`, else the same pipeline in Node ──────────────────────────────────────────

interface Scored {
  key: string;
  score: number;
  /** When given, the bar's label must be this. */
  label?: string;
}

const cliBin = join(rootDir, "packages", "cli", "dist", "bin.js");
/** Which reference produced the numbers, for the log. */
const referenceUsed = new Set<string>();

function cliRun(task: string, model: string, text: string, flags: string[]): unknown | undefined {
  if (!existsSync(cliBin)) return undefined;
  const r = spawnSync(process.execPath, [cliBin, "run", "--task", task, "--model", model, "--backend", "cpu", ...flags, text], {
    cwd: rootDir,
    encoding: "utf8",
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
  });
  if (r.status !== 0 && /unknown command|too many arguments/i.test(r.stderr)) return undefined; // an older build without `run`
  if (r.status !== 0) throw new Error(`deberta-js run failed (exit ${r.status}):\n${r.stderr}`);
  referenceUsed.add("deberta-js run (packages/cli/dist/bin.js)");
  return JSON.parse(r.stdout.trim().split("\n")[0]);
}

async function nodeRun(task: string, model: string, input: unknown, options: Record<string, unknown>): Promise<unknown> {
  await import("@deberta-js/backend-cpu");
  const { pipeline } = await import("@deberta-js/heads");
  const { directoryFiles } = await import("@deberta-js/core/node");
  const pipe = (await pipeline(task as "fill-mask", directoryFiles(model), { backend: "cpu", warn: () => {} })) as unknown as {
    (input: unknown, options: Record<string, unknown>): Promise<unknown>;
    dispose(): void;
  };
  try {
    referenceUsed.add("the @deberta-js/heads pipeline in Node (CPU backend)");
    return await pipe(input, options);
  } finally {
    pipe.dispose();
  }
}

const FILL_MASK_TEXT = "Paris is the [MASK] of France.";
const PREMISE = "A soccer game with multiple males playing.";
const HYPOTHESIS = "Some men are playing a sport.";
const ZS_TEXT = "I have a problem with my iphone that needs to be resolved asap!";
const ZS_LABELS = ["urgent", "not urgent", "phone", "tablet", "computer"];
const ZS_TEMPLATE = "This example is {}.";
const NER_TEXT = "My name is Wolfgang and I live in Berlin.";
const QUESTION = "Where do I live?";
const CONTEXT = "My name is Wolfgang and I live in Berlin.";
const MC_PROMPT = "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced.";
const MC_CHOICES = ["It is eaten with a fork and a knife.", "It is eaten while held in the hand."];

const TASKS = ["fill-mask", "text-classification", "zero-shot-classification", "token-classification", "question-answering", "multiple-choice"] as const;
type Task = (typeof TASKS)[number];

/**
 * The reference numbers of each task, keyed as the page keys its bars (`#bars > li[data-key]`): the token id, the
 * label, the entity's index, the answer's `start-end`, the choice's index. `label` is compared too where given.
 */
async function reference(task: Task): Promise<Scored[]> {
  const dir = (name: string) => join(modelsDir, name);
  switch (task) {
    case "fill-mask": {
      const out = (cliRun(task, dir("tiny-random-mlm"), FILL_MASK_TEXT, ["--top-k", "5"]) ??
        (await nodeRun(task, dir("tiny-random-mlm"), FILL_MASK_TEXT, { top_k: 5 }))) as { token: number; score: number }[];
      return out.map((p) => ({ key: String(p.token), score: p.score }));
    }
    case "text-classification": {
      const out = (cliRun(task, dir("tiny-random-nli"), PREMISE, ["--text-pair", HYPOTHESIS, "--top-k", "3"]) ??
        (await nodeRun(task, dir("tiny-random-nli"), { text: PREMISE, text_pair: HYPOTHESIS }, { top_k: null }))) as { label: string; score: number }[];
      return out.map((p) => ({ key: p.label, score: p.score }));
    }
    case "zero-shot-classification": {
      const out = (cliRun(task, dir("tiny-random-nli"), ZS_TEXT, ["--candidate-labels", ZS_LABELS.join(","), "--hypothesis-template", ZS_TEMPLATE]) ??
        (await nodeRun(task, dir("tiny-random-nli"), ZS_TEXT, { candidate_labels: ZS_LABELS, hypothesis_template: ZS_TEMPLATE }))) as { labels: string[]; scores: number[] };
      return out.labels.map((label, i) => ({ key: label, score: out.scores[i] }));
    }
    case "token-classification": {
      const out = (cliRun(task, dir("tiny-random-ner"), NER_TEXT, ["--aggregation-strategy", "simple"]) ??
        (await nodeRun(task, dir("tiny-random-ner"), NER_TEXT, { aggregation_strategy: "simple" }))) as { entity_group: string; word: string; score: number }[];
      return out.map((e, i) => ({ key: String(i), label: `${e.entity_group}: ${e.word}`, score: e.score }));
    }
    case "question-answering": {
      const out = (cliRun(task, dir("tiny-random-qa"), QUESTION, ["--context", CONTEXT, "--top-k", "3"]) ??
        (await nodeRun(task, dir("tiny-random-qa"), { question: QUESTION, context: CONTEXT }, { top_k: 3 }))) as { start: number; end: number; answer: string; score: number }[];
      return out.map((a) => ({ key: `${a.start}-${a.end}`, label: a.answer, score: a.score }));
    }
    case "multiple-choice": {
      const out = (cliRun(task, dir("tiny-random-mc"), MC_PROMPT, ["--choices", MC_CHOICES.join("||")]) ??
        (await nodeRun(task, dir("tiny-random-mc"), { prompt: MC_PROMPT, choices: MC_CHOICES }, {}))) as { choices: string[]; scores: number[] };
      return out.choices.map((c, i) => ({ key: String(i), label: c, score: out.scores[i] }));
    }
  }
}

/** The ids of `text` (+ `pair`) as the model folder's own tokenizer encodes them in Node. */
async function nodeIds(model: string, text: string, pair?: string): Promise<number[]> {
  const { AutoTokenizer } = await import("@deberta-js/heads");
  const { directoryFiles } = await import("@deberta-js/core/node");
  const tokenizer = await AutoTokenizer.fromPretrained(directoryFiles(join(modelsDir, model)));
  return tokenizer(text, pair === undefined ? {} : { textPair: pair }).input_ids;
}

// ── the browser ──────────────────────────────────────────────────────────────────────────────────────────────────

describe.skipIf(!hasChromium)("demo in headless Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  let close: () => Promise<void>;
  let profileDir: string;
  const consoleErrors: string[] = [];
  const refs = new Map<string, Scored[]>();

  beforeAll(async () => {
    await ensureBuilt();
    for (const task of TASKS) refs.set(task, await reference(task));

    const { serve } = (await import("../scripts/serve.mjs")) as {
      serve: (o: { dir: string; port: number }) => Promise<{ url: string; close: () => Promise<void> }>;
    };
    const server = await serve({ dir: distDir, port: 0 });
    close = server.close;

    const { chromium } = await import("playwright-core");
    profileDir = mkdtempSync(join(tmpdir(), "deberta-js-demo-chromium-"));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--enable-unsafe-webgpu",
        "--use-webgpu-adapter=swiftshader",
        "--use-vulkan=swiftshader",
        "--disable-gpu-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      env: { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`console.error: ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
    page.on("requestfailed", (r) => consoleErrors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on("response", (r) => {
      if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`${server.url}?e2e`); // ?e2e: the page offers debertaDemo.loseGpuDevice()
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await context?.close();
    await close?.();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    if (referenceUsed.size) console.info(`demo e2e: reference numbers from ${[...referenceUsed].join(" and ")}`);
  });

  /** Fills the task's form with the inputs the references use. */
  async function fillForm(task: Task) {
    switch (task) {
      case "fill-mask":
        await page.fill("#fm-text", FILL_MASK_TEXT);
        await page.fill("#fm-topk", "5");
        return;
      case "text-classification":
        await page.fill("#tc-text", PREMISE);
        await page.fill("#tc-pair", HYPOTHESIS);
        return;
      case "zero-shot-classification":
        await page.fill("#zs-text", ZS_TEXT);
        await page.fill("#zs-labels", ZS_LABELS.join(", "));
        await page.fill("#zs-template", ZS_TEMPLATE);
        await page.setChecked("#zs-multi", false);
        return;
      case "token-classification":
        await page.fill("#tk-text", NER_TEXT);
        await page.selectOption("#tk-agg", "simple");
        return;
      case "question-answering":
        await page.fill("#qa-question", QUESTION);
        await page.fill("#qa-context", CONTEXT);
        await page.fill("#qa-topk", "3");
        return;
      case "multiple-choice":
        await page.fill("#mc-prompt", MC_PROMPT);
        await page.fill("#mc-choices", MC_CHOICES.join("\n"));
        return;
    }
  }

  /** Runs the form's task on a backend and returns the bars as shown. */
  async function runInPage(task: Task, backend: "webgpu" | "cpu"): Promise<{ bars: (Scored & { label: string })[]; state: Record<string, string> }> {
    await page.selectOption("#task", task);
    await page.click(`label[for="be-${backend}"]`);
    await fillForm(task);
    const before = Number((await page.getAttribute("#results", "data-run")) ?? 0);
    await page.click("#run");
    await page.waitForFunction(
      (n) => {
        const r = document.getElementById("results")!;
        return r.dataset.state === "error" || (r.dataset.state === "done" && Number(r.dataset.run ?? 0) > n);
      },
      before,
      { timeout: 240_000 },
    );
    const state = await page.$eval("#results", (r) => ({ ...(r as HTMLElement).dataset }) as Record<string, string>);
    if (state.state === "error") throw new Error(`the page shows an error: ${await page.textContent("#error")}`);
    const bars = await page.$$eval("#bars > li", (lis) =>
      lis.map((li) => ({ key: (li as HTMLElement).dataset.key!, label: (li as HTMLElement).dataset.label!, score: Number((li as HTMLElement).dataset.score) })),
    );
    return { bars, state };
  }

  function compare(shown: Scored[], ref: Scored[]) {
    expect(ref.length, "the reference has results to compare").toBeGreaterThan(0);
    expect(shown.map((b) => b.key)).toEqual(ref.map((r) => r.key));
    for (const r of ref) {
      const s = shown.find((b) => b.key === r.key)!;
      if (r.label !== undefined) expect(s.label, `label of ${r.key}`).toBe(r.label);
      expect(Math.abs(s.score - r.score), `score of ${r.key}: page ${s.score}, reference ${r.score}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }

  async function screenshot(name: string) {
    mkdirSync(resultsDir, { recursive: true });
    const path = join(resultsDir, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }

  it("finds WebGPU (SwiftShader) in the worker", async () => {
    const status = await page.textContent("#webgpu-status");
    expect(status, `WebGPU should be available through SwiftShader (is libvulkan1 installed?); the page says: ${status}`).toBe("WebGPU is available.");
  });

  for (const backend of ["webgpu", "cpu"] as const) {
    for (const task of TASKS) {
      it(`${task} on ${backend}: the scores shown equal deberta-js run`, async () => {
        const { bars, state } = await runInPage(task, backend);
        expect(state.task).toBe(task);
        expect(state.backend).toBe(backend);
        expect(Number(state.inferenceMs)).toBeGreaterThan(0);
        expect(Number(state.loadMs)).toBeGreaterThan(0);
        compare(bars, refs.get(task)!);
        // The machinery around the scores: tokens with ids, and an attention map of the right size.
        const ids = await page.$$eval("#tokens > li", (lis) => lis.map((li) => Number((li as HTMLElement).dataset.id)));
        expect(ids[0]).toBe(1); // [CLS]
        expect(ids[ids.length - 1]).toBe(2); // [SEP]
        if (task === "fill-mask") expect(ids).toContain(8000); // [MASK]
        // Entities and answers are highlighted in the text, at the characters the pipeline gave.
        if (task === "token-classification" || task === "question-answering") {
          const marks = await page.$$eval("#highlight mark", (ms) => ms.map((m) => (m as HTMLElement).firstChild!.textContent));
          expect(marks.length).toBeGreaterThan(0);
          const text = task === "token-classification" ? NER_TEXT : CONTEXT;
          for (const m of marks) expect(text).toContain(m);
        }
        // One sequence per choice / label: the page says which one the tokens and attention show.
        expect(await page.isVisible("#view-row")).toBe(task === "multiple-choice" || task === "zero-shot-classification");
        expect(await page.$$eval("#attn-layer option", (o) => o.length)).toBe(2);
        expect(await page.$$eval("#attn-head option", (o) => o.length)).toBe(4);
        const size = await page.$eval("#heatmap", (c) => (c as HTMLCanvasElement).width);
        expect(size).toBeGreaterThan(0);
        expect(await page.textContent("#bundled-note")).toContain("tiny random-weights model — shows the machinery, not real predictions");
        const shot = await screenshot(`${task}-${backend}`);
        const readmeShot = join(appDir, "screenshot.png");
        if (task === "text-classification" && backend === "webgpu" && (!existsSync(readmeShot) || process.env.DEBERTA_JS_UPDATE_SCREENSHOT === "1")) {
          copyFileSync(shot, readmeShot);
        }
        expect(consoleErrors).toEqual([]);
      });
    }
  }

  it("says in plain words that the WebGPU device was lost, and recovers on the next run", async () => {
    await runInPage("text-classification", "webgpu");
    await page.evaluate(() => (globalThis as unknown as { debertaDemo: { loseGpuDevice(): Promise<unknown> } }).debertaDemo.loseGpuDevice());
    await page.waitForFunction(() => !document.getElementById("error")!.hidden, null, { timeout: 30_000 });
    expect(await page.textContent("#error")).toContain("WebGPU device lost");
    const again = await runInPage("text-classification", "webgpu");
    compare(again.bars, refs.get("text-classification")!);
    expect(await page.isHidden("#error")).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  it("multiple choice: says which choice the tokens and attention show, and shows the choice the user picks", async () => {
    await runInPage("multiple-choice", "cpu");
    expect(await page.textContent("#view-label")).toBe("Tokens and attention of choice");
    expect(await page.$eval("#view-select", (s) => (s as HTMLSelectElement).selectedOptions[0].textContent)).toBe(`1 of 2: ${MC_CHOICES[0]}`);
    expect(await page.textContent("#attn-view")).toContain(`choice 1 of 2 (“${MC_CHOICES[0]}”)`);
    const shownIds = () => page.$$eval("#tokens > li", (lis) => lis.map((li) => Number((li as HTMLElement).dataset.id)));
    expect(await shownIds()).toEqual(await nodeIds("tiny-random-mc", MC_PROMPT, MC_CHOICES[0]));

    await page.selectOption("#view-select", "1");
    await page.waitForFunction(() => document.getElementById("view-row")!.dataset.index === "1");
    expect(await shownIds()).toEqual(await nodeIds("tiny-random-mc", MC_PROMPT, MC_CHOICES[1]));
    expect(await page.textContent("#attn-view")).toContain(`choice 2 of 2 (“${MC_CHOICES[1]}”)`);
    expect(await page.$eval("#view-select", (s) => (s as HTMLSelectElement).value)).toBe("1");
    // The attention map follows: another layer/head of choice 2 can still be drawn.
    await page.selectOption("#attn-head", "2");
    await page.waitForFunction(() => document.getElementById("attn-caption")!.textContent!.includes("head 2"));
    // The scores are the run's and do not change with the view.
    compare(
      await page.$$eval("#bars > li", (lis) => lis.map((li) => ({ key: (li as HTMLElement).dataset.key!, label: (li as HTMLElement).dataset.label!, score: Number((li as HTMLElement).dataset.score) }))),
      refs.get("multiple-choice")!,
    );
    await screenshot("multiple-choice-choice-2");
    expect(consoleErrors).toEqual([]);
  });

  it("zero-shot: the tokens shown are those of the text with the picked label's hypothesis", async () => {
    await runInPage("zero-shot-classification", "cpu");
    expect(await page.textContent("#view-label")).toBe("Tokens and attention of label");
    await page.selectOption("#view-select", "3");
    await page.waitForFunction(() => document.getElementById("view-row")!.dataset.index === "3");
    const ids = await page.$$eval("#tokens > li", (lis) => lis.map((li) => Number((li as HTMLElement).dataset.id)));
    expect(ids).toEqual(await nodeIds("tiny-random-nli", ZS_TEXT, ZS_TEMPLATE.replace("{}", ZS_LABELS[3])));
    expect(await page.textContent("#view-note")).toContain(`“${ZS_TEMPLATE.replace("{}", ZS_LABELS[3])}”`);
    expect(consoleErrors).toEqual([]);
  });

  it("at 390 × 844 (a phone) the heat map fits its card: no page-level horizontal overflow", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await runInPage("question-answering", "cpu"); // question + context: ~20 tokens, a map wider than the screen at its natural size
      await page.locator("#heatmap").scrollIntoViewIfNeeded();
      const m = await page.evaluate(() => {
        const canvas = document.getElementById("heatmap") as HTMLCanvasElement;
        const wrap = canvas.parentElement!.getBoundingClientRect();
        const c = canvas.getBoundingClientRect();
        return {
          pageWidth: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          natural: parseFloat(canvas.style.width),
          canvas: { left: c.left, right: c.right, width: c.width, height: c.height },
          wrap: { left: wrap.left, right: wrap.right },
        };
      });
      expect(m.natural, "the map is wider than the screen at its natural size (else this test shows nothing)").toBeGreaterThan(m.viewport);
      expect(m.pageWidth, "no horizontal scrolling of the whole page").toBeLessThanOrEqual(m.viewport);
      expect(m.canvas.left).toBeGreaterThanOrEqual(m.wrap.left - 0.5);
      expect(m.canvas.right, "the whole map is inside its card").toBeLessThanOrEqual(m.wrap.right + 0.5);
      expect(m.wrap.right).toBeLessThanOrEqual(m.viewport);
      expect(Math.abs(m.canvas.width - m.canvas.height), "scaled as a square").toBeLessThanOrEqual(1);
      // Hovering a cell still names the right tokens after scaling: the last cell is the [SEP] → [SEP] one.
      const box = (await page.locator("#heatmap").boundingBox())!;
      await page.mouse.move(box.x + box.width - 4, box.y + box.height - 4);
      await page.waitForFunction(() => document.getElementById("attn-caption")!.textContent!.startsWith("“[SEP]”"));
      await screenshot("narrow-390");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(consoleErrors).toEqual([]);
  });

  it("another attention head can be chosen", async () => {
    await page.selectOption("#attn-layer", "1");
    await page.selectOption("#attn-head", "3");
    await page.waitForFunction(() => document.getElementById("attn-caption")!.textContent!.startsWith("layer 1, head 3"));
    expect(consoleErrors).toEqual([]);
  });

  it("says in plain words that a folder without config.json is not a model folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "demo-no-config-"));
    const folder = join(dir, "my-model");
    mkdirSync(folder);
    copyFileSync(join(modelsDir, "tiny-random-mlm", "model.safetensors"), join(folder, "model.safetensors"));
    copyFileSync(join(modelsDir, "tiny-random-mlm", "spm.model"), join(folder, "spm.model"));
    try {
      await loadFolder(folder);
      const text = await page.textContent("#error");
      expect(text).toContain("This folder has no config.json");
      expect(await page.getAttribute("#error", "data-code")).toBe("FILE_NOT_FOUND");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(consoleErrors).toEqual([]);
  });

  it("says in plain words that a BERT model is not a DeBERTa model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "demo-bert-"));
    const folder = join(dir, "bert-base-uncased");
    mkdirSync(folder);
    writeFileSync(join(folder, "config.json"), JSON.stringify({ model_type: "bert", architectures: ["BertForMaskedLM"], vocab_size: 30522, hidden_size: 768 }));
    copyFileSync(join(modelsDir, "tiny-random-mlm", "model.safetensors"), join(folder, "model.safetensors"));
    try {
      await loadFolder(folder);
      const text = await page.textContent("#error");
      expect(text).toContain("This is not a DeBERTa-v2/v3 model");
      expect(text).toContain('model_type "bert"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(consoleErrors).toEqual([]);
  });

  async function loadFolder(folder: string) {
    await page.selectOption("#task", "fill-mask");
    await page.click('label[for="be-cpu"]');
    await page.setInputFiles("#folder", folder);
    await page.waitForFunction(() => document.getElementById("model-status")!.textContent!.includes("Press Load model"));
    await page.click("#load");
    await page.waitForSelector('#results[data-state="error"]', { timeout: 60_000 });
  }

  it("loads a model folder the user picked (the bundled MLM folder) and shows the same numbers", async () => {
    await page.selectOption("#task", "fill-mask");
    await page.setInputFiles("#folder", join(modelsDir, "tiny-random-mlm"));
    await page.waitForFunction(() => document.getElementById("model-status")!.textContent!.includes("Press Load model"));
    const { bars, state } = await runInPage("fill-mask", "cpu");
    expect(await page.textContent("#model-status")).toContain('folder "tiny-random-mlm"');
    expect(await page.isHidden("#bundled-note")).toBe(true);
    expect(state.backend).toBe("cpu");
    compare(bars, refs.get("fill-mask")!);
    expect(consoleErrors).toEqual([]);
  });

  it("downloads a hub model with a progress bar, and loads it from the browser cache after a page reload", async () => {
    // No network here: the hub is played by a route that serves the bundled NLI folder under a made-up repo id.
    const repo = "deberta-js-demo/tiny-random-nli";
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const dir = join(modelsDir, "tiny-random-nli");
    const files = readdirSync(dir);
    const hits: string[] = [];
    const cors = { "access-control-allow-origin": "*", "access-control-expose-headers": "content-length, x-error-code" };
    await context.route("https://huggingface.co/**", async (route) => {
      const url = new URL(route.request().url());
      hits.push(url.pathname);
      if (url.pathname === `/api/models/${repo}/revision/main`) {
        return route.fulfill({ status: 200, headers: { ...cors, "content-type": "application/json" }, body: JSON.stringify({ sha, siblings: files.map((rfilename) => ({ rfilename })) }) });
      }
      if (route.request().method() === "OPTIONS") {
        return route.fulfill({ status: 204, headers: { ...cors, "access-control-allow-methods": "GET, POST, HEAD", "access-control-allow-headers": "content-type, authorization, accept" } });
      }
      if (url.pathname === `/api/models/${repo}/paths-info/${sha}`) {
        // the browser client verifies size (and sha256 for LFS files) against paths-info before caching
        const asked = (JSON.parse(route.request().postData() ?? "{}") as { paths?: string[] }).paths ?? [];
        const entries = asked.filter((name) => files.includes(name)).map((name) => {
          const bytes = readFileSync(join(dir, name));
          const oid = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
          const lfs = name.endsWith(".safetensors") ? { oid: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, pointerSize: 134 } : undefined;
          return { type: "file", oid, size: bytes.length, path: name, ...(lfs ? { lfs } : {}) };
        });
        return route.fulfill({ status: 200, headers: { ...cors, "content-type": "application/json" }, body: JSON.stringify(entries) });
      }
      const prefix = `/${repo}/resolve/${sha}/`;
      const name = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : "";
      if (files.includes(name)) {
        return route.fulfill({ status: 200, headers: { ...cors, "content-type": "application/octet-stream" }, body: readFileSync(join(dir, name)) });
      }
      return route.fulfill({ status: 404, headers: { ...cors, "x-error-code": "EntryNotFound" }, body: "not found" });
    });
    try {
      const hubRun = async () => {
        await page.selectOption("#task", "text-classification");
        await page.click('label[for="src-hub"]');
        await page.fill("#hub-id", repo);
        return runInPage("text-classification", "cpu");
      };
      const first = await hubRun();
      compare(first.bars, refs.get("text-classification")!);
      expect(first.state.loadPhases.split(" ")).toContain("download");
      expect(hits).toContain(`/api/models/${repo}/revision/main`);
      expect(hits).toContain(`/${repo}/resolve/${sha}/model.safetensors`);
      expect(await page.isHidden("#bundled-note")).toBe(true);
      expect(await page.textContent("#model-status")).toContain(repo);

      hits.length = 0;
      await page.reload();
      await page.waitForSelector('#app[data-ready="true"]', { timeout: 60_000 });
      const second = await hubRun();
      compare(second.bars, refs.get("text-classification")!);
      expect(hits, "the second load must not touch the network").toEqual([]);
      expect(second.state.loadPhases.split(" ")).toContain("cached");
      expect(second.state.loadPhases.split(" ")).not.toContain("download");
    } finally {
      await context.unroute("https://huggingface.co/**");
    }
    expect(consoleErrors).toEqual([]);
  });

  it("headlines an unreachable hub as a network problem, with advice for the browser", async () => {
    // The network is down: every request to the hub fails before any answer.
    await context.route("https://huggingface.co/**", (route) => route.abort("internetdisconnected"));
    const seen = consoleErrors.length;
    try {
      await page.selectOption("#task", "text-classification");
      await page.click('label[for="be-cpu"]');
      await page.click('label[for="src-hub"]');
      await page.fill("#hub-id", "deberta-js-demo/not-downloaded-yet");
      await page.click("#load");
      await page.waitForSelector('#results[data-state="error"]', { timeout: 60_000 });
      const title = await page.textContent("#error .title");
      const detail = (await page.textContent("#error .detail")) ?? "";
      expect(title).toMatch(/^Could not reach the Hugging Face hub\./);
      expect(title).not.toContain("A file the model needs is missing");
      expect(detail).toContain("cannot reach https://huggingface.co");
      expect(detail).toContain("Cache Storage");
      // Node-only advice has no place in a browser.
      expect(detail).not.toMatch(/HF_HUB_OFFLINE|localFilesOnly|environment/);
      await screenshot("hub-unreachable");
    } finally {
      await context.unroute("https://huggingface.co/**");
      // The failed requests were the point of this test; anything else logged is still an error.
      const logged = consoleErrors.splice(seen);
      expect(logged.some((e) => e.startsWith("request failed: https://huggingface.co/"))).toBe(true);
      consoleErrors.push(...logged.filter((e) => !/huggingface\.co|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e)));
      await page.click('label[for="src-bundled"]');
    }
    expect(consoleErrors).toEqual([]);
  });

  it("logged no console errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});

if (!hasChromium) {
  describe("demo in headless Chromium", () => {
    it.skip(`skipped: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`, () => {});
  });
}
