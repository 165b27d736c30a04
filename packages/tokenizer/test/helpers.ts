// Shared test helpers: fixture locations (the repo copy, relative to this file) and cached tokenizers.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadFastTokenizer, loadSlowTokenizer, type DebertaV2Tokenizer, type DebertaV2TokenizerFast } from "../src/index.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../../../fixtures/tokenizer/", import.meta.url));
export const MODELS = ["spm-v3-like", "spm-lower-punct", "deberta-v3-real"] as const;
export type ModelName = (typeof MODELS)[number];

export function modelDir(model: ModelName): string {
  return `${FIXTURES_DIR}${model}/`;
}

/** All files of a fixture model folder except cases.json, as bytes. */
export function modelFiles(model: ModelName, opts: { gunzipJson?: boolean; skip?: string[] } = {}): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const f of readdirSync(modelDir(model))) {
    if (f === "cases.json" || f === "README.md" || f === "spm.vocab" || opts.skip?.includes(f)) continue;
    const b = new Uint8Array(readFileSync(modelDir(model) + f));
    if (f === "tokenizer.json.gz" && opts.gunzipJson) out["tokenizer.json"] = new Uint8Array(gunzipSync(b));
    else out[f] = b;
  }
  return out;
}

export interface HfEncoding {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  offsets_utf16: Array<[number, number]>;
  attention_mask: number[];
  type_ids: number[];
  special_tokens_mask: number[];
  word_ids: Array<number | null>;
  sequence_ids: Array<number | null>;
}
export interface Single {
  id: string;
  category: string;
  text: string;
  spm: { ids: number[]; pieces: string[]; decode: string };
  spm_slow_pipeline: { ids: number[]; pieces: string[] };
  hf: HfEncoding;
  hf_no_special_tokens: { ids: number[]; tokens: string[] };
  hf_truncated: HfEncoding;
  hf_decode: { skip_special_tokens: string; keep_special_tokens: string };
  agree: Record<string, boolean>;
}
export interface Pair {
  id: string;
  text: string;
  text_pair: string;
  spm: { a: { ids: number[]; pieces: string[]; decode: string }; b: { ids: number[]; pieces: string[]; decode: string } };
  spm_slow_pipeline: { a: { ids: number[]; pieces: string[] }; b: { ids: number[]; pieces: string[] } };
  hf: HfEncoding;
  hf_truncated: HfEncoding;
  hf_decode: { skip_special_tokens: string; keep_special_tokens: string };
}
export interface Batch {
  id: string;
  kind: "single" | "pair";
  inputs: string[] | Array<[string, string]>;
  encodings: HfEncoding[];
}
export interface Cases {
  model: string;
  config: { do_lower_case: boolean; split_by_punct: boolean; spm_piece_size: number; special_ids: Record<string, number> };
  singles: Single[];
  pairs: Pair[];
  batches: Batch[];
}

const casesCache = new Map<string, Cases>();
export function loadCases(model: ModelName): Cases {
  let c = casesCache.get(model);
  if (!c) {
    c = JSON.parse(readFileSync(modelDir(model) + "cases.json", "utf8")) as Cases;
    casesCache.set(model, c);
  }
  return c;
}

const fastCache = new Map<string, Promise<DebertaV2TokenizerFast>>();
/** The fast tokenizer from tokenizer.json (gunzipped for the real model). */
export function fastTokenizer(model: ModelName): Promise<DebertaV2TokenizerFast> {
  let t = fastCache.get(model);
  if (!t) {
    t = loadFastTokenizer(modelFiles(model, { gunzipJson: true }));
    fastCache.set(model, t);
  }
  return t;
}

const convertedCache = new Map<string, Promise<DebertaV2TokenizerFast>>();
/** The fast tokenizer built from spm.model + configs only (transformers' converter path, no tokenizer.json). */
export function convertedFastTokenizer(model: ModelName): Promise<DebertaV2TokenizerFast> {
  let t = convertedCache.get(model);
  if (!t) {
    t = loadFastTokenizer(modelFiles(model, { skip: ["tokenizer.json", "tokenizer.json.gz"] }));
    convertedCache.set(model, t);
  }
  return t;
}

const slowCache = new Map<string, Promise<DebertaV2Tokenizer>>();
export function slowTokenizer(model: ModelName): Promise<DebertaV2Tokenizer> {
  let t = slowCache.get(model);
  if (!t) {
    t = loadSlowTokenizer(modelFiles(model));
    slowCache.set(model, t);
  }
  return t;
}

/** Collects mismatches; the test asserts the list is empty (showing the first few in full). */
export class Mismatches {
  readonly list: string[] = [];
  check(label: string, got: unknown, expected: unknown): void {
    const g = JSON.stringify(got);
    const e = JSON.stringify(expected);
    if (g !== e) this.list.push(`${label}\n    got:      ${g.slice(0, 400)}\n    expected: ${e.slice(0, 400)}`);
  }
  get count(): number {
    return this.list.length;
  }
  report(max = 8): string[] {
    return this.list.slice(0, max);
  }
}
