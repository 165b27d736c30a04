/**
 * Reads one tensor's bytes from a `ByteSource` straight into an array of its final dtype.
 *
 * Why chunks: converting a fp32 file to fp16 compute must never hold a tensor's fp32 bytes (the word embeddings
 * of deberta-v3-large are 525 MB of fp32). Same-dtype tensors are read in one ranged read into a fresh buffer that
 * becomes the tensor's storage (no copy); converted tensors are read `chunkBytes` at a time into two reused scratch
 * buffers (one being read while the other is converted) and written into the destination array, so the extra memory
 * is two chunks, not one tensor.
 */
import { f16ToF32Into, f32ToF16Into } from "../dtype.js";
import { LITTLE_ENDIAN_HOST, SOURCE_ITEM_SIZE, decodeRaw, numelOf, type HostDType, type HostTensor, type SourceDType } from "./state-dict.js";
import type { ByteSource } from "./source.js";

/** Default chunk of a converting read: big enough for disk speed, small next to any tensor worth streaming. */
export const DEFAULT_CHUNK_BYTES = 4 << 20;

/** Conversions done chunk by chunk; everything else is read whole (integers, F64: small buffers only). */
const CHUNKED: ReadonlySet<string> = new Set(["F32>f16", "F16>f32", "BF16>f32", "BF16>f16"]);

/**
 * The tensor stored contiguously at `[begin, begin + numel * itemSize)` of `src`, as a `HostTensor` of `target`
 * (integer source dtypes stay f32 buffers, see `decodeRaw`). `what` names the file and tensor for errors.
 */
export async function readTensorAs(
  src: ByteSource,
  begin: number,
  dtype: SourceDType,
  shape: number[],
  target: HostDType,
  what: string,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): Promise<HostTensor> {
  const itemSize = SOURCE_ITEM_SIZE[dtype];
  const n = numelOf(shape);
  const end = begin + n * itemSize;
  if (!LITTLE_ENDIAN_HOST || !CHUNKED.has(`${dtype}>${target}`)) {
    return decodeRaw(await src.read(begin, end), dtype, shape, target, what);
  }
  const perChunk = Math.max(1, Math.floor(chunkBytes / itemSize));
  const chunkLen = Math.min(n, perChunk) * itemSize;
  // Two scratch buffers: the next chunk is read (file system thread) while this one is converted (this thread).
  const scratch = [takeScratch(chunkLen), takeScratch(chunkLen)];
  const readChunk = (i: number) => readInto(src, begin + i * itemSize, scratch[(i / perChunk) & 1].subarray(0, Math.min(perChunk, n - i) * itemSize));
  let pending: Promise<Uint8Array> | undefined;
  try {
    const out = target === "f32" ? new Float32Array(n) : new Uint16Array(n);
    pending = n > 0 ? readChunk(0) : undefined;
    for (let i = 0; i < n; i += perChunk) {
      const bytes = await pending!;
      pending = i + perChunk < n ? readChunk(i + perChunk) : undefined;
      convertChunk(bytes, dtype, out, i, Math.min(perChunk, n - i));
    }
    return { dtype: target, shape, data: out };
  } finally {
    // a read still in flight (an error above) must finish before its buffer is handed out again
    if (pending) await pending.catch(() => {});
    scratch.forEach(giveScratch);
  }
}

/**
 * Scratch buffers reused by every converting read (a load converts hundreds of tensors: without reuse each leaves
 * chunks of garbage behind until the next GC, which shows in the peak RSS). A read that finds none free
 * (concurrent loads) allocates its own.
 */
const spares: Uint8Array[] = [];

function takeScratch(bytes: number): Uint8Array {
  const s = spares.pop();
  if (s && s.byteLength >= bytes) return s;
  if (s) spares.push(s);
  return new Uint8Array(Math.max(bytes, DEFAULT_CHUNK_BYTES));
}

function giveScratch(s: Uint8Array): void {
  if (s.byteLength === DEFAULT_CHUNK_BYTES && spares.length < 2) spares.push(s);
}

/** Fills `dest` from `src` at `start`, through `readInto` when the source has it (no allocation per chunk). */
async function readInto(src: ByteSource, start: number, dest: Uint8Array): Promise<Uint8Array> {
  if (src.readInto) {
    await src.readInto(start, dest);
    return dest;
  }
  const bytes = await src.read(start, start + dest.byteLength);
  dest.set(bytes);
  return dest;
}

/** Converts `m` source elements (little-endian bytes, offset 0 of an aligned buffer) into `out[i .. i+m)`. */
function convertChunk(bytes: Uint8Array, dtype: SourceDType, out: Float32Array | Uint16Array, i: number, m: number): void {
  if (dtype === "F32") {
    f32ToF16Into(new Float32Array(bytes.buffer, bytes.byteOffset, m), (out as Uint16Array).subarray(i, i + m), m);
    return;
  }
  const h = new Uint16Array(bytes.buffer, bytes.byteOffset, m);
  if (dtype === "F16") {
    f16ToF32Into(h, (out as Float32Array).subarray(i, i + m), m);
    return;
  }
  // BF16: the high half of a float32.
  if (out instanceof Float32Array) {
    const o32 = new Uint32Array(out.buffer, out.byteOffset + i * 4, m);
    for (let k = 0; k < m; k++) o32[k] = h[k] << 16;
    return;
  }
  const f = new Float32Array(m);
  const f32 = new Uint32Array(f.buffer);
  for (let k = 0; k < m; k++) f32[k] = h[k] << 16;
  f32ToF16Into(f, out.subarray(i, i + m), m);
}
