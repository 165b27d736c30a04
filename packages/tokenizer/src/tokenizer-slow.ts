/**
 * `DebertaV2Tokenizer`: transformers' slow (Python) DeBERTa-v2 tokenizer, driven by a SentencePiece processor
 * that reproduces Google's library exactly (byte-fallback pieces, merged unknowns, its own normalizer):
 * added tokens split out literally, then `lower()` (do_lower_case), the punctuation split (split_by_punct) and
 * `sp.encode` per piece; Python-style truncation, padding and decoding.
 */
import type { AddedToken } from "./added-vocabulary.js";
import { BatchEncoding } from "./batch-encoding.js";
import { TokenizerError } from "./errors.js";
import { describe, normalizeInputs, pick, resolveOptions, type ResolvedOptions, type TextInput, type TokenizeOptions } from "./options.js";
import type { SentencePieceProcessor } from "./sentencepiece.js";
import { DebertaV2TokenizerBase, type TokenizeTextOptions } from "./tokenizer-base.js";
import { allSpecialTokens, type TokenizerConfig } from "./tokenizer-config.js";
import { truncateSequences } from "./truncation.js";
import type { LoadOptions, TokenizerSource } from "./load.js";
import { tokenizerLoader } from "./loaders.js";
import { codePoints, isPunctuation, isPythonSpace, toWellFormed } from "./unicode.js";

export interface DebertaV2Tokenizer {
  /** transformers' `__call__`. */
  (text: TextInput, options?: TokenizeOptions): BatchEncoding;
}

interface Row {
  ids: number[];
  typeIds: number[];
  specialMask: number[];
  attention: number[];
  length: number;
  overflowing: number[] | null;
  numTruncated: number | null;
}

export class DebertaV2Tokenizer extends DebertaV2TokenizerBase {
  readonly sp: SentencePieceProcessor;
  private readonly addedEncoder = new Map<string, number>();
  private readonly addedDecoder = new Map<number, AddedToken>();
  private readonly splitRegex: RegExp | null;

  constructor(sp: SentencePieceProcessor, config: TokenizerConfig) {
    super(config);
    this.sp = sp;
    const add = (t: AddedToken) => {
      this.addedDecoder.set(t.id, t);
      this.addedEncoder.set(t.content, t.id);
    };
    if (config.addedTokensDecoder) for (const t of config.addedTokensDecoder) add(t);
    if (config.addedTokensFile) {
      for (const [content, id] of Object.entries(config.addedTokensFile)) {
        if (!this.addedEncoder.has(content)) add({ id, content, singleWord: false, lstrip: false, rstrip: false, normalized: true, special: false });
      }
    }
    // Special tokens not yet added: their vocabulary id, or new ids after the vocabulary (transformers' _add_tokens).
    let next = Math.max(sp.getPieceSize(), ...[...this.addedDecoder.keys()].map((k) => k + 1));
    for (const tok of allSpecialTokens(config.special)) {
      if (this.addedEncoder.has(tok)) continue;
      const inVocab = this.pieceId(tok);
      const flags = config.specialTokenFlags.get(tok) ?? {};
      add({
        id: inVocab ?? next++,
        content: tok,
        singleWord: flags.singleWord ?? false,
        lstrip: flags.lstrip ?? false,
        rstrip: flags.rstrip ?? false,
        normalized: flags.normalized ?? tok === config.special.unk,
        special: true,
      });
    }
    const contents = [...this.addedEncoder.keys()].filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
    this.splitRegex = contents.length ? new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gu") : null;
    return this.makeCallable();
  }

  /** Loads the slow tokenizer from a model folder's files (needs spm.model). */
  static async fromPretrained(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2Tokenizer> {
    return tokenizerLoader<DebertaV2Tokenizer>("slow")(source, options);
  }
  static from_pretrained(source: TokenizerSource, options?: LoadOptions): Promise<DebertaV2Tokenizer> {
    return tokenizerLoader<DebertaV2Tokenizer>("slow")(source, options);
  }

  /** Id of a SentencePiece piece, or undefined when the model does not have it. */
  private pieceId(piece: string): number | undefined {
    const id = this.sp.pieceToId(piece);
    return id === this.sp.unkId && piece !== this.sp.idToPiece(id) ? undefined : id;
  }

  get size(): number {
    let max = this.sp.getPieceSize();
    for (const id of this.addedDecoder.keys()) if (id + 1 > max) max = id + 1;
    return max;
  }
  get vocabSize(): number {
    return this.sp.getPieceSize();
  }
  get vocab_size(): number {
    return this.vocabSize;
  }

  tokenToId(token: string): number | undefined {
    const a = this.addedEncoder.get(token);
    if (a !== undefined) return a;
    return this.pieceId(token);
  }

  idToToken(id: number): string | undefined {
    const a = this.addedDecoder.get(id);
    if (a) return a.content;
    if (!Number.isInteger(id) || id < 0) return undefined;
    // transformers: ids past the SentencePiece vocabulary read as the unk token.
    return id < this.sp.getPieceSize() ? this.sp.idToPiece(id) : (this.specialTokens.unk ?? undefined);
  }

  /** transformers' `_run_split_on_punc`. */
  private splitOnPunct(text: string): string[] {
    const out: string[] = [];
    let startNew = true;
    for (const cp of codePoints(text)) {
      const ch = String.fromCodePoint(cp);
      if (isPunctuation(cp)) {
        out.push(ch);
        startNew = true;
      } else {
        if (startNew) {
          out.push("");
          startNew = false;
        }
        out[out.length - 1] += ch;
      }
    }
    return out;
  }

  /** `DebertaV2Tokenizer._tokenize` on one piece of text without added tokens: pieces and their ids. */
  private tokenizePiece(text: string, pieces: string[], ids: number[]): void {
    const t = this.doLowerCase ? text.toLowerCase() : text;
    const words = this.splitByPunct ? this.splitOnPunct(t) : [t];
    for (const w of words) {
      const r = this.sp.encode(w);
      for (let i = 0; i < r.pieces.length; i++) {
        pieces.push(r.pieces[i]!);
        // convert_tokens_to_ids: added tokens first, then the SentencePiece id.
        ids.push(this.addedEncoder.get(r.pieces[i]!) ?? r.ids[i]!);
      }
    }
  }

  /** transformers' `PreTrainedTokenizer.tokenize` + `convert_tokens_to_ids`. */
  tokenizeWithIds(text: string): { pieces: string[]; ids: number[] } {
    if (typeof text !== "string") throw new TokenizerError(`text must be a string, got ${typeof text}`, "INVALID_ARGUMENT");
    const clean = toWellFormed(text);
    const segs: Array<{ text: string; id: number }> = [];
    if (this.splitRegex) {
      let last = 0;
      this.splitRegex.lastIndex = 0;
      for (let m = this.splitRegex.exec(clean); m !== null; m = this.splitRegex.exec(clean)) {
        if (m.index > last) segs.push({ text: clean.slice(last, m.index), id: -1 });
        segs.push({ text: m[0], id: this.addedEncoder.get(m[0])! });
        last = m.index + m[0].length;
      }
      if (last < clean.length) segs.push({ text: clean.slice(last), id: -1 });
    } else segs.push({ text: clean, id: -1 });
    // lstrip / rstrip of added tokens strip the neighbouring text.
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (s.id < 0) continue;
      const tok = this.addedDecoder.get(s.id);
      if (!tok) continue;
      if (tok.rstrip && i + 1 < segs.length && segs[i + 1]!.id < 0) segs[i + 1]!.text = pyStrip(segs[i + 1]!.text, true, false);
      if (tok.lstrip && i > 0 && segs[i - 1]!.id < 0) segs[i - 1]!.text = pyStrip(segs[i - 1]!.text, false, true);
    }
    const pieces: string[] = [];
    const ids: number[] = [];
    for (const s of segs) {
      if (!s.text) continue;
      if (s.id >= 0) {
        pieces.push(s.text);
        ids.push(s.id);
      } else this.tokenizePiece(s.text, pieces, ids);
    }
    return { pieces, ids };
  }

  tokenize(text: string, options?: TokenizeTextOptions): string[] {
    if (typeof text !== "string") throw new TokenizerError(`tokenize: text must be a string, got ${describe(text)}`, "INVALID_ARGUMENT");
    const pieces = this.tokenizeWithIds(text).pieces;
    const add = options?.addSpecialTokens ?? options?.add_special_tokens ?? false;
    const pair = options?.pair;
    const pairPieces = pair === undefined || pair === null ? null : this.tokenizeWithIds(pair).pieces;
    if (!add) return pairPieces ? [...pieces, ...pairPieces] : pieces;
    const cls = this.specialTokens.cls!;
    const sep = this.specialTokens.sep!;
    return pairPieces ? [cls, ...pieces, sep, ...pairPieces, sep] : [cls, ...pieces, sep];
  }

  private prepareForModel(ids: number[], pairIds: number[] | null, o: ResolvedOptions): Row {
    const pair = pairIds !== null;
    if (o.returnOverflowingTokens && o.truncation === "longest_first" && pair) {
      throw new TokenizerError(
        'not possible to return overflowing tokens for a pair of sequences with truncation "longest_first"; use "only_first" or "only_second"',
        "INVALID_ARGUMENT",
      );
    }
    const nSpecial = o.addSpecialTokens ? (pair ? 3 : 2) : 0;
    const totalLen = ids.length + (pairIds ? pairIds.length : 0) + nSpecial;
    let overflowing: number[] = [];
    if (o.truncation !== "do_not_truncate" && o.maxLength !== null && totalLen > o.maxLength) {
      const r = truncateSequences(ids, pairIds, totalLen - o.maxLength, o.truncation, o.stride, o.truncationSide);
      ids = r.ids;
      pairIds = r.pairIds;
      overflowing = r.overflowing;
    }
    const cls = this.clsTokenId!;
    const sep = this.sepTokenId!;
    let seq: number[];
    let typeIds: number[];
    let specialMask: number[];
    if (o.addSpecialTokens) {
      if (cls === undefined || sep === undefined) throw new TokenizerError("the tokenizer has no [CLS]/[SEP] tokens to add", "INVALID_ARGUMENT");
      seq = pairIds ? [cls, ...ids, sep, ...pairIds, sep] : [cls, ...ids, sep];
      typeIds = pairIds ? [...new Array(ids.length + 2).fill(0), ...new Array(pairIds.length + 1).fill(1)] : new Array(ids.length + 2).fill(0);
      specialMask = pairIds ? [1, ...new Array(ids.length).fill(0), 1, ...new Array(pairIds.length).fill(0), 1] : [1, ...new Array(ids.length).fill(0), 1];
    } else {
      seq = pairIds ? [...ids, ...pairIds] : ids.slice();
      typeIds = new Array(seq.length).fill(0);
      specialMask = new Array(seq.length).fill(0);
    }
    return {
      ids: seq,
      typeIds,
      specialMask,
      attention: new Array(seq.length).fill(1),
      length: seq.length,
      overflowing: o.returnOverflowingTokens ? overflowing : null,
      numTruncated: o.returnOverflowingTokens && o.maxLength !== null ? totalLen - o.maxLength : null,
    };
  }

  encodePlus(text: TextInput, options?: TokenizeOptions): BatchEncoding {
    const opts = options ?? {};
    const { rows, batched } = normalizeInputs(text, pick(opts, "textPair", "text_pair"));
    const o = resolveOptions(opts, {
      modelMaxLength: this.modelMaxLength,
      paddingSide: this.paddingSide,
      truncationSide: this.truncationSide,
      hasPadToken: this.specialTokens.pad !== null && this.tokenToId(this.specialTokens.pad) !== undefined,
    });
    if (o.returnOffsetsMapping) {
      throw new TokenizerError(
        "return_offsets_mapping is not available with the slow DebertaV2Tokenizer (as in transformers); use DebertaV2TokenizerFast",
        "UNSUPPORTED",
      );
    }
    const out: Row[] = rows.map(([a, b]) =>
      this.prepareForModel(this.tokenizeWithIds(a).ids, b === null ? null : this.tokenizeWithIds(b).ids, o),
    );
    if (o.padding !== "do_not_pad") {
      let target = o.padding === "max_length" && o.maxLength !== null ? o.maxLength : Math.max(...out.map((r) => r.ids.length));
      const m = o.padToMultipleOf;
      if (m && target % m !== 0) target = (Math.floor(target / m) + 1) * m;
      const padId = this.padTokenId!;
      for (const r of out) {
        const n = target - r.ids.length;
        if (n <= 0) continue;
        const fill = (v: number) => new Array<number>(n).fill(v);
        if (o.paddingSide === "right") {
          r.ids.push(...fill(padId));
          r.typeIds.push(...fill(0));
          r.specialMask.push(...fill(1));
          r.attention.push(...fill(0));
        } else {
          r.ids = [...fill(padId), ...r.ids];
          r.typeIds = [...fill(0), ...r.typeIds];
          r.specialMask = [...fill(1), ...r.specialMask];
          r.attention = [...fill(0), ...r.attention];
        }
      }
    }
    const fields: Record<string, unknown> = { input_ids: out.map((r) => r.ids) };
    if (o.returnTokenTypeIds) fields.token_type_ids = out.map((r) => r.typeIds);
    if (o.returnAttentionMask) fields.attention_mask = out.map((r) => r.attention);
    if (o.returnSpecialTokensMask) fields.special_tokens_mask = out.map((r) => r.specialMask);
    if (o.returnOverflowingTokens) {
      fields.overflowing_tokens = out.map((r) => r.overflowing ?? []);
      fields.num_truncated_tokens = out.map((r) => r.numTruncated ?? 0);
    }
    if (o.returnLength) fields.length = out.map((r) => r.length);
    if (!batched) {
      for (const k of Object.keys(fields)) fields[k] = (fields[k] as unknown[])[0];
    }
    return new BatchEncoding(fields as unknown as BatchEncoding, undefined, batched);
  }

  protected decodeIds(ids: number[], skipSpecialTokens: boolean): string {
    const special = new Set(this.allSpecialIds);
    const tokens: string[] = [];
    for (const id of ids) {
      if (skipSpecialTokens && special.has(id)) continue;
      const t = this.idToToken(id);
      if (t !== undefined) tokens.push(t);
    }
    // SPMTokenizer.decode: special token strings are kept verbatim, the rest decoded by SentencePiece.
    const specialStrings = new Set(this.allSpecialTokens);
    let out = "";
    let cur: string[] = [];
    let prevIsSpecial = false;
    for (const t of tokens) {
      if (specialStrings.has(t)) {
        if (!prevIsSpecial) out += " ";
        out += this.sp.decodePieces(cur) + t;
        prevIsSpecial = true;
        cur = [];
      } else {
        cur.push(t);
        prevIsSpecial = false;
      }
    }
    out += this.sp.decodePieces(cur);
    return pyStrip(out, true, true);
  }
}

/** Python `str.strip()` / `lstrip()` / `rstrip()` without arguments. */
export function pyStrip(s: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && isPythonSpace(s.charCodeAt(a))) a++;
  if (right) while (b > a && isPythonSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}
