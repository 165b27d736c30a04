// `deberta-js tokenize` on the real DeBERTa-v3 tokenizer against the ids Hugging Face's Rust tokenizers produced.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const MODEL = fileURLToPath(new URL("../../../fixtures/tokenizer/deberta-v3-real", import.meta.url));
const cases = JSON.parse(readFileSync(join(MODEL, "cases.json"), "utf8"));

async function cli(args: string[]) {
  const { stdout } = await run(process.execPath, [BIN, "tokenize", "--model", MODEL, ...args], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

describe("deberta-js tokenize", () => {
  it("matches HF's ids, type ids, masks and offsets for a pair", async () => {
    const p = cases.pairs[0];
    const out = await cli(["--text", p.text, "--pair", p.text_pair, "--offsets"]);
    expect(out.input_ids[0]).toEqual(p.hf.ids);
    expect(out.token_type_ids[0]).toEqual(p.hf.type_ids);
    expect(out.attention_mask[0]).toEqual(p.hf.attention_mask);
    expect(out.offset_mapping[0]).toEqual(p.hf.offsets_utf16);
  });

  it("pads a batch from an inputs file like HF", async () => {
    const b = cases.batches.find((x: { kind: string }) => x.kind === "single");
    const file = join(mkdtempSync(join(tmpdir(), "deberta-tok-")), "inputs.json");
    writeFileSync(file, JSON.stringify(b.inputs));
    const out = await cli(["--inputs", file, "--padding", "longest"]);
    expect(out.input_ids).toEqual(b.encodings.map((e: { ids: number[] }) => e.ids));
    expect(out.attention_mask).toEqual(b.encodings.map((e: { attention_mask: number[] }) => e.attention_mask));
  });
});
