/**
 * A small, defensive zip reader for torch.save archives, over a `ByteSource` so that big checkpoints are read one
 * entry at a time. We do not use fflate's `unzipSync` because it needs the whole archive in memory and copies
 * every entry; torch stores its entries uncompressed and 64-byte aligned, so a stored entry is a plain byte range.
 * fflate is used only to inflate the (rare) deflated entries.
 *
 * Every offset and length read from the archive is checked against the file size before use.
 */
import { inflateSync } from "fflate";
import { WeightsError } from "../errors.js";
import { getLimits, limitHint, type Limits } from "../limits.js";
import type { ByteSource } from "./source.js";

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  /** Where the next entry (or the central directory) starts: this entry's data must end by then. */
  dataLimit?: number;
}

export interface ZipArchive {
  source: ByteSource;
  entries: Map<string, ZipEntry>;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

function u64(dv: DataView, off: number, what: string): number {
  const v = dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 2 ** 32;
  if (!Number.isSafeInteger(v)) throw new WeightsError(`${what}: 64-bit value out of range`);
  return v;
}

/** Reads the central directory of a zip archive. */
export async function openZip(src: ByteSource, opts: { limits?: Partial<Limits> } = {}): Promise<ZipArchive> {
  const maxInflated = getLimits(opts.limits).maxInflatedBytes;
  const name = src.name;
  const bad = (msg: string) => new WeightsError(`${name}: corrupt zip archive: ${msg}`);
  if (src.size < 22) throw bad(`${src.size} bytes is too short for a zip archive`);
  const tailStart = Math.max(0, src.size - (22 + 0xffff));
  const tail = await src.read(tailStart, src.size);
  const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === SIG_EOCD && i + 22 + tdv.getUint16(i + 20, true) === tail.byteLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("end-of-central-directory record not found");
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  if (tdv.getUint16(eocd + 4, true) !== 0 || tdv.getUint16(eocd + 6, true) !== 0) throw bad("multi-disk archives are not supported");
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits right before the EOCD record.
    const locAbs = tailStart + eocd - 20;
    if (locAbs < 0) throw bad("ZIP64 locator missing");
    const loc = await src.read(locAbs, locAbs + 20);
    const ldv = new DataView(loc.buffer, loc.byteOffset, 20);
    if (ldv.getUint32(0, true) !== SIG_ZIP64_LOCATOR) throw bad("ZIP64 locator missing");
    const recOff = u64(ldv, 8, name);
    if (recOff + 56 > src.size) throw bad("ZIP64 end-of-central-directory record lies outside the file");
    const rec = await src.read(recOff, recOff + 56);
    const rdv = new DataView(rec.buffer, rec.byteOffset, 56);
    if (rdv.getUint32(0, true) !== SIG_ZIP64_EOCD) throw bad("ZIP64 end-of-central-directory record not found");
    count = u64(rdv, 32, name);
    cdSize = u64(rdv, 40, name);
    cdOffset = u64(rdv, 48, name);
  }
  if (cdOffset + cdSize > src.size) throw bad(`central directory [${cdOffset}, ${cdOffset + cdSize}) lies outside the file (${src.size} bytes)`);
  if (count * 46 > cdSize) throw bad(`${count} entries cannot fit in a ${cdSize}-byte central directory`);
  const cd = await src.read(cdOffset, cdOffset + cdSize);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder("utf-8");
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.byteLength || dv.getUint32(p, true) !== SIG_CENTRAL) throw bad(`central directory entry ${i} is malformed`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.byteLength) throw bad(`central directory entry ${i} runs past the directory`);
    const entryName = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: the 0xffffffff fields, in order size, compressed size, offset.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) throw bad(`entry "${entryName}": extra field runs past its end`);
      if (id === 0x0001) {
        let q = x + 4;
        const take = () => {
          if (q + 8 > x + 4 + len) throw bad(`entry "${entryName}": ZIP64 extra field too short`);
          const v = u64(dv, q, name);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      x += 4 + len;
    }
    p = end;
    if (flags & 1) throw new WeightsError(`${name}: zip entry "${entryName}" is encrypted`);
    if (method !== 0 && method !== 8) throw new WeightsError(`${name}: zip entry "${entryName}" uses compression method ${method} (only stored and deflate are supported)`);
    if (method === 0 && compressedSize !== size) throw bad(`stored entry "${entryName}" has compressed size ${compressedSize} != size ${size}`);
    // deflate cannot expand more than ~1032:1; a larger claim is a corrupt header or a zip bomb
    if (method === 8 && size > compressedSize * 1032 + 1024) throw bad(`deflated entry "${entryName}" claims ${size} bytes from ${compressedSize}`);
    if (method === 8 && size > maxInflated) {
      throw bad(`deflated entry "${entryName}" inflates to ${size} bytes, over the ${limitHint("maxInflatedBytes", maxInflated)}`);
    }
    if (localHeaderOffset + 30 + compressedSize > src.size) throw bad(`entry "${entryName}" lies outside the file`);
    if (entries.has(entryName)) throw bad(`duplicate entry "${entryName}"`);
    entries.set(entryName, { name: entryName, method, compressedSize, size, crc32, localHeaderOffset });
  }
  checkNoOverlap([...entries.values()], cdOffset, bad);
  return { source: src, entries };
}

/**
 * Entries may not share bytes: each one's local header and data must end before the next entry (and before the
 * central directory) begins. Without this, many directory entries can alias one deflated stream and a small file
 * decodes to gigabytes.
 */
function checkNoOverlap(list: ZipEntry[], cdOffset: number, bad: (msg: string) => WeightsError): void {
  const sorted = list.slice().sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    const end = e.localHeaderOffset + 30 + e.compressedSize;
    const next = i + 1 < sorted.length ? sorted[i + 1] : undefined;
    const limit = next ? next.localHeaderOffset : cdOffset;
    if (end > limit) {
      throw bad(`entry "${e.name}" overlaps ${next ? `entry "${next.name}"` : "the central directory"} (its header and data end at byte ${end}, past ${limit})`);
    }
    e.dataLimit = limit;
  }
}

/** Byte range of an entry's (compressed) data, from its local header. */
export async function dataRange(zip: ZipArchive, e: ZipEntry): Promise<[number, number]> {
  const src = zip.source;
  const h = await src.read(e.localHeaderOffset, e.localHeaderOffset + 30);
  const dv = new DataView(h.buffer, h.byteOffset, 30);
  if (dv.getUint32(0, true) !== SIG_LOCAL) throw new WeightsError(`${src.name}: corrupt zip archive: local header of "${e.name}" not found`);
  const start = e.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  const end = start + e.compressedSize;
  if (end > src.size) {
    throw new WeightsError(`${src.name}: corrupt zip archive: data of "${e.name}" [${start}, ${end}) runs past the end of the file (${src.size} bytes)`);
  }
  return [start, end];
}

/** Reads one entry, inflating it when needed. `verifyCrc` checks the CRC-32 (worth it for small entries). */
export async function readZipEntry(zip: ZipArchive, e: ZipEntry, verifyCrc = false): Promise<Uint8Array> {
  const [start, end] = await dataRange(zip, e);
  const raw = await zip.source.read(start, end);
  let out = raw;
  if (e.method === 8) {
    try {
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new WeightsError(`${zip.source.name}: zip entry "${e.name}" cannot be inflated`, "WEIGHTS_INVALID", { cause: err });
    }
    if (out.byteLength !== e.size) throw new WeightsError(`${zip.source.name}: zip entry "${e.name}" inflates to ${out.byteLength} bytes, expected ${e.size}`);
  }
  if (verifyCrc && crc32(out) !== e.crc32) throw new WeightsError(`${zip.source.name}: zip entry "${e.name}" fails its CRC-32 check`);
  return out;
}

let CRC_TABLE: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A stored (uncompressed) zip archive, for tests: entries in the order given, data aligned to 64 bytes like torch.
 * `zip64` writes the ZIP64 records (and 0xffffffff placeholders) even though the sizes do not need them.
 */
export function writeZip(files: Array<[string, Uint8Array]>, opts: { zip64?: boolean } = {}): Uint8Array {
  const z64 = opts.zip64 === true;
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = enc.encode(name);
    const base = offset + 30 + nameBytes.byteLength + 4;
    const pad = (64 - (base % 64)) % 64;
    const extraLen = 4 + pad;
    const local = new Uint8Array(30 + nameBytes.byteLength + extraLen);
    const l = new DataView(local.buffer);
    const crc = crc32(data);
    l.setUint32(0, SIG_LOCAL, true);
    l.setUint16(4, 20, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, data.byteLength, true);
    l.setUint32(22, data.byteLength, true);
    l.setUint16(26, nameBytes.byteLength, true);
    l.setUint16(28, extraLen, true);
    local.set(nameBytes, 30);
    l.setUint16(30 + nameBytes.byteLength, 0x4246, true); // "FB" padding field, as torch writes it
    l.setUint16(32 + nameBytes.byteLength, pad, true);
    const central = new Uint8Array(46 + nameBytes.byteLength + (z64 ? 12 : 0));
    const c = new DataView(central.buffer);
    c.setUint32(0, SIG_CENTRAL, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.byteLength, true);
    c.setUint32(24, data.byteLength, true);
    c.setUint16(28, nameBytes.byteLength, true);
    c.setUint32(42, z64 ? 0xffffffff : offset, true);
    central.set(nameBytes, 46);
    if (z64) {
      c.setUint16(30, 12, true);
      c.setUint16(46 + nameBytes.byteLength, 0x0001, true);
      c.setUint16(48 + nameBytes.byteLength, 8, true);
      c.setUint32(50 + nameBytes.byteLength, offset, true);
    }
    locals.push(local, data);
    centrals.push(central);
    offset += local.byteLength + data.byteLength;
  }
  const cdSize = centrals.reduce((s, c) => s + c.byteLength, 0);
  const tail: Uint8Array[] = [];
  if (z64) {
    const rec = new Uint8Array(56);
    const r = new DataView(rec.buffer);
    r.setUint32(0, SIG_ZIP64_EOCD, true);
    r.setUint32(4, 44, true); // size of the rest of the record
    r.setUint16(12, 45, true);
    r.setUint16(14, 45, true);
    r.setUint32(24, files.length, true);
    r.setUint32(32, files.length, true);
    r.setUint32(40, cdSize, true);
    r.setUint32(48, offset, true);
    const loc = new Uint8Array(20);
    const l = new DataView(loc.buffer);
    l.setUint32(0, SIG_ZIP64_LOCATOR, true);
    l.setUint32(8, offset + cdSize, true);
    l.setUint32(16, 1, true);
    tail.push(rec, loc);
  }
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, SIG_EOCD, true);
  e.setUint16(8, z64 ? 0xffff : files.length, true);
  e.setUint16(10, z64 ? 0xffff : files.length, true);
  e.setUint32(12, z64 ? 0xffffffff : cdSize, true);
  e.setUint32(16, z64 ? 0xffffffff : offset, true);
  tail.push(eocd);
  const parts = [...locals, ...centrals, ...tail];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}
