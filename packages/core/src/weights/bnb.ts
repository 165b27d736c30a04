/**
 * bitsandbytes checkpoints (HF `save_pretrained` of a model loaded with `BitsAndBytesConfig`): finds the quantized
 * `nn.Linear` modules of a state dict and turns them into `QuantizedHostWeight`s. The format is described in
 * `fixtures/quantized/README.md`; in short, per module `<m>`:
 *
 *  - 4-bit: `<m>.weight` U8 packed codes, `<m>.weight.absmax` (F32, or U8 with `nested_absmax` +
 *    `nested_quant_map` for double quant), `<m>.weight.quant_map` F32[16] and the JSON quant state
 *    `<m>.weight.quant_state.bitsandbytes__{nf4|fp4}` (U8 bytes of UTF-8).
 *  - 8-bit (LLM.int8): `<m>.weight` I8 `[N, K]`, `<m>.SCB` F32 `[N]`, `<m>.weight_format` U8 0-d (0 = row).
 *
 * The decision is per module, from the tensors present (never from `quantization_config`): a module is 4-bit when
 * its quant-state key exists, 8-bit when its `SCB` exists. The loaders decode U8/I8 tensors as exact float32
 * values; they are repacked into bytes here. Every malformed tensor is a WEIGHTS_INVALID naming it.
 */
import { WeightsError } from "../errors.js";
import { expandNestedAbsmax } from "../quant/dequantize.js";
import {
  type NestedAbsmax,
  type QuantizedHostWeight,
  quantDataBytes,
  quantScaleCount,
} from "../quant/quantized-weight.js";
import { extractInt8Tables } from "./int8-embeddings.js";
import { type HostTensor, type StateDict, hostTensorToF32, numelOf, shapeToString } from "./state-dict.js";

const QUANT_STATE = /^(.*)\.weight\.quant_state\.bitsandbytes__([A-Za-z0-9]+)$/;
const SCB = /^(.*)\.SCB$/;

/**
 * A U8/I8 tensor kept as its stored bytes (the streaming loader reads bnb's integer tensors this way, with no float32
 * detour); the in-memory loaders decode them to exact float32 values instead — both are accepted.
 */
export interface ByteTensor {
  dtype: "u8" | "i8";
  shape: number[];
  data: Uint8Array;
}

type BnbTensor = HostTensor | ByteTensor;
type BnbDict = Map<string, BnbTensor>;

function isBytes(t: BnbTensor): t is ByteTensor {
  return t.dtype === "u8" || t.dtype === "i8";
}

/** Float values of a tensor (byte tensors widened, I8 signed). */
function floats(t: BnbTensor): Float32Array {
  if (!isBytes(t)) return hostTensorToF32(t);
  return t.dtype === "i8" ? Float32Array.from(new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) : Float32Array.from(t.data);
}

export interface BnbModules {
  /** The state dict without the consumed quantization tensors (biases stay). Same object when nothing was found. */
  stateDict: StateDict;
  /** Module name (as in the file, e.g. `deberta.encoder.layer.0.intermediate.dense`) → weight. */
  modules: Map<string, QuantizedHostWeight>;
  /** int8 embedding tables in deberta-js's own format (`weights/int8-embeddings.ts`), by module name. */
  tables: Map<string, QuantizedHostWeight>;
}

/** Splits bnb-quantized Linear modules out of `sd`. `where` names the checkpoint in errors. */
export function extractBnbModules(all: StateDict, where = "checkpoint"): BnbModules {
  const { stateDict: sd, tables } = extractInt8Tables(all, where);
  const { modules, rest } = extractFrom(sd, where);
  return { stateDict: rest, modules, tables };
}

/** `extractBnbModules` for the tensors of bnb modules only, some kept as stored bytes (the streaming loader). */
export function bnbModulesOf(sd: BnbDict, where = "checkpoint"): Map<string, QuantizedHostWeight> {
  return extractFrom(sd, where).modules;
}

function extractFrom<D extends BnbDict>(sd: D, where: string): { modules: Map<string, QuantizedHostWeight>; rest: D } {
  const modules = new Map<string, QuantizedHostWeight>();
  const consumed = new Set<string>();
  for (const key of sd.keys()) {
    const q4 = QUANT_STATE.exec(key);
    if (q4) {
      if (modules.has(q4[1])) throw new WeightsError(`${where}: module "${q4[1]}" has more than one bitsandbytes quant state`);
      modules.set(q4[1], read4bit(sd, q4[1], q4[2], key, consumed, where));
      continue;
    }
    const q8 = SCB.exec(key);
    if (q8) {
      if (modules.has(q8[1])) throw new WeightsError(`${where}: module "${q8[1]}" is both 4-bit and 8-bit`);
      modules.set(q8[1], read8bit(sd, q8[1], consumed, where));
    }
  }
  if (modules.size === 0) return { modules, rest: sd };
  const rest = new Map() as D;
  for (const [k, v] of sd) if (!consumed.has(k)) rest.set(k, v);
  return { modules, rest };
}

function need(sd: BnbDict, name: string, consumed: Set<string>, where: string, module: string): BnbTensor {
  const t = sd.get(name);
  if (!t) throw new WeightsError(`${where}: bitsandbytes module "${module}" lacks tensor "${name}"`, "WEIGHTS_MISSING");
  consumed.add(name);
  return t;
}

function expectLength(t: BnbTensor, n: number, name: string, where: string): void {
  if (numelOf(t.shape) !== n) throw new WeightsError(`${where}: tensor "${name}" has shape ${shapeToString(t.shape)} (${numelOf(t.shape)} values), expected ${n}`);
}

/** Float-decoded U8/I8 values → bytes, checking each is an integer in range; byte tensors as stored (dtype checked). */
function toBytes(t: BnbTensor, signed: boolean, name: string, where: string): Uint8Array {
  if (isBytes(t)) {
    if (t.dtype !== (signed ? "i8" : "u8")) throw new WeightsError(`${where}: tensor "${name}" must be ${signed ? "I8" : "U8"}, found ${t.dtype.toUpperCase()}`);
    return t.data;
  }
  const v = hostTensorToF32(t);
  const lo = signed ? -128 : 0;
  const hi = signed ? 127 : 255;
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(Number.isInteger(x) && x >= lo && x <= hi)) {
      throw new WeightsError(`${where}: tensor "${name}" must hold ${signed ? "I8" : "U8"} values; element ${i} is ${x}`);
    }
    out[i] = x & 0xff;
  }
  return out;
}

interface QuantStateJson {
  quant_type: string;
  blocksize: number;
  dtype: string;
  shape: [number, number];
  nested_blocksize?: number;
  nested_offset?: number;
}

function parseQuantState(t: BnbTensor, name: string, where: string): QuantStateJson {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(toBytes(t, false, name, where)));
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`${where}: tensor "${name}" is not UTF-8 JSON (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
  const j = json as Partial<QuantStateJson> | null;
  const bad = (field: string, v: unknown) => new WeightsError(`${where}: tensor "${name}": "${field}" is invalid (${JSON.stringify(v)})`);
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw new WeightsError(`${where}: tensor "${name}" must be a JSON object`);
  if (j.quant_type !== "nf4" && j.quant_type !== "fp4" && j.quant_type !== "q4") throw bad("quant_type", j.quant_type);
  if (!Number.isSafeInteger(j.blocksize) || (j.blocksize as number) <= 0) throw bad("blocksize", j.blocksize);
  const shape = j.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw bad("shape", shape);
  if (j.dtype !== undefined && !["float32", "float16", "bfloat16"].includes(j.dtype)) throw bad("dtype", j.dtype);
  if (j.nested_blocksize !== undefined && (!Number.isSafeInteger(j.nested_blocksize) || j.nested_blocksize <= 0)) throw bad("nested_blocksize", j.nested_blocksize);
  if (j.nested_offset !== undefined && !Number.isFinite(j.nested_offset)) throw bad("nested_offset", j.nested_offset);
  return j as QuantStateJson;
}

function read4bit(sd: BnbDict, m: string, suffix: string, stateKey: string, consumed: Set<string>, where: string): QuantizedHostWeight {
  const meta = parseQuantState(need(sd, stateKey, consumed, where, m), stateKey, where);
  if (meta.quant_type !== suffix) throw new WeightsError(`${where}: tensor "${stateKey}" says quant_type "${meta.quant_type}" but its key says "${suffix}"`);
  const [N, K] = meta.shape;
  const total = N * K;
  const nb = Math.ceil(total / meta.blocksize);
  const weight = need(sd, `${m}.weight`, consumed, where, m);
  expectLength(weight, quantDataBytes("int4", N, K), `${m}.weight`, where);
  const data = toBytes(weight, false, `${m}.weight`, where);
  const quantMap = need(sd, `${m}.weight.quant_map`, consumed, where, m);
  expectLength(quantMap, 16, `${m}.weight.quant_map`, where);
  const absmax = need(sd, `${m}.weight.absmax`, consumed, where, m);
  expectLength(absmax, nb, `${m}.weight.absmax`, where);
  let scales: Float32Array;
  let nested: NestedAbsmax | undefined;
  const nestedName = `${m}.weight.nested_absmax`;
  if (sd.has(nestedName)) {
    const nbs = meta.nested_blocksize ?? 256;
    const nestedAbsmax = need(sd, nestedName, consumed, where, m);
    expectLength(nestedAbsmax, Math.ceil(nb / nbs), nestedName, where);
    const nestedMap = need(sd, `${m}.weight.nested_quant_map`, consumed, where, m);
    expectLength(nestedMap, 256, `${m}.weight.nested_quant_map`, where);
    if (meta.nested_offset === undefined) throw new WeightsError(`${where}: tensor "${stateKey}" lacks "nested_offset" although "${nestedName}" exists`);
    nested = {
      codes: toBytes(absmax, false, `${m}.weight.absmax`, where),
      nestedAbsmax: Float32Array.from(floats(nestedAbsmax)),
      nestedMap: Float32Array.from(floats(nestedMap)),
      offset: Math.fround(meta.nested_offset),
      blocksize: nbs,
    };
    scales = expandNestedAbsmax(nested);
  } else {
    scales = Float32Array.from(floats(absmax));
  }
  if (scales.length !== quantScaleCount("int4", N, K, meta.blocksize)) throw new WeightsError(`${where}: "${m}.weight.absmax" size mismatch`);
  return {
    layout: "int4",
    method: meta.quant_type as "nf4" | "fp4" | "q4",
    outFeatures: N,
    inFeatures: K,
    blockSize: meta.blocksize,
    data,
    scales,
    table: Float32Array.from(floats(quantMap)),
    nested,
  };
}

function read8bit(sd: BnbDict, m: string, consumed: Set<string>, where: string): QuantizedHostWeight {
  const scb = need(sd, `${m}.SCB`, consumed, where, m);
  const weight = need(sd, `${m}.weight`, consumed, where, m);
  if (weight.shape.length !== 2) throw new WeightsError(`${where}: tensor "${m}.weight" of an 8-bit module must be 2-D [out, in], found ${shapeToString(weight.shape)}`);
  const [N, K] = weight.shape;
  expectLength(scb, N, `${m}.SCB`, where);
  const fmtName = `${m}.weight_format`;
  const fmt = sd.get(fmtName);
  if (fmt) {
    consumed.add(fmtName);
    const v = floats(fmt)[0];
    if (numelOf(fmt.shape) !== 1 || v !== 0) {
      throw new WeightsError(`${where}: tensor "${fmtName}" is ${v}; only 0 ("row") is valid (col32/col_turing/col_ampere layouts are legacy and rejected, as bitsandbytes does)`);
    }
  }
  return {
    layout: "int8",
    method: "int8",
    outFeatures: N,
    inFeatures: K,
    blockSize: K,
    data: toBytes(weight, true, `${m}.weight`, where),
    scales: Float32Array.from(floats(scb)),
  };
}
