// Fuzz targets for the tokenizer's files: tokenizer.json (and .gz), spm.model (protobuf), the precompiled charsmap
// and the side files (tokenizer_config.json, special_tokens_map.json, added_tokens.json). Each parsed tokenizer also
// encodes and decodes a text with non-BMP characters and space runs, so a file that loads but breaks the runtime
// (bad ids, bad offsets, regexes) is caught too. They live in heads because heads depends on tokenizer and core.
import { readFileSync } from "node:fs";
import type { FuzzRng, FuzzTarget } from "@deberta-js/core/testing";
import { mutateBytes } from "@deberta-js/core/testing";
import { loadFastTokenizer, loadSlowTokenizer, memoryFiles, parseSentencePieceModel, PrecompiledCharsmap, readTokenizerConfig } from "@deberta-js/tokenizer";
import { gzipSync as zlibGzip } from "node:zlib";

const gzipSync = (b: Uint8Array) => new Uint8Array(zlibGzip(b));

const TOK = new URL("../../../../fixtures/tokenizer/", import.meta.url);
const read = (p: string) => new Uint8Array(readFileSync(new URL(p, TOK)));
const enc = new TextEncoder();
const dec = new TextDecoder();
const TEXT = "Hello  WORLD, a.b — 😀 𝔘ñï ｆｕｌｌ  \u0301x [MASK] end";

/** The spm-lower-punct tokenizer.json with its vocabulary cut to 300 pieces: small, but every component kept. */
function smallTokenizerJson(): Uint8Array {
  const j = JSON.parse(dec.decode(read("spm-lower-punct/tokenizer.json")));
  j.model.vocab = j.model.vocab.slice(0, 300);
  return enc.encode(JSON.stringify(j));
}

/** Structured mutations: replace a JSON value with a hostile one, or nest a component in Sequences. */
function mutateJson(b: Uint8Array, rng: FuzzRng): Uint8Array {
  let text = dec.decode(b);
  const values = ["-1", "0", "0.5", "1e308", "4294967296", "null", "true", '"x"', '""', "[]", "{}", "[null]", '{"type":null}', '{"Regex":"x*"}', '{"Regex":"(a+)+$"}', '{"Regex":"(?=a)"}'];
  const n = 1 + Math.floor(rng() * 3);
  for (let k = 0; k < n; k++) {
    const spots = [...text.slice(0, 20000).matchAll(/:\s*(-?[0-9.eE+]+|"[^"]{0,40}"|true|false|null)/g)];
    if (!spots.length) break;
    const m = spots[Math.floor(rng() * spots.length)];
    const v = values[Math.floor(rng() * values.length)];
    text = text.slice(0, m.index! + 1) + v + text.slice(m.index! + m[0].length);
  }
  return enc.encode(text);
}

async function exercise(tok: { encode(t: string): number[]; decode(ids: number[]): string }): Promise<void> {
  const ids = tok.encode(TEXT);
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id > 2 ** 31 - 1) throw new Error(`garbage id ${id} in input_ids`);
  tok.decode(ids);
}

const SMALL = smallTokenizerJson();
const CHARSMAP = (() => {
  const j = JSON.parse(dec.decode(SMALL));
  const b64 = j.normalizer.normalizers.find((n: { type: string }) => n.type === "Precompiled").precompiled_charsmap as string;
  return new Uint8Array(Buffer.from(b64, "base64"));
})();

export const TOKENIZER_TARGETS: FuzzTarget[] = [
  {
    name: "tokenizer.json",
    seeds: () => [SMALL],
    parse: async (b) => exercise(await loadFastTokenizer({ "tokenizer.json": b })),
    mutate: mutateJson,
  },
  {
    name: "tokenizer.json.gz",
    seeds: () => [gzipSync(SMALL)],
    parse: async (b) => exercise(await loadFastTokenizer({ "tokenizer.json.gz": b })),
    mutate: (b, rng) => gzipSync(mutateJson(SMALL, rng)),
  },
  {
    name: "spm.model (protobuf)",
    seeds: () => [read("spm-v3-like/spm.model"), read("spm-lower-punct/spm.model")],
    parse: async (b) => {
      parseSentencePieceModel(b, "fuzz/spm.model");
      await exercise(await loadSlowTokenizer({ "spm.model": b }));
    },
  },
  {
    name: "precompiled charsmap",
    seeds: () => [CHARSMAP],
    parse: (b) => {
      const cm = new PrecompiledCharsmap(b, "fuzz charsmap");
      const cps = Array.from(TEXT, (c) => c.codePointAt(0)!);
      for (let i = 0; i < cps.length; i++) {
        const v = cm.longestPrefix(cps, i, cps.length);
        if (v >= 0) cm.replacement(v);
        const f = cm.firstPrefix(cps, i, Math.min(cps.length, i + 3));
        if (f >= 0) cm.replacement(f);
      }
    },
  },
  {
    name: "tokenizer side files",
    seeds: () => ["tokenizer_config.json", "special_tokens_map.json"].map((f) => read(`spm-lower-punct/${f}`)).concat([enc.encode('{"<extra>": 4000, "[NEW]": 4001}')]),
    parse: async (b) => {
      const name = b[0] === 0x7b && dec.decode(b).includes("model_max_length") ? "tokenizer_config.json" : dec.decode(b).includes("<extra>") ? "added_tokens.json" : "special_tokens_map.json";
      await readTokenizerConfig(memoryFiles({ [name]: b }));
      await exercise(await loadFastTokenizer({ "tokenizer.json": SMALL, [name]: b }));
    },
    mutate: mutateJson,
  },
];

export { mutateBytes };
