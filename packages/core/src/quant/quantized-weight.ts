/**
 * Quantized `nn.Linear` weights, on the host and on a backend.
 *
 * Every quantized format this library reads or writes is normalised at load into one of two kernel layouts, so a
 * backend implements two dequantization rules, not one per file format:
 *
 *  - `int4` (bitsandbytes NF4/FP4, and our own linear `q4`): the weight `W [N, K]` flattened row-major, blocked
 *    in `blockSize` consecutive elements (blocks straddle rows, as bnb's do). Element `e` has a 4-bit code in
 *    byte `e >> 1`: the even element in the HIGH nibble (bnb's order). `W[e] = table[code] * scales[e / blockSize]`
 *    in float32. Double-quantized (nested) absmax is expanded to float32 scales at load: 0.5 bit per weight for
 *    exact bnb numbers and one kernel.
 *  - `int8` (LLM.int8 `CB`/`SCB`, our `q8`): `data` is `W`'s int8 codes row-major, `scales[n]` the row absmax,
 *    `W[n][k] = f32(f32(code * scales[n]) * INT8_DEQUANT)` (bnb's `int8_vectorwise_dequant`).
 *
 * On a backend, `data` is held as the raw bytes packed little-endian into 32-bit words (an i32 tensor of
 * `ceil(bytes / 4)` words: every backend already stores i32, and shaders read packed u32); `scales` and the
 * code table are f32 tensors.
 */
import type { Backend } from "../backend.js";
import { InputError } from "../errors.js";
import type { Tensor } from "../tensor.js";

export type QuantLayout = "int4" | "int8";

/** The file-level method a weight came from / is saved as. `q4` is our linear int4 (not a bnb format). */
export type QuantMethod = "nf4" | "fp4" | "q4" | "int8";

/** bnb's `1/127` constant in `int8_vectorwise_dequant` (float32). */
export const INT8_DEQUANT = 7.874015718698502e-3;

/** bitsandbytes' double quantization, kept as read so a bnb checkpoint saves back bit for bit. */
export interface NestedAbsmax {
  /** The 8-bit codes of `absmax - offset`, one per block. */
  codes: Uint8Array;
  /** One float32 scale per `blocksize` codes. */
  nestedAbsmax: Float32Array;
  /** The 256-entry signed dynamic map. */
  nestedMap: Float32Array;
  offset: number;
  blocksize: number;
}

export interface QuantizedHostWeight {
  layout: QuantLayout;
  method: QuantMethod;
  /** `[out_features, in_features]`. */
  outFeatures: number;
  inFeatures: number;
  /** int4: elements per scale (64 for bnb). int8: `inFeatures` (one scale per row). */
  blockSize: number;
  /** int4: `ceil(N·K/2)` packed code bytes. int8: `N·K` int8 codes as bytes. */
  data: Uint8Array;
  /** int4: one scale per block; int8: one per row. */
  scales: Float32Array;
  /** int4: the 16-entry code table. */
  table?: Float32Array;
  /** int4 with double quantization: the stored nested form of `scales`. */
  nested?: NestedAbsmax;
  /** int8 only: how activations enter the product (see `QuantizedWeight.activations`); default "f32". */
  activations?: ActivationQuant;
}

/**
 * How an int8 weight's Linear treats its input. "f32": the exact product with the dequantized weight (what
 * bitsandbytes checkpoints' reference outputs are). "int8": dynamic per-row activation quantization and an int8 dot
 * product (`dtype: "q8"`, like ONNX Runtime's dynamic int8): each row `x` is quantized on its own to
 * `q = rne(x · f32(127 / max|x|))`, the result is `f32(Σ q·code) · f32(f32(max|x| / 127) · f32(SCB / 127))` — so a
 * row's output never depends on the other rows of the batch. Backends that declare `int8Activations` honour it;
 * others compute the "f32" product.
 */
export type ActivationQuant = "f32" | "int8";

/** Bytes of `data` for a weight of this layout and shape. */
export function quantDataBytes(layout: QuantLayout, n: number, k: number): number {
  return layout === "int4" ? Math.ceil((n * k) / 2) : n * k;
}

export function quantScaleCount(layout: QuantLayout, n: number, k: number, blockSize: number): number {
  return layout === "int4" ? Math.ceil((n * k) / blockSize) : n;
}

/** Checks the sizes of a host weight (a corrupt one must fail here, not read out of bounds in a kernel). */
export function validateHostWeight(w: QuantizedHostWeight, what: string): void {
  const { layout, outFeatures: n, inFeatures: k, blockSize } = w;
  if (!(Number.isSafeInteger(n) && n > 0 && Number.isSafeInteger(k) && k > 0)) throw new InputError(`${what}: bad shape [${n}, ${k}]`);
  if (!(Number.isSafeInteger(blockSize) && blockSize > 0)) throw new InputError(`${what}: bad block size ${blockSize}`);
  if (w.data.byteLength !== quantDataBytes(layout, n, k)) {
    throw new InputError(`${what}: ${w.data.byteLength} data bytes, expected ${quantDataBytes(layout, n, k)} for ${layout} [${n}, ${k}]`);
  }
  if (w.scales.length !== quantScaleCount(layout, n, k, blockSize)) {
    throw new InputError(`${what}: ${w.scales.length} scales, expected ${quantScaleCount(layout, n, k, blockSize)}`);
  }
  if (layout === "int4" && w.table?.length !== 16) throw new InputError(`${what}: an int4 weight needs a 16-entry code table`);
}

/** Resident bytes of a host weight (data + scales + table). */
export function hostWeightBytes(w: QuantizedHostWeight): number {
  return w.data.byteLength + w.scales.byteLength + (w.table?.byteLength ?? 0);
}

/** `bytes` as little-endian 32-bit words: a view when they fill a whole, word-sized buffer, else a zero-padded copy. */
function wordsOf(bytes: Uint8Array): Int32Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength % 4 === 0;
  return whole && LITTLE_ENDIAN ? new Int32Array(bytes.buffer, 0, bytes.byteLength / 4) : packWords(bytes);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `bytes` zero-padded to whole little-endian 32-bit words (what backends store). */
export function packWords(bytes: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(bytes.byteLength / 4));
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

/**
 * A quantized weight on a backend: what `linear()` accepts in place of a float weight tensor. Owns its tensors.
 * `host` is kept only where it is needed: for the reference fallback when the backend has no `quantizedLinear`.
 */
export class QuantizedWeight {
  constructor(
    readonly backend: Backend,
    readonly layout: QuantLayout,
    readonly method: QuantMethod,
    readonly outFeatures: number,
    readonly inFeatures: number,
    readonly blockSize: number,
    /** i32 `[ceil(bytes / 4)]`: the data bytes packed into words. */
    readonly data: Tensor,
    /** f32 scales. */
    readonly scales: Tensor,
    /** f32 `[16]` (int4 only). */
    readonly table: Tensor | undefined,
    readonly host: QuantizedHostWeight | undefined,
    /** The nested absmax of a double-quantized bnb weight, kept (small) for saving. */
    readonly nested: NestedAbsmax | undefined,
    /** int8 weights: "int8" asks for dynamic int8 activations (see `ActivationQuant`). */
    readonly activations: ActivationQuant = "f32",
  ) {}

  /**
   * Uploads a host weight. Keeps the host copy when `keepHost` (reference fallback). `consume`: the caller hands
   * `w`'s arrays over and never touches them again (the loader), so where the backend can adopt host arrays (CPU)
   * the data words and scales become its storage without a copy — a 128K-row int8 embedding table is 98 MB, and
   * a copy would show in the load's peak memory. (Adopted storage returns to the backend's pool on dispose.)
   */
  static upload(be: Backend, w: QuantizedHostWeight, keepHost: boolean, consume = false): QuantizedWeight {
    const adopt = consume && !keepHost && be.adopt ? be.adopt.bind(be) : undefined;
    const words = adopt ? wordsOf(w.data) : packWords(w.data);
    const toBackend = (d: Int32Array | Float32Array, dtype: "i32" | "f32") => (adopt ? adopt(d, [d.length], dtype) : be.upload(d, [d.length], dtype));
    const data = toBackend(words, "i32");
    const scales = toBackend(w.scales, "f32");
    const table = w.table ? be.upload(w.table, [16], "f32") : undefined;
    return new QuantizedWeight(be, w.layout, w.method, w.outFeatures, w.inFeatures, w.blockSize, data, scales, table, keepHost ? w : undefined, w.nested, w.layout === "int8" ? (w.activations ?? "f32") : "f32");
  }

  /** `[out_features, in_features]`, the torch orientation. */
  get shape(): [number, number] {
    return [this.outFeatures, this.inFeatures];
  }

  /** Resident bytes on the backend (data words + scales + table). */
  get byteSize(): number {
    return this.data.size * 4 + this.scales.size * 4 + (this.table ? 64 : 0);
  }

  /** Reads the weight back into host form (for saving). */
  async toHost(): Promise<QuantizedHostWeight> {
    if (this.host) return this.host;
    const words = (await this.data.raw()) as Int32Array;
    const bytes = quantDataBytes(this.layout, this.outFeatures, this.inFeatures);
    return {
      layout: this.layout,
      method: this.method,
      outFeatures: this.outFeatures,
      inFeatures: this.inFeatures,
      blockSize: this.blockSize,
      data: new Uint8Array(words.buffer, words.byteOffset, bytes).slice(),
      scales: (await this.scales.raw()) as Float32Array,
      table: this.table ? ((await this.table.raw()) as Float32Array) : undefined,
      nested: this.nested,
    };
  }

  dispose(): void {
    this.data.dispose();
    this.scales.dispose();
    this.table?.dispose();
  }
}

export function isQuantizedWeight(w: unknown): w is QuantizedWeight {
  return w instanceof QuantizedWeight;
}

/**
 * A host view of a quantized weight from its backend storage, for backends whose storage is typed arrays (cpu,
 * the reference backend): no copy.
 */
export function hostViewOf(w: QuantizedWeight, words: Int32Array, scales: Float32Array, table?: Float32Array): QuantizedHostWeight {
  return {
    layout: w.layout,
    method: w.method,
    outFeatures: w.outFeatures,
    inFeatures: w.inFeatures,
    blockSize: w.blockSize,
    data: new Uint8Array(words.buffer, words.byteOffset, quantDataBytes(w.layout, w.outFeatures, w.inFeatures)),
    scales,
    table,
  };
}
