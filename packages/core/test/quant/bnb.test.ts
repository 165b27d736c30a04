// bitsandbytes checkpoints: the loader's dequantization against the fixtures' dequantized.json (first/last values
// and float64 sums of every quantized module), per-module decisions, malformed tensors, and every quantized
// fixture case through the library on the reference backend (fused quantizedLinear and core's fallback).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { directoryFiles } from "../../src/node/index.js";
import { dequantize, extractBnbModules, loadStateDict, WeightsError, type StateDict } from "../../src/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { defineParitySuite, loadFixtureCases } from "../../src/testing/parity.js";

const ROOT = fileURLToPath(new URL("../../../../fixtures/quantized", import.meta.url));
const quantRoot = directoryFiles(ROOT);
const FIXTURES = ["tiny-v3q-nf4-dq", "tiny-v3q-fp4", "tiny-v3q-int8", "tiny-v3q-seqcls-nf4-dq"];

async function stateDictOf(name: string): Promise<StateDict> {
  return (await loadStateDict(directoryFiles(`${ROOT}/${name}`))).stateDict;
}

interface Expected {
  shape: [number, number];
  first128: number[];
  last64: number[];
  sum: number;
  abs_sum?: number;
  sum_abs?: number;
}

describe("bitsandbytes loader", () => {
  for (const name of FIXTURES) {
    it(`${name}: dequantized weights equal dequantized.json`, async () => {
      const { modules } = extractBnbModules(await stateDictOf(name), name);
      const expected = JSON.parse(readFileSync(`${ROOT}/${name}/dequantized.json`, "utf8")) as Record<string, Expected>;
      const strip = (k: string) => k.replace(/^deberta\./, "");
      expect([...modules.keys()].map(strip).sort()).toEqual(Object.keys(expected).map(strip).sort());
      for (const [key, w] of modules) {
        const exp = expected[key] ?? expected[strip(key)];
        expect([w.outFeatures, w.inFeatures]).toEqual(exp.shape);
        const W = dequantize(w);
        expect(Array.from(W.subarray(0, 128))).toEqual(exp.first128.map(Math.fround));
        expect(Array.from(W.subarray(W.length - 64))).toEqual(exp.last64.map(Math.fround));
        let sum = 0;
        let abs = 0;
        for (const v of W) {
          sum += v;
          abs += Math.abs(v);
        }
        expect(Math.abs(sum - exp.sum)).toBeLessThan(1e-9 * Math.max(1, Math.abs(exp.sum)));
        const expAbs = exp.abs_sum ?? exp.sum_abs;
        if (expAbs !== undefined) expect(Math.abs(abs - expAbs)).toBeLessThan(1e-9 * expAbs);
      }
    });
  }

  it("decides per module from the tensors present, not from the config", async () => {
    const sd = await stateDictOf("tiny-v3q-seqcls-nf4-dq");
    const { modules, stateDict } = extractBnbModules(sd);
    expect([...modules.keys()].some((k) => k.endsWith("pooler.dense"))).toBe(true);
    expect([...modules.keys()].some((k) => k.includes("classifier"))).toBe(false);
    expect(stateDict.has("classifier.weight")).toBe(true);
    expect([...stateDict.keys()].some((k) => /absmax|quant_map|quant_state|SCB|weight_format/.test(k))).toBe(false);
  });

  it("the int8 fixture holds LLM.int8 modules (CB/SCB)", async () => {
    const { modules } = extractBnbModules(await stateDictOf("tiny-v3q-int8"));
    expect(modules.size).toBeGreaterThan(0);
    for (const w of modules.values()) expect(w.layout).toBe("int8");
  });

  it("rejects legacy weight_format, a wrong quant state and truncated packed codes with WEIGHTS_INVALID naming the tensor", async () => {
    const int8 = await stateDictOf("tiny-v3q-int8");
    const fmtKey = [...int8.keys()].find((k) => k.endsWith("weight_format"))!;
    const bad = new Map(int8);
    bad.set(fmtKey, { dtype: "f32", shape: [], data: Float32Array.of(1) });
    expect(() => extractBnbModules(bad, "x")).toThrow(new RegExp(fmtKey.replace(/\./g, "\\.")));

    const nf4 = await stateDictOf("tiny-v3q-nf4-dq");
    const stateKey = [...nf4.keys()].find((k) => k.includes("quant_state"))!;
    const json = new Map(nf4);
    json.set(stateKey, { dtype: "f32", shape: [3], data: Float32Array.from([123, 34, 113]) });
    expect(() => extractBnbModules(json, "x")).toThrow(WeightsError);

    const wKey = stateKey.replace(/\.quant_state\..*$/, "");
    const short = new Map(nf4);
    const w = nf4.get(wKey)!;
    short.set(wKey, { dtype: "f32", shape: [w.shape[0] - 1, 1], data: w.data.slice(1) as Float32Array });
    expect(() => extractBnbModules(short, "x")).toThrow(/has shape/);

    const missing = new Map(nf4);
    missing.delete(`${wKey}.absmax`);
    expect(() => extractBnbModules(missing, "x")).toThrow(/lacks tensor/);
  });

});

const cases = await loadFixtureCases(quantRoot, { classes: ["DebertaV2Model"] });
it("covers the three base-model quantized fixtures", () => {
  expect([...new Set(cases.map((c) => c.fixture))].sort()).toEqual(["tiny-v3q-fp4", "tiny-v3q-int8", "tiny-v3q-nf4-dq"]);
});
defineParitySuite({ describe, it, expect }, { name: "quantized, reference backend (fused quantizedLinear)", root: quantRoot, cases, backend: async () => new HostBackend({ name: "host-q" }) });
defineParitySuite(
  { describe, it, expect },
  { name: "quantized, reference backend (core fallback)", root: quantRoot, cases, backend: async () => new HostBackend({ name: "host-qp", fused: false }) },
);
