// The public API: transformers-like call signature and methods, batching, pairs, padding, truncation with
// overflowing windows (question answering), offsets, word ids, decoding and loading.
import { describe, expect, it } from "vitest";
import { DebertaV2Tokenizer, DebertaV2TokenizerFast, loadFastTokenizer, memoryFiles } from "../src/index.js";
import { loadTokenizer, loadSlowTokenizerFromDir, directoryFiles } from "../src/node/index.js";
import { fastTokenizer, modelDir, modelFiles, slowTokenizer } from "./helpers.js";

describe("DebertaV2TokenizerFast API", () => {
  it("is callable like transformers and recognises [MASK] typed in the text", async () => {
    const tok = await fastTokenizer("deberta-v3-real");
    expect(tok).toBeInstanceOf(DebertaV2TokenizerFast);
    const r = tok("Paris is the [MASK] of France.");
    const ids = r.input_ids as number[];
    expect(ids[0]).toBe(tok.clsTokenId);
    expect(ids[ids.length - 1]).toBe(tok.sepTokenId);
    expect(tok.maskTokenId).toBe(128000);
    expect(ids).toContain(128000);
    expect(r.tokens()).toEqual(["[CLS]", "▁Paris", "▁is", "▁the", "[MASK]", "▁of", "▁France", ".", "[SEP]"]);
    expect(r.token_type_ids).toEqual(ids.map(() => 0));
    expect(r.attention_mask).toEqual(ids.map(() => 1));
    expect(r.word_ids()).toEqual([null, 0, 1, 2, 3, 4, 5, 5, null]);
    expect(tok.encode("Paris is the [MASK] of France.")).toEqual(ids);
    expect(tok.decode(ids)).toBe("[CLS] Paris is the[MASK] of France.[SEP]");
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe("Paris is the of France.");
  });

  it("encodes pairs with token type ids and sequence ids", async () => {
    const tok = await fastTokenizer("deberta-v3-real");
    const r = tok("A man is eating.", { textPair: "Someone eats." });
    const ids = r.input_ids as number[];
    const seq = r.sequence_ids();
    const firstSep = ids.indexOf(tok.sepTokenId!);
    expect(r.token_type_ids).toEqual(ids.map((_, i) => (i <= firstSep ? 0 : 1)));
    expect(seq[0]).toBeNull();
    expect(seq[firstSep]).toBeNull();
    expect(seq[firstSep + 1]).toBe(1);
    expect(seq[1]).toBe(0);
    expect(tok.encode("A man is eating.", { text_pair: "Someone eats." })).toEqual(ids);
    // the same through a batch of [text, pair] arrays
    expect(tok([["A man is eating.", "Someone eats."]]).input_ids).toEqual([ids]);
  });

  it("pads batches (longest, max_length, multiple of, left) and returns masks and lengths", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    const texts = ["a", "a b c d e f", "hello world"];
    const plain = tok(texts);
    const lens = (plain.input_ids as number[][]).map((x) => x.length);
    const longest = tok(texts, { padding: true, returnLength: true });
    const L = Math.max(...lens);
    for (const [i, row] of (longest.input_ids as number[][]).entries()) {
      expect(row.length).toBe(L);
      expect((longest.attention_mask as number[][])[i]).toEqual(row.map((_, k) => (k < lens[i]! ? 1 : 0)));
    }
    expect(longest.length).toEqual(texts.map(() => L));
    const fixed = tok(texts, { padding: "max_length", max_length: 20 });
    expect((fixed.input_ids as number[][]).every((r) => r.length === 20)).toBe(true);
    const multiple = tok(texts, { padding: "longest", pad_to_multiple_of: 8 });
    expect((multiple.input_ids as number[][])[0]!.length % 8).toBe(0);
    const left = tok(texts, { padding: true, padding_side: "left", return_offsets_mapping: true, return_special_tokens_mask: true });
    const row0 = (left.input_ids as number[][])[0]!;
    expect(row0.slice(0, L - lens[0]!)).toEqual(new Array(L - lens[0]!).fill(tok.padTokenId));
    expect((left.special_tokens_mask as number[][])[0]!.slice(0, L - lens[0]!)).toEqual(new Array(L - lens[0]!).fill(1));
    expect(left.word_ids(0).slice(0, L - lens[0]!)).toEqual(new Array(L - lens[0]!).fill(null));
    // model_max_length (512 in the config) applies with truncation: true
    const long = "word ".repeat(700);
    expect((tok(long, { truncation: true }).input_ids as number[]).length).toBe(512);
    expect((tok(long).input_ids as number[]).length).toBeGreaterThan(512);
  });

  it("question answering: only_second truncation with stride and overflowing windows", async () => {
    const tok = await fastTokenizer("deberta-v3-real");
    const question = "Who proposed the Turing test?";
    const context =
      "In 1950, Alan Turing published an article titled Computing Machinery and Intelligence which proposed what is now called the Turing test as a criterion of intelligence. 🧠 The Georgetown experiment in 1954 involved fully automatic translation of more than sixty Russian sentences into English.";
    const r = tok(question, {
      textPair: context,
      truncation: "only_second",
      maxLength: 32,
      stride: 8,
      returnOverflowingTokens: true,
      returnOffsetsMapping: true,
      padding: "max_length",
    });
    const rows = r.input_ids as number[][];
    expect(rows.length).toBeGreaterThan(2);
    expect(r.overflow_to_sample_mapping).toEqual(rows.map(() => 0));
    const full = tok(question, { textPair: context, returnOffsetsMapping: true });
    const fullSeq = full.sequence_ids();
    const contextTokens = (full.input_ids as number[]).filter((_, i) => fullSeq[i] === 1);
    let covered: number[] = [];
    rows.forEach((row, i) => {
      expect(row.length).toBe(32);
      const seq = r.sequence_ids(i);
      const offs = (r.offset_mapping as Array<Array<[number, number]>>)[i]!;
      const ctx = row.filter((_, k) => seq[k] === 1);
      // every context token's offsets point at its text in the context string (UTF-16 indexes)
      ctx.forEach((_, k) => {
        const idx = seq.indexOf(1) + k;
        const [s, e] = offs[idx]!;
        expect(e).toBeGreaterThan(s);
        expect(e).toBeLessThanOrEqual(context.length);
      });
      // the question is repeated in every window
      expect(row.slice(0, seq.lastIndexOf(0) + 1).filter((_, k) => seq[k] === 0).length).toBeGreaterThan(0);
      covered = i === 0 ? ctx : covered.concat(ctx.slice(8));
    });
    expect(covered).toEqual(contextTokens);
    // UTF-16 offsets slice the JS string; code point offsets differ after the emoji
    const cp = tok(context, { returnOffsetsMapping: true, offsetsUnit: "code_point" }).offset_mapping as Array<[number, number]>;
    const u16 = tok(context, { returnOffsetsMapping: true }).offset_mapping as Array<[number, number]>;
    const last = u16[u16.length - 2]!;
    expect(context.slice(last[0], last[1])).toBe(".");
    expect(cp[cp.length - 2]![0]).toBe(last[0] - 1);
  });

  it("tokenize, convert_ids_to_tokens, convert_tokens_to_ids, batch_decode, vocab", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    const toks = tok.tokenize("DeBERTa-v2 is great!");
    expect(toks).toEqual(["▁De", "B", "ER", "T", "a", "-", "v", "2", "▁is", "▁", "gre", "at", "!"]);
    expect(tok.tokenize("a", { addSpecialTokens: true })).toEqual(["[CLS]", "▁a", "[SEP]"]);
    const ids = tok.convert_tokens_to_ids(toks);
    expect(tok.convert_ids_to_tokens(ids)).toEqual(toks);
    expect(tok.convert_tokens_to_ids("no-such-token")).toBe(tok.unkTokenId);
    expect(tok.convert_ids_to_tokens(8000)).toBe("[MASK]");
    expect(tok.convert_ids_to_tokens(99999)).toBeNull();
    expect(tok.convert_ids_to_tokens([1, 5, 2], true)).toEqual([tok.convert_ids_to_tokens(5)]);
    expect(tok.batch_decode([tok.encode("Hello world!"), tok.encode("x y")], { skipSpecialTokens: true })).toEqual(["Hello world!", "x y"]);
    expect(tok.vocabSize).toBe(8000);
    expect(tok.size).toBe(8001);
    expect(Object.keys(tok.getVocab()).length).toBe(8001);
    expect(tok.model_max_length).toBe(512);
  });

  it("honours clean_up_tokenization_spaces and added_tokens.json from the config files", async () => {
    const files = modelFiles("spm-v3-like");
    const cfg = JSON.parse(new TextDecoder().decode(files["tokenizer_config.json"]));
    const tok = await loadFastTokenizer({ ...files, "tokenizer_config.json": JSON.stringify({ ...cfg, clean_up_tokenization_spaces: true }) });
    const ids = tok.encode("Hello , world !", { addSpecialTokens: false });
    expect(tok.decode(ids)).toBe("Hello, world!");
    expect(tok.decode(ids, { cleanUpTokenizationSpaces: false })).toBe("Hello , world !");
    for (const load of [loadFastTokenizer, (await import("../src/index.js")).loadSlowTokenizer]) {
      const t = await load({ ...files, "added_tokens.json": JSON.stringify({ "<new_token>": 8001 }) });
      const r = t("a <new_token> b");
      expect(r.input_ids).toContain(8001);
      expect(t.convert_tokens_to_ids("<new_token>")).toBe(8001);
    }
  });

  it("lean encode() equals the full call for singles and pairs", async () => {
    const tok = await fastTokenizer("spm-lower-punct");
    for (const [a, b] of [["Hello, World!", null], ["unknown [UNK] token", "pair [MASK] text"], ["", ""], ["ﬁ  \t x", null]] as const) {
      const full = tok(a, { textPair: b }).input_ids;
      expect(tok.encode(a, { textPair: b })).toEqual(full);
      expect(tok.encode(a, { textPair: b, addSpecialTokens: false })).toEqual(tok(a, { textPair: b, addSpecialTokens: false }).input_ids);
    }
  });

  it("loads from a folder (Node helper), from TokenizerFiles and from a {name: bytes} map", async () => {
    const fromDir = await loadTokenizer(modelDir("spm-v3-like"));
    const fromMap = await loadFastTokenizer(modelFiles("spm-v3-like"));
    const fromFiles = await DebertaV2TokenizerFast.fromPretrained(memoryFiles(modelFiles("spm-v3-like"), "mem"));
    const fromCoreLike = await loadFastTokenizer(directoryFiles(modelDir("spm-v3-like")));
    const t = "Hello world, ﬁne 🦾!";
    for (const tk of [fromMap, fromFiles, fromCoreLike]) expect(tk.encode(t)).toEqual(fromDir.encode(t));
    // the real model folder ships tokenizer.json.gz: it is used (not the converter), with the same results
    const real = await loadTokenizer(modelDir("deberta-v3-real"));
    const realSpm = await loadFastTokenizer(modelFiles("deberta-v3-real"), { fromSlow: true });
    expect(real.encode("The Turing test, ₿ and 🦾.")).toEqual(realSpm.encode("The Turing test, ₿ and 🦾."));
  });
});

describe("DebertaV2Tokenizer (slow) API", () => {
  it("uses SentencePiece semantics (byte fallback) and Python-style truncation", async () => {
    const slow = await slowTokenizer("deberta-v3-real");
    const fast = await fastTokenizer("deberta-v3-real");
    expect(slow).toBeInstanceOf(DebertaV2Tokenizer);
    // ₿ is not in the vocabulary: byte pieces in the slow tokenizer, [UNK] in the fast one
    expect(slow.tokenize("₿")).toEqual(["▁", "<0xE2>", "<0x82>", "<0xBF>"]);
    expect(fast.tokenize("₿")).toEqual(["▁", "₿"]);
    expect(fast.encode("₿", { addSpecialTokens: false })).toEqual([fast.convert_tokens_to_ids("▁"), 3]);
    // longest_first on a pair: the Python rule (unlike tokenizers') gives the extra token to the first text
    const a = "one two three four five six seven eight nine ten";
    const b = "eleven twelve thirteen fourteen fifteen sixteen seventeen";
    const s = slow(a, { textPair: b, truncation: "longest_first", maxLength: 16 });
    const ids = s.input_ids as number[];
    expect(ids.length).toBe(16);
    const tt = s.token_type_ids as number[];
    expect(tt.filter((x) => x === 0).length - 2).toBe(7);
    expect(tt.filter((x) => x === 1).length - 1).toBe(6);
    const o = slow(a, { truncation: "only_first", maxLength: 8, stride: 2, returnOverflowingTokens: true });
    expect((o.input_ids as number[]).length).toBe(8);
    expect(o.overflowing_tokens!.length).toBeGreaterThan(2);
    expect(slow.decode(slow.encode("Hello world!"), { skipSpecialTokens: true })).toBe("Hello world!");
    expect(slow.decode(slow.encode("Hello world!"))).toBe("[CLS] Hello world![SEP]");
    expect(slow.decode(slow.encode("₿"), { skipSpecialTokens: true })).toBe("₿");
    const batch = slow(["a", "a b c"], { padding: true, return_special_tokens_mask: true });
    expect((batch.input_ids as number[][])[0]!.slice(-2)).toEqual([0, 0]);
    expect(batch.encodings).toBeUndefined();
    const viaDir = await loadSlowTokenizerFromDir(modelDir("spm-v3-like"));
    expect(viaDir.encode("Hello")).toEqual((await slowTokenizer("spm-v3-like")).encode("Hello"));
  });
});
