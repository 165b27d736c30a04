// Quantized models save in bitsandbytes' layout and load back to identical outputs: a bnb checkpoint (NF4 with
// double quant, LLM.int8) saves its quantized tensors bit for bit; models quantized at load (q8, nf4, fp4, q4)
// round-trip through savePretrained with identical outputs and stay quantized.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { directoryFiles } from "../../src/node/index.js";
import { DebertaV2Model, QuantizedWeight, loadStateDict, parseSafetensors, quantStateJson } from "../../src/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";

const QUANT = fileURLToPath(new URL("../../../../fixtures/quantized", import.meta.url));
const MODELS = fileURLToPath(new URL("../../../../fixtures/models", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "deberta-q-save-"));
const backend = new HostBackend({ name: "host-save" });
const quiet = { warn: () => {} };
const inputs = { input_ids: [[1, 17, 42, 99, 2, 0], [1, 5, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]] };

async function outputs(m: DebertaV2Model): Promise<Float32Array> {
  const { last_hidden_state } = await m.forward(inputs);
  const d = (await last_hidden_state.data()) as Float32Array;
  last_hidden_state.dispose();
  return d;
}

describe("savePretrained of quantized models", () => {
  for (const fixture of ["tiny-v3q-nf4-dq", "tiny-v3q-int8", "tiny-v3q-fp4"]) {
    it(`${fixture}: every quantized tensor is written back bit for bit, and the folder loads to the same outputs`, async () => {
      const src = join(QUANT, fixture);
      const model = await DebertaV2Model.fromPretrained(directoryFiles(src), { backend, ...quiet });
      const out = join(tmp, fixture);
      await model.savePretrained(out);
      const original = (await loadStateDict(directoryFiles(src))).stateDict;
      const saved = (await loadStateDict(directoryFiles(out))).stateDict;
      const quantKeys = [...original.keys()].filter((k) => /absmax|quant_map|quant_state|SCB|weight_format/.test(k));
      expect(quantKeys.length).toBeGreaterThan(10);
      for (const k of original.keys()) {
        expect(saved.has(k), k).toBe(true);
        expect(Array.from(saved.get(k)!.data), k).toEqual(Array.from(original.get(k)!.data));
        expect(saved.get(k)!.shape, k).toEqual(original.get(k)!.shape);
      }
      const again = await DebertaV2Model.fromPretrained(directoryFiles(out), { backend, ...quiet });
      expect(Array.from(await outputs(again))).toEqual(Array.from(await outputs(model)));
      const config = JSON.parse(new TextDecoder().decode((await directoryFiles(out).read("config.json"))));
      expect(config.quantization_config.quant_method).toBe("bitsandbytes");
      model.dispose();
      again.dispose();
    });
  }

  it("writes the quant-state JSON exactly as bitsandbytes does (the fixture's bytes)", async () => {
    const bytes = await directoryFiles(join(QUANT, "tiny-v3q-nf4-dq")).read("model.safetensors");
    const st = parseSafetensors(bytes, "nf4");
    const model = await DebertaV2Model.fromPretrained(directoryFiles(join(QUANT, "tiny-v3q-nf4-dq")), { backend, ...quiet });
    for (const [name, w] of model.parameters!.named) {
      if (!(w instanceof QuantizedWeight)) continue;
      const key = [...st.tensors.keys()].find((k) => k === `${name}.quant_state.bitsandbytes__nf4`)!;
      const json = new TextDecoder().decode(Uint8Array.from(st.tensors.get(key)!.data as Float32Array));
      expect(quantStateJson(await w.toHost())).toBe(json);
    }
    model.dispose();
  });

  for (const dtype of ["q8", "nf4", "fp4", "q4"]) {
    it(`quantize on load (${dtype}) → savePretrained → fromPretrained gives identical outputs, still quantized`, async () => {
      const model = await DebertaV2Model.fromPretrained(directoryFiles(join(MODELS, "tiny-v3")), { backend, dtype, ...quiet });
      const out = join(tmp, `tiny-v3-${dtype}`);
      await model.savePretrained(out);
      const again = await DebertaV2Model.fromPretrained(directoryFiles(out), { backend, ...quiet });
      const q = [...again.parameters!.named.values()].filter((w) => w instanceof QuantizedWeight);
      expect(q.length).toBe([...model.parameters!.named.values()].filter((w) => w instanceof QuantizedWeight).length);
      expect(q.length).toBeGreaterThan(0);
      expect(Array.from(await outputs(again))).toEqual(Array.from(await outputs(model)));
      expect(again.residentWeightBytes).toBe(model.residentWeightBytes);
      model.dispose();
      again.dispose();
    });
  }
});
