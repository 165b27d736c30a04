/**
 * Random access to one file's bytes. Backed by `ModelFiles.readRange` when the source offers it (so a multi-GB
 * checkpoint is read tensor by tensor and never held twice), otherwise by one whole-file read.
 */
import { WeightsError } from "../errors.js";
import type { ModelFiles } from "../files.js";

export interface ByteSource {
  /** The file name, for error messages. */
  readonly name: string;
  readonly size: number;
  /** Bytes [start, end). Callers bounds-check against `size` first; a short read is an error. */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Optional: fills `dest` with bytes [start, start + dest.byteLength) without allocating (chunked conversion). */
  readInto?(start: number, dest: Uint8Array): Promise<void>;
}

export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(start, end) {
      checkRange(name, bytes.byteLength, start, end);
      return bytes.subarray(start, end);
    },
  };
}

function checkRange(name: string, size: number, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end && end <= size)) {
    throw new WeightsError(`${name}: read of bytes [${start}, ${end}) is outside the file (${size} bytes)`);
  }
}

/** Opens `file` in `files` for random access; `name` (default: location/file) labels errors. */
export async function openSource(files: ModelFiles, file: string, name = joinLocation(files.location, file)): Promise<ByteSource> {
  if (files.readRange && files.size) {
    const size = await files.size(file);
    const readRange = files.readRange.bind(files);
    const readInto = files.readInto?.bind(files);
    return {
      name,
      size,
      async read(start, end) {
        checkRange(name, size, start, end);
        if (start === end) return new Uint8Array(0);
        const out = await readRange(file, start, end);
        if (out.byteLength !== end - start) {
          throw new WeightsError(`${name}: short read: asked for bytes [${start}, ${end}), got ${out.byteLength} bytes`);
        }
        return out;
      },
      readInto: readInto
        ? async (start, dest) => {
            checkRange(name, size, start, start + dest.byteLength);
            await readInto(file, start, dest);
          }
        : undefined,
    };
  }
  return bytesSource(await files.read(file), name);
}

/** `location/file` for messages. */
export function joinLocation(location: string, file: string): string {
  return location.endsWith("/") ? location + file : `${location}/${file}`;
}
