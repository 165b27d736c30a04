/**
 * The tensors of one weight file as records that can each be read on their own, in file order, without reading
 * the others: what the streaming loader (`stream.ts`) walks. Headers are parsed and validated up front (the
 * safetensors JSON header; the torch zip directory and restricted pickle), so a bad file fails before any tensor
 * data is read; tensor bytes are read only when `read` is called.
 */
import { WeightsError } from "../errors.js";
import { readSafetensorsHeader } from "./safetensors.js";
import type { ByteSource } from "./source.js";
import { SOURCE_ITEM_SIZE, decodeRaw, numelOf, shapeToString, type HostDType, type HostTensor, type SourceDType } from "./state-dict.js";
import { readTensorAs } from "./tensor-read.js";
import { openTorchCheckpoint, tensorBytes, type TensorRef } from "./torch-pickle.js";
import { dataRange, readZipEntry, type ZipEntry } from "./zip.js";

export interface TensorRecord {
  /** Checkpoint key. */
  name: string;
  /** The file that holds it (relative to the model folder). */
  file: string;
  dtype: SourceDType;
  shape: number[];
  /** Bytes of the file read so far once this record is read (for progress). */
  fileOffsetAfter: number;
  /** Reads the tensor into a fresh array of `target` (integer dtypes stay f32 buffers). */
  read(target: HostDType): Promise<HostTensor>;
  /**
   * Reads the stored bytes of flattened elements `[start, start + dest.byteLength / itemSize)` into `dest` (safetensors:
   * a plain byte range), so a big tensor can be consumed in blocks through one reused buffer (e.g. quantized a block
   * of rows at a time). Absent where the format has no cheap ranges.
   */
  readRangeInto?(start: number, dest: Uint8Array): Promise<void>;
  /** The stored bytes as they are (safetensors), e.g. int8 codes without a float32 detour. */
  readBytes?(): Promise<Uint8Array>;
}

export interface FileRecords {
  records: TensorRecord[];
  metadata?: Record<string, string>;
}

/** Records of a safetensors file, in data order. */
export async function safetensorsRecords(src: ByteSource, file: string): Promise<FileRecords> {
  const header = await readSafetensorsHeader(src);
  const records = header.entries.map(
    (e): TensorRecord => ({
      name: e.name,
      file,
      dtype: e.dtype,
      shape: e.shape,
      fileOffsetAfter: e.end,
      read: (target) => readTensorAs(src, e.begin, e.dtype, e.shape, target, `${src.name}: tensor "${e.name}"`),
      readRangeInto: async (start, dest) => {
        const item = SOURCE_ITEM_SIZE[e.dtype];
        const from = e.begin + start * item;
        if (!(Number.isSafeInteger(start) && start >= 0 && dest.byteLength % item === 0 && from + dest.byteLength <= e.end)) {
          throw new WeightsError(`${src.name}: tensor "${e.name}": ${dest.byteLength} bytes from element ${start} are outside the tensor`);
        }
        if (src.readInto) await src.readInto(from, dest);
        else dest.set(await src.read(from, from + dest.byteLength));
      },
      readBytes: () => src.read(e.begin, e.end),
    }),
  );
  return { records, metadata: header.metadata };
}

/**
 * Records of a `pytorch_model.bin`, in archive order of their storages. A contiguous view of a stored (not
 * deflated) storage entry is a plain byte range of the file and is read like a safetensors tensor; strided views
 * and deflated entries read their storage entry whole (rare: torch writes stored entries, HF contiguous tensors).
 */
export async function torchRecords(src: ByteSource, file: string): Promise<FileRecords> {
  const { zip, prefix, entries } = await openTorchCheckpoint(src);
  const withEntry = entries.map(([name, t]) => {
    const entryName = `${prefix}data/${t.storage.key}`;
    const entry = zip.entries.get(entryName);
    if (!entry) throw new WeightsError(`${src.name}: storage entry "${entryName}" (used by tensor "${name}") is missing from the zip`);
    const need = t.storage.numel * SOURCE_ITEM_SIZE[t.storage.dtype];
    if (entry.size < need) {
      throw new WeightsError(
        `${src.name}: storage "${entry.name}" holds ${entry.size} bytes, but ${t.storage.numel} ${t.storage.dtype} elements need ${need}`,
      );
    }
    return { name, t, entry };
  });
  withEntry.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  const records = withEntry.map(
    ({ name, t, entry }): TensorRecord => ({
      name,
      file,
      dtype: t.storage.dtype,
      shape: t.shape,
      fileOffsetAfter: entry.localHeaderOffset + entry.compressedSize,
      read: (target) => readTorchTensor(src, zip, entry, t, target, `${src.name}: tensor "${name}"`),
    }),
  );
  return { records };
}

async function readTorchTensor(
  src: ByteSource,
  zip: Parameters<typeof readZipEntry>[0],
  entry: ZipEntry,
  t: TensorRef,
  target: HostDType,
  what: string,
): Promise<HostTensor> {
  const itemSize = SOURCE_ITEM_SIZE[t.storage.dtype];
  const span = contiguousSpan(t, what);
  if (entry.method === 0 && span !== undefined) {
    const [start] = await dataRange(zip, entry);
    return readTensorAs(src, start + span * itemSize, t.storage.dtype, t.shape, target, what);
  }
  const storage = await readZipEntry(zip, entry);
  return decodeRaw(tensorBytes(storage, t, itemSize, what), t.storage.dtype, t.shape, target, what);
}

/**
 * The first element of `t` in its storage when the view is contiguous (row-major; size-1 dims may carry any
 * stride), undefined when it is strided. Throws when the view reaches past the storage.
 */
function contiguousSpan(t: TensorRef, what: string): number | undefined {
  const numel = numelOf(t.shape);
  let maxIndex = t.offset;
  for (let d = 0; d < t.shape.length; d++) maxIndex += Math.max(0, t.shape[d] - 1) * t.stride[d];
  if (numel > 0 && (!Number.isSafeInteger(maxIndex) || maxIndex >= t.storage.numel || t.offset < 0)) {
    throw new WeightsError(
      `${what}: size ${shapeToString(t.shape)}, stride ${shapeToString(t.stride)} at offset ${t.offset} reach element ${maxIndex}, past the storage's ${t.storage.numel} elements`,
    );
  }
  let expect = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) return undefined;
    expect *= t.shape[d];
  }
  return t.offset;
}
