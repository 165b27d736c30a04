// Hostile tokenizer files (issue 13): each of these used to hang, blow the stack or memory, throw a raw TypeError,
// or put garbage ids into input_ids. Each must now load and run in bounded time, or fail with a TokenizerError.
import { readFileSync } from "node:fs";
import { gzipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { base64ToBytes } from "../src/normalizer.js";
import { PrecompiledCharsmap, TokenizerError, loadFastTokenizer, resetTokenizerLimits, setTokenizerLimits } from "../src/index.js";

afterEach(() => resetTokenizerLimits());

const DIR = new URL("../../../fixtures/tokenizer/spm-lower-punct/", import.meta.url);
const BASE = JSON.parse(readFileSync(new URL("tokenizer.json", DIR), "utf8")) as Record<string, any>;
const BASE_TEXT = readFileSync(new URL("tokenizer.json", DIR), "utf8");
const clone = () => structuredClone(BASE);
const load = (j: unknown) => loadFastTokenizer({ "tokenizer.json": JSON.stringify(j) });

async function rejects(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<TokenizerError> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a TokenizerError matching ${pattern}, got ${String(err)}`).toBeInstanceOf(TokenizerError);
  expect((err as TokenizerError).message).toMatch(pattern);
  return err as TokenizerError;
}

function withReplace(regex: string, content = "_") {
  const j = clone();
  j.normalizer = { type: "Sequence", normalizers: [{ type: "Replace", pattern: { Regex: regex }, content }] };
  return j;
}

describe("Replace regexes run in bounded time", () => {
  it("a pattern matching the empty string terminates on text with non-BMP characters (was an endless loop)", async () => {
    const tok = await load(withReplace("x*", ""));
    const t0 = performance.now();
    const enc = tok.encode("a😀b 𝔘 c");
    expect(enc.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("an empty match inserts content between code points, never inside a surrogate pair", async () => {
    const tok = await load(withReplace("", "-"));
    const toks = tok.tokenize("😀");
    expect(toks.join("")).toContain("😀");
    expect(toks.join("")).not.toMatch(/\p{Cs}/u); // no lone surrogates
  });

  it("catastrophic backtracking patterns are linear ((a+)+$ on 5,000 a's)", async () => {
    const tok = await load(withReplace("(a+)+$"));
    const t0 = performance.now();
    tok.encode(`${"a".repeat(5000)}!`);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("patterns the linear-time engine cannot run (lookaround, backreferences) are refused at load as UNSUPPORTED", async () => {
    const e = await rejects(load(withReplace("a(?=b)")), /Replace normalizer: cannot compile the pattern/);
    expect(e.reason).toBe("UNSUPPORTED");
    await rejects(load(withReplace("(a)\\1")), /linear-time regex engine/);
  });

  it("(control) DeBERTa's ' {2,}' and literal String patterns still replace as before", async () => {
    const j = clone();
    j.normalizer = { type: "Sequence", normalizers: [{ type: "Replace", pattern: { String: "a.b" }, content: "X" }, { type: "Replace", pattern: { Regex: " {2,}" }, content: " " }] };
    const tok = await load(j);
    expect(tok.tokenize("a.b  a-b")).toEqual(tok.tokenize("X a-b"));
  });
});

describe("corrupt tokenizer.json structures give TokenizerError", () => {
  it("a precompiled-charsmap offset inside a multi-byte character", async () => {
    const norm = BASE.normalizer.normalizers.find((n: any) => n.type === "Precompiled");
    const blob = base64ToBytes(norm.precompiled_charsmap);
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = dv.getUint32(0, true);
    const pool = blob.subarray(4 + trieSize);
    // find a rule whose replacement starts with a multi-byte character, and point it one byte later
    const cm = new PrecompiledCharsmap(blob);
    let value = -1;
    for (let cp = 0x80; cp < 0x10000 && value < 0; cp++) {
      const v = cm.singleValue(cp);
      if (v >= 0 && pool[v]! >= 0xc0) value = v;
    }
    expect(value).toBeGreaterThanOrEqual(0);
    let patched = 0;
    for (let i = 0; i < trieSize / 4; i++) {
      if (dv.getUint32(4 + 4 * i, true) === (value | 0x80000000) >>> 0) {
        dv.setUint32(4 + 4 * i, ((value + 1) | 0x80000000) >>> 0, true);
        patched++;
      }
    }
    expect(patched).toBeGreaterThan(0);
    await rejects(() => new PrecompiledCharsmap(blob, "spm.model"), /spm.model: precompiled charsmap: replacement offset \d+ is not at the start of a UTF-8 character/);
  });

  it("Sequence normalizers and pre-tokenizers nested 5,000 deep (was a stack overflow)", async () => {
    // built as text: JSON.stringify itself cannot serialise this depth
    const nest = (open: string, inner: string) => open.repeat(5000) + inner + "]}".repeat(5000);
    const text = (key: string, value: string) => JSON.stringify({ ...clone(), [key]: "@@" }).replace('"@@"', value);
    const n = nest('{"type":"Sequence","normalizers":[', '{"type":"Lowercase"}');
    const p = nest('{"type":"Sequence","pretokenizers":[', '{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}');
    await rejects(loadFastTokenizer({ "tokenizer.json": text("normalizer", n) }), /normalizer.*nested more than 64 levels/);
    await rejects(loadFastTokenizer({ "tokenizer.json": text("pre_tokenizer", p) }), /pre_tokenizer.*nested more than 64 levels/);
  });

  it("null entries in added_tokens and in the post-processor's special tokens", async () => {
    const a = clone();
    a.added_tokens.push(null);
    await rejects(load(a), /added_tokens\[\d+\]: an added token must be an object, got null/);
    const b = clone();
    b.post_processor.special_tokens["[CLS]"] = null;
    await rejects(load(b), /special token "\[CLS\]" needs "ids" and "tokens"/);
    const c = clone();
    c.post_processor.single[0] = null;
    await rejects(load(c), /single\[0\] is neither/);
  });

  it.each([[0.5], [-5], [2 ** 53], ["1"], [null], [1e300]])("special-token id %s is refused (it would reach input_ids)", async (bad) => {
    const j = clone();
    j.post_processor.special_tokens["[SEP]"].ids = [bad];
    await rejects(load(j), /special token "\[SEP\]" has id/);
  });

  it("added-token ids beyond int32 are refused", async () => {
    const j = clone();
    j.added_tokens[0].id = 2 ** 53;
    await rejects(load(j), /added_tokens\[0\]/);
  });
});

describe("special-token ids from the side files are validated too", () => {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  const config = JSON.parse(readFileSync(new URL("tokenizer_config.json", DIR), "utf8")) as Record<string, unknown>;
  it.each([["abc"], [0.5], [-5], [2 ** 53], [null]])("added_tokens.json id %s is refused (it would reach input_ids)", async (bad) => {
    await rejects(loadFastTokenizer({ "tokenizer.json": JSON.stringify(BASE), "added_tokens.json": enc({ "[X]": bad }) }), /added_tokens.json: the id of "\[X\]" is not a token id/);
  });
  it.each([["0.5"], ["-5"], ["abc"], ["9007199254740992"]])("added_tokens_decoder key %s is refused", async (key) => {
    const files = { "tokenizer.json": JSON.stringify(BASE), "tokenizer_config.json": enc({ ...config, added_tokens_decoder: { [key]: { content: "[Y]", special: true } } }) };
    await rejects(loadFastTokenizer(files), /tokenizer_config.json: added_tokens_decoder/);
  });
  it("null special tokens in special_tokens_map.json", async () => {
    await rejects(loadFastTokenizer({ "tokenizer.json": JSON.stringify(BASE), "special_tokens_map.json": enc({ sep_token: 5 }) }), /special_tokens_map.json: "sep_token" must be a string/);
  });
});

describe("tokenizer.json.gz inflates under a cap", () => {
  it("a gzip bomb stops at maxInflatedBytes with a TokenizerError (not 'not valid UTF-8' after gigabytes)", async () => {
    const bomb = gzipSync(new Uint8Array(64 * 2 ** 20), { level: 9 }); // 64 MiB of zeros in ~64 KiB
    expect(bomb.length).toBeLessThan(256 * 1024);
    setTokenizerLimits({ maxInflatedBytes: 8 * 2 ** 20 });
    await rejects(loadFastTokenizer({ "tokenizer.json.gz": bomb }), /tokenizer.json.gz: inflates to more than 8388608 bytes.*maxInflatedBytes/);
  });

  it("a 1 MiB gzip of one huge JSON array is refused at maxJsonBytes (V8 aborted the process on it: 5.8 GB RSS, then a fatal 'invalid size')", async () => {
    const text = new TextEncoder().encode(`{"x":[${"0,".repeat(40 * 2 ** 20)}0]}`); // 80 MiB inflated
    const bomb = gzipSync(text, { level: 6 });
    expect(bomb.length).toBeLessThan(2 ** 20);
    const t0 = performance.now();
    await rejects(loadFastTokenizer({ "tokenizer.json.gz": bomb }), /tokenizer.json.gz: inflates to more than 67108864 bytes \(limit maxJsonBytes/);
    expect(performance.now() - t0).toBeLessThan(5000);
    await rejects(loadFastTokenizer({ "tokenizer.json": text }), /tokenizer.json: 83886089 bytes of JSON is more than a tokenizer file needs/);
  });

  it("millions of empty objects (GiBs and a minute of JSON.parse) are refused by a byte scan first", async () => {
    const objs = `[${"{},".repeat(2_000_000)}{}]`;
    const t0 = performance.now();
    await rejects(loadFastTokenizer({ "tokenizer.json.gz": gzipSync(new TextEncoder().encode(objs)) }), /more than 2000000 JSON objects and arrays \(limit maxJsonContainers/);
    await rejects(loadFastTokenizer({ "tokenizer.json": BASE_TEXT, "added_tokens.json": objs }), /added_tokens.json: more than 2000000 JSON objects/);
    expect(performance.now() - t0).toBeLessThan(5000);
    // braces inside strings are not containers
    setTokenizerLimits({ maxJsonContainers: 5 });
    await rejects(load(clone()), /maxJsonContainers/);
    resetTokenizerLimits();
    const tok = await loadFastTokenizer({ "tokenizer.json": BASE_TEXT, "added_tokens.json": '{"{[{[{[{[": 4001}' });
    expect(tok.encode("x {[{[{[{[ y")).toContain(4001);
  });

  it("(control) the real gzipped tokenizer loads, and truncated gzip is a TokenizerError", async () => {
    const gz = gzipSync(new TextEncoder().encode(JSON.stringify(BASE)));
    const tok = await loadFastTokenizer({ "tokenizer.json.gz": gz });
    expect(tok.encode("hello world").length).toBeGreaterThan(2);
    await rejects(loadFastTokenizer({ "tokenizer.json.gz": gz.subarray(0, gz.length >> 1) }), /tokenizer.json.gz: not a valid gzip file/);
  });
});
