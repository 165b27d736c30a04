/**
 * Reads Keras-2 HDF5 weight files (`tf_model.h5`) the way Hugging Face's TF models save them
 * (`save_weights_to_hdf5_group`): root attribute `layer_names`, one group per layer with attribute `weight_names`,
 * one float dataset per variable, looked up by the names listed (never by walking the file).
 *
 * The HDF5 format itself is read by h5wasm (the HDF5 C library compiled to WebAssembly; see the package README for
 * why not jsfive), in a worker (`h5-worker/tf-h5-worker.mjs`, Node `worker_threads` or a browser module Worker)
 * started on first use, so users who never open a `.h5` file never load its ~4 MB, and so a corrupt file that makes
 * HDF5 loop or abort is stopped by a deadline instead of hanging the caller. h5wasm works on an in-memory file:
 * the reader holds the file (one copy in the worker) plus the tensors, which come back without a copy. Memory
 * stays bounded by the file size: every dataset must fit in the file (TF writes contiguous, uncompressed floats)
 * and the datasets read may not add up to more than the file. Every failure (HDF5 errors, aborts, timeouts)
 * becomes a `WeightsError` naming the file and the layer or dataset.
 */
import { WeightsError } from "../errors.js";
import { f32ArrayToF16 } from "../dtype.js";
import type { ByteSource } from "./source.js";
import { type HostDType, type HostTensor, type SourceDType, numelOf, shapeToString } from "./state-dict.js";


/** One TF variable as stored: its full Keras name and its tensor (TF layout, not yet transposed). */
export interface TfVariable {
  /** The name as listed in `weight_names`, e.g. `tf_deberta_v2_model/deberta/embeddings/LayerNorm/gamma:0`. */
  fullName: string;
  /** The layer group it was read from. */
  layer: string;
  tensor: HostTensor;
}

export interface TfH5Weights {
  /**
   * Variables keyed by their name without the first path component (the Keras model name, which gets `_1`, `_2`
   * suffixes when several models were built in one process; HF's `load_tf_weights_from_h5` drops it too).
   * A name listed by several layers (the MLM head group repeats the embeddings) appears once.
   */
  variables: Map<string, TfVariable>;
  /** The top-level layers, in file order (`deberta`, `cls`, `pooler`, …). */
  layerNames: string[];
  sourceDtypes: Set<SourceDType>;
}

export interface ReadTfH5Options {
  /** Target dtype of the tensors (default f32). */
  dtype?: HostDType;
  onProgress?: (loaded: number, total: number) => void;
  /** Stop the HDF5 reader after this long (default 30 s + 1 s per 10 MB). */
  timeoutMs?: number;
}

/** The HDF5 signature. It sits at offset 0, or 512, 1024, 2048 … when the file has a user block. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * h5wasm's heap is a 32-bit WebAssembly memory of at most 2 GiB, and a dataset is read into it whole. Larger
 * datasets are refused up front rather than aborting the module. (DeBERTa-v2-xxlarge's embeddings are 787 MB.)
 */
export const MAX_H5_DATASET_BYTES = 1024 ** 3;

/** Largest file we hand to h5wasm: the size of a JS typed array, which holds the in-memory file. */
export const MAX_H5_FILE_BYTES = 2 ** 32 - 1;

/** The useful line of whatever h5wasm threw: the innermost message of an HDF5 error stack, or the text. */
export function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : typeof e === "string" ? e : String(e);
  const frames = [...text.matchAll(/#\d+: [^\n]*?\(\): ([^\n]*)/g)].map((m) => m[1].trim());
  const minor = [...text.matchAll(/minor: ([^\n]*)/g)].map((m) => m[1].trim());
  if (frames.length) return `${frames[frames.length - 1]}${minor.length ? ` (${minor[minor.length - 1]})` : ""}`;
  return text.split("\n")[0].slice(0, 300);
}

/** Whether `bytes` starts like an HDF5 file (at offset 0 or at a user-block boundary). */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let off = 0; off + 8 <= bytes.byteLength; off = off === 0 ? 512 : off * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[off + i] === b)) return true;
    if (off >= 1 << 20) break;
  }
  return false;
}

/** Reads a `tf_model.h5` from a byte source. */
export async function readTfH5(src: ByteSource, opts: ReadTfH5Options = {}): Promise<TfH5Weights> {
  if (src.size > MAX_H5_FILE_BYTES) {
    throw new WeightsError(`${src.name}: ${src.size} bytes is larger than the HDF5 reader can hold (${MAX_H5_FILE_BYTES} bytes)`);
  }
  const bytes = await src.read(0, src.size);
  return parseTfH5(bytes, src.name, opts);
}

/** What the worker (h5-worker/tf-h5-worker.mjs) sends back for one dataset; validated here. */
interface WorkerVariable {
  key: string;
  fullName: string;
  layer: string;
  shape: number[];
  type: number;
  size: number;
  littleEndian: boolean;
  data: unknown;
}

/**
 * Reads a `tf_model.h5` held in memory. `name` labels errors. The HDF5 work runs in a worker (HDF5 may loop forever
 * on a corrupt file); one that does not answer within `timeoutMs` is stopped and the file reported as corrupt.
 */
export async function parseTfH5(bytes: Uint8Array, name: string, opts: ReadTfH5Options = {}): Promise<TfH5Weights> {
  if (!hasHdf5Signature(bytes)) {
    throw new WeightsError(`${name}: not an HDF5 file (no HDF5 signature; ${bytes.byteLength} bytes)`);
  }
  const timeoutMs = opts.timeoutMs ?? 30_000 + bytes.byteLength / 10_000;
  const reply = await runInWorker(bytes, name, timeoutMs);
  const variables = new Map<string, TfVariable>();
  const sourceDtypes = new Set<SourceDType>();
  let total = 0;
  for (const v of reply.variables) {
    const where = `dataset "/${v.layer}/${v.fullName}"`;
    const dtype = floatDtype(v);
    if (!dtype) {
      throw new WeightsError(`${name}: ${where} is not a little-endian float32/float64 dataset (HDF5 type class ${v.type}, ${v.size} bytes)`);
    }
    const numel = numelOf(v.shape);
    const nbytes = numel * v.size;
    if (nbytes > MAX_H5_DATASET_BYTES) {
      throw new WeightsError(`${name}: ${where} has ${nbytes} bytes, more than the HDF5 reader's limit of ${MAX_H5_DATASET_BYTES} per dataset`);
    }
    total += nbytes;
    const data = toFloat32(v.data, numel);
    if (!data || total > bytes.byteLength) {
      throw new WeightsError(`${name}: ${where}: read ${describeValue(v.data)} where ${numel} floats of ${shapeToString(v.shape)} were expected`);
    }
    sourceDtypes.add(dtype);
    const tensor: HostTensor = opts.dtype === "f16" ? { dtype: "f16", shape: v.shape, data: f32ArrayToF16(data) } : { dtype: "f32", shape: v.shape, data };
    variables.set(v.key, { fullName: v.fullName, layer: v.layer, tensor });
    opts.onProgress?.(total, bytes.byteLength);
  }
  return { variables, layerNames: reply.layerNames, sourceDtypes };
}

/** The few calls we make on a Node `worker_threads` Worker or a browser Worker. */
interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

interface WorkerReply {
  id: number;
  ok: boolean;
  message?: string;
  layerNames: string[];
  variables: WorkerVariable[];
}

interface IdleWorker {
  worker: WorkerLike;
  /** Routes the next reply or failure to the pending request. */
  settle: { current?: (r: { reply?: WorkerReply; error?: string }) => void };
}

let idle: IdleWorker | undefined;
let queue: Promise<unknown> = Promise.resolve();
let requestId = 0;

const WORKER_URL = "../../h5-worker/tf-h5-worker.mjs";

/** Starts the worker: Node's `worker_threads` (imported by a non-literal specifier) or a browser module Worker. */
async function startWorker(): Promise<IdleWorker> {
  const settle: IdleWorker["settle"] = {};
  const deliver = (r: { reply?: WorkerReply; error?: string }) => {
    const f = settle.current;
    settle.current = undefined;
    f?.(r);
  };
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node === "string") {
    const spec = "node:worker_threads";
    const { Worker } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as typeof import("node:worker_threads");
    const worker = new Worker(new URL(WORKER_URL, import.meta.url));
    worker.on("message", (reply: WorkerReply) => deliver({ reply }));
    worker.on("error", (e: Error) => deliver({ error: describe(e) }));
    worker.on("exit", (code: number) => deliver({ error: `the reader exited (code ${code})` }));
    // After the listeners (adding a "message" listener refs the port again): an idle reader never keeps the
    // process alive; a pending read is kept alive by its timer.
    worker.unref();
    return { worker, settle };
  }
  if (typeof Worker === "function") {
    // Written out in full so that bundlers (Vite, webpack 5, esbuild with a plugin) emit the worker file.
    const worker = new Worker(new URL("../../h5-worker/tf-h5-worker.mjs", import.meta.url), { type: "module" });
    worker.onmessage = (ev: MessageEvent<WorkerReply>) => deliver({ reply: ev.data });
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      deliver({ error: ev.message || "the reader failed to start" });
    };
    return { worker, settle };
  }
  throw new WeightsError("reading tf_model.h5 needs Web Workers (or Node's worker_threads), which this environment lacks", "WEIGHTS_INVALID");
}

/** One request at a time on the shared worker; a worker that failed or timed out is replaced. */
function runInWorker(bytes: Uint8Array, name: string, timeoutMs: number): Promise<WorkerReply> {
  const run = queue.then(() => request(bytes, name, timeoutMs));
  queue = run.catch(() => undefined);
  return run;
}

async function request(bytes: Uint8Array, name: string, timeoutMs: number): Promise<WorkerReply> {
  let w: IdleWorker;
  try {
    w = idle ?? (await startWorker());
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`${name}: could not start the HDF5 reader: ${describe(e)}`, "WEIGHTS_INVALID", { cause: e });
  }
  idle = undefined;
  const id = ++requestId;
  const result = await new Promise<{ reply?: WorkerReply; error?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ error: `the HDF5 reader did not finish within ${Math.round(timeoutMs / 1000)} s (a corrupt file can make HDF5 loop)` }), timeoutMs);
    w.settle.current = (r) => {
      clearTimeout(timer);
      resolve(r);
    };
    // A copy goes to the worker (structured clone); the caller's bytes stay untouched.
    w.worker.postMessage({ id, bytes, name });
  });
  if (result.reply && result.reply.id === id && result.reply.ok) {
    idle = w; // a clean read: keep the worker for the next file
    return result.reply;
  }
  // After any failure the worker is replaced: HDF5's state after an error on a corrupt file is not to be trusted.
  if (result.reply && result.reply.id === id) {
    void w.worker.terminate();
    throw new WeightsError(result.reply.message ?? `${name}: HDF5 reader failed`);
  }
  w.settle.current = undefined;
  void w.worker.terminate();
  throw new WeightsError(`${name}: not a readable HDF5 file: ${result.error ?? "unexpected reply from the reader"}`);
}

/** HDF5 float class (1) in little-endian float32/float64; other types are not TF weights. */
function floatDtype(meta: { type: number; size: number; littleEndian: boolean }): SourceDType | undefined {
  if (meta.type !== 1 || !meta.littleEndian) return undefined;
  if (meta.size === 4) return "F32";
  if (meta.size === 8) return "F64";
  return undefined;
}

function toFloat32(value: unknown, numel: number): Float32Array | undefined {
  if (value instanceof Float32Array && value.length === numel) return value;
  if (value instanceof Float64Array && value.length === numel) return Float32Array.from(value);
  // A scalar dataset reads as a plain number.
  if (typeof value === "number" && numel === 1) return Float32Array.of(value);
  return undefined;
}

function describeValue(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  return v === null ? "nothing" : typeof v;
}
