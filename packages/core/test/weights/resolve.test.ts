import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryFiles } from "../../src/files.js";
import { directoryFiles } from "../../src/node/files.js";
import { loadStateDictFromDirectory } from "../../src/node/weights.js";
import { addVariant, loadStateDict, resolveWeightFiles, writeSafetensors, type HostTensor, type LoadProgress, type StateDict } from "../../src/weights/index.js";
import { expectError, f32Bytes, stateDictPickle, TINY, torchZip } from "./helpers.js";

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const names = (...n: string[]) => Object.fromEntries(n.map((x) => [x, new Uint8Array(0)]));
const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

async function tinyF32(): Promise<StateDict> {
  return (await loadStateDict(directoryFiles(TINY))).stateDict;
}

/** Splits a state dict into two safetensors shards + an index, as save_pretrained(max_shard_size=...) does. */
function shard(sd: StateDict, shardNames: [string, string], indexName: string): Record<string, Uint8Array> {
  const keys = [...sd.keys()];
  const half = Math.ceil(keys.length / 2);
  const parts: Array<Record<string, HostTensor>> = [{}, {}];
  const weightMap: Record<string, string> = {};
  keys.forEach((k, i) => {
    parts[i < half ? 0 : 1][k] = sd.get(k)!;
    weightMap[k] = shardNames[i < half ? 0 : 1];
  });
  return {
    [shardNames[0]]: writeSafetensors(parts[0], { format: "pt" }),
    [shardNames[1]]: writeSafetensors(parts[1], { format: "pt" }),
    [indexName]: json({ metadata: { total_size: 0 }, weight_map: weightMap }),
  };
}

function expectSame(a: StateDict, b: StateDict): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, t] of a) {
    expect(t.shape, k).toEqual(b.get(k)!.shape);
    expect(t.data, k).toEqual(b.get(k)!.data);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "deberta-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("resolveWeightFiles: HF from_pretrained order", () => {
  it("_add_variant puts the variant before the last extension", () => {
    expect(addVariant("model.safetensors", "fp16")).toBe("model.fp16.safetensors");
    expect(addVariant("model.safetensors.index.json", "fp16")).toBe("model.safetensors.index.fp16.json");
    expect(addVariant("pytorch_model.bin", "bf16")).toBe("pytorch_model.bf16.bin");
    expect(addVariant("pytorch_model.bin")).toBe("pytorch_model.bin");
  });

  it("safetensors before pytorch_model.bin, single file before index; preferSafetensors/format switch", async () => {
    const all = memoryFiles({ ...names("model.safetensors", "pytorch_model.bin", "config.json") });
    expect((await resolveWeightFiles(all)).files).toEqual(["model.safetensors"]);
    expect((await resolveWeightFiles(all, { preferSafetensors: false })).files).toEqual(["pytorch_model.bin"]);
    expect((await resolveWeightFiles(all, { format: "pytorch" })).format).toBe("pytorch");
    await expectError(resolveWeightFiles(memoryFiles(names("pytorch_model.bin")), { format: "safetensors" }), "FILE_NOT_FOUND", "model.safetensors");
    const both = memoryFiles({
      ...names("model.safetensors", "model-00001-of-00001.safetensors"),
      "model.safetensors.index.json": json({ weight_map: { a: "model-00001-of-00001.safetensors" } }),
    });
    expect(await resolveWeightFiles(both)).toEqual({ format: "safetensors", files: ["model.safetensors"] });
    const binOnly = memoryFiles({ ...names("pytorch_model.bin"), "model.safetensors.index.json": json({ weight_map: { a: "s.safetensors" } }), "s.safetensors": new Uint8Array(0) });
    expect((await resolveWeightFiles(binOnly)).index).toBe("model.safetensors.index.json"); // safetensors index beats .bin, as in HF
  });

  it("variants: model.v.safetensors, then HF's index spelling, then the alternative spelling, then pytorch_model.v.bin", async () => {
    const f = (...n: string[]) => memoryFiles(names(...n));
    expect((await resolveWeightFiles(f("model.safetensors", "model.fp16.safetensors"), { variant: "fp16" })).files).toEqual(["model.fp16.safetensors"]);
    expect((await resolveWeightFiles(f("model.safetensors", "model.fp16.safetensors"))).files).toEqual(["model.safetensors"]);
    expect((await resolveWeightFiles(f("model.safetensors", "pytorch_model.fp16.bin"), { variant: "fp16" })).files).toEqual(["pytorch_model.fp16.bin"]);
    const idx = (name: string, shardName: string) => ({ [name]: json({ weight_map: { a: shardName } }), [shardName]: new Uint8Array(0) });
    const hf = memoryFiles({ ...idx("model.safetensors.index.fp16.json", "model.fp16-00001-of-00002.safetensors"), ...idx("model.fp16.safetensors.index.json", "other.safetensors") });
    expect(await resolveWeightFiles(hf, { variant: "fp16" })).toMatchObject({ index: "model.safetensors.index.fp16.json", files: ["model.fp16-00001-of-00002.safetensors"] });
    const alt = memoryFiles(idx("model.fp16.safetensors.index.json", "other.safetensors"));
    expect(await resolveWeightFiles(alt, { variant: "fp16" })).toMatchObject({ index: "model.fp16.safetensors.index.json", files: ["other.safetensors"] });
    const ptIdx = memoryFiles(idx("pytorch_model.bin.index.fp16.json", "pytorch_model.fp16-00001-of-00001.bin"));
    expect(await resolveWeightFiles(ptIdx, { variant: "fp16" })).toMatchObject({ format: "pytorch", files: ["pytorch_model.fp16-00001-of-00001.bin"] });
  });

  it("a variant never falls back to the plain files; the error says so", async () => {
    await expectError(
      resolveWeightFiles(memoryFiles(names("model.safetensors", "config.json"), "/m"), { variant: "fp16" }),
      "FILE_NOT_FOUND",
      "/m: no weight file found",
      "model.fp16.safetensors",
      "model.safetensors.index.fp16.json",
      "pytorch_model.fp16.bin",
      'There is "model.safetensors" without the variant "fp16"',
    );
    await expectError(resolveWeightFiles(memoryFiles({}), { variant: "../x" }), "WEIGHTS_INVALID", "variant");
  });

  it("nothing found: lists what was looked for and what the folder has", async () => {
    await expectError(
      resolveWeightFiles(memoryFiles(names("config.json", "flax_model.msgpack"), "/models/x")),
      "FILE_NOT_FOUND",
      "/models/x: no weight file found",
      "model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json, tf_model.h5",
      "config.json, flax_model.msgpack",
      "Flax",
    );
  });

  it("tf_model.h5: used when it is the only weight file, or alone with from_tf", async () => {
    expect(await resolveWeightFiles(memoryFiles(names("config.json", "tf_model.h5")))).toEqual({ format: "tf", files: ["tf_model.h5"] });
    const both = memoryFiles(names("config.json", "tf_model.h5", "model.safetensors"));
    expect((await resolveWeightFiles(both)).files).toEqual(["model.safetensors"]);
    expect(await resolveWeightFiles(both, { from_tf: true })).toEqual({ format: "tf", files: ["tf_model.h5"] });
    // A variant never falls back to the TF file (it has no variants), as HF.
    await expectError(resolveWeightFiles(memoryFiles(names("tf_model.h5")), { variant: "fp16" }), "FILE_NOT_FOUND", "model.fp16.safetensors");
    await expectError(
      resolveWeightFiles(memoryFiles(names("model.safetensors"), "/m"), { from_tf: true }),
      "FILE_NOT_FOUND",
      "looked for tf_model.h5",
      "from_tf",
    );
  });

  it("the tiny-v3 fixture folder resolves like HF for every variant", async () => {
    const dir = directoryFiles(TINY);
    expect((await resolveWeightFiles(dir)).files).toEqual(["model.safetensors"]);
    expect((await resolveWeightFiles(dir, { variant: "fp16" })).files).toEqual(["model.fp16.safetensors"]);
    expect((await resolveWeightFiles(dir, { variant: "bf16" })).files).toEqual(["model.bf16.safetensors"]);
    expect((await resolveWeightFiles(dir, { preferSafetensors: false })).files).toEqual(["pytorch_model.bin"]);
    await expectError(resolveWeightFiles(dir, { variant: "int8" }), "FILE_NOT_FOUND", "model.int8.safetensors");
  });
});

describe("sharded checkpoints", () => {
  it("two safetensors shards + index load identical to the single file (memory and disk)", async () => {
    const sd = await tinyF32();
    const files = shard(sd, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], "model.safetensors.index.json");
    const mem = await loadStateDict(memoryFiles(files, "/mem"));
    expect(mem.files).toEqual(["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expectSame(mem.stateDict, sd);
    const dir = join(tmp, "sharded");
    rmSync(dir, { recursive: true, force: true });
    (await import("node:fs")).mkdirSync(dir);
    for (const [n, b] of Object.entries(files)) writeFileSync(join(dir, n), b);
    const progress: LoadProgress[] = [];
    const disk = await loadStateDictFromDirectory(dir, { onProgress: (p) => progress.push(p) });
    expectSame(disk.stateDict, sd);
    for (const f of ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]) {
      const ps = progress.filter((p) => p.file === f);
      expect(ps.length).toBeGreaterThan(2);
      expect(ps.at(-1)!.loaded).toBe(files[f].length);
      expect(ps.every((p) => p.total === files[f].length)).toBe(true);
    }
  });

  it("variant shards with HF's index name, loaded as f16", async () => {
    const sd = (await loadStateDict(directoryFiles(TINY), { variant: "fp16", dtype: "f16" })).stateDict;
    const files = shard(sd, ["model.fp16-00001-of-00002.safetensors", "model.fp16-00002-of-00002.safetensors"], "model.safetensors.index.fp16.json");
    const r = await loadStateDict(memoryFiles({ ...files, "model.safetensors": new Uint8Array(0) }), { variant: "fp16", dtype: "f16" });
    expect([...r.sourceDtypes]).toEqual(["F16"]);
    expectSame(r.stateDict, sd);
  });

  it("pytorch_model.bin.index.json with two .bin shards", async () => {
    const s1 = torchZip(stateDictPickle([{ key: "a", storageKey: "0", numel: 2, size: [2] }]), { "0": f32Bytes([1, 2]) });
    const s2 = torchZip(stateDictPickle([{ key: "b", storageKey: "0", numel: 1, size: [1] }]), { "0": f32Bytes([3]) });
    const r = await loadStateDict(
      memoryFiles({
        "pytorch_model-00001-of-00002.bin": s1,
        "pytorch_model-00002-of-00002.bin": s2,
        "pytorch_model.bin.index.json": json({ weight_map: { a: "pytorch_model-00001-of-00002.bin", b: "pytorch_model-00002-of-00002.bin" } }),
      }),
    );
    expect([...r.stateDict.keys()]).toEqual(["a", "b"]);
    expect(Array.from(r.stateDict.get("b")!.data)).toEqual([3]);
  });

  it("index pointing at a missing shard names it", async () => {
    const sd = await tinyF32();
    const files = shard(sd, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], "model.safetensors.index.json");
    delete files["model-00002-of-00002.safetensors"];
    await expectError(loadStateDict(memoryFiles(files, "/m")), "FILE_NOT_FOUND", "/m/model.safetensors.index.json", 'shard file "model-00002-of-00002.safetensors"', "missing");
  });

  it("index escaping the folder is refused before anything is read", async () => {
    for (const [bad, why] of [
      ["../escape.safetensors", '".." segment'],
      ["sub/../../escape.safetensors", '".." segment'],
      ["/etc/escape.safetensors", "absolute path"],
      ["C:\\x\\escape.safetensors", "absolute path"],
      ["https://example.com/escape.safetensors", "URL"],
    ]) {
      const files = memoryFiles({ "model.safetensors.index.json": json({ weight_map: { "embeddings.word_embeddings.weight": bad } }) }, "/m");
      await expectError(loadStateDict(files), "WEIGHTS_INVALID", "/m/model.safetensors.index.json", `shard "${bad}"`, '"embeddings.word_embeddings.weight"', why);
    }
    // through the real directory reader too
    const dir = join(tmp, "escape");
    (await import("node:fs")).mkdirSync(dir, { recursive: true });
    writeFileSync(join(tmp, "escape.safetensors"), writeSafetensors({}));
    writeFileSync(join(dir, "model.safetensors.index.json"), json({ weight_map: { w: "../escape.safetensors" } }));
    await expectError(loadStateDictFromDirectory(dir), "WEIGHTS_INVALID", "../escape.safetensors", "escapes the model folder");
  });

  it("malformed indexes: bad JSON, no weight_map, wrong shard type, tensor missing from its shard, duplicate tensors", async () => {
    const one = writeSafetensors({ a: { dtype: "f32", shape: [1], data: Float32Array.from([1]) } });
    const load = (files: Record<string, Uint8Array>) => loadStateDict(memoryFiles(files, "/m"));
    await expectError(load({ "model.safetensors.index.json": new TextEncoder().encode("{nope") }), "WEIGHTS_INVALID", "/m/model.safetensors.index.json", "not valid JSON");
    await expectError(load({ "model.safetensors.index.json": json({ metadata: {} }) }), "WEIGHTS_INVALID", '"weight_map" must be an object');
    await expectError(load({ "model.safetensors.index.json": json({ weight_map: { a: "x.bin" } }) }), "WEIGHTS_INVALID", 'shard "x.bin"', "not a .safetensors file");
    await expectError(
      load({ "s1.safetensors": one, "model.safetensors.index.json": json({ weight_map: { a: "s1.safetensors", b: "s1.safetensors" } }) }),
      "WEIGHTS_INVALID",
      'tensor "b" is listed in shard "s1.safetensors" but no shard holds it',
    );
    await expectError(
      load({ "s1.safetensors": one, "s2.safetensors": one, "model.safetensors.index.json": json({ weight_map: { a: "s1.safetensors", x: "s2.safetensors" } }) }),
      "WEIGHTS_INVALID",
      'tensor "a" appears in both "s1.safetensors" and "s2.safetensors"',
    );
  });

  it("whole-file progress for a single file ends at its size", async () => {
    const progress: LoadProgress[] = [];
    await loadStateDict(memoryFiles({ "pytorch_model.bin": u8(readFileSync(`${TINY}/pytorch_model.bin`)) }), { onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)).toEqual({ file: "pytorch_model.bin", loaded: 212835, total: 212835 });
  });
});
