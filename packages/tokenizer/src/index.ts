/**
 * @deberta-js/tokenizer — the DeBERTa-v2/v3 tokenizer, identical to Hugging Face's, for Node and browsers.
 *
 * - `DebertaV2TokenizerFast` (what `loadTokenizer` returns): the semantics of HF's Rust `tokenizers` on
 *   `tokenizer.json` — offsets, word ids, fused `[UNK]`.
 * - `DebertaV2Tokenizer`: transformers' slow tokenizer, with SentencePiece's own semantics (byte fallback).
 * - `SentencePieceProcessor`: a pure-TypeScript SentencePiece (Unigram) identical to Google's library.
 *
 * This entry is browser-safe (no Node built-ins). Folder loading lives in `@deberta-js/tokenizer/node`.
 */
export { TokenizerError, type TokenizerErrorReason } from "./errors.js";
export { memoryFiles, type TokenizerFiles } from "./files.js";
export {
  loadTokenizer,
  loadFastTokenizer,
  loadSlowTokenizer,
  fastPartsFromTokenizerJson,
  fastPartsFromSentencePiece,
  type LoadOptions,
  type TokenizerSource,
} from "./load.js";
export { DebertaV2TokenizerFast, type FastTokenizerParts } from "./tokenizer-fast.js";
export { DebertaV2Tokenizer } from "./tokenizer-slow.js";
export { DebertaV2TokenizerBase, type DecodeOptions, type TokenizeTextOptions } from "./tokenizer-base.js";
export { BatchEncoding } from "./batch-encoding.js";
export { Encoding } from "./encoding.js";
export type { TokenizeOptions, TextInput, OffsetsUnit } from "./options.js";
export type { TruncationStrategy } from "./truncation.js";
export type { PaddingStrategy } from "./padding.js";
export { SentencePieceProcessor, type SentencePieceEncoding } from "./sentencepiece.js";
export { parseSentencePieceModel, PieceType, type SentencePieceModel } from "./sentencepiece-model.js";
export { UnigramModel } from "./unigram.js";
export { PrecompiledCharsmap } from "./precompiled-charsmap.js";
export { readTokenizerConfig, type TokenizerConfig, type SpecialTokens } from "./tokenizer-config.js";
export {
  getTokenizerLimits,
  setTokenizerLimits,
  resetTokenizerLimits,
  DEFAULT_TOKENIZER_LIMITS,
  type TokenizerLimits,
} from "./limits.js";
