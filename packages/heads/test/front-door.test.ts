// The loading front door (issue 14 / issue 10 item 5): the default backend with no backend option, HF /
// transformers.js option names, unknown options rejected by name, the Auto classes with HF semantics, `env`,
// shared backends, `savePretrained` round trips, tensor `dims`/`tolist`, and streaming pipelines.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BackendUnavailableError,
  DebertaV2Config,
  DebertaV2Model,
  UnknownOptionError,
  disposeBackends,
  env,
  getBackend,
  parseSafetensors,
  type ProgressEvent,
} from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { HostBackend } from "@deberta-js/core/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AutoConfig,
  AutoModel,
  AutoModelForArchitecture,
  AutoModelForMaskedLM,
  AutoModelForMultipleChoice,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
  AutoTokenizer,
  DebertaV2ForMaskedLM,
  DebertaV2ForMultipleChoice,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  pipeline,
} from "../src/index.js";
import { isolatedEnv } from "./hub/env.js";
import { syntheticModel } from "./synthetic.js";

const fixtures = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const headDir = (cls: string) => `${fixtures}/tiny-v3/heads/${cls}`;
const quiet = { warn: () => {} };
const saved = { ...env };
afterEach(() => Object.assign(env, saved));

let seqDir: string;
let mlmDir: string;
beforeAll(async () => {
  seqDir = await syntheticModel("DebertaV2ForSequenceClassification");
  mlmDir = await syntheticModel("DebertaV2ForMaskedLM");
});

describe("default backend", () => {
  it("a pipeline with no backend option runs on the best available backend and says which", async () => {
    const classify = await pipeline("text-classification", seqDir, quiet);
    expect(classify.device).toBe("cpu");
    expect(classify.backend.name).toBe("cpu");
    const out = await classify("A soccer game.");
    expect(out[0]).toHaveProperty("label");
    classify.dispose();
  });

  it("backends are shared per name, and disposeBackends destroys them", async () => {
    const a = await getBackend("cpu");
    expect(await getBackend("cpu")).toBe(a);
    expect(await getBackend("wasm")).toBe(a); // transformers.js's CPU name
    const model = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { device: "cpu", ...quiet });
    expect(model.backend).toBe(a);
    model.dispose();
    await disposeBackends();
    expect(await getBackend("cpu")).not.toBe(a);
  });

  it("a device that is not installed is an error naming its package, never a silent CPU run", async () => {
    const err = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { device: "webgpu", ...quiet }).catch(
      (e) => e,
    );
    // Installed and usable (a GPU machine) or not: either it runs on webgpu, or it says why not.
    if (err instanceof Error) {
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect(err.message).toMatch(/webgpu/);
    } else {
      expect(err.device).toBe("webgpu");
      err.dispose();
    }
  });
});

describe("option names", () => {
  it("HF / transformers.js names and our older spellings both work", async () => {
    const backend = new HostBackend();
    const events: ProgressEvent[] = [];
    const model = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), {
      device: backend,
      dtype: "float32",
      progress_callback: (e) => events.push(e),
      ...quiet,
    });
    expect(model.backend).toBe(backend);
    expect(events.at(-1)).toMatchObject({ status: "ready", progress: 100 });
    expect(events.some((e) => e.status === "done" && e.file === "model.safetensors" && e.progress === 100)).toBe(true);
    model.dispose();
    const old = await DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { backend, cacheDir: "/nowhere", ...quiet });
    expect(old.backend).toBe(backend);
    old.dispose();
  });

  it("an unknown option is a typed error naming the closest known one, at load and at call time", async () => {
    const load = DebertaV2ForSequenceClassification.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { devise: "cpu" } as never);
    await expect(load).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(load).rejects.toThrow(/unknown option "devise"; did you mean "device"\?/);
    await expect(pipeline("fill-mask", mlmDir, { topk: 3, ...quiet } as never)).rejects.toThrow(/unknown option "topk"; did you mean "top_k"\?/);
    await expect(pipeline("fill-mask", mlmDir, { cacheDirectory: "/x", ...quiet } as never)).rejects.toThrow(/did you mean "cache_dir"/);
    const fill = await pipeline("fill-mask", mlmDir, quiet);
    const err = await fill("Paris is the [MASK] of France.", { topk: 2 } as never).catch((e) => e);
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect(err.code).toBe("INPUT_INVALID");
    expect(err.option).toBe("topk");
    expect(err.suggestion).toBe("top_k");
    // an option of another task is not silently ignored either
    await expect(fill("Paris is the [MASK] of France.", { candidate_labels: ["a"] } as never)).rejects.toThrow(/unknown option "candidate_labels"/);
    fill.dispose();
    await expect(AutoModel.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { device: "cpu", backend: "cuda" } as never)).rejects.toThrow(
      /"backend" and "device" are the same option/,
    );
  });

  it("text_pair as a call option pairs every text, like {text, text_pair} inputs", async () => {
    const classify = await pipeline("text-classification", seqDir, { top_k: null, ...quiet });
    const a = await classify("A man is eating.", { text_pair: "Someone eats.", top_k: null });
    const b = await classify({ text: "A man is eating.", text_pair: "Someone eats." }, { top_k: null });
    const c = await classify("A man is eating.", { top_k: null });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    classify.dispose();
  });

  it("local_files_only and env.allowRemoteModels never reach the network", async () => {
    const e = await isolatedEnv();
    try {
      const offline = /offline|cache/i;
      await expect(AutoConfig.fromPretrained("microsoft/deberta-v3-base", { local_files_only: true })).rejects.toThrow(offline);
      env.allowRemoteModels = false;
      await expect(AutoConfig.fromPretrained("microsoft/deberta-v3-base")).rejects.toThrow(offline);
    } finally {
      await e.restore();
    }
  });
});

describe("Auto classes", () => {
  it("AutoModel gives the base model, as HF, leaving the head's weights out with a warning", async () => {
    const warnings: string[] = [];
    const model = await AutoModel.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { device: new HostBackend(), warn: (m) => warnings.push(m) });
    expect(model).toBeInstanceOf(DebertaV2Model);
    expect(warnings.join("\n")).toMatch(/classifier\.weight/);
    const { last_hidden_state } = await model.forward({ input_ids: [[1, 7, 9, 2]] });
    expect(last_hidden_state.dims).toEqual([1, 4, model.config.hidden_size]);
    model.dispose();
  });

  it("AutoModelFor* give their head class; AutoModelForArchitecture keeps the architectures[0] choice", async () => {
    const device = new HostBackend();
    const pairs = [
      [AutoModelForMaskedLM, DebertaV2ForMaskedLM],
      [AutoModelForSequenceClassification, DebertaV2ForSequenceClassification],
      [AutoModelForTokenClassification, DebertaV2ForTokenClassification],
      [AutoModelForQuestionAnswering, DebertaV2ForQuestionAnswering],
      [AutoModelForMultipleChoice, DebertaV2ForMultipleChoice],
    ] as const;
    for (const [auto, cls] of pairs) {
      const m = await auto.from_pretrained(headDir(cls.className), { device, ...quiet });
      expect(m).toBeInstanceOf(cls);
      m.dispose();
      const viaArch = await AutoModelForArchitecture.fromPretrained(headDir(cls.className), { device, ...quiet });
      expect(viaArch).toBeInstanceOf(cls);
      viaArch.dispose();
    }
    expect(device.live.size).toBe(0);
  });

  it("AutoConfig reads config.json; other model types are refused by name", async () => {
    const config = await AutoConfig.fromPretrained(headDir("DebertaV2ForSequenceClassification"));
    expect(config).toBeInstanceOf(DebertaV2Config);
    expect(config.architectures).toEqual(["DebertaV2ForSequenceClassification"]);
    const { memoryFiles } = await import("@deberta-js/core");
    const bert = memoryFiles({ "config.json": new TextEncoder().encode(JSON.stringify({ model_type: "bert" })) }, "bert-base");
    await expect(AutoConfig.fromPretrained(bert)).rejects.toThrow(/model_type is "bert"/);
  });

  it("AutoTokenizer checks its options too", async () => {
    await expect(AutoTokenizer.fromPretrained(seqDir, { do_lower_case: false })).resolves.toBeTruthy();
    await expect(AutoTokenizer.fromPretrained(seqDir, { lowercase: true } as never)).rejects.toThrow(UnknownOptionError);
  });
});

describe("env", () => {
  it("env.localModelPath is tried first for names; env.device is the default device", async () => {
    env.localModelPath = `${fixtures}/tiny-v3/heads`;
    env.device = "cpu";
    const model = await AutoModelForTokenClassification.fromPretrained("DebertaV2ForTokenClassification", quiet);
    expect(model).toBeInstanceOf(DebertaV2ForTokenClassification);
    expect(model.device).toBe("cpu");
    model.dispose();
    env.device = "no-such-backend";
    await expect(AutoModel.fromPretrained(headDir("DebertaV2ForTokenClassification"), quiet)).rejects.toThrow(/no-such-backend/);
  });

  it("env.warn receives loading warnings when a call passes none", async () => {
    const warnings: string[] = [];
    env.warn = (m) => warnings.push(m);
    const model = await AutoModel.fromPretrained(headDir("DebertaV2ForQuestionAnswering"), { device: "cpu" });
    expect(warnings.join("\n")).toMatch(/qa_outputs/);
    model.dispose();
  });
});

describe("savePretrained", () => {
  it("writes HF's layout (config.json + model.safetensors, HF names, format pt) that loads back to the same outputs", async () => {
    const device = new HostBackend();
    const inputs = { input_ids: [[1, 7, 9, 11, 2]] };
    for (const cls of [DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification, DebertaV2ForQuestionAnswering]) {
      const model = await (cls as typeof DebertaV2ForSequenceClassification).fromPretrained(headDir(cls.className), { device, ...quiet });
      const dir = await mkdtemp(join(tmpdir(), "deberta-js-save-"));
      await model.save_pretrained(dir);
      const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
      expect(config.architectures).toEqual([cls.className]);
      expect(config.torch_dtype).toBe("float32");
      const st = parseSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))), "model.safetensors");
      expect(st.metadata).toEqual({ format: "pt" });
      const names = [...st.tensors.keys()];
      expect(names).toContain("deberta.embeddings.word_embeddings.weight");
      expect(names.every((n) => !n.startsWith("embeddings.") && !n.startsWith("encoder."))).toBe(true);
      const again = await (cls as typeof DebertaV2ForSequenceClassification).fromPretrained(dir, { device, strict: true, ...quiet });
      const a = (await model.forward(inputs)) as unknown as Record<string, { tolist(): Promise<unknown>; dispose(): void }>;
      const b = (await again.forward(inputs)) as unknown as Record<string, { tolist(): Promise<unknown>; dispose(): void }>;
      for (const k of Object.keys(a)) {
        expect(await b[k].tolist(), `${cls.className}.${k}`).toEqual(await a[k].tolist());
        a[k].dispose();
        b[k].dispose();
      }
      model.dispose();
      again.dispose();
    }
    expect(device.live.size).toBe(0);
  });

  it("the base model saves without the deberta. prefix, as HF's DebertaV2Model does", async () => {
    const model = await AutoModel.fromPretrained(headDir("DebertaV2ForSequenceClassification"), { device: "cpu", ...quiet });
    const dir = await mkdtemp(join(tmpdir(), "deberta-js-save-"));
    await model.savePretrained(dir);
    const names = (await directoryFiles(dir).list()).sort();
    expect(names).toEqual(["config.json", "model.safetensors"]);
    const st = parseSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))), "model.safetensors");
    expect([...st.tensors.keys()]).toContain("embeddings.word_embeddings.weight");
    expect(JSON.parse(await readFile(join(dir, "config.json"), "utf8")).architectures).toEqual(["DebertaV2Model"]);
    model.dispose();
  });
});

describe("tensors", () => {
  it("dims and tolist() as transformers.js", async () => {
    const be = await getBackend("cpu");
    const t = be.upload(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], "f32");
    expect(t.dims).toEqual([2, 3]);
    expect(await t.tolist()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(await t.reshape([6]).tolist()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await t.reshape([1, 2, 3]).tolist()).toEqual([[[1, 2, 3], [4, 5, 6]]]);
    t.dispose();
  });
});

describe("streaming pipelines", () => {
  it("an async iterable or a generator gives results in order, batch_size at a time", async () => {
    const classify = await pipeline("text-classification", seqDir, quiet);
    const texts = ["one", "a longer second text here", "three", "four four", "five"];
    const expected = await classify(texts);
    async function* source() {
      for (const t of texts) yield t;
    }
    const got: unknown[] = [];
    for await (const r of classify(source(), { batch_size: 2 })) got.push(r);
    expect(got).toEqual(expected);
    const fromGenerator: unknown[] = [];
    for await (const r of classify(texts.values(), { batchSize: 3 })) fromGenerator.push(r);
    expect(fromGenerator).toEqual(expected);
    classify.dispose();

    // fill-mask unwraps a one-element list; streaming still gives one result per input
    const fill = await pipeline("fill-mask", mlmDir, quiet);
    const masked = ["Paris is the [MASK] of France.", "The [MASK] is blue."];
    const direct = await fill(masked, { top_k: 2 });
    const streamed: unknown[] = [];
    for await (const r of fill(masked.values(), { top_k: 2, batch_size: 1 })) streamed.push(r);
    expect(streamed).toEqual(direct);
    await expect(async () => {
      for await (const _ of fill(masked.values(), { batch_size: 0 })) void _;
    }).rejects.toThrow(/batch_size must be a positive integer/);
    fill.dispose();
  });
});
