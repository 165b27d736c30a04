/**
 * Tensor memory of the backend: wrapping pooled buffers as tensors, chunk planning for tensors bigger than one buffer,
 * and the checks that a tensor is this backend's and alive (ownership proper is the op contract's, in core).
 */
import { type Backend, DebertaError, DisposedError, type DType, Tensor, sizeOf } from "@deberta-js/core";
import type { BufferPool, PooledBuffer } from "./buffer-pool.js";
import { GpuStorage, bytesPerElement, planChunks } from "./storage.js";

export class GpuMemory {
  constructor(
    /** The backend the tensors belong to. */
    private readonly owner: Backend,
    readonly pool: BufferPool,
    /** Largest buffer the backend creates (bytes). */
    readonly maxBufferBytes: number,
    /** The recorder's encoder epoch (buffers freed in it may be reused as op outputs). */
    private readonly epoch: () => number,
  ) {}

  storage(t: Tensor): GpuStorage {
    const st = t.storage;
    // Ownership was checked by the op contract; this guards internal misuse (and dispose races) only.
    if (!(st instanceof GpuStorage) || t.backend !== this.owner) throw new DebertaError("BACKEND_ERROR", `webgpu: tensor [${t.shape}] is not this backend's`);
    if (st.disposed) throw new DisposedError(`webgpu: tensor [${t.shape}] ${t.dtype} was used after dispose()`);
    return st;
  }

  /** The single buffer of a tensor (ops that cannot walk split tensors). */
  buf(t: Tensor, op = "op"): PooledBuffer {
    return this.storage(t).single(op, t.shape);
  }

  /** Elements per chunk of a tensor of `shape` (all of them when it fits one buffer). */
  plan(shape: readonly number[], dtype: DType, op: string): number {
    const chunkElems = planChunks(shape, dtype, this.maxBufferBytes);
    if (!chunkElems) {
      const row = (shape[shape.length - 1] ?? 1) * 4;
      throw new DebertaError(
        "UNSUPPORTED",
        `webgpu ${op}: tensor [${shape}] ${dtype} cannot fit this device: one row needs ${row} bytes but the largest buffer is ${this.maxBufferBytes} bytes (maxStorageBufferBindingSize / maxBufferSize)`,
      );
    }
    return chunkElems;
  }

  /** A fresh op output (one buffer; op outputs are never split). */
  alloc(shape: readonly number[], dtype: DType, op: string): Tensor {
    const n = sizeOf(shape);
    const bytes = n * bytesPerElement(dtype);
    if (bytes > this.maxBufferBytes) {
      throw new DebertaError(
        "UNSUPPORTED",
        `webgpu ${op}: the output [${shape}] ${dtype} needs ${bytes} bytes, more than the device's largest buffer (${this.maxBufferBytes} bytes); use a smaller batch or sequence length`,
      );
    }
    const pb = this.pool.acquire(bytes, { epoch: this.epoch() });
    return this.wrap([pb], Math.max(n, 1), shape, dtype);
  }

  /** A fresh output split in chunks of `chunkElems` elements (elementwise ops on split tensors). */
  allocChunked(shape: readonly number[], dtype: DType, chunkElems: number): Tensor {
    const n = sizeOf(shape);
    const chunks: PooledBuffer[] = [];
    for (let c = 0; c * chunkElems < n; c++) chunks.push(this.pool.acquire(Math.min(chunkElems, n - c * chunkElems) * bytesPerElement(dtype), { epoch: this.epoch() }));
    return this.wrap(chunks, chunkElems, shape, dtype);
  }

  /**
   * A tensor over `chunks` (op outputs, uploads). The pool adopts its storage: if the tensor is garbage-collected
   * without `dispose()`, the buffers go back to the pool.
   */
  wrap(chunks: PooledBuffer[], chunkElems: number, shape: readonly number[], dtype: DType): Tensor {
    const storage = this.pool.adopt(new GpuStorage(chunks, chunkElems, sizeOf(shape), dtype), chunks);
    return new Tensor(this.owner, storage, [...shape], dtype);
  }

  /** Marks a tensor's storage freed (once) and returns its buffers to the pool unless the pool is gone. */
  release(t: Tensor, poolAlive: boolean): void {
    const st = t.storage as GpuStorage;
    if (!(st instanceof GpuStorage) || st.disposed) return;
    st.disposed = true;
    if (!poolAlive) return;
    this.pool.disown(st);
    for (const pb of st.chunks) this.pool.release(pb);
  }
}
