/**
 * transformers' side files: `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json`, resolved
 * into the settings DeBERTa-v2/v3 tokenizers use. Missing files mean defaults; malformed files are errors naming
 * the file.
 */
import { addedTokenFromJson, MAX_TOKEN_ID, type AddedToken } from "./added-vocabulary.js";
import { TokenizerError } from "./errors.js";
import { getTokenizerLimits, tokenizerLimitHint } from "./limits.js";
import { filePath, type TokenizerFiles } from "./files.js";

/** transformers' VERY_LARGE_INTEGER: the model_max_length of configs that do not set one. */
export const VERY_LARGE_INTEGER = 1e30;

export interface SpecialTokens {
  bos: string | null;
  eos: string | null;
  unk: string | null;
  sep: string | null;
  pad: string | null;
  cls: string | null;
  mask: string | null;
  additional: string[];
}

export interface TokenizerConfig {
  doLowerCase: boolean;
  splitByPunct: boolean;
  modelMaxLength: number;
  paddingSide: "left" | "right";
  truncationSide: "left" | "right";
  cleanUpTokenizationSpaces: boolean;
  special: SpecialTokens;
  /** `added_tokens_decoder` of tokenizer_config.json (transformers >= 4.34), if any. */
  addedTokensDecoder: AddedToken[] | null;
  /** `added_tokens.json` ({content: id}), if any. */
  addedTokensFile: Record<string, number> | null;
  /** Flags of special tokens given as objects ({content, normalized, ...}) in the config files. */
  specialTokenFlags: Map<string, Partial<AddedToken>>;
  tokenizerClass: string | null;
}

export const DEBERTA_SPECIAL_TOKENS: SpecialTokens = {
  bos: "[CLS]",
  eos: "[SEP]",
  unk: "[UNK]",
  sep: "[SEP]",
  pad: "[PAD]",
  cls: "[CLS]",
  mask: "[MASK]",
  additional: [],
};

export function defaultConfig(): TokenizerConfig {
  return {
    doLowerCase: false,
    splitByPunct: false,
    modelMaxLength: VERY_LARGE_INTEGER,
    paddingSide: "right",
    truncationSide: "right",
    cleanUpTokenizationSpaces: false,
    special: { ...DEBERTA_SPECIAL_TOKENS, additional: [] },
    addedTokensDecoder: null,
    addedTokensFile: null,
    specialTokenFlags: new Map(),
    tokenizerClass: null,
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export async function readJsonFile(files: TokenizerFiles, name: string): Promise<unknown> {
  const bytes = await files.read(name);
  return parseJsonBytes(bytes, filePath(files, name));
}

export function parseJsonBytes(bytes: Uint8Array, label: string): unknown {
  const limits = getTokenizerLimits();
  if (bytes.length > limits.maxJsonBytes) {
    throw new TokenizerError(`${label}: ${bytes.length} bytes of JSON is more than a tokenizer file needs (${tokenizerLimitHint("maxJsonBytes")})`, "FILE_CORRUPT");
  }
  const containers = countJsonContainers(bytes, limits.maxJsonContainers);
  if (containers > limits.maxJsonContainers) {
    throw new TokenizerError(`${label}: more than ${limits.maxJsonContainers} JSON objects and arrays (${tokenizerLimitHint("maxJsonContainers")})`, "FILE_CORRUPT");
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (e) {
    throw new TokenizerError(`${label}: not valid UTF-8`, "FILE_CORRUPT", { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${label}: not valid JSON (${(e as Error).message})`, "FILE_CORRUPT", { cause: e });
  }
}

/** `{` and `[` outside strings, stopping once past `stopAfter` (a linear byte scan, ~10 ms for 10 MB). */
function countJsonContainers(b: Uint8Array, stopAfter: number): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if ((c === 0x7b || c === 0x5b) && ++n > stopAfter) return n;
  }
  return n;
}

const SPECIAL_KEYS: Array<[keyof Omit<SpecialTokens, "additional">, string]> = [
  ["bos", "bos_token"],
  ["eos", "eos_token"],
  ["unk", "unk_token"],
  ["sep", "sep_token"],
  ["pad", "pad_token"],
  ["cls", "cls_token"],
  ["mask", "mask_token"],
];

function applySpecials(cfg: TokenizerConfig, obj: Record<string, unknown>, label: string): void {
  const tokenOf = (v: unknown, key: string): string | null | undefined => {
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (typeof v === "string") return v;
    if (typeof v === "object" && typeof (v as Record<string, unknown>).content === "string") {
      const o = v as Record<string, unknown>;
      const content = o.content as string;
      const flags: Partial<AddedToken> = {};
      if (typeof o.normalized === "boolean") flags.normalized = o.normalized;
      if (typeof o.lstrip === "boolean") flags.lstrip = o.lstrip;
      if (typeof o.rstrip === "boolean") flags.rstrip = o.rstrip;
      if (typeof o.single_word === "boolean") flags.singleWord = o.single_word;
      cfg.specialTokenFlags.set(content, { ...cfg.specialTokenFlags.get(content), ...flags });
      return content;
    }
    throw new TokenizerError(`${label}: "${key}" must be a string or an object with "content"`, "FILE_CORRUPT");
  };
  for (const [k, key] of SPECIAL_KEYS) {
    const t = tokenOf(obj[key], key);
    if (t !== undefined) cfg.special[k] = t;
  }
  const add = obj.additional_special_tokens;
  if (Array.isArray(add)) {
    cfg.special.additional = add.map((a, i) => tokenOf(a, `additional_special_tokens[${i}]`)).filter((a): a is string => typeof a === "string");
  }
}

/** Reads tokenizer_config.json, special_tokens_map.json and added_tokens.json (all optional). */
export async function readTokenizerConfig(files: TokenizerFiles): Promise<TokenizerConfig> {
  const cfg = defaultConfig();
  if (await files.has("special_tokens_map.json")) {
    const label = filePath(files, "special_tokens_map.json");
    const j = await readJsonFile(files, "special_tokens_map.json");
    if (!j || typeof j !== "object" || Array.isArray(j)) throw new TokenizerError(`${label}: expected a JSON object`, "FILE_CORRUPT");
    applySpecials(cfg, j as Record<string, unknown>, label);
  }
  if (await files.has("tokenizer_config.json")) {
    const label = filePath(files, "tokenizer_config.json");
    const j = await readJsonFile(files, "tokenizer_config.json");
    if (!j || typeof j !== "object" || Array.isArray(j)) throw new TokenizerError(`${label}: expected a JSON object`, "FILE_CORRUPT");
    const o = j as Record<string, unknown>;
    const bool = (key: string, dflt: boolean): boolean => {
      const v = o[key];
      if (v === undefined || v === null) return dflt;
      if (typeof v !== "boolean") throw new TokenizerError(`${label}: "${key}" must be a boolean, got ${JSON.stringify(v)}`, "FILE_CORRUPT");
      return v;
    };
    cfg.doLowerCase = bool("do_lower_case", false);
    cfg.splitByPunct = bool("split_by_punct", false);
    cfg.cleanUpTokenizationSpaces = bool("clean_up_tokenization_spaces", false);
    if (o.model_max_length !== undefined && o.model_max_length !== null) {
      if (typeof o.model_max_length !== "number" || !(o.model_max_length > 0)) {
        throw new TokenizerError(`${label}: "model_max_length" must be a positive number, got ${JSON.stringify(o.model_max_length)}`, "FILE_CORRUPT");
      }
      cfg.modelMaxLength = o.model_max_length;
    }
    for (const key of ["padding_side", "truncation_side"] as const) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      if (v !== "left" && v !== "right") throw new TokenizerError(`${label}: "${key}" must be "left" or "right", got ${JSON.stringify(v)}`, "FILE_CORRUPT");
      if (key === "padding_side") cfg.paddingSide = v;
      else cfg.truncationSide = v;
    }
    if (typeof o.tokenizer_class === "string") cfg.tokenizerClass = o.tokenizer_class;
    applySpecials(cfg, o, label);
    const dec = o.added_tokens_decoder;
    if (dec !== undefined && dec !== null) {
      if (typeof dec !== "object" || Array.isArray(dec)) throw new TokenizerError(`${label}: "added_tokens_decoder" must be an object`, "FILE_CORRUPT");
      cfg.addedTokensDecoder = Object.entries(dec as Record<string, Record<string, unknown>>).map(([id, t]) => {
        const n = Number(id);
        if (!Number.isInteger(n) || n < 0) throw new TokenizerError(`${label}: added_tokens_decoder key ${JSON.stringify(id)} is not a token id`, "FILE_CORRUPT");
        return addedTokenFromJson(t ?? {}, `${label}: added_tokens_decoder[${id}]`, n);
      });
    }
  }
  if (await files.has("added_tokens.json")) {
    const label = filePath(files, "added_tokens.json");
    const j = await readJsonFile(files, "added_tokens.json");
    if (!j || typeof j !== "object" || Array.isArray(j)) throw new TokenizerError(`${label}: expected a JSON object {token: id}`, "FILE_CORRUPT");
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_TOKEN_ID) {
        throw new TokenizerError(`${label}: the id of ${JSON.stringify(k)} is not a token id (an integer 0..${MAX_TOKEN_ID})`, "FILE_CORRUPT");
      }
    }
    cfg.addedTokensFile = j as Record<string, number>;
  }
  return cfg;
}

/** All special token strings, in transformers' `all_special_tokens` order, without duplicates. */
export function allSpecialTokens(s: SpecialTokens): string[] {
  const out: string[] = [];
  for (const t of [s.bos, s.eos, s.unk, s.sep, s.pad, s.cls, s.mask, ...s.additional]) if (t && !out.includes(t)) out.push(t);
  return out;
}
