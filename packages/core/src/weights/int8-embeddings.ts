/**
 * deberta-js's own checkpoint format for int8 word embeddings (`quantize_embeddings`). Neither HF transformers nor
 * bitsandbytes quantizes `nn.Embedding`, so there is no standard to follow; this is the smallest form that holds
 * exactly what the model keeps in memory:
 *
 *  - `<m>.int8_weight` I8 `[V, D]`: the codes, row-major (LLM.int8's `CB` for the table);
 *  - `<m>.int8_scb`    F32 `[V]`: each row's scale (LLM.int8's `SCB`: the row absmax of the f16-rounded table);
 *    the value is `f32(f32(code · scb[row]) · 1/127)` (bnb's `int8_vectorwise_dequant`);
 *  - `config.json`: `quantization_config.deberta_js = {"quantized_embeddings": "int8-row"}`.
 *
 * `<m>` is the embedding module (`embeddings.word_embeddings`, `deberta.` prefixed in head checkpoints). The names
 * cannot collide with HF's `<m>.weight`, so HF Python does not read the table (it reports `<m>.weight` missing):
 * a folder holding them is for deberta-js. As with bitsandbytes modules, the loader decides from the tensors present;
 * the config marker must agree (an unknown marker is refused).
 */
import type { DebertaV2Config } from "../config.js";
import { DebertaError, WeightsError } from "../errors.js";
import type { QuantizedHostWeight } from "../quant/quantized-weight.js";
import type { RawTensor } from "./safetensors.js";
import { type HostTensor, type StateDict, hostTensorToF32, numelOf, shapeToString } from "./state-dict.js";

export const INT8_WEIGHT = ".int8_weight";
export const INT8_SCALE = ".int8_scb";
/** The only `quantized_embeddings` layout written and read. */
export const EMBEDDINGS_MARKER = "int8-row";

const PART = /^(.*)\.(int8_weight|int8_scb)$/;

/** `<m>` when `name` is one of the two tensors of an int8 table, else undefined. */
export function int8TableModule(name: string): string | undefined {
  return PART.exec(name)?.[1];
}

/** The two tensors that save table `m` (module name, without `.weight`). */
export function int8TableTensors(m: string, w: QuantizedHostWeight): Record<string, RawTensor> {
  if (w.layout !== "int8") throw new DebertaError("UNSUPPORTED", `saving "${m}": an embedding table must be int8 row-wise`);
  return {
    [`${m}${INT8_WEIGHT}`]: { dtype: "I8", shape: [w.outFeatures, w.inFeatures], data: new Int8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength) },
    [`${m}${INT8_SCALE}`]: { dtype: "F32", shape: [w.outFeatures], data: Float32Array.from(w.scales) },
  };
}

/** `config.json`'s marker: the `quantized_embeddings` layout it names, or undefined when there is none. */
export function embeddingsMarker(config: DebertaV2Config, where = "config.json"): string | undefined {
  const qc = config.raw.quantization_config as { deberta_js?: { quantized_embeddings?: unknown } } | undefined;
  const v = qc?.deberta_js?.quantized_embeddings;
  if (v === undefined) return undefined;
  if (v !== EMBEDDINGS_MARKER) {
    throw new DebertaError("UNSUPPORTED", `${where}: quantization_config.deberta_js.quantized_embeddings is ${JSON.stringify(v)}; only "${EMBEDDINGS_MARKER}" is supported`);
  }
  return v;
}

/** One table's two tensors as read: codes as bytes (I8 reinterpreted), scales as float32. */
export interface Int8TableParts {
  codes?: { shape: number[]; bytes: Uint8Array };
  scales?: { shape: number[]; data: Float32Array };
}

/** Checks a table's parts against each other and builds the host weight. `where` names the file. */
export function assembleInt8Table(m: string, parts: Int8TableParts, where: string): QuantizedHostWeight {
  const wName = `${m}${INT8_WEIGHT}`;
  const sName = `${m}${INT8_SCALE}`;
  if (!parts.codes) throw new WeightsError(`${where}: int8 embedding table "${m}" has "${sName}" but lacks tensor "${wName}"`, "WEIGHTS_MISSING");
  if (!parts.scales) throw new WeightsError(`${where}: int8 embedding table "${m}" has "${wName}" but lacks tensor "${sName}"`, "WEIGHTS_MISSING");
  const { shape } = parts.codes;
  if (shape.length !== 2 || !(shape[0] > 0 && shape[1] > 0)) throw new WeightsError(`${where}: tensor "${wName}" must be 2-D [vocab, dim], found ${shapeToString(shape)}`);
  const [V, D] = shape;
  if (parts.scales.shape.length !== 1 || parts.scales.shape[0] !== V) {
    throw new WeightsError(`${where}: tensor "${sName}" has shape ${shapeToString(parts.scales.shape)}, expected [${V}] (one scale per row of "${wName}")`);
  }
  checkNumel([V, D], parts.codes.bytes.byteLength, wName, where);
  if (parts.scales.data.length !== V) throw new WeightsError(`${where}: tensor "${sName}" holds ${parts.scales.data.length} values, expected ${V}`);
  const s = parts.scales.data;
  for (let i = 0; i < V; i++) {
    if (!(Number.isFinite(s[i]) && s[i] >= 0)) throw new WeightsError(`${where}: tensor "${sName}" element ${i} is ${s[i]}; scales are finite and ≥ 0`);
  }
  return { layout: "int8", method: "int8", outFeatures: V, inFeatures: D, blockSize: D, data: parts.codes.bytes, scales: s };
}

/** Float-decoded I8 values (as the in-memory loaders hold them) → bytes, checking each is an int8. */
export function int8Bytes(t: HostTensor, name: string, where: string): Uint8Array {
  const v = hostTensorToF32(t);
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(Number.isInteger(x) && x >= -128 && x <= 127)) throw new WeightsError(`${where}: tensor "${name}" must hold I8 values; element ${i} is ${x}`);
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Splits int8 embedding tables out of an in-memory state dict (`fromStateDict`): module → host weight, and the
 * state dict without their tensors (the same object when there are none).
 */
export function extractInt8Tables(sd: StateDict, where = "checkpoint"): { stateDict: StateDict; tables: Map<string, QuantizedHostWeight> } {
  const parts = new Map<string, Int8TableParts>();
  for (const [name, t] of sd) {
    const m = int8TableModule(name);
    if (m === undefined) continue;
    const p = parts.get(m) ?? {};
    if (name.endsWith(INT8_WEIGHT)) p.codes = { shape: t.shape, bytes: int8Bytes(t, name, where) };
    else p.scales = { shape: t.shape, data: Float32Array.from(hostTensorToF32(t)) };
    parts.set(m, p);
  }
  const tables = new Map<string, QuantizedHostWeight>();
  if (!parts.size) return { stateDict: sd, tables };
  for (const [m, p] of parts) tables.set(m, assembleInt8Table(m, p, where));
  const rest: StateDict = new Map();
  for (const [k, v] of sd) if (int8TableModule(k) === undefined) rest.set(k, v);
  return { stateDict: rest, tables };
}

/** Expected element count check used by the streaming reader. */
export function checkNumel(shape: number[], bytes: number, name: string, where: string): void {
  if (numelOf(shape) !== bytes) throw new WeightsError(`${where}: tensor "${name}" holds ${bytes} bytes, expected ${numelOf(shape)} for ${shapeToString(shape)}`);
}
