/**
 * PyTorch `pytorch_model.bin` (torch.save's zip format, torch >= 1.6) reader with a RESTRICTED unpickler.
 *
 * Why a hand-written unpickler instead of the `pickleparser` npm package (evaluated at 0.2.1):
 * - its `nameResolver` option can be made to throw on unknown globals, but nothing restricts the OPCODES: it
 *   implements all of protocol 0-5, including INST/OBJ/NEWOBJ/NEWOBJ_EX (`Reflect.construct` on whatever the
 *   stack holds), EXT1-4, PERSID and out-of-band buffers;
 * - REDUCE calls `func(...args)` on any stack value and BUILD does `Object.assign(obj, state)` / calls an
 *   `obj.__setstate__` found on unpickled data, and dicts default to plain objects, so crafted keys such as
 *   `__proto__` or `__setstate__` reach JS semantics (prototype pollution, calling data as code);
 * - truncated input surfaces as a raw `RangeError` from DataView, and it writes to `console.warn`.
 * A torch state dict needs ~35 opcodes and ~20 globals; `unpickler.ts` accepts exactly those. Globals are resolved
 * to inert markers (never to functions), an unknown global is refused at the GLOBAL/STACK_GLOBAL opcode itself,
 * before any later opcode is read, and REDUCE only dispatches on our own markers to pure builders that produce
 * plain descriptions (`TensorRef`). Nothing from the file is ever called, constructed or assigned onto a JS
 * object: dicts are `Map`s.
 */
import { WeightsError } from "../errors.js";
import {
  SOURCE_ITEM_SIZE,
  decodeRaw,
  numelOf,
  shapeToString,
  type HostDType,
  type SourceDType,
  type StateDict,
} from "./state-dict.js";
import { bytesSource, type ByteSource } from "./source.js";
import { getLimits, limitHint, type Limits } from "../limits.js";
import { openZip, readZipEntry, type ZipArchive } from "./zip.js";
import { TensorRef } from "./pickle-values.js";
import { unpickleStateDict } from "./unpickler.js";

export { StorageRef, TensorRef } from "./pickle-values.js";
export { unpickleStateDict, type UnpickledStateDict } from "./unpickler.js";

// ---------------------------------------------------------------------------------------------------------------
// The zip container.

export interface TorchCheckpoint {
  tensors: StateDict;
  sourceDtypes: Set<SourceDType>;
}

const PK = [0x50, 0x4b, 0x03, 0x04];

/** A torch.save zip checkpoint with its pickle read: tensor name → view of a storage, and the archive. */
export interface OpenTorchCheckpoint {
  zip: ZipArchive;
  /** The archive's folder prefix, e.g. "archive/". */
  prefix: string;
  /** Tensor name → storage view, in pickle order. */
  entries: Array<[string, TensorRef]>;
}

/**
 * Checks the zip signature and byte order and unpickles `data.pkl`; reads no tensor data. The views are checked
 * against the storages' sizes here (`checkViewBudget`), so every reader of the entries gets bounded output.
 */
export async function openTorchCheckpoint(src: ByteSource, opts: { limits?: Partial<Limits> } = {}): Promise<OpenTorchCheckpoint> {
  const name = src.name;
  const limits = getLimits(opts.limits);
  const head = await src.read(0, Math.min(src.size, 4));
  if (head.length < 4 || !PK.every((b, i) => head[i] === b)) {
    if (head[0] === 0x80) {
      throw new WeightsError(
        `${name}: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a recent torch or convert it to safetensors`,
      );
    }
    throw new WeightsError(`${name}: not a torch.save zip archive (no zip signature)`);
  }
  const zip = await openZip(src, { limits: opts.limits });
  const pklNames = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pklNames.length !== 1) {
    throw new WeightsError(`${name}: expected exactly one "<archive>/data.pkl" in the zip, found ${pklNames.length ? pklNames.join(", ") : "none"}`);
  }
  const prefix = pklNames[0].slice(0, -"data.pkl".length);
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const bo = new TextDecoder().decode(await readZipEntry(zip, byteorder)).trim();
    if (bo !== "little") throw new WeightsError(`${name}: byteorder "${bo}" is not supported (only little-endian checkpoints)`);
  }
  const pkl = await readZipEntry(zip, zip.entries.get(pklNames[0])!, true);
  const { entries } = unpickleStateDict(pkl, name, `${name} (${pklNames[0]})`);
  checkViewBudget(entries, name, limits.maxViewAmplification);
  return { zip, prefix, entries };
}

/** Reads a torch.save zip checkpoint holding a state dict. */
export async function readTorchCheckpoint(
  src: ByteSource,
  opts: { dtype?: HostDType; onProgress?: (loaded: number, total: number) => void; limits?: Partial<Limits> } = {},
): Promise<TorchCheckpoint> {
  const target = opts.dtype ?? "f32";
  const name = src.name;
  const { zip, prefix, entries } = await openTorchCheckpoint(src, opts);

  // Read each storage once, in archive order, then cut the tensors out of it.
  const byStorage = new Map<string, Array<[string, TensorRef]>>();
  for (const [k, t] of entries) {
    const list = byStorage.get(t.storage.key) ?? [];
    list.push([k, t]);
    byStorage.set(t.storage.key, list);
  }
  const keys = [...byStorage.keys()].map((key) => {
    const entryName = `${prefix}data/${key}`;
    const e = zip.entries.get(entryName);
    if (!e) {
      const users = byStorage.get(key)!.map(([k]) => `"${k}"`).join(", ");
      throw new WeightsError(`${name}: storage entry "${entryName}" (used by tensor ${users}) is missing from the zip`);
    }
    return { key, entry: e };
  });
  keys.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  const decoded = new Map<string, ReturnType<typeof decodeRaw>>();
  const sourceDtypes = new Set<SourceDType>();
  opts.onProgress?.(0, src.size);
  for (const { key, entry } of keys) {
    const refs = byStorage.get(key)!;
    const storage = refs[0][1].storage;
    const itemSize = SOURCE_ITEM_SIZE[storage.dtype];
    const bytes = await readZipEntry(zip, entry);
    if (bytes.byteLength < storage.numel * itemSize) {
      throw new WeightsError(
        `${name}: storage "${entry.name}" holds ${bytes.byteLength} bytes, but ${storage.numel} ${storage.dtype} elements need ${storage.numel * itemSize}`,
      );
    }
    for (const [k, t] of refs) {
      const what = `${name}: tensor "${k}"`;
      decoded.set(k, decodeRaw(tensorBytes(bytes, t, itemSize, what), storage.dtype, t.shape, target, what));
      sourceDtypes.add(storage.dtype);
    }
    opts.onProgress?.(entry.localHeaderOffset + entry.compressedSize, src.size);
  }
  const tensors: StateDict = new Map();
  for (const [k] of entries) tensors.set(k, decoded.get(k)!);
  opts.onProgress?.(src.size, src.size);
  return { tensors, sourceDtypes };
}

/**
 * Decoded bytes must be justified by the file: a view may not have more elements than its storage (only stride-0
 * or self-overlapping views do, and no model state dict has them), and all views together may decode at most
 * `maxAmplification` times the bytes of the storages they view (tied weights share a storage: 2-3 views).
 * Checked on the pickle alone, before any storage is read or any output allocated.
 */
function checkViewBudget(entries: Array<[string, TensorRef]>, name: string, maxAmplification: number): void {
  const storageBytes = new Map<string, number>();
  let viewBytes = 0;
  for (const [k, t] of entries) {
    const itemSize = SOURCE_ITEM_SIZE[t.storage.dtype];
    const numel = numelOf(t.shape);
    if (!Number.isSafeInteger(numel) || numel > t.storage.numel) {
      throw new WeightsError(
        `${name}: tensor "${k}": size ${shapeToString(t.shape)} (stride ${shapeToString(t.stride)}) has ${numel} elements, more than its storage "${t.storage.key}" holds (${t.storage.numel}); aliasing (stride-0) views are refused`,
      );
    }
    storageBytes.set(t.storage.key, t.storage.numel * itemSize);
    viewBytes += numel * itemSize;
  }
  let total = 0;
  for (const b of storageBytes.values()) total += b;
  if (viewBytes > maxAmplification * total + 4096) {
    throw new WeightsError(
      `${name}: the state dict's tensors view ${viewBytes} bytes of ${total} bytes of storage, more than ${maxAmplification}× (many tensors aliasing one storage); ${limitHint("maxViewAmplification", maxAmplification)}`,
    );
  }
}

/** The bytes of a (possibly strided) tensor view of a storage, contiguous. */
export function tensorBytes(storage: Uint8Array, t: TensorRef, itemSize: number, what: string): Uint8Array {
  const numel = numelOf(t.shape);
  const storageNumel = t.storage.numel;
  if (numel === 0) return new Uint8Array(0);
  let maxIndex = t.offset;
  for (let d = 0; d < t.shape.length; d++) maxIndex += (t.shape[d] - 1) * t.stride[d];
  if (!Number.isSafeInteger(maxIndex) || maxIndex >= storageNumel) {
    throw new WeightsError(
      `${what}: size ${shapeToString(t.shape)}, stride ${shapeToString(t.stride)} at offset ${t.offset} reach element ${maxIndex}, past the storage's ${storageNumel} elements`,
    );
  }
  // Contiguous (row-major) strides; dimensions of size 1 may carry any stride.
  let expect = 1;
  let contiguous = true;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) return storage.subarray(t.offset * itemSize, (t.offset + numel) * itemSize);
  // Gather a strided view element by element.
  const out = new Uint8Array(numel * itemSize);
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let i = 0; i < numel; i++) {
    out.set(storage.subarray(src * itemSize, (src + 1) * itemSize), i * itemSize);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Parses a whole `pytorch_model.bin` held in memory. */
export async function parseTorchCheckpoint(bytes: Uint8Array, fileName: string, opts: { dtype?: HostDType } = {}): Promise<TorchCheckpoint> {
  return readTorchCheckpoint(bytesSource(bytes, fileName), opts);
}
