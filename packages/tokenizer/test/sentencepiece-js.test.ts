// The pure-TypeScript SentencePieceProcessor against sentencepiece-js (Google's C++ SentencePiece compiled to
// WASM) on seeded random inputs: ids, pieces and decoding must be identical.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { SentencePieceProcessor } from "../src/index.js";
import { MODELS, Mismatches, modelDir, modelFiles } from "./helpers.js";
import { POOL, randomText, rng } from "./random-text.js";

const require = createRequire(import.meta.url);
const spjs = require("sentencepiece-js") as {
  SentencePieceProcessor: new () => {
    load(path: string): Promise<void>;
    encodeIds(s: string): number[];
    encodePieces(s: string): string[];
    decodeIds(ids: number[]): string;
  };
};

// sentencepiece-js converts JS strings to UTF-8 itself and mangles lone surrogates; leave those out.
const pool = POOL.filter((s) => !/^[\uD800-\uDFFF]$/.test(s));
const N = { "spm-v3-like": 400, "spm-lower-punct": 400, "deberta-v3-real": 300 } as const;

describe.each(MODELS)("%s: SentencePieceProcessor == sentencepiece-js", (model) => {
  it("encodes and decodes identically", async () => {
    const mine = SentencePieceProcessor.fromBytes(modelFiles(model)["spm.model"]!);
    const ref = new spjs.SentencePieceProcessor();
    await ref.load(`${modelDir(model)}spm.model`);
    const rnd = rng(777 + model.length);
    const m = new Mismatches();
    for (let i = 0; i < N[model]; i++) {
      const text = randomText(rnd, 16, pool);
      const r = mine.encode(text);
      const ids = ref.encodeIds(text);
      m.check(`${JSON.stringify(text)} ids`, r.ids, ids);
      m.check(`${JSON.stringify(text)} pieces`, r.pieces, ref.encodePieces(text));
      m.check(`${JSON.stringify(text)} decode`, mine.decodeIds(ids), ref.decodeIds(ids));
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });
});
