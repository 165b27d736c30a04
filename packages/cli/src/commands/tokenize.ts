/**
 * `deberta-js tokenize --model DIR (--text T [--pair P] | --inputs FILE) [--max-length N] [--truncation S]
 *  [--padding S] [--stride N] [--offsets] [--slow]`
 *
 * Tokenizes with the model folder's tokenizer (DebertaV2TokenizerFast: tokenizer.json, else built from spm.model;
 * `--slow` uses DebertaV2Tokenizer) and prints one JSON object with batched arrays:
 * `{"input_ids", "token_type_ids", "attention_mask", "offset_mapping"?}`. FILE is a JSON list of strings or of
 * `[text, pair]` arrays. Offsets are UTF-16 indexes into each string (`--offsets-unit code_point` for Python's).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { TokenizerError, type DebertaV2Tokenizer, type DebertaV2TokenizerFast, type TokenizeOptions } from "@deberta-js/tokenizer";
import { loadSlowTokenizerFromDir, loadTokenizer } from "@deberta-js/tokenizer/node";
import { resolveFiles } from "@deberta-js/heads";
import { action, printJson } from "../output.js";

export interface TokenizeCommandOptions {
  model: string;
  text?: string;
  pair?: string;
  inputs?: string;
  maxLength?: string | number;
  truncation?: string | boolean;
  padding?: string | boolean;
  stride?: string | number;
  offsets?: boolean;
  offsetsUnit?: string;
  overflow?: boolean;
  addSpecialTokens?: boolean;
  slow?: boolean;
}

export interface TokenizeCommandOutput {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  offset_mapping?: Array<Array<[number, number]>>;
  overflow_to_sample_mapping?: number[];
}

function intOption(name: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TokenizerError(`--${name} must be a non-negative integer, got "${v}"`, "INVALID_ARGUMENT");
  return n;
}

function strategy(v: string | boolean | undefined): string | boolean | undefined {
  if (v === undefined || typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return v;
}

async function readInputs(file: string): Promise<string[] | Array<[string, string]>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new TokenizerError(`${file}: cannot read the inputs file`, "FILE_NOT_FOUND", { cause: e });
  }
  let raw: string;
  try {
    // fatal: bytes that are not UTF-8 would otherwise become U+FFFD and be tokenized (exit 0 on garbage, issue 13)
    raw = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid UTF-8 text`, "INVALID_ARGUMENT", { cause: e });
  }
  let j: unknown;
  try {
    j = JSON.parse(raw);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid JSON (${(e as Error).message})`, "INVALID_ARGUMENT", { cause: e });
  }
  if (!Array.isArray(j)) throw new TokenizerError(`${file}: expected a JSON list of strings or of [text, pair] arrays`, "INVALID_ARGUMENT");
  j.forEach((x, i) => {
    const ok = typeof x === "string" || (Array.isArray(x) && x.length === 2 && typeof x[0] === "string" && typeof x[1] === "string");
    if (!ok) throw new TokenizerError(`${file}: item ${i} must be a string or a [text, pair] array of two strings`, "INVALID_ARGUMENT");
  });
  if (j.some((x) => typeof x === "string") && j.some((x) => Array.isArray(x))) {
    throw new TokenizerError(`${file}: mixes strings and [text, pair] arrays; use one form`, "INVALID_ARGUMENT");
  }
  return j as string[] | Array<[string, string]>;
}

/** Runs the command; returns the JSON object it prints. */
export async function tokenizeCommand(opts: TokenizeCommandOptions): Promise<TokenizeCommandOutput> {
  if (!opts.model) throw new TokenizerError("tokenize needs --model DIR", "INVALID_ARGUMENT");
  if ((opts.text === undefined) === (opts.inputs === undefined)) {
    throw new TokenizerError("tokenize needs exactly one of --text T or --inputs FILE", "INVALID_ARGUMENT");
  }
  if (opts.pair !== undefined && opts.text === undefined) {
    throw new TokenizerError("--pair goes with --text (put [text, pair] arrays in the --inputs file instead)", "INVALID_ARGUMENT");
  }
  // A folder or a hub id (tokenizer files downloaded into the HF cache), as for every command.
  const files = await resolveFiles(opts.model);
  const tok: DebertaV2TokenizerFast | DebertaV2Tokenizer = opts.slow ? await loadSlowTokenizerFromDir(files) : await loadTokenizer(files);
  const call: TokenizeOptions = {
    maxLength: intOption("max-length", opts.maxLength),
    truncation: strategy(opts.truncation) as TokenizeOptions["truncation"],
    padding: strategy(opts.padding) as TokenizeOptions["padding"],
    stride: intOption("stride", opts.stride),
    returnOffsetsMapping: opts.offsets === true,
    returnOverflowingTokens: opts.overflow === true,
    addSpecialTokens: opts.addSpecialTokens,
  };
  if (opts.offsetsUnit !== undefined) call.offsetsUnit = opts.offsetsUnit as TokenizeOptions["offsetsUnit"];
  for (const k of Object.keys(call) as Array<keyof TokenizeOptions>) if (call[k] === undefined) delete call[k];
  let batch: string[] | Array<[string, string]>;
  if (opts.inputs !== undefined) batch = await readInputs(opts.inputs);
  else batch = opts.pair !== undefined ? [[opts.text!, opts.pair]] : [opts.text!];
  const r = tok(batch, call);
  const out: TokenizeCommandOutput = {
    input_ids: r.input_ids as number[][],
    token_type_ids: r.token_type_ids as number[][],
    attention_mask: r.attention_mask as number[][],
  };
  if (r.offset_mapping) out.offset_mapping = r.offset_mapping as Array<Array<[number, number]>>;
  if (r.overflow_to_sample_mapping) out.overflow_to_sample_mapping = r.overflow_to_sample_mapping;
  return out;
}

export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description("Tokenize text with a model folder's tokenizer; prints JSON {input_ids, token_type_ids, attention_mask, offset_mapping?}")
    .requiredOption("--model <id-or-dir>", "hub id or model folder (tokenizer.json / spm.model and configs)")
    .option("--text <text>", "the text to tokenize")
    .option("--pair <text>", "second sequence (with --text)")
    .option("--inputs <file>", "JSON list of strings or of [text, pair] arrays")
    .option("--max-length <n>", "maximum length (special tokens included); alone, it turns truncation on")
    .option("--truncation <strategy>", "true | longest_first | only_first | only_second | false")
    .option("--padding <strategy>", "true | longest | max_length | false")
    .option("--stride <n>", "overlap of overflowing windows")
    .option("--overflow", "return the overflowing windows as extra rows (with overflow_to_sample_mapping)")
    .option("--offsets", "also print offset_mapping (UTF-16 indexes into each input string)")
    .option("--offsets-unit <unit>", "utf16 (default) or code_point")
    .option("--no-add-special-tokens", "do not add [CLS]/[SEP]")
    .option("--slow", "use DebertaV2Tokenizer (SentencePiece semantics) instead of DebertaV2TokenizerFast")
    .action(
      action(async (opts: TokenizeCommandOptions) => {
        printJson(await tokenizeCommand(opts));
      }),
    );
}
