/**
 * Host-side tensors as the weight loaders produce them, and the dtype conversions shared by the safetensors and
 * PyTorch readers. Nothing here touches `node:*`.
 */
import { WeightsError } from "../errors.js";
import { bf16ArrayToF32, bf16BitsToF32, f16ArrayToF32, f16BitsToF32, f32ArrayToF16 } from "../dtype.js";

/** A tensor held in JS memory. `f16` data are raw IEEE half bits. Row-major, contiguous. */
export interface HostTensor {
  dtype: "f32" | "f16";
  shape: number[];
  data: Float32Array | Uint16Array;
}

/** Checkpoint key → tensor, in file order. */
export type StateDict = Map<string, HostTensor>;

/** Dtypes the loaders accept in a file, in safetensors spelling. */
export type SourceDType = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "U8" | "I8";

export const SOURCE_ITEM_SIZE: Record<SourceDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, I8: 1 };

/** The target float dtype of a load. */
export type HostDType = "f32" | "f16";

/** Largest integer a float32 holds exactly; integer tensors beyond it are refused rather than silently rounded. */
const F32_EXACT_INT = 2 ** 24;

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Product of a shape, checked to stay a safe integer. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Returns a view of `bytes` as an array of `T` when it is aligned, otherwise an aligned copy. Little-endian
 * hosts only; big-endian hosts go through `DataView` in `decodeRaw`.
 */
function aligned<T>(bytes: Uint8Array, itemSize: number, make: (buf: ArrayBufferLike, off: number, len: number) => T): T {
  const len = bytes.byteLength / itemSize;
  if (bytes.byteOffset % itemSize === 0) return make(bytes.buffer, bytes.byteOffset, len);
  const copy = bytes.slice(); // fresh buffer, offset 0
  return make(copy.buffer, 0, len);
}

/**
 * Converts raw little-endian bytes of `src` dtype into a `HostTensor` of dtype `target`.
 * - F32 → f32 (a view of `bytes` when aligned), → f16 round-to-nearest-even.
 * - F16 → f16 kept (view when aligned), → f32 exact.
 * - BF16 → f32 exact, → f16 via f32 (one rounding).
 * - F64 → f32 rounded to nearest, → f16 via f32.
 * - U8/I8 → f32 (exact; bitsandbytes tensors, repacked to bytes by `weights/bnb.ts`).
 * - I64/I32 → f32 when every value is exactly representable (|v| ≤ 2^24), kept f32 whatever the target: such
 *   tensors (e.g. `embeddings.position_ids` in older checkpoints) are buffers, never float weights.
 * `what` names the file and tensor for errors.
 */
export function decodeRaw(bytes: Uint8Array, src: SourceDType, shape: number[], target: HostDType, what: string): HostTensor {
  const itemSize = SOURCE_ITEM_SIZE[src];
  const n = numelOf(shape);
  if (bytes.byteLength !== n * itemSize) {
    throw new WeightsError(`${what}: expected ${n * itemSize} bytes for ${src} ${shapeToString(shape)}, found ${bytes.byteLength}`);
  }
  if (!LITTLE_ENDIAN_HOST) return decodeViaDataView(bytes, src, shape, target, what);
  switch (src) {
    case "F32": {
      const f = aligned(bytes, 4, (b, o, l) => new Float32Array(b, o, l));
      return target === "f32" ? { dtype: "f32", shape, data: f } : { dtype: "f16", shape, data: f32ArrayToF16(f) };
    }
    case "F16": {
      const h = aligned(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      return target === "f16" ? { dtype: "f16", shape, data: h } : { dtype: "f32", shape, data: f16ArrayToF32(h) };
    }
    case "BF16": {
      const f = bf16ArrayToF32(aligned(bytes, 2, (b, o, l) => new Uint16Array(b, o, l)));
      return target === "f32" ? { dtype: "f32", shape, data: f } : { dtype: "f16", shape, data: f32ArrayToF16(f) };
    }
    case "F64": {
      const f = Float32Array.from(aligned(bytes, 8, (b, o, l) => new Float64Array(b, o, l)));
      return target === "f32" ? { dtype: "f32", shape, data: f } : { dtype: "f16", shape, data: f32ArrayToF16(f) };
    }
    case "I64": {
      const src64 = aligned(bytes, 8, (b, o, l) => new BigInt64Array(b, o, l));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src64[i];
        if (v > BigInt(F32_EXACT_INT) || v < -BigInt(F32_EXACT_INT)) {
          throw new WeightsError(`${what}: I64 value ${v} at index ${i} cannot be held exactly as float32`);
        }
        out[i] = Number(v);
      }
      return { dtype: "f32", shape, data: out };
    }
    case "U8":
    case "I8": {
      // bitsandbytes' packed codes, int8 weights and `weight_format`: exact as float32 (weights/bnb.ts repacks them).
      const b = src === "U8" ? bytes : new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { dtype: "f32", shape, data: Float32Array.from(b) };
    }
    case "I32": {
      const src32 = aligned(bytes, 4, (b, o, l) => new Int32Array(b, o, l));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src32[i];
        if (v > F32_EXACT_INT || v < -F32_EXACT_INT) {
          throw new WeightsError(`${what}: I32 value ${v} at index ${i} cannot be held exactly as float32`);
        }
        out[i] = v;
      }
      return { dtype: "f32", shape, data: out };
    }
  }
}

/** Portable (slow) path for big-endian hosts. */
function decodeViaDataView(bytes: Uint8Array, src: SourceDType, shape: number[], target: HostDType, what: string): HostTensor {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = numelOf(shape);
  if (src === "F16" && target === "f16") {
    const h = new Uint16Array(n);
    for (let i = 0; i < n; i++) h[i] = dv.getUint16(i * 2, true);
    return { dtype: "f16", shape, data: h };
  }
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (src) {
      case "F32": f[i] = dv.getFloat32(i * 4, true); break;
      case "F64": f[i] = dv.getFloat64(i * 8, true); break;
      case "F16": f[i] = f16BitsToF32(dv.getUint16(i * 2, true)); break;
      case "BF16": f[i] = bf16BitsToF32(dv.getUint16(i * 2, true)); break;
      case "U8": f[i] = dv.getUint8(i); break;
      case "I8": f[i] = dv.getInt8(i); break;
      case "I32":
      case "I64": {
        const v = src === "I32" ? dv.getInt32(i * 4, true) : Number(dv.getBigInt64(i * 8, true));
        if (Math.abs(v) > F32_EXACT_INT) throw new WeightsError(`${what}: ${src} value ${v} at index ${i} cannot be held exactly as float32`);
        f[i] = v;
        break;
      }
    }
  }
  if (src === "I32" || src === "I64" || src === "U8" || src === "I8" || target === "f32") return { dtype: "f32", shape, data: f };
  return { dtype: "f16", shape, data: f32ArrayToF16(f) };
}

/** A copy of `t` in dtype `dtype` (the same object when it already has it). */
export function castHostTensor(t: HostTensor, dtype: HostDType): HostTensor {
  if (t.dtype === dtype) return t;
  if (dtype === "f32") return { dtype, shape: t.shape, data: f16ArrayToF32(t.data as Uint16Array) };
  return { dtype, shape: t.shape, data: f32ArrayToF16(t.data as Float32Array) };
}

/** The tensor's values as float32 (a view when it already is). */
export function hostTensorToF32(t: HostTensor): Float32Array {
  return t.dtype === "f32" ? (t.data as Float32Array) : f16ArrayToF32(t.data as Uint16Array);
}
