/**
 * What a WebGPU tensor's `storage` is: one buffer, or — for tensors bigger than one buffer may be (a 128,100 × 1,536
 * f32 embedding is 787 MB) — several, each holding a run of whole rows of the last dim.
 *
 * Chunk geometry depends on the shape only (it is planned at 4 bytes per element whatever the dtype), so an f32
 * tensor and its f16 cast split at the same elements and elementwise ops can walk them chunk by chunk.
 */
import { DebertaError, type DType } from "@deberta-js/core";
import type { PooledBuffer } from "./buffer-pool.js";

export class GpuStorage {
  disposed = false;
  constructor(
    readonly chunks: PooledBuffer[],
    /** Elements per chunk (= `elems` when there is one chunk). */
    readonly chunkElems: number,
    readonly elems: number,
    readonly dtype: DType,
  ) {}

  get split(): boolean {
    return this.chunks.length > 1;
  }

  /** The single buffer; throws a clear error for a split tensor (ops that cannot walk chunks). */
  single(op: string, shape: readonly number[]): PooledBuffer {
    if (this.chunks.length !== 1) {
      throw new SplitTensorError(op, shape, this.chunks.length);
    }
    return this.chunks[0];
  }

  /** Elements in chunk `c`. */
  chunkSize(c: number): number {
    return Math.min(this.chunkElems, this.elems - c * this.chunkElems);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === "f16" ? 2 : 4;
}

/**
 * Elements per chunk for a tensor of `shape` when `bytes` exceed `maxBytes` (else `elems`): whole rows of the last
 * dim, planned at 4 bytes per element, an even number of rows when a row has an odd number of elements (so f16 chunk
 * boundaries fall on 4-byte words). Returns 0 when not even one row fits.
 */
export function planChunks(shape: readonly number[], dtype: DType, maxBytes: number): number {
  let elems = 1;
  for (const d of shape) elems *= d;
  if (elems * bytesPerElement(dtype) <= maxBytes) return Math.max(elems, 1);
  const rowElems = shape.length ? Math.max(1, shape[shape.length - 1]) : 1;
  let rows = Math.floor(maxBytes / (rowElems * 4));
  if (rowElems % 2 && rows % 2) rows--;
  return rows > 0 ? rows * rowElems : 0;
}

export class SplitTensorError extends DebertaError {
  constructor(op: string, shape: readonly number[], chunks: number) {
    super(
      "UNSUPPORTED",
      `webgpu ${op}: tensor [${shape}] is split over ${chunks} GPU buffers (it exceeds the device's maxStorageBufferBindingSize / maxBufferSize), and ${op} cannot read split tensors; only gather (embedding rows), linear / matmul with it as the transposed right operand, cast, activation and read can`,
    );
    this.name = "SplitTensorError";
  }
}
