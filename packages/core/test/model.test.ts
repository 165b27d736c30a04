import { describe, expect, it } from "vitest";
import { Tensor as OrtTensor } from "onnxruntime-common";
import { DebertaV2Model, InputError } from "../src/index.js";
import { HostBackend } from "../src/testing/host-backend.js";
import { caseFiles, compareOutputs, loadFixtureCases } from "../src/testing/parity.js";
import { fixtureRoot } from "./fixtures.js";

const cases = await loadFixtureCases(fixtureRoot, { classes: ["DebertaV2Model"] });
const find = (fixture: string, name: string) => cases.find((c) => c.fixture === fixture && c.name === name)!;

async function load(fixture: string, backend = new HostBackend()) {
  const c = find(fixture, "batch3_padded");
  return { c, model: await DebertaV2Model.fromPretrained(caseFiles(fixtureRoot, c).files, { backend, warn: () => {} }), backend };
}

describe("DebertaV2Model", () => {
  it("runs packed (unpadded) batches: real tokens equal the padded run, padded rows are zero", async () => {
    for (const fixture of ["tiny-v3", "tiny-v2-conv", "tiny-v2-classic", "tiny-noattn-rel"]) {
      const { c, model } = await load(fixture);
      const padded = await (await model.forward(c.inputs as never)).last_hidden_state.data();
      const packed = await (await model.forward(c.inputs as never, { packed: true })).last_hidden_state.data();
      const mask = (c.inputs.attention_mask as number[][]).flat();
      const H = model.config.hidden_size;
      let maxDiff = 0;
      mask.forEach((m, i) => {
        for (let h = 0; h < H; h++) {
          if (m) maxDiff = Math.max(maxDiff, Math.abs(padded[i * H + h] - packed[i * H + h]));
          else expect(Math.abs(packed[i * H + h])).toBe(0);
        }
      });
      expect(maxDiff, fixture).toBeLessThan(1e-5);
    }
  });

  it("returns hidden_states and attentions like HF", async () => {
    const { c, model } = await load("tiny-v2-conv");
    const out = await model.forward(c.inputs as never, { output_hidden_states: true, output_attentions: true });
    const L = model.config.num_hidden_layers;
    expect(out.hidden_states!.length).toBe(L + 1);
    expect(out.attentions!.length).toBe(L);
    const S = (c.inputs.input_ids as number[][])[0].length;
    expect(out.attentions![0].shape).toEqual([3, 6, S, S]);
    // The last hidden state is the last entry of hidden_states.
    expect(Array.from(await out.hidden_states![L].data())).toEqual(Array.from(await out.last_hidden_state.data()));
    const probs = await out.attentions![0].data();
    // A fully padded query row is uniform over all keys (HF), a real row sums to 1 over real keys only.
    const row = (b: number, h: number, i: number) => Array.from(probs.subarray(((b * 6 + h) * S + i) * S, ((b * 6 + h) * S + i + 1) * S));
    const mask = (c.inputs.attention_mask as number[][])[2];
    const realLen = mask.filter((m) => m === 1).length;
    expect(realLen).toBeLessThan(S);
    for (const p of row(2, 0, S - 1)) expect(p).toBeCloseTo(1 / S, 6);
    const real = row(2, 0, 1);
    expect(real.slice(0, realLen).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(real.slice(realLen).every((p) => p === 0)).toBe(true);
  });

  it("accepts onnxruntime tensors (int64) and returns outputs that convert losslessly", async () => {
    const { c, model } = await load("tiny-v3");
    const ids = c.inputs.input_ids as number[][];
    const mask = c.inputs.attention_mask as number[][];
    const dims = [ids.length, ids[0].length];
    const out = await model.forward({
      input_ids: new OrtTensor("int64", BigInt64Array.from(ids.flat().map(BigInt)), dims),
      attention_mask: new OrtTensor("int64", BigInt64Array.from(mask.flat().map(BigInt)), dims),
    });
    const ort = await out.last_hidden_state.toOrt();
    expect(ort.type).toBe("float32");
    expect(ort.dims).toEqual([3, 14, 32]);
    expect(Array.from(ort.data as Float32Array)).toEqual(Array.from(await out.last_hidden_state.data()));
    expect(compareOutputs({ last_hidden_state: { shape: ort.dims, data: ort.data as Float32Array } }, c.outputs).ok).toBe(true);
  });

  it("frees everything it allocates", async () => {
    const backend = new HostBackend();
    const { c, model } = await load("tiny-v2-conv", backend);
    // The first forward caches the weight-only position projections with the weights.
    (await model.forward(c.inputs as never)).last_hidden_state.dispose();
    const weights = backend.live.size;
    for (const packed of [false, true]) {
      const out = await model.forward(c.inputs as never, { packed });
      out.last_hidden_state.dispose();
      expect(backend.live.size, `packed=${packed}`).toBe(weights);
    }
    model.dispose();
    expect(backend.live.size).toBe(0);
  });

  it("rejects bad inputs with errors that name the problem", async () => {
    const { model } = await load("tiny-v3");
    await expect(model.forward({ input_ids: [[1, 2, 3], [1, 2]] })).rejects.toThrowError(/input_ids: ragged input — row 1 has 2 tokens but row 0 has 3/);
    await expect(model.forward({ input_ids: [[1, 1000, 2]] })).rejects.toThrowError(/input_ids\[0\]\[1\] = 1000 is out of range: the vocabulary has 1000 ids/);
    await expect(model.forward({ input_ids: [[1, -1, 2]] })).rejects.toThrowError(InputError);
    await expect(model.forward({ input_ids: [[1, 2]], attention_mask: [[1, 2]] })).rejects.toThrowError(/attention_mask\[0\]\[1\] = 2; expected 0 or 1/);
    await expect(model.forward({ input_ids: [[1, 2]], attention_mask: [[1, 1, 1]] })).rejects.toThrowError(/attention_mask: ragged|does not match/);
    await expect(model.forward({ input_ids: [[1, 2.5]] })).rejects.toThrowError(/input_ids\[0\]\[1\] = 2.5 is not an integer/);
    await expect(model.forward({ input_ids: [[1, 5, 2]], attention_mask: [[1, 0, 1]] }, { packed: true })).rejects.toThrowError(/packed batches need right padding/);
  });

  it("reports a config whose shape disagrees with the checkpoint, naming the tensor", async () => {
    const c = find("tiny-v3", "single");
    const { files } = caseFiles(fixtureRoot, c);
    const wrong = { ...files, read: async (n: string) => (n === "config.json" ? new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(await files.read(n))), intermediate_size: 65 })) : files.read(n)) };
    await expect(DebertaV2Model.fromPretrained(wrong, { backend: new HostBackend() })).rejects.toThrowError(/intermediate\.dense\.weight.*has shape \[64, 32\], expected \[65, 32\]/);
  });

  it("lists every missing weight in one error", async () => {
    const c = find("tiny-v3", "single");
    const { files } = caseFiles(fixtureRoot, c);
    const more = { ...files, read: async (n: string) => (n === "config.json" ? new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(await files.read(n))), num_hidden_layers: 3 })) : files.read(n)) };
    await expect(DebertaV2Model.fromPretrained(more, { backend: new HostBackend() })).rejects.toThrowError(/lacks 16 tensors.*encoder\.layer\.2\.attention\.self\.query_proj\.weight/);
  });
});
