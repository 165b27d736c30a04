/**
 * Loading tokenizers from a model folder's files (any `TokenizerFiles`: a directory through
 * `@deberta-js/tokenizer/node`, in-memory bytes, browser uploads).
 *
 * The fast tokenizer prefers what transformers prefers: `tokenizer.json` when present (also accepted gzipped as
 * `tokenizer.json.gz`), otherwise the pipeline transformers' `DebertaV2Converter` builds from `spm.model`.
 * `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json` supply the settings and added
 * tokens. The slow tokenizer needs `spm.model`.
 */
import { gunzipCapped } from "./gunzip.js";
import { getTokenizerLimits } from "./limits.js";
import { addedTokenFromJson, type AddedToken } from "./added-vocabulary.js";
import { decoderFromJson, MetaspaceDecoder } from "./decoder.js";
import { TokenizerError } from "./errors.js";
import { filePath, memoryFiles, type TokenizerFiles } from "./files.js";
import { normalizerFromJson, LowercaseNormalizer, PrecompiledNormalizer, ReplaceNormalizer, SequenceNormalizer, StripNormalizer, type Normalizer } from "./normalizer.js";
import { TemplateProcessing, postProcessorFromJson } from "./post-processor.js";
import { MetaspacePreTokenizer, PunctuationPreTokenizer, SequencePreTokenizer, preTokenizerFromJson, type PreTokenizer } from "./pre-tokenizer.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { parseSentencePieceModel, PieceType, type SentencePieceModel } from "./sentencepiece-model.js";
import { SentencePieceProcessor } from "./sentencepiece.js";
import { parseJsonBytes, readTokenizerConfig, allSpecialTokens, type TokenizerConfig } from "./tokenizer-config.js";
import { DebertaV2TokenizerFast, type FastTokenizerParts } from "./tokenizer-fast.js";
import { DebertaV2Tokenizer } from "./tokenizer-slow.js";
import { UnigramModel } from "./unigram.js";
import { registerTokenizerLoaders } from "./loaders.js";

export const SPM_FILE = "spm.model";
export const TOKENIZER_JSON = "tokenizer.json";
export const TOKENIZER_JSON_GZ = "tokenizer.json.gz";

/** What to load from: a `TokenizerFiles`, or a map of file names to bytes / strings (browser). */
export type TokenizerSource = TokenizerFiles | Record<string, Uint8Array | string>;

export interface LoadOptions {
  /** Override tokenizer_config.json settings. */
  doLowerCase?: boolean;
  splitByPunct?: boolean;
  modelMaxLength?: number;
  /** Ignore tokenizer.json and build the fast pipeline from spm.model (as transformers' converter does). */
  fromSlow?: boolean;
}

function isFiles(s: TokenizerSource): s is TokenizerFiles {
  return typeof (s as TokenizerFiles).read === "function" && typeof (s as TokenizerFiles).has === "function";
}

export function toFiles(source: TokenizerSource): TokenizerFiles {
  if (source === null || typeof source !== "object") {
    throw new TokenizerError(
      `expected TokenizerFiles or a {fileName: bytes} map, got ${source === null ? "null" : typeof source} (in Node, use loadTokenizerFromDir from "@deberta-js/tokenizer/node" for a folder path)`,
      "INVALID_ARGUMENT",
    );
  }
  return isFiles(source) ? source : memoryFiles(source);
}

function applyOverrides(cfg: TokenizerConfig, o: LoadOptions | undefined): TokenizerConfig {
  if (!o) return cfg;
  if (o.doLowerCase !== undefined) cfg.doLowerCase = o.doLowerCase;
  if (o.splitByPunct !== undefined) cfg.splitByPunct = o.splitByPunct;
  if (o.modelMaxLength !== undefined) cfg.modelMaxLength = o.modelMaxLength;
  return cfg;
}

async function readSpm(files: TokenizerFiles): Promise<SentencePieceModel> {
  if (!(await files.has(SPM_FILE))) {
    throw new TokenizerError(`${filePath(files, SPM_FILE)}: file not found (the SentencePiece model is required)`, "FILE_NOT_FOUND");
  }
  return parseSentencePieceModel(await files.read(SPM_FILE), filePath(files, SPM_FILE));
}

/** Loads the slow (SentencePiece-semantics) tokenizer. Needs `spm.model`. */
export async function loadSlowTokenizer(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2Tokenizer> {
  const files = toFiles(source);
  const cfg = applyOverrides(await readTokenizerConfig(files), options);
  const model = await readSpm(files);
  return new DebertaV2Tokenizer(new SentencePieceProcessor(model, filePath(files, SPM_FILE)), cfg);
}

/** Loads the fast (tokenizers-semantics) tokenizer: tokenizer.json when present, else converted from spm.model. */
export async function loadFastTokenizer(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2TokenizerFast> {
  const files = toFiles(source);
  const cfg = applyOverrides(await readTokenizerConfig(files), options);
  if (!options?.fromSlow) {
    for (const name of [TOKENIZER_JSON, TOKENIZER_JSON_GZ]) {
      if (!(await files.has(name))) continue;
      let bytes = await files.read(name);
      const label = filePath(files, name);
      if (name.endsWith(".gz")) {
        // the inflated JSON must pass parseJsonBytes' size cap anyway: stop inflating there
        const { maxInflatedBytes, maxJsonBytes } = getTokenizerLimits();
        bytes = gunzipCapped(bytes, label, Math.min(maxInflatedBytes, maxJsonBytes), maxJsonBytes < maxInflatedBytes ? "maxJsonBytes" : "maxInflatedBytes");
      }
      const parts = fastPartsFromTokenizerJson(parseJsonBytes(bytes, label), label, cfg);
      return new DebertaV2TokenizerFast(parts, cfg);
    }
  }
  if (!(await files.has(SPM_FILE))) {
    throw new TokenizerError(
      `${files.location}: no tokenizer found (looked for ${TOKENIZER_JSON}, ${TOKENIZER_JSON_GZ} and ${SPM_FILE})`,
      "FILE_NOT_FOUND",
    );
  }
  const model = await readSpm(files);
  return new DebertaV2TokenizerFast(fastPartsFromSentencePiece(model, cfg, filePath(files, SPM_FILE)), cfg);
}

/** transformers' `AutoTokenizer.from_pretrained` for DeBERTa-v2/v3: the fast tokenizer. */
export const loadTokenizer = loadFastTokenizer;

/**
 * tokenizers' `AddedVocabulary::add_tokens`: tokens are added in order; a token already added or in the model
 * vocabulary keeps that id, a new one gets the next id after the vocabulary (the ids written in tokenizer.json or
 * the config are not trusted, exactly as tokenizers does when it loads them).
 */
class AddedTokensBuilder {
  readonly tokens: AddedToken[] = [];
  private readonly byContent = new Map<string, AddedToken>();
  private maxId = -1;
  constructor(
    private readonly vocabSize: number,
    private readonly vocabId: (t: string) => number | undefined,
  ) {}
  has(content: string): boolean {
    return this.byContent.has(content);
  }
  add(t: Omit<AddedToken, "id">): void {
    if (t.content.length === 0) return;
    const existing = this.byContent.get(t.content);
    let id: number;
    if (existing) id = existing.id;
    else {
      const v = this.vocabId(t.content);
      if (v !== undefined) id = v;
      else id = this.maxId < 0 ? this.vocabSize : this.maxId >= this.vocabSize || this.vocabSize === 0 ? this.maxId + 1 : this.vocabSize;
    }
    const tok: AddedToken = { ...t, id };
    if (existing) this.tokens[this.tokens.indexOf(existing)] = tok;
    else this.tokens.push(tok);
    this.byContent.set(t.content, tok);
    if (id > this.maxId) this.maxId = id;
  }
}

/**
 * Adds the tokens the config files declare (added_tokens_decoder, added_tokens.json, special tokens) that the
 * tokenizer does not have yet, as transformers does when it loads a fast tokenizer.
 */
function addConfigTokens(b: AddedTokensBuilder, cfg: TokenizerConfig): void {
  if (cfg.addedTokensDecoder) {
    for (const t of [...cfg.addedTokensDecoder].sort((x, y) => x.id - y.id)) if (!b.has(t.content)) b.add(t);
  }
  if (cfg.addedTokensFile) {
    for (const [content, id] of Object.entries(cfg.addedTokensFile).sort((x, y) => x[1] - y[1])) {
      void id;
      if (!b.has(content)) b.add({ content, singleWord: false, lstrip: false, rstrip: false, normalized: true, special: false });
    }
  }
  for (const tok of allSpecialTokens(cfg.special)) {
    if (b.has(tok)) continue;
    const flags = cfg.specialTokenFlags.get(tok) ?? {};
    b.add({
      content: tok,
      singleWord: flags.singleWord ?? false,
      lstrip: flags.lstrip ?? false,
      rstrip: flags.rstrip ?? false,
      normalized: flags.normalized ?? false,
      special: true,
    });
  }
}

/** Builds the fast pipeline from a parsed tokenizer.json. */
export function fastPartsFromTokenizerJson(json: unknown, label: string, cfg: TokenizerConfig): FastTokenizerParts {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new TokenizerError(`${label}: expected a JSON object`, "FILE_CORRUPT");
  const j = json as Record<string, unknown>;
  const m = j.model as Record<string, unknown> | undefined;
  if (!m || typeof m !== "object") throw new TokenizerError(`${label}: missing "model"`, "FILE_CORRUPT");
  if (m.type !== "Unigram") {
    throw new TokenizerError(`${label}: model type ${JSON.stringify(m.type)} is not supported (DeBERTa-v2/v3 use "Unigram")`, "UNSUPPORTED");
  }
  if (!Array.isArray(m.vocab) || m.vocab.length === 0) throw new TokenizerError(`${label}: model.vocab must be a non-empty list`, "FILE_CORRUPT");
  const vocab: string[] = new Array(m.vocab.length);
  const scores = new Float64Array(m.vocab.length);
  for (let i = 0; i < m.vocab.length; i++) {
    const e = m.vocab[i] as unknown;
    if (!Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "number") {
      throw new TokenizerError(`${label}: model.vocab[${i}] must be a [piece, score] pair`, "FILE_CORRUPT");
    }
    vocab[i] = e[0];
    scores[i] = e[1];
  }
  const unkId = m.unk_id === null || m.unk_id === undefined ? null : Number(m.unk_id);
  let model: UnigramModel;
  try {
    model = new UnigramModel(vocab, scores, { unkId, byteFallback: m.byte_fallback === true });
  } catch (e) {
    if (e instanceof TokenizerError) throw new TokenizerError(`${label}: ${e.message}`, e.reason, { cause: e });
    throw e;
  }
  const builder = new AddedTokensBuilder(vocab.length, (t) => model.tokenToId(t));
  if (j.added_tokens !== undefined && j.added_tokens !== null) {
    if (!Array.isArray(j.added_tokens)) throw new TokenizerError(`${label}: "added_tokens" must be a list`, "FILE_CORRUPT");
    j.added_tokens.forEach((t, i) => builder.add(addedTokenFromJson(t, `${label}: added_tokens[${i}]`)));
  }
  addConfigTokens(builder, cfg);
  const addedTokens = builder.tokens;
  return {
    model,
    normalizer: normalizerFromJson(j.normalizer, `${label}: normalizer`),
    preTokenizer: preTokenizerFromJson(j.pre_tokenizer, `${label}: pre_tokenizer`),
    postProcessor: postProcessorFromJson(j.post_processor, `${label}: post_processor`),
    decoder: decoderFromJson(j.decoder, `${label}: decoder`),
    addedTokens,
  };
}

/**
 * transformers' `DebertaV2Converter` (SpmConverter): the fast pipeline built from a SentencePiece model.
 * Byte fallback is not carried over (the converter does not enable it for DeBERTa).
 */
export function fastPartsFromSentencePiece(spm: SentencePieceModel, cfg: TokenizerConfig, label = SPM_FILE): FastTokenizerParts {
  const vocab = spm.pieces.map((p) => p.piece);
  const scores = spm.pieces.map((p) => p.score);
  const ts = spm.trainerSpec;
  if (ts.modelType !== 1) throw new TokenizerError(`${label}: only Unigram SentencePiece models can be converted`, "UNSUPPORTED");
  if (ts.unkId < 0 || ts.unkId >= vocab.length) throw new TokenizerError(`${label}: trainer_spec.unk_id ${ts.unkId} is out of range`, "FILE_CORRUPT");
  const model = new UnigramModel(vocab, scores, { unkId: ts.unkId, byteFallback: false });
  const normalizers: Normalizer[] = [];
  if (cfg.doLowerCase) normalizers.push(new LowercaseNormalizer());
  normalizers.push(new StripNormalizer(true, true));
  const cm = spm.normalizerSpec.precompiledCharsmap;
  if (cm.length > 0) normalizers.push(new PrecompiledNormalizer(new PrecompiledCharsmap(cm, `${label} (precompiled_charsmap)`)));
  normalizers.push(new ReplaceNormalizer({ Regex: " {2,}" }, " "));
  const scheme = spm.normalizerSpec.addDummyPrefix ? "always" : "never";
  const pre: PreTokenizer[] = [];
  if (cfg.splitByPunct) pre.push(new PunctuationPreTokenizer("isolated"));
  pre.push(new MetaspacePreTokenizer("\u2581", scheme, true));
  // Added tokens, in the order transformers adds them: the added_tokens_decoder of the config when there is one
  // (it lists every added token), otherwise the CONTROL pieces then the special tokens (DebertaV2Tokenizer
  // declares [UNK] normalized); then whatever the config files add.
  const builder = new AddedTokensBuilder(vocab.length, (t) => model.tokenToId(t));
  if (!cfg.addedTokensDecoder) {
    spm.pieces.forEach((p) => {
      if (p.type === PieceType.CONTROL) {
        builder.add({ content: p.piece, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true });
      }
    });
    for (const tok of allSpecialTokens(cfg.special)) {
      if (builder.has(tok)) continue;
      const flags = cfg.specialTokenFlags.get(tok) ?? {};
      builder.add({
        content: tok,
        singleWord: flags.singleWord ?? false,
        lstrip: flags.lstrip ?? false,
        rstrip: flags.rstrip ?? false,
        normalized: flags.normalized ?? tok === cfg.special.unk,
        special: true,
      });
    }
  }
  addConfigTokens(builder, cfg);
  const addedTokens = builder.tokens;
  const idOf = (t: string) => model.tokenToId(t);
  const cls = cfg.special.cls ?? "[CLS]";
  const sep = cfg.special.sep ?? "[SEP]";
  const idFor = (t: string) => addedTokens.find((a) => a.content === t)?.id ?? idOf(t);
  const clsId = idFor(cls);
  const sepId = idFor(sep);
  if (clsId === undefined || sepId === undefined) {
    throw new TokenizerError(`${label}: the special tokens ${cls} / ${sep} are not in the vocabulary`, "FILE_CORRUPT");
  }
  return {
    model,
    normalizer: new SequenceNormalizer(normalizers),
    preTokenizer: new SequencePreTokenizer(pre),
    postProcessor: TemplateProcessing.deberta(cls, clsId, sep, sepId),
    decoder: new MetaspaceDecoder("\u2581", scheme),
    addedTokens,
  };
}

registerTokenizerLoaders(loadFastTokenizer, loadSlowTokenizer);
