/**
 * Transfers between the host and the GPU: uploads (straight into a mapped buffer when large, `queue.writeBuffer`
 * otherwise, split in row chunks when bigger than one buffer), reads through a staging buffer, and the copy handed
 * to onnxruntime as a GPU tensor.
 */
import { DebertaError, type DType, OrtTensor, type Tensor, type TensorData } from "@deberta-js/core";
import type { PooledBuffer } from "./buffer-pool.js";
import { BufferUsage, MapMode } from "./gpu-constants.js";
import type { GpuMemory } from "./memory.js";
import type { Recorder } from "./recorder.js";
import { bytesPerElement } from "./storage.js";

/** Uploads at least this big go into a buffer mapped at creation (no staging copy in the queue). */
const MAPPED_UPLOAD_BYTES = 4 * 2 ** 20;
/**
 * `uploadAsync` writes slices of this size and waits for the queue after every `UPLOAD_WAIT_BYTES`: the browser
 * then recycles a bounded amount of renderer↔GPU shared memory instead of growing it to the largest weight
 * (issue 18: +0.6 GB in both processes for deberta-v3-large's word embedding).
 */
const UPLOAD_SLICE_BYTES = 8 * 2 ** 20;
const UPLOAD_WAIT_BYTES = 32 * 2 ** 20;
/** Uploads at least this big get a buffer of their exact size (weights: no bucket waste). */
const EXACT_UPLOAD_BYTES = 2 ** 20;

export class Transfers {
  constructor(
    private readonly device: GPUDevice,
    private readonly memory: GpuMemory,
    private readonly recorder: Recorder,
  ) {}

  /** A tensor holding `typed` (already the dtype's array), in row chunks when bigger than one buffer. */
  upload(typed: Float32Array | Uint16Array | Int32Array, shape: readonly number[], dtype: DType): Tensor {
    const n = typed.length;
    const chunkElems = this.memory.plan(shape, dtype, "upload");
    const bpe = bytesPerElement(dtype);
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, n * bpe);
    const chunks: PooledBuffer[] = [];
    const nChunks = Math.max(1, Math.ceil(n / chunkElems));
    for (let c = 0; c < nChunks; c++) {
      const from = c * chunkElems * bpe;
      const len = Math.min(chunkElems, n - c * chunkElems) * bpe;
      chunks.push(this.writeBytes(bytes.subarray(from, from + len)));
    }
    return this.memory.wrap(chunks, chunkElems, shape, dtype);
  }

  /** `upload` for weight loading: every chunk written in slices with a wait for the queue between (see above). */
  async uploadAsync(typed: Float32Array | Uint16Array | Int32Array, shape: readonly number[], dtype: DType): Promise<Tensor> {
    const bpe = bytesPerElement(dtype);
    if (typed.length * bpe < UPLOAD_WAIT_BYTES) return this.upload(typed, shape, dtype);
    const n = typed.length;
    const chunkElems = this.memory.plan(shape, dtype, "upload");
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, n * bpe);
    const chunks: PooledBuffer[] = [];
    try {
      let sinceWait = 0;
      for (let c = 0; c * chunkElems < n; c++) {
        const from = c * chunkElems * bpe;
        const len = Math.min(chunkElems, n - c * chunkElems) * bpe;
        const pb = this.memory.pool.acquire(len, { epoch: this.recorder.epoch, queueWrite: true, exact: true });
        chunks.push(pb);
        // slices are multiples of 4 bytes; only the last one of a chunk may need padding
        for (let off = 0; off < len; off += UPLOAD_SLICE_BYTES) {
          const piece = bytes.subarray(from + off, from + Math.min(len, off + UPLOAD_SLICE_BYTES));
          const src = piece.byteLength % 4 ? padTo4(piece) : piece;
          this.device.queue.writeBuffer(pb.buffer, off, src.buffer, src.byteOffset, src.byteLength);
          sinceWait += src.byteLength;
          if (sinceWait >= UPLOAD_WAIT_BYTES) {
            await this.device.queue.onSubmittedWorkDone();
            sinceWait = 0;
          }
        }
      }
    } catch (e) {
      for (const pb of chunks) this.memory.pool.release(pb);
      throw e;
    }
    return this.memory.wrap(chunks, chunkElems, shape, dtype);
  }

  /** A buffer holding `bytes`, safe against the commands still being recorded (see `BufferPool`). */
  writeBytes(bytes: Uint8Array): PooledBuffer {
    const len = bytes.byteLength;
    const pool = this.memory.pool;
    if (len >= MAPPED_UPLOAD_BYTES) {
      const pb = pool.createMapped(len);
      new Uint8Array(pb.buffer.getMappedRange(), 0, len).set(bytes);
      pb.buffer.unmap();
      return pb;
    }
    const pb = pool.acquire(len, { epoch: this.recorder.epoch, queueWrite: true, exact: len >= EXACT_UPLOAD_BYTES });
    if (len) {
      const src = len % 4 ? padTo4(bytes) : bytes;
      this.device.queue.writeBuffer(pb.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    }
    return pb;
  }

  /** Submits pending work and reads `t` back through a staging buffer; GPU errors of the submits are thrown here. */
  async read(t: Tensor): Promise<TensorData> {
    const st = this.memory.storage(t);
    const bpe = bytesPerElement(st.dtype);
    const bytes = st.elems * bpe;
    const staging = this.device.createBuffer({ size: Math.max(4, align4(bytes)), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: "deberta-js read" });
    let off = 0;
    for (let c = 0; c < st.chunks.length; c++) {
      const len = align4(st.chunkSize(c) * bpe);
      if (len) this.recorder.copy(st.chunks[c].buffer, 0, staging, off, len);
      st.chunks[c].lastUse = this.recorder.epoch;
      off += len;
    }
    this.recorder.flush();
    const errors = this.recorder.takeErrors();
    const [mapped, errs] = await Promise.allSettled([staging.mapAsync(MapMode.READ), errors]);
    try {
      this.recorder.throwErrors(errs.status === "fulfilled" ? errs.value : [], "read");
      if (mapped.status === "rejected") {
        const why = this.recorder.lostReason ?? String(mapped.reason);
        throw new DebertaError("BACKEND_ERROR", `webgpu read of [${t.shape}] ${t.dtype} failed: ${why}`, { cause: mapped.reason });
      }
      const copy = staging.getMappedRange(0, Math.max(4, align4(bytes))).slice(0, bytes);
      staging.unmap();
      return typedOf(st.dtype, copy);
    } finally {
      staging.destroy();
    }
  }

  /**
   * `t` as an `onnxruntime-common` GPU tensor: a copy in a buffer of its own (so the pool never recycles it), with
   * `download` and `dispose`. Split tensors are not exportable.
   */
  toOrtGpuTensor(t: Tensor): OrtTensor {
    const st = this.memory.storage(t);
    const src = st.single("toOrtGpuTensor", t.shape);
    const bytes = st.elems * bytesPerElement(st.dtype);
    const size = Math.max(4, align4(bytes));
    const buffer = this.device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: "deberta-js output" });
    this.recorder.copy(src.buffer, 0, buffer, 0, size);
    src.lastUse = this.recorder.epoch;
    this.recorder.flush();
    const dataType = st.dtype === "f32" ? "float32" : st.dtype === "f16" ? "float16" : "int32";
    const device = this.device;
    const download = async () => {
      const staging = device.createBuffer({ size: buffer.size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
      device.queue.submit([e.finish()]);
      await staging.mapAsync(MapMode.READ);
      const copy = staging.getMappedRange().slice(0, bytes);
      staging.destroy();
      return typedOf(st.dtype, copy);
    };
    return OrtTensor.fromGpuBuffer(buffer as never, {
      dataType,
      dims: [...t.shape],
      download: download as never,
      dispose: () => buffer.destroy(),
    }) as OrtTensor;
  }
}

function typedOf(dtype: DType, bytes: ArrayBuffer): TensorData {
  return dtype === "f32" ? new Float32Array(bytes) : dtype === "f16" ? new Uint16Array(bytes) : new Int32Array(bytes);
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(bytes.byteLength));
  out.set(bytes);
  return out;
}
