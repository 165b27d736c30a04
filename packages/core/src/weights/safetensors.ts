/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors, format described in its README).
 *
 * Layout: u64 little-endian N, then N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__"?: { string: string } }`, then the data section; offsets are relative to the data section.
 * The parser trusts nothing: the header length is bounded by the file size and by MAX_HEADER_BYTES, every entry
 * is type-checked, every byte range must lie inside the data section and match prod(shape) * itemsize, and no two
 * tensors may overlap. Every error names the file, and the tensor when one is at fault.
 */
import { WeightsError } from "../errors.js";
import {
  LITTLE_ENDIAN_HOST,
  SOURCE_ITEM_SIZE,
  decodeRaw,
  numelOf,
  shapeToString,
  type HostDType,
  type HostTensor,
  type SourceDType,
  type StateDict,
} from "./state-dict.js";
import type { ByteSource } from "./source.js";

/** The same bound the reference Rust implementation uses. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: SourceDType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** 8 + header length: where the data section starts. */
  dataStart: number;
  /** Entries sorted by their position in the file. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

export interface SafetensorsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
  /** The dtypes found in the file, safetensors spelling ("F32", "BF16", ...). */
  sourceDtypes: Set<SourceDType>;
}

export interface ParseOptions extends HeaderOptions {
  /** Target dtype of every float tensor (default f32). */
  dtype?: HostDType;
}

export interface HeaderOptions {
  /**
   * Reject what the reference (Rust) reader rejects — a header not starting with "{" (leading whitespace, BOM),
   * duplicate keys, holes between tensors, bytes after the last tensor. Default true: a file that Python's
   * `safetensors` refuses must not load differently here. With `false` these are accepted with a warning
   * (`onWarning`, default `console.warn`); type, bounds and overlap checks stay on either way.
   */
  strict?: boolean;
  onWarning?: (message: string) => void;
}

const SUPPORTED = Object.keys(SOURCE_ITEM_SIZE) as SourceDType[];

/** Reads the 8-byte header length and checks it against the file size. */
export function readHeaderLength(first8: Uint8Array, fileName: string, fileSize: number): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new WeightsError(`${fileName}: not a safetensors file: ${fileSize} bytes is too short for the 8-byte header length`);
  }
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) {
    throw new WeightsError(`${fileName}: safetensors header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes (corrupt or not a safetensors file)`);
  }
  if (8 + n > fileSize) {
    throw new WeightsError(`${fileName}: safetensors header length ${n} is larger than the file allows (${fileSize} bytes in all; truncated file?)`);
  }
  if (n < 2) throw new WeightsError(`${fileName}: safetensors header length ${n} is too small for a JSON object`);
  return n;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses and validates the JSON header. `fileSize` bounds the data section. */
export function parseHeader(headerBytes: Uint8Array, fileName: string, fileSize: number, opts: HeaderOptions = {}): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  const dataSize = fileSize - dataStart;
  const strict = opts.strict !== false;
  const lax = (msg: string) => {
    if (strict) throw new WeightsError(`${fileName}: ${msg} (the reference safetensors reader rejects this; pass strict: false to load it anyway)`);
    (opts.onWarning ?? ((m: string) => console.warn(m)))(`${fileName}: ${msg} (accepted because strict is false)`);
  };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (e) {
    throw new WeightsError(`${fileName}: safetensors header is not valid UTF-8`, "WEIGHTS_INVALID", { cause: e });
  }
  if (text.charCodeAt(0) !== 0x7b && /^[\uFEFF\s]+\{/.test(text)) {
    lax(`safetensors header must start with "{" (found ${JSON.stringify(text.slice(0, 1))}: leading whitespace or a BOM)`);
    text = text.replace(/^\uFEFF/, "");
  }
  const dup = firstDuplicateTopLevelKey(text);
  if (dup !== undefined) lax(`safetensors header has the key ${JSON.stringify(dup)} twice`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WeightsError(`${fileName}: safetensors header is not valid JSON (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
  if (!isPlainObject(json)) {
    throw new WeightsError(`${fileName}: safetensors header must be a JSON object, found ${Array.isArray(json) ? "an array" : typeof json}`);
  }
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isPlainObject(raw)) throw new WeightsError(`${fileName}: "__metadata__" must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== "string") throw new WeightsError(`${fileName}: "__metadata__"."${k}" must be a string, found ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${fileName}: tensor "${name}"`;
    if (name.length === 0) throw new WeightsError(`${fileName}: a tensor has an empty name`);
    if (!isPlainObject(raw)) throw new WeightsError(`${where}: header entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw;
    if (typeof dtype !== "string") throw new WeightsError(`${where}: "dtype" must be a string`);
    if (!(SUPPORTED as string[]).includes(dtype)) {
      throw new WeightsError(`${where}: dtype "${dtype}" is not supported (supported: ${SUPPORTED.join(", ")})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new WeightsError(`${where}: "shape" must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      throw new WeightsError(`${where}: "data_offsets" must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataSize) {
      throw new WeightsError(`${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes; truncated file?)`);
    }
    const dims = shape as number[];
    const numel = numelOf(dims);
    const itemSize = SOURCE_ITEM_SIZE[dtype as SourceDType];
    if (!Number.isSafeInteger(numel * itemSize) || end - begin !== numel * itemSize) {
      throw new WeightsError(
        `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${shapeToString(dims)} needs ${numel * itemSize}`,
      );
    }
    entries.push({ name, dtype: dtype as SourceDType, shape: dims.slice(), begin: dataStart + begin, end: dataStart + end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const p = entries[i - 1];
    const c = entries[i];
    if (c.begin < p.end) {
      throw new WeightsError(
        `${fileName}: tensors "${p.name}" and "${c.name}" overlap (data_offsets [${p.begin - dataStart}, ${p.end - dataStart}] and [${c.begin - dataStart}, ${c.end - dataStart}])`,
      );
    }
  }
  // The reference reader requires the tensors to tile the data section exactly: no holes, no trailing bytes.
  let expected = dataStart;
  for (const e of entries) {
    if (e.begin !== expected) {
      lax(`${e.begin - expected} unused bytes before tensor "${e.name}" (data_offsets start at ${e.begin - dataStart}, previous tensor ends at ${expected - dataStart})`);
      break;
    }
    expected = e.end;
  }
  const lastEnd = entries.length ? entries[entries.length - 1].end : dataStart;
  if (lastEnd !== fileSize) lax(`${fileSize - lastEnd} trailing bytes after the last tensor`);
  return { dataStart, entries, metadata };
}

/**
 * The first key that appears twice at the top level of a JSON object text, if any (JSON.parse keeps the last
 * one silently). A linear scan that tracks strings and depth only; the text is parsed for real afterwards.
 */
export function firstDuplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < text.length && (text[j] === " " || text[j] === "\t" || text[j] === "\n" || text[j] === "\r")) j++;
      if (text[j] !== ":") continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(start, i + 1)) as string;
      } catch {
        return undefined; // malformed: JSON.parse reports it
      }
      if (seen.has(key)) return key;
      seen.add(key);
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** Reads and validates the header of a safetensors source. */
export async function readSafetensorsHeader(src: ByteSource, opts: HeaderOptions = {}): Promise<SafetensorsHeader> {
  const n = readHeaderLength(await src.read(0, Math.min(8, src.size)), src.name, src.size);
  return parseHeader(await src.read(8, 8 + n), src.name, src.size, opts);
}

/** Loads every tensor of a safetensors source, one ranged read per tensor. */
export async function readSafetensors(
  src: ByteSource,
  opts: ParseOptions & { onProgress?: (loaded: number, total: number) => void } = {},
): Promise<SafetensorsFile> {
  const target = opts.dtype ?? "f32";
  const header = await readSafetensorsHeader(src, opts);
  const tensors: StateDict = new Map();
  const sourceDtypes = new Set<SourceDType>();
  opts.onProgress?.(header.dataStart, src.size);
  for (const e of header.entries) {
    const bytes = await src.read(e.begin, e.end);
    tensors.set(e.name, decodeRaw(bytes, e.dtype, e.shape, target, `${src.name}: tensor "${e.name}"`));
    sourceDtypes.add(e.dtype);
    opts.onProgress?.(e.end, src.size);
  }
  return { tensors, metadata: header.metadata, sourceDtypes };
}

/**
 * Parses a whole safetensors file held in memory. F32→f32 and F16→f16 tensors are views into `bytes` when their
 * offset is aligned (copies otherwise), so keep `bytes` unchanged while the tensors are in use.
 */
export function parseSafetensors(bytes: Uint8Array, fileName: string, opts: ParseOptions = {}): SafetensorsFile {
  const target = opts.dtype ?? "f32";
  const n = readHeaderLength(bytes.subarray(0, 8), fileName, bytes.byteLength);
  const header = parseHeader(bytes.subarray(8, 8 + n), fileName, bytes.byteLength, opts);
  const tensors: StateDict = new Map();
  const sourceDtypes = new Set<SourceDType>();
  for (const e of header.entries) {
    tensors.set(e.name, decodeRaw(bytes.subarray(e.begin, e.end), e.dtype, e.shape, target, `${fileName}: tensor "${e.name}"`));
    sourceDtypes.add(e.dtype);
  }
  return { tensors, metadata: header.metadata, sourceDtypes };
}

/**
 * A tensor to write in a given file dtype: F32 data as Float32Array, F16/BF16 as raw 16-bit patterns, U8/I8
 * (bitsandbytes tensors) as Uint8Array/Int8Array.
 */
export interface RawTensor {
  dtype: "F32" | "F16" | "BF16" | "U8" | "I8";
  shape: number[];
  data: Float32Array | Uint16Array | Uint8Array | Int8Array;
}

const WRITE_ARRAY = { F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, U8: Uint8Array, I8: Int8Array } as const;

/**
 * Serializes tensors to safetensors bytes, in the order given, the header padded with spaces to a multiple of 8
 * (as the reference writer does) so every tensor is aligned. A `HostTensor` is written as F32 or F16.
 */
export function writeSafetensors(tensors: Record<string, HostTensor | RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === "__metadata__") throw new WeightsError(`writeSafetensors: "__metadata__" is not a valid tensor name`);
    const dtype: RawTensor["dtype"] = t.dtype === "f32" ? "F32" : t.dtype === "f16" ? "F16" : t.dtype;
    const wantArray = WRITE_ARRAY[dtype];
    if (!(t.data instanceof wantArray)) {
      throw new WeightsError(`writeSafetensors: tensor "${name}": ${dtype} data must be a ${wantArray.name}`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numelOf(t.shape) !== t.data.length) {
      throw new WeightsError(`writeSafetensors: tensor "${name}": shape ${shapeToString(t.shape)} does not match ${t.data.length} values`);
    }
    const bytes = toLittleEndianBytes(t.data);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, json.byteLength % 2 ** 32, true);
  dv.setUint32(4, Math.floor(json.byteLength / 2 ** 32), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

function toLittleEndianBytes(data: RawTensor["data"]): Uint8Array {
  if (data instanceof Uint8Array || data instanceof Int8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  else data.forEach((v, i) => dv.setUint16(i * 2, v, true));
  return out;
}

