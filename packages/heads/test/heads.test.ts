// Head models beyond the fixture numbers: packed vs padded, passthrough outputs, logitsAt, HF's MLM naming
// fallbacks, newly initialized heads, AutoModel class selection, and no leaked backend tensors.
import { fileURLToPath } from "node:url";
import { DebertaV2Config, type ModelFiles, WeightsError, loadStateDict } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { HostBackend, caseFiles, loadFixtureCases } from "@deberta-js/core/testing";
import { describe, expect, it } from "vitest";
import {
  AutoModelForArchitecture,
  DebertaV2ForMaskedLM,
  DebertaV2ForMultipleChoice,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
  OrtTensor,
  forwardAny,
  modelClassName,
  resolveClassName,
} from "../src/index.js";
import { testBackend } from "./backend.js";

const fixtures = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const root = directoryFiles(fixtures);
const headDir = (fixture: string, cls: string) => directoryFiles(`${fixtures}/${fixture}/heads/${cls}`);
const cases = await loadFixtureCases(root);
const caseOf = (fixture: string, name: string) => cases.find((c) => c.fixture === fixture && c.name === name)!;
const quiet = { warn: () => {} };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>, keep: (i: number) => boolean = () => true) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (keep(i)) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("packed batches give the padded run's numbers on real tokens", () => {
  it("sequence, token, QA and MLM heads", async () => {
    const backend = await testBackend();
    for (const cls of [DebertaV2ForSequenceClassification, DebertaV2ForTokenClassification, DebertaV2ForQuestionAnswering, DebertaV2ForMaskedLM] as const) {
      const model = await (cls as typeof DebertaV2ForSequenceClassification).fromPretrained(headDir("tiny-v3", cls.className), { backend, ...quiet });
      const c = caseOf("tiny-v3", `${cls.className}/batch3_padded`);
      const mask = (c.inputs.attention_mask as number[][]).flat();
      const padded = await forwardAny(model as never, c.inputs as never);
      const packed = await forwardAny(model as never, c.inputs as never, { packed: true });
      for (const name of Object.keys(c.outputs)) {
        const a = await (padded[name] as any).data();
        const b = await (packed[name] as any).data();
        const per = a.length / mask.length;
        const keep = name === "logits" && cls === DebertaV2ForSequenceClassification ? () => true : (i: number) => mask[Math.floor(i / per)] === 1;
        expect(maxDiff(a, b, keep), `${cls.className} ${name}`).toBeLessThan(1e-5);
        (padded[name] as any).dispose();
        (packed[name] as any).dispose();
      }
      model.dispose();
    }
  });
});

describe("outputs", () => {
  it("hidden_states / attentions pass through, shaped like HF's", async () => {
    const backend = await testBackend();
    const model = await DebertaV2ForTokenClassification.fromPretrained(headDir("tiny-v3", "DebertaV2ForTokenClassification"), { backend, ...quiet });
    const base = await DebertaV2Model.fromPretrained(caseFiles(root, caseOf("tiny-v3", "batch3_padded")).files, { backend, ...quiet });
    const inputs = caseOf("tiny-v3", "batch3_padded").inputs as never;
    const out = await model.forward(inputs, { output_hidden_states: true, output_attentions: true });
    expect(out.logits.shape).toEqual([3, 14, 5]);
    expect(out.hidden_states).toHaveLength(3);
    expect(out.hidden_states![2].shape).toEqual([3, 14, 32]);
    expect(out.attentions).toHaveLength(2);
    expect(out.attentions![0].shape).toEqual([3, 4, 14, 14]);
    const ref = await base.forward(inputs);
    expect(maxDiff(await out.hidden_states![2].data(), await ref.last_hidden_state.data())).toBe(0);
    const ort = await out.logits.toOrt();
    expect(ort.type).toBe("float32");
    expect(ort.dims).toEqual([3, 14, 5]);
    model.dispose();
    base.dispose();
  });

  it("MLM logitsAt equals the full logits at those positions", async () => {
    const backend = await testBackend();
    const model = await DebertaV2ForMaskedLM.fromPretrained(headDir("tiny-v3", "DebertaV2ForMaskedLM"), { backend, ...quiet });
    expect(model.hasTrainedHead).toBe(true);
    expect(model.headLayout).toBe("legacy");
    const c = caseOf("tiny-v3", "DebertaV2ForMaskedLM/batch3_padded");
    const { readInputs } = await import("@deberta-js/core");
    const host = readInputs(c.inputs as never, model.config);
    const full = await (await model.forward(c.inputs as never)).logits.data();
    const pos: Array<[number, number]> = [
      [0, 3],
      [2, 0],
      [1, 7],
    ];
    for (const packed of [false, true]) {
      const at = await model.logitsAt(host, pos, { packed }).data();
      const V = 1000;
      pos.forEach(([b, i], k) => {
        const row = full.subarray((b * 14 + i) * V, (b * 14 + i + 1) * V);
        expect(maxDiff(at.subarray(k * V, (k + 1) * V), row)).toBeLessThan(1e-5);
      });
    }
    model.dispose();
  });

  it("multiple choice takes [batch, choices, seq] arrays or ORT tensors", async () => {
    const backend = await testBackend();
    const model = await DebertaV2ForMultipleChoice.fromPretrained(headDir("tiny-v3", "DebertaV2ForMultipleChoice"), { backend, ...quiet });
    const c = caseOf("tiny-v3", "DebertaV2ForMultipleChoice/mc_batch2_choices3_padded");
    const ids = c.inputs.input_ids as number[][][];
    const mask = c.inputs.attention_mask as number[][][];
    const dims = [ids.length, ids[0].length, ids[0][0].length];
    const t = (x: number[][][]) => new OrtTensor("int64", BigInt64Array.from(x.flat(2).map(BigInt)), dims);
    const out = await model.forward({ input_ids: t(ids), attention_mask: t(mask) });
    expect(out.logits.shape).toEqual([2, 3]);
    expect(maxDiff(await out.logits.data(), c.outputs.logits.data)).toBeLessThan(1e-4);
    await expect(model.forward({ input_ids: ids, attention_mask: [[[1]]] })).rejects.toThrow(/attention_mask: shape/);
    model.dispose();
  });
});

describe("loading", () => {
  it("a checkpoint without head weights: the head is newly initialized with HF's warning; strict throws", async () => {
    const backend = await testBackend();
    const baseFiles = caseFiles(root, caseOf("tiny-v3", "single")).files;
    const warnings: string[] = [];
    const model = await DebertaV2ForSequenceClassification.fromPretrained(baseFiles, { backend, warn: (m) => warnings.push(m) });
    expect(model.newlyInitialized.sort()).toEqual(["classifier.bias", "classifier.weight", "pooler.dense.bias", "pooler.dense.weight"]);
    expect(warnings.join("\n")).toMatch(/Some weights of DebertaV2ForSequenceClassification were not initialized.*'classifier.weight'/);
    const logits = await (await model.forward({ input_ids: [[1, 5, 2]] })).logits.data();
    expect(logits).toHaveLength(2); // base config: num_labels 2
    model.dispose();
    await expect(DebertaV2ForSequenceClassification.fromPretrained(baseFiles, { backend, strict: true, ...quiet })).rejects.toMatchObject({
      code: "WEIGHTS_MISSING",
      message: expect.stringMatching(/classifier\.weight/),
    });
  });

  it("missing backbone weights are an error naming them", async () => {
    const backend = await testBackend();
    const files = headDir("tiny-v3", "DebertaV2ForSequenceClassification");
    const { stateDict } = await loadStateDict(files);
    stateDict.delete("deberta.encoder.layer.1.output.dense.weight");
    const config = DebertaV2Config.fromJSON(await files.read("config.json"));
    expect(() => DebertaV2ForSequenceClassification.fromStateDict(config, stateDict, { backend, ...quiet })).toThrow(WeightsError);
    expect(() => DebertaV2ForSequenceClassification.fromStateDict(config, stateDict, { backend, ...quiet })).toThrow(/encoder\.layer\.1\.output\.dense\.weight/);
  });

  it("MLM: Microsoft's lm_predictions naming under a legacy config is used (HF would ignore it), and vice versa", async () => {
    const backend = await testBackend();
    const c = caseOf("tiny-v3-legacy-mlm", "DebertaV2ForMaskedLM/batch3_padded");
    const files = caseFiles(root, c).files;
    const { stateDict } = await loadStateDict(files);
    const json = JSON.parse(new TextDecoder().decode(await files.read("config.json")));
    const expected = c.outputs.logits.data;
    for (const legacy of [false, true]) {
      const warnings: string[] = [];
      const model = DebertaV2ForMaskedLM.fromStateDict(new DebertaV2Config({ ...json, legacy }), stateDict, { backend, warn: (m) => warnings.push(m) });
      expect(model.headLayout).toBe("original");
      expect(model.hasTrainedHead).toBe(true);
      expect(warnings.length > 0).toBe(legacy);
      const logits = await (await model.forward(c.inputs as never)).logits.data();
      expect(maxDiff(logits, expected)).toBeLessThan(2e-4);
      model.dispose();
    }
  });

  it("MLM without any head weights warns and reports hasTrainedHead false; v3's mask_predictions.* are ignored", async () => {
    const backend = await testBackend();
    const files = caseFiles(root, caseOf("tiny-v3", "single")).files;
    const { stateDict } = await loadStateDict(files);
    stateDict.set("mask_predictions.dense.weight", { dtype: "f32", shape: [1], data: new Float32Array(1) });
    const config = DebertaV2Config.fromJSON(await files.read("config.json"));
    const warnings: string[] = [];
    const model = DebertaV2ForMaskedLM.fromStateDict(config, stateDict, { backend, warn: (m) => warnings.push(m) });
    expect(model.hasTrainedHead).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cls\.predictions\.transform\.dense\.weight/);
    model.dispose();
  });

  it("AutoModelForArchitecture picks architectures[0] or the class asked for", async () => {
    const backend = await testBackend();
    const qa = await AutoModelForArchitecture.fromPretrained(headDir("tiny-v3", "DebertaV2ForQuestionAnswering"), { backend, ...quiet });
    expect(modelClassName(qa)).toBe("DebertaV2ForQuestionAnswering");
    const out = await forwardAny(qa, { input_ids: [[1, 7, 9, 2]] });
    expect(Object.keys(out).sort()).toEqual(["end_logits", "start_logits"]);
    qa.dispose();
    const base = await AutoModelForArchitecture.fromPretrained(caseFiles(root, caseOf("tiny-v3", "single")).files, { backend, ...quiet });
    expect(base).toBeInstanceOf(DebertaV2Model);
    base.dispose();
    const tok = await AutoModelForArchitecture.fromPretrained(headDir("tiny-v3", "DebertaV2ForTokenClassification"), { backend, modelClass: "base", ...quiet });
    expect(modelClassName(tok)).toBe("DebertaV2Model");
    tok.dispose();
    expect(() => resolveClassName("BertForMaskedLM")).toThrow(/unknown model class "BertForMaskedLM"/);
  });

  it("fromPretrained accepts a folder path and dtype names", async () => {
    const backend = await testBackend();
    const model = await DebertaV2ForSequenceClassification.fromPretrained(`${fixtures}/tiny-v3/heads/DebertaV2ForSequenceClassification`, {
      backend,
      dtype: "fp32",
      ...quiet,
    });
    expect(model.numLabels).toBe(3);
    model.dispose();
    await expect(DebertaV2ForSequenceClassification.fromPretrained(`${fixtures}/tiny-v3`, { backend, dtype: "int3" as never, ...quiet })).rejects.toThrow(
      /dtype "int3"/,
    );
  });
});

describe("fp16", () => {
  it("every head computes in f16 close to the fp32 reference (relative error of the whole output)", async () => {
    const backend = await testBackend();
    const { relativeError } = await import("@deberta-js/core/testing");
    for (const c of cases.filter((x) => x.fixture === "tiny-v3" && x.model_class !== "DebertaV2Model" && /batch3_padded|mc_batch2/.test(x.name))) {
      const model = await AutoModelForArchitecture.fromPretrained(caseFiles(root, c).files, { backend, dtype: "fp16", ...quiet });
      for (const packed of [false, true]) {
        const out = await forwardAny(model, c.inputs as never, { packed: packed && c.model_class !== "DebertaV2ForMultipleChoice" });
        for (const [name, ref] of Object.entries(c.outputs)) {
          const t = out[name] as any;
          expect(t.dtype).toBe("f16");
          const data = await t.data();
          // padded positions are zeros in packed runs: compare real tokens only there
          const mask = (c.inputs.attention_mask as number[][]).flat(2);
          const per = data.length / mask.length;
          const keep = (i: number) => !packed || c.model_class === "DebertaV2ForSequenceClassification" || mask[Math.floor(i / per)] === 1;
          const a = Array.from(data).filter((_, i) => keep(i));
          const r = ref.data.filter((_, i) => keep(i));
          expect(relativeError(a, r), `${c.name} ${name} packed=${packed}`).toBeLessThan(1e-2);
          t.dispose();
        }
      }
      model.dispose();
    }
  });
});

describe("no leaked backend tensors", () => {
  it("forward + dispose of outputs and model frees everything", async () => {
    const backend = new HostBackend();
    for (const cls of ["DebertaV2ForSequenceClassification", "DebertaV2ForQuestionAnswering", "DebertaV2ForMaskedLM", "DebertaV2ForMultipleChoice"]) {
      const c = cases.find((x) => x.fixture === "tiny-v3" && x.model_class === cls)!;
      const files: ModelFiles = caseFiles(root, c).files;
      const model = await AutoModelForArchitecture.fromPretrained(files, { backend, ...quiet });
      for (const packed of cls === "DebertaV2ForMultipleChoice" ? [false] : [false, true]) {
        const out = await forwardAny(model, c.inputs as never, { packed, output_hidden_states: true, output_attentions: true });
        for (const v of Object.values(out)) for (const t of Array.isArray(v) ? v : [v]) t.dispose();
      }
      model.dispose();
      expect(backend.live.size, cls).toBe(0);
    }
  });
});
