/**
 * A pool of storage buffers, bucketed by size, so the activations of one forward pass reuse the buffers the
 * previous pass freed instead of allocating new ones.
 *
 * Reuse rules (WebGPU ordering):
 *  - A buffer released while commands that read it are still being recorded may be handed out again at once as
 *    the *output of a later op*: commands in one encoder run in order.
 *  - It must not be the target of `queue.writeBuffer` before that encoder is submitted (the write would land
 *    first). `acquire(…, { queueWrite: true })` therefore only returns buffers not used since the last submit;
 *    `lastUse` is the encoder epoch that last bound the buffer.
 */
import { BufferUsage } from "./gpu-constants.js";

export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Allocated bytes (the bucket size). */
  readonly size: number;
  /** Encoder epoch that last referenced the buffer (see `WebGpuBackend.epoch`). */
  lastUse: number;
}

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** Bucket sizes: multiples of 256 up to 4 KiB, then 4 steps per power of two (≤ 25% waste). */
export function bucketSize(bytes: number): number {
  const b = Math.max(4, bytes);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private freeBytes = 0;
  /** Every buffer this pool created and has not destroyed (live tensors and free ones). */
  private readonly all = new Set<PooledBuffer>();
  private allocatedBytes = 0;
  /**
   * Tensors the caller never disposed: when a tensor's storage object is garbage-collected, its buffers come back
   * here, so forgetting `dispose()` costs GPU memory until the next GC, not for the life of the backend (issue 13).
   * The held value is the chunk list, never the storage itself (that would keep it reachable).
   */
  private readonly orphans = new FinalizationRegistry<PooledBuffer[]>((chunks) => {
    for (const pb of chunks) this.release(pb);
  });

  constructor(
    private readonly device: GPUDevice,
    /** Largest buffer the device accepts (the smaller of maxBufferSize and maxStorageBufferBindingSize). */
    private readonly maxBytes: number,
    /** Free buffers beyond this many bytes are destroyed instead of kept. */
    private readonly maxFreeBytes = 512 * 2 ** 20,
  ) {}

  /** Bytes held by the pool's buffers (live and free). */
  get bytesAllocated(): number {
    return this.allocatedBytes;
  }

  get bytesFree(): number {
    return this.freeBytes;
  }

  /**
   * A buffer of at least `bytes` bytes (STORAGE | COPY_SRC | COPY_DST).
   * @param exact allocate `bytes` rounded to 4 instead of the bucket (weights: no waste).
   * @param queueWrite the caller will `queue.writeBuffer` into it: only buffers idle since the last submit qualify.
   * @param epoch the current encoder epoch.
   */
  acquire(bytes: number, opts: { exact?: boolean; queueWrite?: boolean; epoch: number }): PooledBuffer {
    let size = opts.exact ? Math.max(4, Math.ceil(bytes / 4) * 4) : bucketSize(bytes);
    if (size > this.maxBytes) size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const list = this.free.get(size);
    if (list && list.length) {
      for (let i = list.length - 1; i >= 0; i--) {
        const pb = list[i];
        if (opts.queueWrite && pb.lastUse >= opts.epoch) continue;
        list.splice(i, 1);
        this.freeBytes -= pb.size;
        return pb;
      }
    }
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, label: `deberta-js ${size}B` });
    const pb: PooledBuffer = { buffer, size, lastUse: -1 };
    this.all.add(pb);
    this.allocatedBytes += size;
    return pb;
  }

  /** A new buffer mapped at creation (an upload target that no pending command can see). */
  createMapped(bytes: number): PooledBuffer {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, mappedAtCreation: true, label: `deberta-js upload ${size}B` });
    const pb: PooledBuffer = { buffer, size, lastUse: -1 };
    this.all.add(pb);
    this.allocatedBytes += size;
    return pb;
  }

  /** Returns `owner`'s buffers to the pool if `owner` is collected before `disown(owner)` (see `orphans`). */
  adopt<T extends object>(owner: T, chunks: PooledBuffer[]): T {
    this.orphans.register(owner, chunks, owner);
    return owner;
  }

  /** `owner`'s buffers were released explicitly (dispose): collection must not release them again. */
  disown(owner: object): void {
    this.orphans.unregister(owner);
  }

  release(pb: PooledBuffer): void {
    if (!this.all.has(pb)) return; // already destroyed (backend destroyed) or foreign
    if (this.freeBytes + pb.size > this.maxFreeBytes) {
      this.destroyOne(pb);
      return;
    }
    let list = this.free.get(pb.size);
    if (!list) this.free.set(pb.size, (list = []));
    list.push(pb);
    this.freeBytes += pb.size;
  }

  /** Destroys the free buffers (keeps live ones). */
  trim(): void {
    for (const list of this.free.values()) for (const pb of list) this.destroyOne(pb);
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Destroys every buffer, live or free. */
  destroy(): void {
    for (const pb of this.all) pb.buffer.destroy();
    this.all.clear();
    this.free.clear();
    this.freeBytes = 0;
    this.allocatedBytes = 0;
  }

  private destroyOne(pb: PooledBuffer) {
    if (!this.all.delete(pb)) return;
    pb.buffer.destroy();
    this.allocatedBytes -= pb.size;
  }
}
