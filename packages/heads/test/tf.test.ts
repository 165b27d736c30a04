// TensorFlow checkpoints through the public API: every case of fixtures/tf (base and heads), every PyTorch fixture
// case (all configs, all five heads) re-saved as the TF class's tf_model.h5, `from_tf`, the `TFDebertaV2*` aliases,
// and a TF-only repo from a (fake) hub. Tolerance |a − r| ≤ 1e-4 + 1e-4·|r| on every element.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type ModelFiles, memoryFiles, parseSafetensors } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { type FixtureCase, compareOutputs, defineParitySuite, kerasLayersFromStateDict, loadFixtureCases, writeKerasH5 } from "@deberta-js/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AutoModelForArchitecture,
  DebertaV2ForSequenceClassification,
  TFDebertaV2ForSequenceClassification,
  TFDebertaV2Model,
  DebertaV2Model,
  forwardAny,
  resolveClassName,
} from "../src/index.js";
import { headsRunner } from "../src/testing.js";
import { testBackend } from "./backend.js";
import { FakeHub } from "./hub/fake-hub.js";
import { isolatedEnv, type TestEnv } from "./hub/env.js";

const TF = fileURLToPath(new URL("../../../fixtures/tf/", import.meta.url));
const MODELS = fileURLToPath(new URL("../../../fixtures/models/", import.meta.url));
const tfRoot = directoryFiles(TF);
const tfCases = await loadFixtureCases(tfRoot);

defineParitySuite({ describe, it, expect }, { name: "fixtures/tf (fp32)", root: tfRoot, cases: tfCases, backend: testBackend, runner: headsRunner });

it("fixtures/tf covers the base model and the MLM and sequence-classification heads", () => {
  expect(new Set(tfCases.map((c) => c.model_class))).toEqual(new Set(["DebertaV2Model", "DebertaV2ForMaskedLM", "DebertaV2ForSequenceClassification"]));
});

/** A model folder of `config.json` + `tf_model.h5` holding the case's PyTorch weights as its TF class saves them. */
async function tfFolderOf(c: FixtureCase, extra: Record<string, Uint8Array> = {}): Promise<ModelFiles> {
  const pt = parseSafetensors(await readFile(`${MODELS}${c.fixture}/${c.weights}`), c.weights).tensors;
  const h5 = await writeKerasH5(kerasLayersFromStateDict(pt, c.model_class));
  return memoryFiles({ "config.json": await readFile(`${MODELS}${c.fixture}/${c.config}`), "tf_model.h5": h5, ...extra }, `${c.fixture}/${c.name}`);
}

// Every F32 safetensors case of the PyTorch fixtures (long-v3 is left to the base suites to stay quick).
const ptCases = (await loadFixtureCases(directoryFiles(MODELS))).filter((c) => c.weights.endsWith("model.safetensors") && !c.weights.includes("model.f") && c.fixture !== "long-v3");

describe("every PyTorch fixture case re-saved as tf_model.h5", () => {
  it("covers every head class and every config", () => {
    expect(new Set(ptCases.map((c) => c.model_class)).size).toBe(6);
    expect(new Set(ptCases.map((c) => c.fixture))).toEqual(new Set(["tiny-v3", "tiny-v3-legacy-mlm", "tiny-v2-classic", "tiny-v2-conv", "tiny-noattn-rel"]));
  });
  for (const c of ptCases) {
    it(`${c.fixture}/${c.name}`, async () => {
      const backend = await testBackend();
      const actual = await headsRunner({ modelClass: c.model_class, files: await tfFolderOf(c), inputs: c.inputs, backend, dtype: "f32" });
      const cmp = compareOutputs(actual, c.outputs);
      expect(cmp.ok, `${cmp.problems.join("; ")}; max |a−r| = ${cmp.maxAbsError}`).toBe(true);
    });
  }
});

/** Files that record which names were read. */
function recording(files: ModelFiles): { files: ModelFiles; read: Set<string> } {
  const read = new Set<string>();
  return {
    read,
    files: {
      location: files.location,
      list: () => files.list(),
      has: (n) => files.has(n),
      read: (n) => (read.add(n), files.read(n)),
      size: files.size ? (n) => files.size!(n) : undefined,
      readRange: files.readRange ? (n, a, b) => (read.add(n), files.readRange!(n, a, b)) : undefined,
    },
  };
}

describe("choosing tf_model.h5: from_tf and the TF aliases", () => {
  const seqCls = () => ptCases.find((c) => c.fixture === "tiny-v3" && c.name === "DebertaV2ForSequenceClassification/batch3_padded")!;
  const both = async () => {
    const c = seqCls();
    return tfFolderOf(c, { "model.safetensors": await readFile(`${MODELS}${c.fixture}/${c.weights}`) });
  };
  const opts = async () => ({ device: await testBackend(), warn: () => {} });

  it("PyTorch weights win by default; from_tf: true reads tf_model.h5 only", async () => {
    const plain = recording(await both());
    (await DebertaV2ForSequenceClassification.fromPretrained(plain.files, await opts())).dispose();
    expect(plain.read.has("tf_model.h5")).toBe(false);
    const tf = recording(await both());
    (await DebertaV2ForSequenceClassification.fromPretrained(tf.files, { ...(await opts()), from_tf: true })).dispose();
    expect(tf.read.has("tf_model.h5")).toBe(true);
    expect(tf.read.has("model.safetensors")).toBe(false);
  });

  it("TFDebertaV2* load tf_model.h5 by default into the same classes, with the same numbers", async () => {
    const c = seqCls();
    const rec = recording(await both());
    const model = await TFDebertaV2ForSequenceClassification.fromPretrained(rec.files, await opts());
    expect(model).toBeInstanceOf(DebertaV2ForSequenceClassification);
    expect(rec.read.has("tf_model.h5") && !rec.read.has("model.safetensors")).toBe(true);
    const out = await forwardAny(model, c.inputs as never);
    const logits = out.logits as unknown as { shape: number[]; data(): Promise<Float32Array> };
    expect(compareOutputs({ logits: { shape: logits.shape, data: await logits.data() } }, c.outputs).ok).toBe(true);
    model.dispose();
    // from_tf: false (either spelling) reads the PyTorch weights.
    const pt = recording(await both());
    (await TFDebertaV2ForSequenceClassification.fromPretrained(pt.files, { ...(await opts()), fromTf: false })).dispose();
    expect(pt.read.has("tf_model.h5")).toBe(false);
    const base = await TFDebertaV2Model.fromPretrained(await tfFolderOf(ptCases.find((x) => x.fixture === "tiny-v2-classic" && x.model_class === "DebertaV2Model")!), await opts());
    expect(base).toBeInstanceOf(DebertaV2Model);
    base.dispose();
    expect(TFDebertaV2ForSequenceClassification.className).toBe("TFDebertaV2ForSequenceClassification");
    expect(resolveClassName("TFDebertaV2ForMaskedLM")).toBe("DebertaV2ForMaskedLM");
  });

  it("a config naming a TF class loads as that class", async () => {
    const c = seqCls();
    const files = await tfFolderOf(c);
    const config = JSON.parse(new TextDecoder().decode(await files.read("config.json")));
    config.architectures = ["TFDebertaV2ForSequenceClassification"];
    const patched = memoryFiles({ "config.json": new TextEncoder().encode(JSON.stringify(config)), "tf_model.h5": await files.read("tf_model.h5") });
    const model = await AutoModelForArchitecture.fromPretrained(patched, await opts());
    expect(model).toBeInstanceOf(DebertaV2ForSequenceClassification);
    model.dispose();
  });
});

describe("a TF-only repo from the hub", () => {
  let env: TestEnv;
  let hub: FakeHub;
  beforeAll(async () => {
    env = await isolatedEnv();
    hub = await new FakeHub().start();
  });
  afterAll(async () => {
    await hub.stop();
    await env.restore();
  });

  it("downloads config.json + tf_model.h5 into the HF cache and matches HF's outputs", async () => {
    const c = tfCases.find((x) => x.name === "DebertaV2ForMaskedLM/batch3_padded")!;
    hub.addRepo("test-org/tf-only", {
      files: { "config.json": await readFile(`${TF}${c.fixture}/${c.config}`), "tf_model.h5": await readFile(`${TF}${c.fixture}/${c.weights}`) },
    });
    const model = await AutoModelForArchitecture.fromPretrained("test-org/tf-only", { endpoint: hub.hubUrl, device: await testBackend(), warn: () => {} });
    const out = await forwardAny(model, c.inputs as never);
    const logits = out.logits as unknown as { shape: number[]; data(): Promise<Float32Array> };
    const cmp = compareOutputs({ logits: { shape: logits.shape, data: await logits.data() } }, c.outputs);
    expect(cmp.ok, cmp.problems.join("; ")).toBe(true);
    model.dispose();
    expect(hub.requests.some((r) => r.path.includes("tf_model.h5"))).toBe(true);
  });
});
