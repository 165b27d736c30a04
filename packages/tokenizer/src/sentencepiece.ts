/**
 * A pure-TypeScript SentencePiece processor for Unigram models, reproducing Google's C++ library (the
 * `sentencepiece` Python package / `sentencepiece-js`) exactly: its normalizer (longest-match precompiled rules,
 * dummy prefix, whitespace folding), `Model::EncodeOptimized` Viterbi with its float32/double arithmetic,
 * unknown-piece merging or byte fallback, and `Decode`.
 */
import { TokenizerError } from "./errors.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { PieceType, parseSentencePieceModel, MODEL_TYPE_NAMES, type SentencePieceModel } from "./sentencepiece-model.js";
import { VocabTrie } from "./trie.js";
import { codePoints, toWellFormed, utf8Length } from "./unicode.js";

const SPACE_SYMBOL = "\u2581";
const K_UNK_PENALTY = 10.0;
const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN = 1.1754943508222875e-38;

export interface SentencePieceEncoding {
  ids: number[];
  pieces: string[];
}

export class SentencePieceProcessor {
  readonly model: SentencePieceModel;
  readonly file: string;
  readonly pieces: readonly string[];
  readonly types: Uint8Array;
  readonly unkId: number;
  readonly byteFallback: boolean;
  private readonly charsmap: PrecompiledCharsmap | null;
  private readonly trie: VocabTrie;
  /** Per piece: the score Viterbi uses (float32 value, or the user-defined bonus in double). */
  private readonly viterbiScores: Float64Array;
  private readonly unkScore: number;
  private readonly reserved = new Map<string, number>();
  private readonly userDefined: string[];
  private readonly byteToId = new Int32Array(256).fill(-1);
  private bestScore = new Float32Array(256);
  private bestStart = new Int32Array(256);
  private bestId = new Int32Array(256);

  constructor(model: SentencePieceModel, file = "spm.model") {
    this.model = model;
    this.file = file;
    const ts = model.trainerSpec;
    if (ts.modelType !== 1) {
      throw new TokenizerError(
        `${file}: SentencePiece model type ${MODEL_TYPE_NAMES[ts.modelType] ?? ts.modelType} is not supported (only UNIGRAM)`,
        "UNSUPPORTED",
      );
    }
    const n = model.pieces.length;
    this.pieces = model.pieces.map((p) => p.piece);
    this.types = new Uint8Array(n);
    this.byteFallback = ts.byteFallback;
    let unk = -1;
    const normal = new Map<string, number>();
    const userDefined: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = model.pieces[i]!;
      this.types[i] = p.type;
      const isNormal = p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED;
      const target = isNormal ? normal : this.reserved;
      if (target.has(p.piece)) throw new TokenizerError(`${file}: piece "${p.piece}" (id ${i}) is already defined`, "FILE_CORRUPT");
      target.set(p.piece, i);
      if (p.type === PieceType.USER_DEFINED) userDefined.push(p.piece);
      if (p.type === PieceType.UNKNOWN) {
        if (unk >= 0) throw new TokenizerError(`${file}: unk is already defined (ids ${unk} and ${i})`, "FILE_CORRUPT");
        unk = i;
      }
      if (p.type === PieceType.BYTE) {
        if (!ts.byteFallback) {
          throw new TokenizerError(`${file}: byte piece ${p.piece} is found although \`byte_fallback\` is false`, "FILE_CORRUPT");
        }
        const m = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
        if (!m) throw new TokenizerError(`${file}: byte piece ${p.piece} is invalid`, "FILE_CORRUPT");
        this.byteToId[parseInt(m[1]!, 16)] = i;
      }
    }
    if (unk < 0) throw new TokenizerError(`${file}: unk is not defined`, "FILE_CORRUPT");
    if (ts.byteFallback) {
      for (let b = 0; b < 256; b++) {
        if (this.byteToId[b]! < 0) {
          throw new TokenizerError(`${file}: byte_fallback is enabled but the byte piece <0x${b.toString(16).toUpperCase().padStart(2, "0")}> is missing`, "FILE_CORRUPT");
        }
      }
    }
    this.unkId = unk;
    this.userDefined = userDefined.sort((a, b) => b.length - a.length);

    let minScore = FLT_MAX;
    let maxScore = FLT_MIN;
    for (const p of model.pieces) {
      if (p.type === PieceType.NORMAL) {
        minScore = Math.min(minScore, p.score);
        maxScore = Math.max(maxScore, p.score);
      }
    }
    this.unkScore = Math.fround(minScore - K_UNK_PENALTY);
    this.viterbiScores = new Float64Array(n);
    const values = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const p = model.pieces[i]!;
      if (p.type === PieceType.NORMAL) {
        this.viterbiScores[i] = p.score;
        values[i] = i;
      } else if (p.type === PieceType.USER_DEFINED) {
        // `length * max_score_ - 0.1` with length in UTF-8 bytes (float * size_t, then minus a double).
        let bytes = 0;
        for (const cp of codePoints(p.piece)) bytes += utf8Length(cp);
        this.viterbiScores[i] = Math.fround(bytes * maxScore) - 0.1;
        values[i] = i;
      }
      // UNUSED pieces are skipped by the encoder; control/unknown/byte pieces are not in its trie.
    }
    this.trie = new VocabTrie(this.pieces, values);
    const cm = model.normalizerSpec.precompiledCharsmap;
    this.charsmap = cm.length > 0 ? new PrecompiledCharsmap(cm, `${file} (normalizer_spec.precompiled_charsmap)`) : null;
  }

  static fromBytes(bytes: Uint8Array, file = "spm.model"): SentencePieceProcessor {
    return new SentencePieceProcessor(parseSentencePieceModel(bytes, file), file);
  }

  getPieceSize(): number {
    return this.pieces.length;
  }

  idToPiece(id: number): string {
    const p = this.pieces[id];
    if (p === undefined) throw new TokenizerError(`SentencePiece: id ${id} is out of range (0..${this.pieces.length - 1})`, "INVALID_ARGUMENT");
    return p;
  }

  pieceToId(piece: string): number {
    const r = this.reserved.get(piece);
    if (r !== undefined) return r;
    const v = this.trieId(piece);
    return v >= 0 ? v : this.unkId;
  }

  private trieIdMap: Map<string, number> | null = null;
  private trieId(piece: string): number {
    if (!this.trieIdMap) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.pieces.length; i++) {
        const t = this.types[i]!;
        if (t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED) m.set(this.pieces[i]!, i);
      }
      this.trieIdMap = m;
    }
    return this.trieIdMap.get(piece) ?? -1;
  }

  isControl(id: number): boolean {
    return this.types[id] === PieceType.CONTROL;
  }
  isUnknown(id: number): boolean {
    return this.types[id] === PieceType.UNKNOWN;
  }
  isUnused(id: number): boolean {
    return this.types[id] === PieceType.UNUSED;
  }
  isByte(id: number): boolean {
    return this.types[id] === PieceType.BYTE;
  }

  /** `Normalizer::NormalizePrefix`: [replacement or null (copy as is), consumed code points]. */
  private normalizePrefix(cps: number[], pos: number): [string | null, number] {
    // User-defined symbols are matched first and kept verbatim.
    if (this.userDefined.length > 0) {
      for (const u of this.userDefined) {
        const ucp = codePoints(u);
        if (pos + ucp.length > cps.length) continue;
        let ok = true;
        for (let k = 0; k < ucp.length; k++) if (cps[pos + k] !== ucp[k]) ok = false;
        if (ok) return [u, ucp.length];
      }
    }
    if (this.charsmap) {
      const v = this.charsmap.longestPrefix(cps, pos, cps.length);
      if (v >= 0) return [this.charsmap.replacement(v), this.charsmap.matchLength];
    }
    return [null, 1];
  }

  /** The normalized text (with ▁ for spaces and the dummy prefix), as SentencePiece's `Normalizer::Normalize`. */
  normalize(text: string): string {
    const spec = this.model.normalizerSpec;
    const suffix = this.model.trainerSpec.treatWhitespaceAsSuffix;
    const cps = codePoints(toWellFormed(text));
    if (cps.length === 0) return "";
    let pos = 0;
    if (spec.removeExtraWhitespaces) {
      while (pos < cps.length) {
        const [rep, len] = this.normalizePrefix(cps, pos);
        const s = rep ?? String.fromCodePoint(cps[pos]!);
        if (s !== " ") break;
        pos += len;
      }
    }
    if (pos >= cps.length) return "";
    const space = spec.escapeWhitespaces ? SPACE_SYMBOL : " ";
    let out = "";
    if (!suffix && spec.addDummyPrefix) out += space;
    let isPrevSpace = spec.removeExtraWhitespaces;
    while (pos < cps.length) {
      const [rep, len] = this.normalizePrefix(cps, pos);
      let sp = rep ?? String.fromCodePoint(cps[pos]!);
      if (isPrevSpace) {
        let k = 0;
        while (k < sp.length && sp.charCodeAt(k) === 0x20) k++;
        if (k > 0) sp = sp.slice(k);
      }
      if (sp.length > 0) {
        out += spec.escapeWhitespaces ? sp.replace(/ /g, SPACE_SYMBOL) : sp;
        isPrevSpace = sp.charCodeAt(sp.length - 1) === 0x20;
      }
      pos += len;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }
    if (spec.removeExtraWhitespaces) {
      while (out.endsWith(space)) out = out.slice(0, out.length - space.length);
    }
    if (suffix && spec.addDummyPrefix) out += space;
    return out;
  }

  /** `Model::EncodeOptimized` on a normalized string: [piece string, id] pairs. */
  private viterbi(normalized: string): Array<[string, number]> {
    const n = normalized.length;
    if (n === 0) return [];
    if (n + 1 > this.bestScore.length) {
      let cap = this.bestScore.length;
      while (cap < n + 1) cap *= 2;
      this.bestScore = new Float32Array(cap);
      this.bestStart = new Int32Array(cap);
      this.bestId = new Int32Array(cap);
    }
    const units = new Uint16Array(n);
    for (let i = 0; i < n; i++) units[i] = normalized.charCodeAt(i);
    const bestScore = this.bestScore; // float32 storage: every store rounds, as `float best_path_score` does
    const bestStart = this.bestStart;
    const bestId = this.bestId;
    const { alphabet: alpha, bc, value } = this.trie;
    const scores = this.viterbiScores;
    const unkScore = this.unkScore;
    const unkId = this.unkId;
    for (let k = 0; k <= n; k++) {
      bestStart[k] = -1;
      bestScore[k] = 0;
      bestId[k] = -1;
    }
    let i = 0;
    while (i < n) {
      const u = units[i]!;
      const mblen = u >= 0xd800 && u <= 0xdbff && i + 1 < n ? 2 : 1;
      const sc = bestScore[i]!;
      let hasSingle = false;
      let s = 0;
      for (let j = i; j < n; j++) {
        const c = alpha[units[j]!]!;
        if (c === 0) break;
        const t = bc[2 * s]! + c;
        if (bc[2 * t + 1] !== s) break;
        s = t;
        const id = value[t]!;
        if (id >= 0) {
          const e = j + 1;
          // `score` is double (the ternary with the user-defined bonus), so the sum and the comparison are double.
          const cand = scores[id]! + sc;
          if (bestStart[e] === -1 || cand > bestScore[e]!) {
            bestScore[e] = cand;
            bestStart[e] = i;
            bestId[e] = id;
          }
          if (e - i === mblen) hasSingle = true;
        }
      }
      if (!hasSingle) {
        const e = i + mblen;
        // `float unk_score + float` is float arithmetic.
        const cand = Math.fround(unkScore + sc);
        if (bestStart[e] === -1 || cand > bestScore[e]!) {
          bestScore[e] = cand;
          bestStart[e] = i;
          bestId[e] = unkId;
        }
      }
      i += mblen;
    }
    const out: Array<[string, number]> = [];
    for (let e = n; e > 0; e = bestStart[e]!) out.push([normalized.slice(bestStart[e]!, e), bestId[e]!]);
    out.reverse();
    return out;
  }

  /** `SentencePieceProcessor::Encode`: ids and pieces (unknowns merged, or split into byte pieces). */
  encode(text: string): SentencePieceEncoding {
    if (typeof text !== "string") throw new TokenizerError(`SentencePiece encode: expected a string, got ${typeof text}`, "INVALID_ARGUMENT");
    const normalized = this.normalize(text);
    const result = this.viterbi(normalized);
    const ids: number[] = [];
    const pieces: string[] = [];
    let isPrevUnk = false;
    for (const [w, id] of result) {
      const isUnk = this.isUnknown(id);
      if (isUnk && this.byteFallback) {
        for (const b of new TextEncoder().encode(w)) {
          const piece = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
          pieces.push(piece);
          ids.push(this.pieceToId(piece));
        }
      } else if (isPrevUnk && isUnk) {
        pieces[pieces.length - 1] += w;
      } else {
        pieces.push(w);
        ids.push(id);
      }
      isPrevUnk = isUnk;
    }
    return { ids, pieces };
  }

  encodeIds(text: string): number[] {
    return this.encode(text).ids;
  }

  encodePieces(text: string): string[] {
    return this.encode(text).pieces;
  }

  decodeIds(ids: readonly number[]): string {
    const pieces: string[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.pieces.length) {
        throw new TokenizerError(`SentencePiece decode: invalid id ${id}`, "INVALID_ARGUMENT");
      }
      pieces.push(this.pieces[id]!);
    }
    return this.decodePieces(pieces);
  }

  /** `SentencePieceProcessor::Decode(pieces)`. */
  decodePieces(pieces: readonly string[]): string {
    const spec = this.model.normalizerSpec;
    const unkSurface = this.model.trainerSpec.unkSurface;
    const ids = pieces.map((p) => this.pieceToId(p));
    let text = "";
    let isBosWs = true;
    let bosWsSeen = false;
    let byteStart = 0;
    const flushBytes = (from: number, to: number) => {
      if (from >= to) return;
      const bytes = new Uint8Array(to - from);
      for (let k = from; k < to; k++) bytes[k - from] = parseInt(pieces[k]!.slice(3, 5), 16);
      text += decodeUtf8Lenient(bytes);
    };
    for (let i = 0; i < pieces.length; i++) {
      const id = ids[i]!;
      if (this.isByte(id)) continue;
      flushBytes(byteStart, i);
      if (bosWsSeen || text.length > 0) isBosWs = false;
      byteStart = i + 1;
      let piece = pieces[i]!;
      let decoded: string;
      bosWsSeen = false;
      if (this.isControl(id)) decoded = "";
      else if (this.isUnknown(id)) decoded = this.pieces[id] === piece ? unkSurface : piece;
      else {
        if (isBosWs && (spec.addDummyPrefix || spec.removeExtraWhitespaces)) {
          if (piece.startsWith(SPACE_SYMBOL)) {
            piece = piece.slice(SPACE_SYMBOL.length);
            bosWsSeen = !spec.removeExtraWhitespaces;
          }
        }
        decoded = piece.split(SPACE_SYMBOL).join(" ");
      }
      text += decoded;
    }
    flushBytes(byteStart, pieces.length);
    return text;
  }
}

/** UTF-8 decoding where each byte that does not start a valid character becomes U+FFFD (SentencePiece's rule). */
export function decodeUtf8Lenient(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  const n = bytes.length;
  const trail = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;
  while (i < n) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let cp = -1;
    let len = 1;
    if ((b0 & 0xe0) === 0xc0 && i + 1 < n && trail(bytes[i + 1])) {
      const c = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      if (c >= 0x80) {
        cp = c;
        len = 2;
      }
    } else if ((b0 & 0xf0) === 0xe0 && i + 2 < n && trail(bytes[i + 1]) && trail(bytes[i + 2])) {
      const c = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      if (c >= 0x800 && (c < 0xd800 || c > 0xdfff)) {
        cp = c;
        len = 3;
      }
    } else if ((b0 & 0xf8) === 0xf0 && i + 3 < n && trail(bytes[i + 1]) && trail(bytes[i + 2]) && trail(bytes[i + 3])) {
      const c = ((b0 & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      if (c >= 0x10000 && c <= 0x10ffff) {
        cp = c;
        len = 4;
      }
    }
    if (cp < 0) {
      out += "\uFFFD";
      i += 1;
    } else {
      out += String.fromCodePoint(cp);
      i += len;
    }
  }
  return out;
}
