// TensorFlow `tf_model.h5` checkpoints: the reader (h5wasm), the TF → PyTorch name mapping and layouts, every case of
// fixtures/tf through the library, and typed errors for malformed files.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { memoryFiles } from "../../src/files.js";
import { directoryFiles } from "../../src/node/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { type KerasLayer, kerasLayersFromStateDict, kerasModelName, writeKerasH5 } from "../../src/testing/keras-h5.js";
import { defineParitySuite, loadFixtureCases } from "../../src/testing/parity.js";
import { loadStateDict } from "../../src/weights/load.js";
import { parseSafetensors } from "../../src/weights/safetensors.js";
import type { StateDict } from "../../src/weights/state-dict.js";
import { parseTfH5 } from "../../src/weights/tf-h5.js";
import { convertTfWeightName, tfToPtName, tfWeightsToStateDict } from "../../src/weights/tf-names.js";
import { DebertaV2Model } from "../../src/model/deberta.js";
import { expectError } from "./helpers.js";

const TF = fileURLToPath(new URL("../../../../fixtures/tf/", import.meta.url));
const MODELS = fileURLToPath(new URL("../../../../fixtures/models/", import.meta.url));
const tfRoot = directoryFiles(TF);

async function tfStateDict(path: string): Promise<StateDict> {
  return tfWeightsToStateDict(await parseTfH5(await readFile(path), path), path);
}

async function ptStateDict(path: string): Promise<StateDict> {
  return parseSafetensors(await readFile(path), path).tensors;
}

/** Every tensor equal bit for bit, and the same key set. */
function expectSameStateDict(actual: StateDict, expected: StateDict, ignore: RegExp = /(^|\.)position_ids$/): void {
  const keys = (m: StateDict) => [...m.keys()].filter((k) => !ignore.test(k)).sort();
  expect(keys(actual)).toEqual(keys(expected));
  for (const k of keys(expected)) {
    const a = actual.get(k)!;
    const e = expected.get(k)!;
    expect(a.shape, k).toEqual(e.shape);
    expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)), k).toBe(true);
  }
}

const cases = await loadFixtureCases(tfRoot);

describe("fixtures/tf through the library", () => {
  it("has the cases the README lists", () => {
    expect(new Set(cases.map((c) => c.fixture))).toEqual(new Set(["tiny-v3", "tiny-v2-conv"]));
    expect(cases.every((c) => c.weights.endsWith("tf_model.h5"))).toBe(true);
  });

  it("every TF file holds exactly the PyTorch fixture's weights under PyTorch names", async () => {
    const pairs = [
      ["tiny-v3/tf_model.h5", "tiny-v3/model.safetensors"],
      ["tiny-v2-conv/tf_model.h5", "tiny-v2-conv/model.safetensors"],
      ["tiny-v3/heads/DebertaV2ForMaskedLM/tf_model.h5", "tiny-v3/heads/DebertaV2ForMaskedLM/model.safetensors"],
      ["tiny-v3/heads/DebertaV2ForSequenceClassification/tf_model.h5", "tiny-v3/heads/DebertaV2ForSequenceClassification/model.safetensors"],
    ];
    for (const [tf, pt] of pairs) expectSameStateDict(await tfStateDict(TF + tf), await ptStateDict(MODELS + pt));
  });

  it("reads layer_names, drops the model name and de-duplicates the MLM group's repeated embeddings", async () => {
    const w = await parseTfH5(await readFile(TF + "tiny-v3/heads/DebertaV2ForMaskedLM/tf_model.h5"), "mlm.h5");
    expect(w.layerNames).toEqual(["deberta", "cls"]);
    expect(w.variables.get("deberta/embeddings/word_embeddings/weight:0")?.layer).toBe("deberta");
    expect(w.variables.get("cls/predictions/bias:0")?.fullName).toBe("tf_deberta_v2_for_masked_lm/cls/predictions/bias:0");
    expect([...w.sourceDtypes]).toEqual(["F32"]);
  });

  it("loads as f16 on request (the same values, rounded)", async () => {
    const { stateDict, format } = await loadStateDict(directoryFiles(TF + "tiny-v3"), { dtype: "f16" });
    expect(format).toBe("tf");
    expect(stateDict.get("encoder.rel_embeddings.weight")?.dtype).toBe("f16");
  });

  // The backbone cases run here; the head cases run in @deberta-js/heads (test/tf.test.ts).
  const host = new HostBackend({ name: "host-fused" });
  defineParitySuite({ describe, it, expect }, { name: "base model from tf_model.h5", root: tfRoot, cases: cases.filter((c) => c.model_class === "DebertaV2Model"), backend: async () => host });
});

describe("TF → PyTorch names", () => {
  it("follows HF's rule and DeBERTa's own names", () => {
    const m = "tf_deberta_v2_model";
    const table: [string, string, string][] = [
      [`${m}/deberta/embeddings/word_embeddings/weight:0`, "deberta.embeddings.word_embeddings.weight", "none"],
      [`${m}/deberta/embeddings/token_type_embeddings/embeddings:0`, "deberta.embeddings.token_type_embeddings.weight", "none"],
      [`${m}/deberta/embeddings/position_embeddings/embeddings:0`, "deberta.embeddings.position_embeddings.weight", "none"],
      [`${m}/deberta/embeddings/embed_proj/kernel:0`, "deberta.embeddings.embed_proj.weight", "simple"],
      [`${m}/deberta/embeddings/dense_3/kernel:0`, "deberta.embeddings.embed_proj.weight", "simple"],
      [`${m}/deberta/embeddings/LayerNorm/gamma:0`, "deberta.embeddings.LayerNorm.weight", "none"],
      [`${m}/deberta/encoder/rel_embeddings.weight:0`, "deberta.encoder.rel_embeddings.weight", "none"],
      [`${m}/deberta/encoder/layer_._11/attention/self/query_proj/kernel:0`, "deberta.encoder.layer.11.attention.self.query_proj.weight", "simple"],
      [`${m}/deberta/encoder/layer_._0/attention/self/pos_proj/bias:0`, "deberta.encoder.layer.0.attention.self.pos_key_proj.bias", "none"],
      [`${m}/deberta/encoder/layer_._0/attention/self/pos_q_proj/kernel:0`, "deberta.encoder.layer.0.attention.self.pos_query_proj.weight", "simple"],
      [`${m}/deberta/encoder/layer_._1/output/LayerNorm/beta:0`, "deberta.encoder.layer.1.output.LayerNorm.bias", "none"],
      [`${m}/deberta/encoder/conv/conv/kernel:0`, "deberta.encoder.conv.conv.weight", "simple"],
      [`${m}_2/pooler/dense/kernel:0`, "pooler.dense.weight", "simple"],
      [`${m}/classifier/bias:0`, "classifier.bias", "none"],
      [`${m}/qa_outputs/kernel:0`, "qa_outputs.weight", "simple"],
      [`${m}/cls/predictions/bias:0`, "cls.predictions.bias", "none"],
      [`${m}/cls/predictions/transform/LayerNorm/gamma:0`, "cls.predictions.transform.LayerNorm.weight", "none"],
    ];
    for (const [tf, pt, transpose] of table) expect(tfToPtName(tf), tf).toEqual({ name: pt, transpose });
    expect(tfToPtName(`${m}/bert/embeddings/word_embeddings/weight:0`)).toBeUndefined();
    expect(convertTfWeightName("m/a___b/c:0").name).toBe("b.c");
    expect(kerasModelName("DebertaV2ForMaskedLM")).toBe("tf_deberta_v2_for_masked_lm");
    expect(kerasModelName("DebertaV2Model")).toBe("tf_deberta_v2_model");
  });
});

describe("every PyTorch fixture written as TF and read back", () => {
  // The hidden-case shapes: every config variant (v2 conv, classic pos_proj/pos_q_proj + embed_proj + positions +
  // token types, no relative attention, legacy MLM names) and every head class.
  const files: [string, string][] = [
    ["tiny-v3/model.safetensors", "DebertaV2Model"],
    ["tiny-v2-classic/model.safetensors", "DebertaV2Model"],
    ["tiny-v2-conv/model.safetensors", "DebertaV2Model"],
    ["tiny-noattn-rel/model.safetensors", "DebertaV2Model"],
    ["tiny-v3/heads/DebertaV2ForQuestionAnswering/model.safetensors", "DebertaV2ForQuestionAnswering"],
    ["tiny-v3/heads/DebertaV2ForTokenClassification/model.safetensors", "DebertaV2ForTokenClassification"],
    ["tiny-v3/heads/DebertaV2ForMultipleChoice/model.safetensors", "DebertaV2ForMultipleChoice"],
    ["tiny-v2-classic/heads/DebertaV2ForSequenceClassification/model.safetensors", "DebertaV2ForSequenceClassification"],
    ["tiny-v2-classic/heads/DebertaV2ForTokenClassification/model.safetensors", "DebertaV2ForTokenClassification"],
    ["tiny-v2-conv/heads/DebertaV2ForMaskedLM/model.safetensors", "DebertaV2ForMaskedLM"],
  ];
  for (const [file, cls] of files) {
    it(`${file} as TF${cls}`, async () => {
      const pt = await ptStateDict(MODELS + file);
      const bytes = await writeKerasH5(kerasLayersFromStateDict(pt, cls, { unnamedEmbedProj: file.includes("classic/model") }));
      const back = tfWeightsToStateDict(await parseTfH5(bytes, file), file);
      expectSameStateDict(back, pt);
    });
  }

  it("legacy MLM names come back as the cls.predictions head (same numbers)", async () => {
    const pt = await ptStateDict(MODELS + "tiny-v3-legacy-mlm/model.safetensors");
    const back = tfWeightsToStateDict(await parseTfH5(await writeKerasH5(kerasLayersFromStateDict(pt, "DebertaV2ForMaskedLM")), "x"), "x");
    expect(back.get("cls.predictions.transform.dense.weight")?.data).toEqual(pt.get("lm_predictions.lm_head.dense.weight")?.data);
    expect(back.get("cls.predictions.bias")?.data).toEqual(pt.get("lm_predictions.lm_head.bias")?.data);
  });

  it("name lists split over weight_names0, weight_names1, … (long lists) are concatenated", async () => {
    const pt = await ptStateDict(MODELS + "tiny-v3/heads/DebertaV2ForMaskedLM/model.safetensors");
    const bytes = await writeKerasH5(kerasLayersFromStateDict(pt, "DebertaV2ForMaskedLM"), { splitNameLists: true });
    const w = await parseTfH5(bytes, "split.h5");
    expect(w.layerNames).toEqual(["deberta", "cls"]);
    expectSameStateDict(tfWeightsToStateDict(w, "split.h5"), pt);
  });
});

describe("malformed tf_model.h5 → typed errors naming the dataset", () => {
  const small = (): KerasLayer[] => [
    {
      name: "deberta",
      weights: [
        { name: "tf_deberta_v2_model/deberta/embeddings/LayerNorm/gamma:0", shape: [4], data: new Float32Array(4) },
        { name: "tf_deberta_v2_model/deberta/encoder/layer_._0/intermediate/dense/kernel:0", shape: [4, 8], data: new Float32Array(32) },
      ],
    },
  ];

  it("not HDF5, or truncated anywhere", async () => {
    await expectError(parseTfH5(new TextEncoder().encode("hello"), "x.h5"), "WEIGHTS_INVALID", "x.h5", "not an HDF5 file");
    const full = await readFile(TF + "tiny-v3/tf_model.h5");
    for (const cut of [8, 100, 2048, Math.floor(full.byteLength / 2), full.byteLength - 1]) {
      await expectError(parseTfH5(full.subarray(0, cut), "cut.h5"), "WEIGHTS_INVALID", "cut.h5");
    }
  });

  it("a name in weight_names without its dataset", async () => {
    const written = small()[0].weights;
    const listed = [...written.map((w) => w.name), "tf_deberta_v2_model/deberta/encoder/LayerNorm/gamma:0"];
    const broken = await writeInconsistent(listed, written);
    await expectError(parseTfH5(broken, "m.h5"), "WEIGHTS_INVALID", "m.h5", 'dataset "/deberta/tf_deberta_v2_model/deberta/encoder/LayerNorm/gamma:0"', "missing");
  });

  it("a layer in layer_names without its group; no layer_names at all", async () => {
    const { loadH5wasm } = await import("../../src/testing/keras-h5.js");
    const { h5, FS } = await loadH5wasm();
    const make = (f: (file: InstanceType<typeof h5.File>) => void): Uint8Array => {
      const p = `/t-${Math.random()}.h5`;
      const file = new h5.File(p, "w");
      f(file);
      file.close();
      const b = FS.readFile(p).slice();
      FS.unlink(p);
      return b;
    };
    await expectError(parseTfH5(make((f) => f.create_attribute("layer_names", ["deberta"])), "g.h5"), "WEIGHTS_INVALID", 'layer "deberta"', 'no group "/deberta"');
    await expectError(parseTfH5(make((f) => f.create_group("layers")), "k3.h5"), "WEIGHTS_INVALID", '"layer_names"', "Keras 3");
    await expectError(
      parseTfH5(make((f) => { f.create_attribute("layer_names", ["a"]); f.create_group("a"); }), "w.h5"),
      "WEIGHTS_INVALID",
      'group "/a" has no "weight_names"',
    );
    await expectError(
      parseTfH5(
        make((f) => {
          f.create_attribute("layer_names", ["a"]);
          const g = f.create_group("a");
          g.create_attribute("weight_names", ["m/a/x:0"]);
          g.create_group("m").create_group("a").create_dataset({ name: "x:0", data: new Int32Array([1, 2]), shape: [2] });
        }),
        "i.h5",
      ),
      "WEIGHTS_INVALID",
      'dataset "/a/m/a/x:0"',
      "float32",
    );
    await expectError(
      parseTfH5(make((f) => f.create_attribute("layer_names", new Int32Array([1, 2]))), "n.h5"),
      "WEIGHTS_INVALID",
      '"layer_names"',
      "list of strings",
    );
  });

  it("unknown variable names and wrong ranks", async () => {
    const unknown = small();
    unknown[0].weights.push({ name: "tf_bert_model/bert/pooler/dense/kernel:0", shape: [4, 4], data: new Float32Array(16) });
    await expectError(
      (async () => tfWeightsToStateDict(await parseTfH5(await writeKerasH5(unknown), "u.h5"), "u.h5"))(),
      "WEIGHTS_INVALID",
      'dataset "/deberta/tf_bert_model/bert/pooler/dense/kernel:0"',
      "unknown TF variable",
    );
    const rank = small();
    rank[0].weights[1] = { name: rank[0].weights[1].name, shape: [32], data: new Float32Array(32) };
    await expectError(
      (async () => tfWeightsToStateDict(await parseTfH5(await writeKerasH5(rank), "r.h5"), "r.h5"))(),
      "WEIGHTS_INVALID",
      'dataset "/deberta/tf_deberta_v2_model/deberta/encoder/layer_._0/intermediate/dense/kernel:0"',
      "rank-2",
    );
  });

  it("shapes that do not fit the config fail at load, naming the tensor", async () => {
    const pt = await ptStateDict(MODELS + "tiny-v3/model.safetensors");
    const layers = kerasLayersFromStateDict(pt, "DebertaV2Model");
    const w = layers[0].weights.find((x) => x.name.endsWith("layer_._1/intermediate/dense/kernel:0"))!;
    w.shape = [w.shape[1], w.shape[0]]; // [out, in]: a PyTorch-layout kernel stored by mistake
    const files = memoryFiles({ "config.json": await readFile(MODELS + "tiny-v3/config.json"), "tf_model.h5": await writeKerasH5(layers) }, "/bad");
    await expectError(DebertaV2Model.fromPretrained(files, { backend: new HostBackend() }), "WEIGHTS_INVALID", "encoder.layer.1.intermediate.dense.weight");
  });

  it("a repeated variable with another shape", async () => {
    const layers = small();
    layers.push({ name: "cls", weights: [{ name: "tf_deberta_v2_model/deberta/embeddings/LayerNorm/gamma:0", shape: [5], data: new Float32Array(5) }] });
    await expectError(parseTfH5(await writeKerasH5(layers), "d.h5"), "WEIGHTS_INVALID", "repeats variable", "[5]");
  });
});

/** A Keras file whose `weight_names` lists `names` while only `weights` exist as datasets. */
async function writeInconsistent(names: string[], weights: KerasLayer["weights"]): Promise<Uint8Array> {
  const { loadH5wasm } = await import("../../src/testing/keras-h5.js");
  const { h5, FS } = await loadH5wasm();
  const p = `/inconsistent-${Math.random()}.h5`;
  const f = new h5.File(p, "w");
  f.create_attribute("layer_names", ["deberta"]);
  const g = f.create_group("deberta");
  g.create_attribute("weight_names", names);
  for (const w of weights) {
    let parent = g;
    const parts = w.name.split("/");
    for (const part of parts.slice(0, -1)) {
      const e = parent.get(part);
      parent = e instanceof h5.Group ? e : parent.create_group(part);
    }
    parent.create_dataset({ name: parts[parts.length - 1], data: w.data, shape: w.shape, dtype: "<f" });
  }
  f.close();
  const b = FS.readFile(p).slice();
  FS.unlink(p);
  return b;
}
