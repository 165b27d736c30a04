// config.json's `quantization_config.deberta_js.activations` marker: written for q8 models only, read back when
// no dtype is given (an explicit dtype wins, "auto" defers to the folder), checked (unknown values are refused).
// The outputs themselves are compared bit for bit on the CPU backend in heads/test/quantized-reload.test.ts.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { directoryFiles } from "../../src/node/index.js";
import { DebertaError, DebertaV2Config, DebertaV2Model, QuantizedWeight, env, loadStateDict } from "../../src/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";

const MODELS = fileURLToPath(new URL("../../../../fixtures/models", import.meta.url));
const QUANT = fileURLToPath(new URL("../../../../fixtures/quantized", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "deberta-act-marker-"));
const backend = new HostBackend({ name: "host-act-marker" });
const quiet = { warn: () => {} };

const modes = (m: DebertaV2Model) =>
  new Set([...m.parameters!.named.values()].filter((w): w is QuantizedWeight => w instanceof QuantizedWeight && w.layout === "int8").map((w) => w.activations));

async function savedQ8(): Promise<string> {
  const out = join(tmp, "q8");
  const m = await DebertaV2Model.fromPretrained(directoryFiles(join(MODELS, "tiny-v3")), { backend, dtype: "q8", ...quiet });
  await m.savePretrained(out);
  m.dispose();
  return out;
}

function withQc(src: string, name: string, edit: (qc: Record<string, unknown>) => void): string {
  const dir = join(tmp, name);
  cpSync(src, dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  edit(cfg.quantization_config);
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
  return dir;
}

describe("the int8-activations marker", () => {
  it("q8 writes it; a folder with it loads with int8 activations unless a dtype says otherwise", async () => {
    const dir = await savedQ8();
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).quantization_config.deberta_js).toEqual({ activations: "int8-dynamic" });
    const load = async (o: object) => {
      const m = await DebertaV2Model.fromPretrained(directoryFiles(dir), { backend, ...quiet, ...o });
      const r = modes(m);
      m.dispose();
      return r;
    };
    expect(await load({})).toEqual(new Set(["int8"]));
    expect(await load({ dtype: "auto" })).toEqual(new Set(["int8"]));
    expect(await load({ dtype: "q8" })).toEqual(new Set(["int8"]));
    expect(await load({ dtype: "fp32" })).toEqual(new Set(["f32"]));
    expect(await load({ dtype: "q4" })).toEqual(new Set(["f32"])); // the checkpoint's int8 modules, float activations
    const saved = env.dtype;
    env.dtype = "fp32"; // a global dtype is a choice too
    try {
      expect(await load({})).toEqual(new Set(["f32"]));
    } finally {
      env.dtype = saved;
    }
  });

  it("fromStateDict reads it too (no dtype given); int8Activations overrides", async () => {
    const dir = await savedQ8();
    const config = DebertaV2Config.fromJSON(readFileSync(join(dir, "config.json"), "utf8"));
    const build = async (o: object) => {
      const { stateDict } = await loadStateDict(directoryFiles(dir));
      const m = DebertaV2Model.fromStateDict(config, stateDict, { backend, ...quiet, ...o });
      const r = modes(m);
      m.dispose();
      return r;
    };
    expect(await build({})).toEqual(new Set(["int8"]));
    expect(await build({ dtype: "f32" })).toEqual(new Set(["f32"]));
    expect(await build({ int8Activations: false })).toEqual(new Set(["f32"]));
  });

  it("a genuine bitsandbytes LLM.int8 checkpoint (no marker) keeps float activations; 4-bit saves carry no marker", async () => {
    const m = await DebertaV2Model.fromPretrained(directoryFiles(join(QUANT, "tiny-v3q-int8")), { backend, ...quiet });
    expect(modes(m)).toEqual(new Set(["f32"]));
    const out = join(tmp, "bnb-int8");
    await m.savePretrained(out);
    m.dispose();
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).quantization_config.deberta_js).toBeUndefined();
    const n = await DebertaV2Model.fromPretrained(directoryFiles(join(MODELS, "tiny-v3")), { backend, dtype: "nf4", ...quiet });
    await n.savePretrained(join(tmp, "nf4"));
    n.dispose();
    expect(JSON.parse(readFileSync(join(tmp, "nf4", "config.json"), "utf8")).quantization_config.deberta_js).toBeUndefined();
  });

  for (const bad of ["int8", "dynamic", 1, null]) {
    it(`an unknown value (${JSON.stringify(bad)}) is a typed error naming config.json and the key, whatever the dtype`, async () => {
      const dir = withQc(await savedQ8(), `bad-${String(bad)}`, (qc) => {
        (qc.deberta_js as Record<string, unknown>).activations = bad;
      });
      for (const o of [{}, { dtype: "fp32" }]) {
        const e = await DebertaV2Model.fromPretrained(directoryFiles(dir), { backend, ...quiet, ...o }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(DebertaError);
        expect((e as DebertaError).code).toBe("UNSUPPORTED");
        expect((e as Error).message).toContain("config.json");
        expect((e as Error).message).toContain("quantization_config.deberta_js.activations");
      }
    });
  }
  it("a bad marker is refused before any weight is read (nothing is left on the backend)", async () => {
    const dir = withQc(await savedQ8(), "bad-before-weights", (qc) => {
      (qc.deberta_js as Record<string, unknown>).activations = "int8";
    });
    const files = directoryFiles(dir);
    const read: string[] = [];
    const spy: typeof files = {
      location: files.location,
      list: () => files.list(),
      has: (name) => files.has(name),
      size: files.size && ((name) => files.size!(name)),
      read: (name) => (read.push(name), files.read(name)),
      readRange: files.readRange && ((name, a, b) => (read.push(name), files.readRange!(name, a, b))),
      readInto: files.readInto && ((name, a, d) => (read.push(name), files.readInto!(name, a, d))),
    };
    const e = await DebertaV2Model.fromPretrained(spy, { backend, ...quiet }).catch((x: unknown) => x);
    expect((e as DebertaError).code).toBe("UNSUPPORTED");
    expect(read).toEqual(["config.json"]);
  });
});
