// Live comparison with Hugging Face's Rust tokenizers (npm `tokenizers`, a devDependency) on seeded random
// inputs: encodings (ids, tokens, code point offsets, word/sequence/type ids), decoding, truncation with
// overflowing windows and stride, and padding. Also checks that the specialised fast path and the generic
// component pipeline agree.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { DebertaV2TokenizerFast } from "../src/index.js";
import { MODELS, Mismatches, fastTokenizer, modelFiles, type ModelName } from "./helpers.js";
import { randomText, rng } from "./random-text.js";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RustTokenizer = any;
const { Tokenizer } = require("tokenizers") as { Tokenizer: { fromString(s: string): RustTokenizer } };

const rustCache = new Map<string, RustTokenizer>();
function rust(model: ModelName): RustTokenizer {
  let t = rustCache.get(model);
  if (!t) {
    t = Tokenizer.fromString(new TextDecoder().decode(modelFiles(model, { gunzipJson: true })["tokenizer.json"]!));
    rustCache.set(model, t);
  }
  return t;
}

// TOKENIZER_FUZZ_SCALE=10 runs ten times more random cases (for a longer local check).
const SCALE = Number(process.env.TOKENIZER_FUZZ_SCALE ?? 1) || 1;
const N = { "spm-v3-like": 400 * SCALE, "spm-lower-punct": 400 * SCALE, "deberta-v3-real": 250 * SCALE } as const;

function encodingOf(tok: DebertaV2TokenizerFast, a: string, b: string | null) {
  return tok(a, { textPair: b, offsetsUnit: "code_point" }).encodings![0]!;
}

describe.each(MODELS)("%s vs tokenizers (random inputs)", (model) => {
  it("encodes and decodes like tokenizers; fast path == generic pipeline", async () => {
    const tok = await fastTokenizer(model);
    const r = rust(model);
    r.disableTruncation();
    r.disablePadding();
    const rnd = rng(1234 + model.length);
    const m = new Mismatches();
    for (let i = 0; i < N[model]; i++) {
      const a = randomText(rnd);
      const b = rnd() < 0.3 ? randomText(rnd) : null;
      const re = await r.encode(a, b);
      const e = encodingOf(tok, a, b);
      const label = `${JSON.stringify(a)} / ${JSON.stringify(b)}`;
      m.check(`${label} ids`, e.ids, re.getIds());
      m.check(`${label} tokens`, e.tokens, re.getTokens());
      m.check(`${label} offsets`, e.offsets, re.getOffsets());
      m.check(`${label} word ids`, e.wordIds, re.getWordIds());
      m.check(`${label} sequence ids`, e.sequenceIds, re.getSequenceIds());
      m.check(`${label} type ids`, e.typeIds, re.getTypeIds());
      m.check(`${label} special mask`, e.specialTokensMask, re.getSpecialTokensMask());
      tok.useFastPath = false;
      const g = encodingOf(tok, a, b);
      tok.useFastPath = true;
      m.check(`${label} generic ids`, g.ids, e.ids);
      m.check(`${label} generic offsets`, g.offsets, e.offsets);
      m.check(`${label} generic tokens`, g.tokens, e.tokens);
      m.check(`${label} generic words`, g.wordIds, e.wordIds);
      const ids = re.getIds();
      m.check(`${label} decode(keep)`, tok.decode(ids), await r.decode(ids, false));
      m.check(`${label} decode(skip)`, tok.decode(ids, { skipSpecialTokens: true }), await r.decode(ids, true));
      m.check(`${label} encode()`, tok.encode(a, { textPair: b }), ids);
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });

  it("truncates (all strategies, both sides, stride, overflowing windows) and pads like tokenizers", async () => {
    const tok = await fastTokenizer(model);
    const r = rust(model);
    const rnd = rng(99 + model.length);
    const m = new Mismatches();
    let compared = 0;
    for (let i = 0; i < 150 * SCALE; i++) {
      const a = randomText(rnd, 24);
      const b = rnd() < 0.6 ? randomText(rnd, 24) : null;
      const maxLength = 4 + Math.floor(rnd() * 30);
      const strategy = (["longest_first", "only_first", "only_second"] as const)[Math.floor(rnd() * 3)]!;
      const stride = Math.floor(rnd() * 4);
      const side = rnd() < 0.3 ? "left" : "right";
      const padSide = rnd() < 0.3 ? "left" : "right";
      const multiple = rnd() < 0.3 ? 8 : undefined;
      let mine;
      let myErr: string | null = null;
      try {
        mine = tok(a, {
          textPair: b,
          truncation: strategy,
          maxLength,
          stride,
          truncationSide: side,
          returnOverflowingTokens: true,
          padding: "max_length",
          paddingSide: padSide,
          padToMultipleOf: multiple && maxLength % multiple === 0 ? multiple : undefined,
          offsetsUnit: "code_point",
          returnOffsetsMapping: true,
          // tokenizers 0.23's early exit, bug for bug (the default turns it off when windows are requested)
          earlyTruncation: true,
        });
      } catch (e) {
        myErr = String(e);
      }
      // A stride that is too large makes the Rust binding abort the process: never send those.
      if (myErr && /stride/.test(myErr)) continue;
      const rs = { LongestFirst: "longest_first", OnlyFirst: "only_first", OnlySecond: "only_second" } as const;
      const rStrategy = (Object.keys(rs) as Array<keyof typeof rs>).find((k) => rs[k] === strategy)!;
      r.setTruncation(maxLength, { strategy: rStrategy, stride, direction: side });
      r.setPadding({ maxLength, direction: padSide, padId: 0, padTypeId: 0, padToken: "[PAD]", padToMultipleOf: multiple && maxLength % multiple === 0 ? multiple : undefined });
      let re;
      let rErr: string | null = null;
      try {
        re = await r.encode(a, b);
      } catch (e) {
        rErr = String(e);
      }
      const label = `${JSON.stringify(a)} / ${JSON.stringify(b)} max=${maxLength} ${strategy} stride=${stride} ${side}`;
      if (myErr || rErr) {
        m.check(`${label} error`, myErr !== null, rErr !== null);
        continue;
      }
      compared++;
      const rows = [re, ...re.getOverflowing()];
      m.check(`${label} input_ids`, mine!.input_ids, rows.map((x: RustTokenizer) => x.getIds()));
      m.check(`${label} attention`, mine!.attention_mask, rows.map((x: RustTokenizer) => x.getAttentionMask()));
      m.check(`${label} type ids`, mine!.token_type_ids, rows.map((x: RustTokenizer) => x.getTypeIds()));
      m.check(`${label} offsets`, mine!.offset_mapping, rows.map((x: RustTokenizer) => x.getOffsets()));
      m.check(`${label} word ids`, mine!.encodings!.map((e) => e.wordIds), rows.map((x: RustTokenizer) => x.getWordIds()));
      m.check(`${label} sequence ids`, mine!.encodings!.map((e) => e.sequenceIds), rows.map((x: RustTokenizer) => x.getSequenceIds()));
    }
    r.disableTruncation();
    r.disablePadding();
    expect(compared).toBeGreaterThan(60 * SCALE);
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });
});

describe("added-token options vs tokenizers", () => {
  it("lstrip / rstrip / single_word / extra normalized tokens behave like tokenizers", async () => {
    const json = JSON.parse(new TextDecoder().decode(modelFiles("spm-v3-like")["tokenizer.json"]));
    for (const t of json.added_tokens) if (t.content === "[MASK]") t.lstrip = true;
    json.added_tokens.push(
      { id: 8001, content: "<sep2>", single_word: false, lstrip: false, rstrip: true, normalized: false, special: true },
      { id: 8002, content: "word", single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
      { id: 8003, content: "Ｎorm", single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    );
    const text = JSON.stringify(json);
    const { loadFastTokenizer } = await import("../src/index.js");
    const tok = await loadFastTokenizer({ "tokenizer.json": text });
    const r = Tokenizer.fromString(text);
    const m = new Mismatches();
    const inputs = [
      "Paris is the   [MASK] of France.",
      "a<sep2>   b [MASK][MASK]  c",
      "word words sword word. (word)",
      "Norm Ｎorm norm xNormx",
      "  [MASK]",
      "<sep2>",
    ];
    for (const s of inputs) {
      const re = await r.encode(s);
      const e = tok(s, { offsetsUnit: "code_point", returnOffsetsMapping: true }).encodings![0]!;
      m.check(`${JSON.stringify(s)} ids`, e.ids, re.getIds());
      m.check(`${JSON.stringify(s)} tokens`, e.tokens, re.getTokens());
      m.check(`${JSON.stringify(s)} offsets`, e.offsets, re.getOffsets());
      m.check(`${JSON.stringify(s)} words`, e.wordIds, re.getWordIds());
      m.check(`${JSON.stringify(s)} decode`, tok.decode(e.ids, { skipSpecialTokens: true }), await r.decode(re.getIds(), true));
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });
});
