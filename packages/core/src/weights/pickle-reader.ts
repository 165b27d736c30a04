/**
 * Bounds-checked reading of pickle bytes: every read that would run past the end, every bad UTF-8 string and every
 * out-of-range integer is a `WeightsError` naming the file and the opcode's byte offset (never a `RangeError`).
 */
import { WeightsError } from "../errors.js";

/** Longest GLOBAL module / name line accepted. */
const MAX_LINE = 256;

export class PickleReader {
  pos = 0;
  /** Byte offset of the opcode being decoded (for messages). */
  opPos = 0;
  private readonly dv: DataView;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(
    readonly bytes: Uint8Array,
    /** Names the file in errors, e.g. `pytorch_model.bin (archive/data.pkl)`. */
    readonly label: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(msg: string): never {
    throw new WeightsError(`${this.label}: ${msg} (pickle opcode at byte ${this.opPos})`);
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.byteLength;
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.byteLength) this.fail(`pickle data ends early (needs ${n} more bytes at byte ${this.pos} of ${this.bytes.byteLength})`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    this.pos += 2;
    return this.dv.getUint16(this.pos - 2, true);
  }

  u32(): number {
    this.need(4);
    this.pos += 4;
    return this.dv.getUint32(this.pos - 4, true);
  }

  i32(): number {
    this.need(4);
    this.pos += 4;
    return this.dv.getInt32(this.pos - 4, true);
  }

  /** An unsigned 64-bit length (must be a safe integer). */
  u64(): number {
    this.need(8);
    const v = this.dv.getUint32(this.pos, true) + this.dv.getUint32(this.pos + 4, true) * 2 ** 32;
    this.pos += 8;
    if (!Number.isSafeInteger(v)) this.fail("64-bit length out of range");
    return v;
  }

  f64be(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** LONG1's little-endian two's-complement integer of `n` bytes (≤ 8, within ±2^53). */
  long(n: number): number {
    if (n > 8) this.fail(`LONG1 of ${n} bytes is too large`);
    this.need(n);
    const b = this.bytes;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[this.pos + i]);
    if (n > 0 && b[this.pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    this.pos += n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`integer ${v} is out of range`);
    return Number(v);
  }

  str(n: number): string {
    this.need(n);
    try {
      return this.utf8.decode(this.bytes.subarray(this.pos, (this.pos += n)));
    } catch {
      return this.fail("string is not valid UTF-8");
    }
  }

  /** A GLOBAL operand: a short newline-terminated line. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 && this.bytes.byteLength - this.pos <= MAX_LINE) this.fail("pickle data ends inside a GLOBAL name");
    if (end < 0 || end - this.pos > MAX_LINE) this.fail("GLOBAL name is not a short newline-terminated line");
    const s = this.str(end - this.pos);
    this.pos++;
    return s;
  }
}
