/**
 * Parses SentencePiece's serialized `ModelProto` (`spm.model`). Only the fields a Unigram tokenizer needs are
 * kept; unknown fields are skipped. Truncated or corrupt input throws a `TokenizerError` naming the file.
 */
import { TokenizerError } from "./errors.js";
import { ProtobufError, ProtobufReader, WireType, tagField, tagWire } from "./protobuf.js";

export enum PieceType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export interface SentencePiece {
  piece: string;
  /** float32 score, exactly as stored. */
  score: number;
  type: PieceType;
}

export interface TrainerSpec {
  modelType: number; // 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR
  vocabSize: number;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  splitDigits: boolean;
  modelPrefix: string;
}

export interface NormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  denormalizerSpec: NormalizerSpec | null;
}

export const MODEL_TYPE_NAMES: Record<number, string> = { 1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR" };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function defaultTrainerSpec(): TrainerSpec {
  return {
    modelType: 1,
    vocabSize: 8000,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkPiece: "<unk>",
    bosPiece: "<s>",
    eosPiece: "</s>",
    padPiece: "<pad>",
    unkSurface: " \u2047 ",
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    splitDigits: false,
    modelPrefix: "",
  };
}

function defaultNormalizerSpec(): NormalizerSpec {
  return {
    name: "",
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
}

function str(r: ProtobufReader, what: string): string {
  const b = r.bytesField();
  const s = b.length <= 64 ? decodeShortUtf8(b) : null;
  if (s !== null) return s;
  try {
    return utf8.decode(b);
  } catch {
    throw new ProtobufError(`${what} is not valid UTF-8`);
  }
}

const codeBuf: number[] = [];
function decodeShortUtf8(b: Uint8Array): string | null {
  return decodeShortUtf8Range(b, 0, b.length);
}

/** Strict UTF-8 decoding of bytes[start..end) without TextDecoder's per-call overhead; null when invalid or long. */
function decodeShortUtf8Range(b: Uint8Array, start: number, end: number): string | null {
  if (end - start > 256) return null;
  codeBuf.length = 0;
  const n = end;
  let i = start;
  while (i < n) {
    const b0 = b[i]!;
    if (b0 < 0x80) {
      codeBuf.push(b0);
      i++;
      continue;
    }
    let cp: number;
    if ((b0 & 0xe0) === 0xc0) {
      if (i + 1 >= n || (b[i + 1]! & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x1f) << 6) | (b[i + 1]! & 0x3f);
      if (cp < 0x80) return null;
      i += 2;
    } else if ((b0 & 0xf0) === 0xe0) {
      if (i + 2 >= n || (b[i + 1]! & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return null;
      i += 3;
    } else if ((b0 & 0xf8) === 0xf0) {
      if (i + 3 >= n || (b[i + 1]! & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return null;
      i += 4;
      cp -= 0x10000;
      codeBuf.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      continue;
    } else return null;
    codeBuf.push(cp);
  }
  return String.fromCharCode.apply(null, codeBuf);
}

/** Parses one `SentencePiece` message at bytes[start..end) with a reused reader. */
function parsePiece(r: ProtobufReader, bytes: Uint8Array, start: number, end: number): SentencePiece {
  r.reset(start, end);
  let piece: string | null = null;
  let score = 0;
  let type = PieceType.NORMAL;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 10) {
      // field 1, length-delimited: the piece string
      r.lengthDelimited();
      piece = decodeShortUtf8Range(bytes, r.fieldStart, r.fieldEnd);
      if (piece === null) {
        try {
          piece = utf8.decode(bytes.subarray(r.fieldStart, r.fieldEnd));
        } catch {
          throw new ProtobufError("piece is not valid UTF-8");
        }
      }
    } else if (tag === 21) score = r.float(); // field 2, fixed32
    else if (tag === 24) type = r.varint() as PieceType; // field 3, varint
    else r.skip(tagWire(tag));
  }
  if (piece === null) throw new ProtobufError("a SentencePiece entry has no piece string");
  return { piece, score, type };
}

function parseTrainerSpec(r: ProtobufReader): TrainerSpec {
  const t = defaultTrainerSpec();
  while (!r.done) {
    const tag = r.tag();
    const field = tagField(tag);
    const wire = tagWire(tag);
    if (wire === WireType.Varint) {
      switch (field) {
        case 3: t.modelType = r.varint(); break;
        case 4: t.vocabSize = r.int32(); break;
        case 24: t.treatWhitespaceAsSuffix = r.bool(); break;
        case 25: t.splitDigits = r.bool(); break;
        case 35: t.byteFallback = r.bool(); break;
        case 40: t.unkId = r.int32(); break;
        case 41: t.bosId = r.int32(); break;
        case 42: t.eosId = r.int32(); break;
        case 43: t.padId = r.int32(); break;
        default: r.skip(wire);
      }
    } else if (wire === WireType.LengthDelimited) {
      switch (field) {
        case 2: t.modelPrefix = str(r, "trainer_spec.model_prefix"); break;
        case 44: t.unkSurface = str(r, "trainer_spec.unk_surface"); break;
        case 45: t.unkPiece = str(r, "trainer_spec.unk_piece"); break;
        case 46: t.bosPiece = str(r, "trainer_spec.bos_piece"); break;
        case 47: t.eosPiece = str(r, "trainer_spec.eos_piece"); break;
        case 48: t.padPiece = str(r, "trainer_spec.pad_piece"); break;
        default: r.skip(wire);
      }
    } else r.skip(wire);
  }
  return t;
}

function parseNormalizerSpec(r: ProtobufReader): NormalizerSpec {
  const n = defaultNormalizerSpec();
  while (!r.done) {
    const tag = r.tag();
    const field = tagField(tag);
    const wire = tagWire(tag);
    if (field === 1 && wire === WireType.LengthDelimited) n.name = str(r, "normalizer_spec.name");
    else if (field === 2 && wire === WireType.LengthDelimited) n.precompiledCharsmap = r.bytesField();
    else if (field === 3 && wire === WireType.Varint) n.addDummyPrefix = r.bool();
    else if (field === 4 && wire === WireType.Varint) n.removeExtraWhitespaces = r.bool();
    else if (field === 5 && wire === WireType.Varint) n.escapeWhitespaces = r.bool();
    else r.skip(wire);
  }
  return n;
}

/**
 * Parses `spm.model` bytes. `file` names the file in error messages.
 * Validates what the SentencePiece library validates when it loads a Unigram model.
 */
export function parseSentencePieceModel(bytes: Uint8Array, file = "spm.model"): SentencePieceModel {
  if (!ArrayBuffer.isView(bytes) || (bytes as Uint8Array).BYTES_PER_ELEMENT !== 1) {
    throw new TokenizerError(`${file}: expected the model bytes as a Uint8Array`, "INVALID_ARGUMENT");
  }
  if (bytes.length === 0) throw new TokenizerError(`${file}: the file is empty`, "FILE_CORRUPT");
  const pieces: SentencePiece[] = [];
  let trainerSpec = defaultTrainerSpec();
  let normalizerSpec = defaultNormalizerSpec();
  let denormalizerSpec: NormalizerSpec | null = null;
  let sawNormalizer = false;
  try {
    const r = new ProtobufReader(bytes);
    const pr = new ProtobufReader(bytes);
    while (!r.done) {
      const tag = r.tag();
      const field = tagField(tag);
      const wire = tagWire(tag);
      if (field === 1 && wire === WireType.LengthDelimited) {
        r.lengthDelimited();
        pieces.push(parsePiece(pr, bytes, r.fieldStart, r.fieldEnd));
      } else if (wire === WireType.LengthDelimited && field >= 2 && field <= 5) {
        const sub = r.bytesField();
        const sr = new ProtobufReader(sub);
        if (field === 1) throw new ProtobufError("unreachable");
        else if (field === 2) trainerSpec = parseTrainerSpec(sr);
        else if (field === 3) {
          normalizerSpec = parseNormalizerSpec(sr);
          sawNormalizer = true;
        } else if (field === 5) denormalizerSpec = parseNormalizerSpec(sr);
        // field 4: self_test_data, ignored
      } else {
        r.skip(wire);
      }
    }
  } catch (e) {
    if (e instanceof ProtobufError) {
      throw new TokenizerError(`${file}: not a valid SentencePiece model (${e.message})`, "FILE_CORRUPT", { cause: e });
    }
    throw e;
  }
  if (pieces.length === 0) {
    throw new TokenizerError(`${file}: not a valid SentencePiece model (no pieces found)`, "FILE_CORRUPT");
  }
  if (!sawNormalizer && pieces.length < 2) {
    throw new TokenizerError(`${file}: not a valid SentencePiece model (no normalizer spec)`, "FILE_CORRUPT");
  }
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.piece.length === 0) throw new TokenizerError(`${file}: piece ${i} is empty`, "FILE_CORRUPT");
    if (p.type < 1 || p.type > 6) throw new TokenizerError(`${file}: piece ${i} has unknown type ${p.type}`, "FILE_CORRUPT");
    if (!Number.isFinite(p.score)) throw new TokenizerError(`${file}: piece ${i} has a non-finite score`, "FILE_CORRUPT");
  }
  return { pieces, trainerSpec, normalizerSpec, denormalizerSpec };
}
