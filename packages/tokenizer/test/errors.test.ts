// Bad files and bad arguments give a TokenizerError (code TOKENIZER_INVALID) whose message names the file,
// option or argument at fault.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { TokenizerError, loadFastTokenizer, loadSlowTokenizer, memoryFiles, parseSentencePieceModel } from "../src/index.js";
import { loadSlowTokenizerFromDir, loadTokenizer } from "../src/node/index.js";
import { fastTokenizer, modelFiles, slowTokenizer } from "./helpers.js";

async function rejects(p: Promise<unknown> | (() => unknown), pattern: RegExp, reason?: string): Promise<TokenizerError> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a TokenizerError matching ${pattern}`).toBeInstanceOf(TokenizerError);
  const te = err as TokenizerError;
  expect(te.code).toBe("TOKENIZER_INVALID");
  expect(te.message).toMatch(pattern);
  if (reason) expect(te.reason).toBe(reason);
  return te;
}

describe("missing files", () => {
  it("names the folder that does not exist", async () => {
    await rejects(loadTokenizer("/nonexistent/deberta-model"), /nonexistent\/deberta-model: model folder not found/, "FILE_NOT_FOUND");
  });
  it("names what it looked for when a folder has no tokenizer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tok-empty-"));
    await rejects(loadTokenizer(dir), /no tokenizer found \(looked for tokenizer\.json, tokenizer\.json\.gz and spm\.model\)/, "FILE_NOT_FOUND");
  });
  it("the slow tokenizer names spm.model", async () => {
    const files = modelFiles("spm-v3-like", { skip: ["spm.model"] });
    await rejects(loadSlowTokenizer(files), /spm\.model: file not found/, "FILE_NOT_FOUND");
    const dir = mkdtempSync(join(tmpdir(), "tok-nospm-"));
    await rejects(loadSlowTokenizerFromDir(dir), new RegExp(`${dir}/spm\\.model: file not found`));
  });
  it("memoryFiles names the missing file", async () => {
    await rejects(memoryFiles({}, "<upload>").read("spm.model"), /<upload>: file "spm\.model" not found/);
  });
});

describe("corrupt files", () => {
  const spm = modelFiles("spm-v3-like")["spm.model"]!;
  it("rejects an empty, truncated or random spm.model, naming it", async () => {
    await rejects(() => parseSentencePieceModel(new Uint8Array(0), "x/spm.model"), /x\/spm\.model: the file is empty/, "FILE_CORRUPT");
    await rejects(() => parseSentencePieceModel(spm.subarray(0, 1001), "x/spm.model"), /x\/spm\.model: not a valid SentencePiece model/, "FILE_CORRUPT");
    const junk = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    await rejects(() => parseSentencePieceModel(junk, "junk/spm.model"), /junk\/spm\.model/, "FILE_CORRUPT");
    const dir = mkdtempSync(join(tmpdir(), "tok-corrupt-"));
    writeFileSync(join(dir, "spm.model"), spm.subarray(0, spm.length - 7));
    await rejects(loadTokenizer(dir), new RegExp(`${dir}/spm\\.model: not a valid SentencePiece model`), "FILE_CORRUPT");
  });
  it("rejects a corrupt tokenizer.json / tokenizer.json.gz, naming it", async () => {
    const base = modelFiles("spm-v3-like", { skip: ["tokenizer.json"] });
    await rejects(loadFastTokenizer({ ...base, "tokenizer.json": "{not json" }), /tokenizer\.json: not valid JSON/, "FILE_CORRUPT");
    await rejects(loadFastTokenizer({ ...base, "tokenizer.json": JSON.stringify({ model: { type: "BPE" } }) }), /tokenizer\.json: model type "BPE" is not supported/, "UNSUPPORTED");
    await rejects(
      loadFastTokenizer({ ...base, "tokenizer.json": JSON.stringify({ model: { type: "Unigram", vocab: [["a", "x"]], unk_id: 0 } }) }),
      /tokenizer\.json: model\.vocab\[0\] must be a \[piece, score\] pair/,
      "FILE_CORRUPT",
    );
    await rejects(loadFastTokenizer({ ...base, "tokenizer.json.gz": new Uint8Array([1, 2, 3, 4]) }), /tokenizer\.json\.gz: not a valid gzip file/, "FILE_CORRUPT");
    const gz = gzipSync(Buffer.from('{"model": 1}'));
    await rejects(loadFastTokenizer({ ...base, "tokenizer.json.gz": new Uint8Array(gz) }), /tokenizer\.json\.gz: missing "model"/, "FILE_CORRUPT");
  });
  it("rejects a malformed tokenizer_config.json, naming the field", async () => {
    const files = modelFiles("spm-v3-like");
    await rejects(loadFastTokenizer({ ...files, "tokenizer_config.json": '{"model_max_length": "512"}' }), /tokenizer_config\.json: "model_max_length" must be a positive number/);
    await rejects(loadFastTokenizer({ ...files, "tokenizer_config.json": '{"do_lower_case": "yes"}' }), /tokenizer_config\.json: "do_lower_case" must be a boolean/);
    await rejects(loadFastTokenizer({ ...files, "special_tokens_map.json": "[1]" }), /special_tokens_map\.json: expected a JSON object/);
  });
  it("rejects a corrupt precompiled charsmap", async () => {
    const j = JSON.parse(new TextDecoder().decode(modelFiles("spm-v3-like")["tokenizer.json"]));
    j.normalizer.normalizers[1].precompiled_charsmap = "AAAA";
    await rejects(loadFastTokenizer({ "tokenizer.json": JSON.stringify(j) }), /tokenizer\.json: normalizer\.normalizers\[1\] \(Precompiled\): precompiled charsmap/, "FILE_CORRUPT");
  });
});

describe("bad arguments", () => {
  it("rejects non-string inputs, naming the argument", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    const slow = await slowTokenizer("spm-v3-like");
    for (const t of [tok, slow]) {
      await rejects(() => t(42 as unknown as string), /text must be a string or an array of strings .* got number 42/);
      await rejects(() => t(["ok", 7] as unknown as string[]), /text\[1\] must be a string or a \[text, pair\] array of two strings, got number 7/);
      await rejects(() => t("a", { textPair: 5 as unknown as string }), /textPair must be a string when text is a string, got number 5/);
      await rejects(() => t(["a", "b"], { textPair: ["x"] }), /textPair must be an array of 2 strings/);
      await rejects(() => t.encode(null as unknown as string), /encode: text must be a string, got null/);
      await rejects(() => t.tokenize(undefined as unknown as string), /text must be a string, got undefined/);
    }
  });
  it("rejects an unknown truncation or padding strategy, naming it", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    const slow = await slowTokenizer("spm-v3-like");
    for (const t of [tok, slow]) {
      await rejects(() => t("a", { truncation: "longest" as never }), /unknown truncation strategy "longest"/, "INVALID_ARGUMENT");
      await rejects(() => t("a", { padding: "max" as never }), /unknown padding strategy "max"/, "INVALID_ARGUMENT");
      await rejects(() => t("a", { max_len: 3 } as never), /unknown tokenizer option "max_len"/);
      await rejects(() => t("a", { maxLength: -1 }), /option "max_length" must be a non-negative integer, got -1/);
      await rejects(() => t("a", { paddingSide: "up" as never }), /option "padding_side" must be "left" or "right"/);
      await rejects(() => t("a", { maxLength: 3, max_length: 4 }), /"maxLength" and "max_length" are aliases/);
      await rejects(() => t("a", { return_tensors: "pt" } as never), /"return_tensors" is not supported/, "UNSUPPORTED");
    }
  });
  it("rejects impossible truncation settings", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    await rejects(() => tok("a b c", { truncation: "only_second", maxLength: 3 }), /"only_second" needs a pair of sequences/);
    await rejects(() => tok("a b c d e f g h", { truncation: true, maxLength: 6, stride: 5 }), /stride \(5\) is greater than the effective max length 4/);
    await rejects(() => tok("a", { truncation: true, maxLength: 1 }), /max_length \(1\) is smaller than the number of special tokens/);
    await rejects(() => tok("a b", { truncation: true, maxLength: 8, padding: "max_length", padToMultipleOf: 3 }), /max_length \(8\) is not a multiple of pad_to_multiple_of \(3\)/);
    const slow = await slowTokenizer("spm-v3-like");
    await rejects(() => slow("a b c", { textPair: "d e", truncation: "longest_first", maxLength: 4, returnOverflowingTokens: true }), /not possible to return overflowing tokens for a pair/);
  });
  it("rejects bad ids in decode", async () => {
    const tok = await fastTokenizer("spm-v3-like");
    await rejects(() => tok.decode([1, 2.5]), /decode: ids\[1\] is not a token id \(number 2\.5\)/);
    await rejects(() => tok.decode("12" as never), /decode: expected an array of token ids/);
    await rejects(() => tok.decode([1], { skip: true } as never), /unknown tokenizer option "skip"/);
  });
  it("the slow tokenizer has no offsets or word ids (as in transformers)", async () => {
    const slow = await slowTokenizer("spm-v3-like");
    await rejects(() => slow("a", { returnOffsetsMapping: true }), /return_offsets_mapping is not available with the slow DebertaV2Tokenizer/, "UNSUPPORTED");
    await rejects(() => slow("a").word_ids(), /word_ids\(\) is not available when using the slow/, "UNSUPPORTED");
  });
});
