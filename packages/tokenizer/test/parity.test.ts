// Every case of every fixtures/tokenizer/*/cases.json: SentencePiece expectations through DebertaV2Tokenizer
// (and the pure-TS SentencePieceProcessor), Rust-tokenizers expectations through DebertaV2TokenizerFast.
import { describe, expect, it } from "vitest";
import type { DebertaV2TokenizerFast, Encoding } from "../src/index.js";
import { MODELS, Mismatches, convertedFastTokenizer, fastTokenizer, loadCases, slowTokenizer, type HfEncoding } from "./helpers.js";

function compareEncoding(m: Mismatches, label: string, enc: Encoding, cpEnc: Encoding, exp: HfEncoding): void {
  m.check(`${label} ids`, enc.ids, exp.ids);
  m.check(`${label} tokens`, enc.tokens, exp.tokens);
  m.check(`${label} type_ids`, enc.typeIds, exp.type_ids);
  m.check(`${label} attention_mask`, enc.attentionMask, exp.attention_mask);
  m.check(`${label} special_tokens_mask`, enc.specialTokensMask, exp.special_tokens_mask);
  m.check(`${label} word_ids`, enc.wordIds, exp.word_ids);
  m.check(`${label} sequence_ids`, enc.sequenceIds, exp.sequence_ids);
  m.check(`${label} offsets_utf16`, enc.offsets, exp.offsets_utf16);
  m.check(`${label} offsets (code points)`, cpEnc.offsets, exp.offsets);
}

function encodeBoth(tok: DebertaV2TokenizerFast, text: string, pair: string | null, opts: Record<string, unknown> = {}): [Encoding, Encoding] {
  const a = tok(text, { textPair: pair, returnOffsetsMapping: true, ...opts });
  const b = tok(text, { textPair: pair, returnOffsetsMapping: true, offsetsUnit: "code_point", ...opts });
  return [a.encodings![0]!, b.encodings![0]!];
}

describe.each(MODELS)("%s", (model) => {
  const cases = loadCases(model);

  it("SentencePieceProcessor reproduces sp.encode / sp.decode (raw text)", async () => {
    const slow = await slowTokenizer(model);
    const m = new Mismatches();
    let n = 0;
    for (const s of cases.singles) {
      const r = slow.sp.encode(s.text);
      m.check(`${s.id} ids`, r.ids, s.spm.ids);
      m.check(`${s.id} pieces`, r.pieces, s.spm.pieces);
      m.check(`${s.id} decode`, slow.sp.decodeIds(s.spm.ids), s.spm.decode);
      n++;
    }
    for (const p of cases.pairs) {
      for (const [k, text] of [["a", p.text], ["b", p.text_pair]] as const) {
        const r = slow.sp.encode(text);
        m.check(`${p.id}${k} ids`, r.ids, p.spm[k].ids);
        m.check(`${p.id}${k} pieces`, r.pieces, p.spm[k].pieces);
        m.check(`${p.id}${k} decode`, slow.sp.decodeIds(p.spm[k].ids), p.spm[k].decode);
        n++;
      }
    }
    expect(n).toBe(cases.singles.length + 2 * cases.pairs.length);
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });

  it("DebertaV2Tokenizer (slow) matches the SentencePiece-driven slow pipeline", async () => {
    const slow = await slowTokenizer(model);
    const m = new Mismatches();
    for (const s of cases.singles) {
      const r = slow.tokenizeWithIds(s.text);
      m.check(`${s.id} ids`, r.ids, s.spm_slow_pipeline.ids);
      m.check(`${s.id} pieces`, r.pieces, s.spm_slow_pipeline.pieces);
      m.check(`${s.id} tokenize()`, slow.tokenize(s.text), s.spm_slow_pipeline.pieces);
      const cls = cases.config.special_ids["[CLS]"];
      const sep = cases.config.special_ids["[SEP]"];
      m.check(`${s.id} encode()`, slow.encode(s.text), [cls, ...s.spm_slow_pipeline.ids, sep]);
    }
    for (const p of cases.pairs) {
      const cls = cases.config.special_ids["[CLS]"]!;
      const sep = cases.config.special_ids["[SEP]"]!;
      const a = p.spm_slow_pipeline.a.ids;
      const b = p.spm_slow_pipeline.b.ids;
      const r = slow(p.text, { textPair: p.text_pair });
      m.check(`${p.id} input_ids`, r.input_ids, [cls, ...a, sep, ...b, sep]);
      m.check(`${p.id} token_type_ids`, r.token_type_ids, [...a.map(() => 0), 0, 0, ...b.map(() => 1), 1]);
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });

  it.each([
    ["tokenizer.json", fastTokenizer],
    ["spm.model (converter)", convertedFastTokenizer],
  ] as const)("DebertaV2TokenizerFast from %s matches tokenizers on every single text", async (_src, load) => {
    const tok = await load(model);
    const m = new Mismatches();
    for (const s of cases.singles) {
      const [enc, cp] = encodeBoth(tok, s.text, null);
      compareEncoding(m, s.id, enc, cp, s.hf);
      const r = tok(s.text, { addSpecialTokens: false });
      m.check(`${s.id} no_special ids`, r.input_ids, s.hf_no_special_tokens.ids);
      m.check(`${s.id} no_special tokens`, r.tokens(), s.hf_no_special_tokens.tokens);
      const [te, tcp] = encodeBoth(tok, s.text, null, { truncation: true, maxLength: 16 });
      compareEncoding(m, `${s.id} truncated`, te, tcp, s.hf_truncated);
      m.check(`${s.id} decode(skip)`, tok.decode(s.hf.ids, { skipSpecialTokens: true }), s.hf_decode.skip_special_tokens);
      m.check(`${s.id} decode(keep)`, tok.decode(s.hf.ids), s.hf_decode.keep_special_tokens);
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });

  it.each([
    ["tokenizer.json", fastTokenizer],
    ["spm.model (converter)", convertedFastTokenizer],
  ] as const)("DebertaV2TokenizerFast from %s matches tokenizers on every pair", async (_src, load) => {
    const tok = await load(model);
    const m = new Mismatches();
    for (const p of cases.pairs) {
      const [enc, cp] = encodeBoth(tok, p.text, p.text_pair);
      compareEncoding(m, p.id, enc, cp, p.hf);
      const [te, tcp] = encodeBoth(tok, p.text, p.text_pair, { truncation: "longest_first", maxLength: 16 });
      compareEncoding(m, `${p.id} truncated`, te, tcp, p.hf_truncated);
      m.check(`${p.id} decode(skip)`, tok.decode(p.hf.ids, { skip_special_tokens: true }), p.hf_decode.skip_special_tokens);
      m.check(`${p.id} decode(keep)`, tok.decode(p.hf.ids), p.hf_decode.keep_special_tokens);
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });

  it.each([
    ["tokenizer.json", fastTokenizer],
    ["spm.model (converter)", convertedFastTokenizer],
  ] as const)("DebertaV2TokenizerFast from %s matches tokenizers on every padded batch", async (_src, load) => {
    const tok = await load(model);
    const m = new Mismatches();
    for (const b of cases.batches) {
      const utf16 = tok(b.inputs, { padding: "longest", returnOffsetsMapping: true, returnSpecialTokensMask: true });
      const cps = tok(b.inputs, { padding: true, returnOffsetsMapping: true, offsetsUnit: "code_point" });
      b.encodings.forEach((exp, i) => compareEncoding(m, `${b.id}[${i}]`, utf16.encodings![i]!, cps.encodings![i]!, exp));
      m.check(`${b.id} input_ids`, utf16.input_ids, b.encodings.map((e) => e.ids));
      m.check(`${b.id} attention_mask`, utf16.attention_mask, b.encodings.map((e) => e.attention_mask));
      m.check(`${b.id} token_type_ids`, utf16.token_type_ids, b.encodings.map((e) => e.type_ids));
      m.check(`${b.id} special_tokens_mask`, utf16.special_tokens_mask, b.encodings.map((e) => e.special_tokens_mask));
      m.check(`${b.id} offset_mapping`, utf16.offset_mapping, b.encodings.map((e) => e.offsets_utf16));
      b.encodings.forEach((exp, i) => m.check(`${b.id} word_ids(${i})`, utf16.word_ids(i), exp.word_ids));
    }
    expect(m.report(), `${m.count} mismatches`).toEqual([]);
  });
});
