// Fuzz targets for core's parsers: safetensors, torch zip + restricted unpickler, zip container, config.json and
// sharded index files. Seeds are the repo's fixtures plus small synthetic files that reach the rarer paths
// (F16/BF16, OrderedDict + BUILD, strided views, deflated and ZIP64 zips). Other loaders add a target here.
import { readFileSync } from "node:fs";
import { zipSync } from "fflate";
import { DebertaV2Config } from "../../src/config.js";
import { memoryFiles } from "../../src/files.js";
import type { FuzzRng, FuzzTarget } from "../../src/testing/fuzz.js";
import { mutateBytes } from "../../src/testing/fuzz.js";
import { bytesSource } from "../../src/weights/source.js";
import { parseSafetensors, parseTorchCheckpoint, writeSafetensors } from "../../src/weights/index.js";
import { readShardIndex } from "../../src/weights/resolve.js";
import { openZip, readZipEntry, writeZip } from "../../src/weights/zip.js";
import { parseTfH5 } from "../../src/weights/tf-h5.js";
import { tfWeightsToStateDict } from "../../src/weights/tf-names.js";
import { f32Bytes, stateDictPickle, torchZip } from "../weights/helpers.js";

const FIXTURES = new URL("../../../../fixtures/models/", import.meta.url);
const fixture = (p: string) => new Uint8Array(readFileSync(new URL(p, FIXTURES)));
const enc = new TextEncoder();

const smallSafetensors = () => [
  writeSafetensors({
    a: { dtype: "f32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    b: { dtype: "F16", shape: [4], data: new Uint16Array([0x3c00, 0x4000, 0x7c00, 0x8001]) },
    c: { dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0xc000]) },
  }, { format: "pt" }),
  writeSafetensors({}),
];

const PICKLES = () => [
  stateDictPickle([
    { key: "w", storageKey: "0", numel: 16, size: [4, 4], stride: [1, 4] },
    { key: "b", storageKey: "1", numel: 16, offset: 2, size: [3] },
    { key: "t", storageKey: "0", numel: 16, size: [16] },
  ], { ordered: true }),
  stateDictPickle([{ key: "h", storageKey: "1", storageType: "HalfStorage", numel: 32, size: [2, 16] }]),
];
const STORAGES = { "0": f32Bytes(new Float32Array(16).map((_, i) => i)), "1": new Uint8Array(64) };

const smallZips = () => {
  const [p0, p1] = PICKLES();
  return [
    torchZip(p0, STORAGES),
    writeZip([["a/data.pkl", p1], ["a/data/1", STORAGES["1"]], ["a/byteorder", enc.encode("little")]], { zip64: true }),
    zipSync({ "m/data.pkl": [p0, { level: 6 }], "m/data/0": [STORAGES["0"], { level: 9 }], "m/data/1": [STORAGES["1"], { level: 0 }] }),
  ];
};

/** Mutates the pickle inside the zip (the archive stays well-formed, so the unpickler sees the damage). */
const mutatePickle = (_b: Uint8Array, rng: FuzzRng) => {
  const p = PICKLES();
  return torchZip(mutateBytes(p[Math.floor(rng() * p.length)], rng), STORAGES);
};

const CONFIGS = ["tiny-v3", "tiny-v2-conv", "tiny-v2-classic", "tiny-noattn-rel", "tiny-v3-legacy-mlm", "long-v3"].map((m) => `${m}/config.json`);

/** Text mutations that keep JSON mostly valid: numbers, keys and values swapped for hostile ones. */
function mutateJson(b: Uint8Array, rng: FuzzRng): Uint8Array {
  let text = new TextDecoder().decode(b);
  const values = ["-1", "0", "1e308", "30000", "4294967296", "9007199254740993", "0.5", "null", "true", '"x"', "[]", "{}", '[null]', '{"type":null}', "-0.0000001"];
  const n = 1 + Math.floor(rng() * 3);
  for (let k = 0; k < n; k++) {
    const re = /:\s*(-?[0-9.eE+]+|"[^"]*"|true|false|null)/g;
    const spots = [...text.matchAll(re)];
    if (!spots.length) break;
    const m = spots[Math.floor(rng() * spots.length)];
    const v = values[Math.floor(rng() * values.length)];
    text = text.slice(0, m.index! + 1) + v + text.slice(m.index! + m[0].length);
  }
  return enc.encode(text);
}

const INDEX = enc.encode(
  JSON.stringify({ metadata: { total_size: 24 }, weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors", c: "model-00001-of-00002.safetensors" } }),
);

export const CORE_TARGETS: FuzzTarget[] = [
  {
    name: "safetensors",
    seeds: () => [fixture("tiny-v3/model.safetensors"), fixture("tiny-v3/model.fp16.safetensors"), ...smallSafetensors()],
    parse: (b) => parseSafetensors(b, "fuzz.safetensors", { dtype: b.length % 2 ? "f16" : "f32" }),
  },
  {
    name: "safetensors (strict: false)",
    seeds: smallSafetensors,
    parse: (b) => parseSafetensors(b, "fuzz.safetensors", { strict: false, onWarning: () => {} }),
  },
  {
    name: "pytorch_model.bin (zip + unpickler)",
    seeds: () => [...smallZips(), fixture("tiny-v3/pytorch_model.bin")],
    parse: (b) => parseTorchCheckpoint(b, "fuzz.bin"),
    mutate: mutatePickle,
  },
  {
    name: "zip container",
    seeds: smallZips,
    parse: async (b) => {
      const zip = await openZip(bytesSource(b, "fuzz.zip"));
      for (const e of zip.entries.values()) await readZipEntry(zip, e, true);
    },
  },
  {
    name: "config.json",
    seeds: () => CONFIGS.map(fixture),
    parse: (b) => DebertaV2Config.fromJSON(b, "fuzz/config.json"),
    mutate: mutateJson,
  },
  {
    name: "sharded index",
    seeds: () => [INDEX],
    parse: (b) =>
      readShardIndex(
        memoryFiles({ "model.safetensors.index.json": b, "model-00001-of-00002.safetensors": new Uint8Array(0), "model-00002-of-00002.safetensors": new Uint8Array(0) }, "/fuzz"),
        "model.safetensors.index.json",
        "safetensors",
      ),
    mutate: mutateJson,
  },
];

const TF_FIXTURES = new URL("../../../../fixtures/tf/", import.meta.url);

/**
 * HDF5 keeps its metadata (superblock, object headers, B-trees, heaps, the name-list attributes) at the start and
 * the end of a Keras file, and float data in between: half of the cases aim the generic mutations there.
 */
function mutateH5(b: Uint8Array, rng: FuzzRng): Uint8Array {
  if (rng() < 0.5) return mutateBytes(b, rng);
  const span = Math.min(8192, b.length);
  const atEnd = rng() < 0.5;
  const start = atEnd ? b.length - span : 0;
  const out = b.slice();
  out.set(mutateBytes(b.subarray(start, start + span), rng).subarray(0, span), start);
  return out;
}

/**
 * tf_model.h5: h5wasm in a worker, then the TF → PyTorch mapping. HDF5 loops forever on some corrupt files; the
 * reader's deadline turns that into a WeightsError, kept here under the fuzzer's 5 s hang limit. Each failing case
 * costs a fresh worker (~0.5 s), so the suite runs `TF_H5_CASES` of them (see parsers.fuzz.test.ts).
 */
export const TF_H5_TARGET: FuzzTarget = {
  name: "tf_model.h5 (h5wasm + TF names)",
  seeds: () => [new Uint8Array(readFileSync(new URL("tiny-v3/heads/DebertaV2ForMaskedLM/tf_model.h5", TF_FIXTURES))), new Uint8Array(readFileSync(new URL("tiny-v2-conv/tf_model.h5", TF_FIXTURES)))],
  parse: async (b) => tfWeightsToStateDict(await parseTfH5(b, "fuzz/tf_model.h5", { timeoutMs: 3000 }), "fuzz/tf_model.h5"),
  mutate: mutateH5,
};
