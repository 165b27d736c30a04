/**
 * A minimal, defensive protobuf wire-format reader: just enough to read SentencePiece's `ModelProto` without a
 * protobuf dependency. Every read is bounds-checked; a truncated or malformed message throws a `ProtobufError`
 * (turned into a `TokenizerError` naming the file by the caller).
 */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtobufError";
  }
}

export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

// Little-endian float32 decoding through a shared scratch buffer (all supported platforms are little-endian;
// checked at load time below).
const F32 = new Float32Array(1);
const F32_BYTES = new Uint8Array(F32.buffer);
F32[0] = 1;
if (F32_BYTES[3] !== 0x3f) throw new Error("protobuf reader: big-endian platforms are not supported");

export function tagField(tag: number): number {
  return Math.floor(tag / 8);
}
export function tagWire(tag: number): number {
  return tag % 8;
}

export class ProtobufReader {
  pos: number;
  end: number;
  /** Bounds of the last field read by `skipToField` (no allocation). */
  fieldStart = 0;
  fieldEnd = 0;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads an unsigned varint of up to 64 bits as a JS number (exact up to 2^53). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError(`truncated varint at byte ${this.pos}`);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** An int32 field: negative values are sign-extended to 64 bits on the wire. */
  int32(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v > 0x7fffffff ? v - 2 ** 32 : v;
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new ProtobufError(`truncated float at byte ${this.pos}`);
    const b = this.bytes;
    const p = this.pos;
    F32_BYTES[0] = b[p]!;
    F32_BYTES[1] = b[p + 1]!;
    F32_BYTES[2] = b[p + 2]!;
    F32_BYTES[3] = b[p + 3]!;
    this.pos += 4;
    return F32[0]!;
  }

  /** Re-targets the reader at bytes[start..end) (reuse without allocation). */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  /** Reads a length-delimited field's bounds into fieldStart / fieldEnd without allocating. */
  lengthDelimited(): void {
    const len = this.varint();
    if (len > this.end - this.pos) {
      throw new ProtobufError(`length-delimited field of ${len} bytes at byte ${this.pos} runs past the end (${this.end})`);
    }
    this.fieldStart = this.pos;
    this.fieldEnd = this.pos + len;
    this.pos += len;
  }

  bytesField(): Uint8Array {
    const len = this.varint();
    if (len > this.end - this.pos) {
      throw new ProtobufError(`length-delimited field of ${len} bytes at byte ${this.pos} runs past the end (${this.end})`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Reads a tag; returns `field * 8 + wireType` (use `tagField` / `tagWire`). */
  tag(): number {
    const t = this.varint();
    if (t < 8) throw new ProtobufError(`invalid field number 0 at byte ${this.pos}`);
    return t;
  }

  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.LengthDelimited:
        this.bytesField();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError(`truncated field at byte ${this.pos}`);
    this.pos += n;
  }
}
