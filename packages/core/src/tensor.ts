/**
 * The tensor handle the model code passes around: a shape, a dtype and backend-owned storage.
 *
 * A `Tensor` is cheap: `reshape` makes a view that shares storage with its source. Storage is freed by
 * `dispose()` on the tensor that created it (views do not own it). Reading is the only synchronous-looking thing
 * that waits: `await t.data()`.
 */
import { Tensor as OrtTensor } from "onnxruntime-common";
import type { Backend } from "./backend.js";
import { type DType, type TensorData, f16ArrayToF32 } from "./dtype.js";
import { DisposedError, InputError } from "./errors.js";
import { registerTensor, unregisterTensor } from "./scope.js";

export class Tensor {
  /** Storage owner: views point at the tensor that owns their storage. */
  private readonly owner: Tensor | null;
  private disposed = false;

  constructor(
    readonly backend: Backend,
    /** Backend-specific storage object (a typed array, a GPUBuffer, a device pointer…). */
    readonly storage: unknown,
    readonly shape: readonly number[],
    readonly dtype: DType,
    owner: Tensor | null = null,
  ) {
    this.owner = owner;
    registerTensor(this, owner === null);
  }

  /** The tensor that owns the storage: this one, or the source of a view. */
  get storageOwner(): Tensor {
    return this.owner ?? this;
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  /** The shape as a plain array (transformers.js's name). */
  get dims(): number[] {
    return [...this.shape];
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return (this.owner ?? this).disposed;
  }

  /** A view with another shape of the same number of elements. */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new InputError(`cannot reshape [${this.shape}] (${this.size} elements) to [${shape}]`);
    }
    return new Tensor(this.backend, this.storage, [...shape], this.dtype, this.owner ?? this);
  }

  /**
   * Like `reshape`, but the result takes over the storage: disposing it frees the storage, and this tensor must
   * not be used again. For handing an internal result to a caller under another shape.
   */
  moveTo(shape: readonly number[]): Tensor {
    this.assertAlive();
    if (this.owner) return this.reshape(shape);
    const moved = this.reshape(shape);
    this.disposed = true; // ownership moved: our own dispose() becomes a no-op
    unregisterTensor();
    return new Tensor(this.backend, this.storage, moved.shape, this.dtype, null);
  }

  /** Raw contents: Float32Array (f32), Uint16Array of IEEE half bits (f16), Int32Array (i32). */
  raw(): Promise<TensorData> {
    this.assertAlive();
    return this.backend.read(this);
  }

  /** Contents as numbers: f16 widened to Float32Array. */
  async data(): Promise<Float32Array | Int32Array> {
    const r = await this.raw();
    return r instanceof Uint16Array ? f16ArrayToF32(r) : r;
  }

  /**
   * The contents as nested arrays of numbers, `dims` deep (transformers.js's `tolist()`; async here because the data
   * may live on a GPU). A scalar (rank 0) gives a number.
   */
  async tolist(): Promise<NestedNumbers> {
    return nest(Array.from(await this.data()), this.shape);
  }

  /** A lossless `onnxruntime-common` tensor (float32, float16 or int32) holding a copy of the data. */
  async toOrt(): Promise<OrtTensor> {
    const r = await this.raw();
    const dims = [...this.shape];
    if (this.dtype === "f32") return new OrtTensor("float32", r as Float32Array, dims);
    if (this.dtype === "f16") return new OrtTensor("float16", r as Uint16Array, dims);
    return new OrtTensor("int32", r as Int32Array, dims);
  }

  /** Frees the storage (a no-op on views and on tensors already disposed). */
  dispose(): void {
    if (this.owner || this.disposed) return;
    this.disposed = true;
    unregisterTensor();
    this.backend.dispose(this);
  }

  private assertAlive() {
    if (this.isDisposed) throw new DisposedError(`tensor [${this.shape}] ${this.dtype} was used after dispose()`);
  }
}

/** Numbers nested as deep as a tensor's rank. */
export type NestedNumbers = number | NestedNumbers[];

/** Flat row-major values → nested arrays of `shape`. */
export function nest(flat: readonly number[], shape: readonly number[]): NestedNumbers {
  if (shape.length === 0) return flat[0];
  const build = (offset: number, dim: number): NestedNumbers[] => {
    const n = shape[dim];
    if (dim === shape.length - 1) return flat.slice(offset, offset + n);
    const stride = shapeSize(shape.slice(dim + 1));
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, dim + 1));
  };
  return build(0, 0);
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Anything a user may pass as an input tensor. */
export type TensorLike = OrtTensor | Tensor | number[][] | number[][][] | ArrayLike<number>;

export { OrtTensor };
