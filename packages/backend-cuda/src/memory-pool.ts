/**
 * A caching device allocator. Freed blocks go to a free list of their size class and are handed out again without
 * a `cuMemFree` / `cuMemAlloc` round trip (both synchronise the device). All work runs on one stream, so a block
 * freed by the host while kernels that use it are still queued is safe to reuse: later work is ordered after them.
 *
 * Size classes: multiples of 512 bytes up to 1 MiB, above that the next of 1, 1.25, 1.5, 1.75 × 2^k (≤ 25 % slack).
 * When an allocation fails, the cache is released and the allocation tried once more.
 */
export interface PoolStats {
  /** Bytes in blocks handed out. */
  inUse: number;
  /** Bytes in cached free blocks. */
  cached: number;
  /** Device allocations made / freed. */
  allocations: number;
  frees: number;
}

export class MemoryPool {
  private readonly free = new Map<number, bigint[]>();
  private readonly sizes = new Map<bigint, number>();
  private readonly stats_: PoolStats = { inUse: 0, cached: 0, allocations: 0, frees: 0 };

  constructor(
    private readonly deviceAlloc: (bytes: number) => bigint,
    private readonly deviceFree: (ptr: bigint) => void,
    /** Cached bytes above which freed blocks are returned to the device instead (default unlimited). */
    private readonly maxCached = Number.POSITIVE_INFINITY,
  ) {}

  static sizeClass(bytes: number): number {
    const b = Math.max(1, Math.ceil(bytes));
    if (b <= 1 << 20) return Math.ceil(b / 512) * 512;
    const pow = 2 ** Math.floor(Math.log2(b));
    for (const f of [1, 1.25, 1.5, 1.75, 2]) if (b <= pow * f) return pow * f;
    return pow * 2;
  }

  allocate(bytes: number): bigint {
    const size = MemoryPool.sizeClass(bytes);
    const list = this.free.get(size);
    let ptr = list?.pop();
    if (ptr !== undefined) {
      this.stats_.cached -= size;
    } else {
      try {
        ptr = this.deviceAlloc(size);
      } catch (e) {
        if (this.stats_.cached === 0) throw e;
        this.trim();
        ptr = this.deviceAlloc(size);
      }
      this.stats_.allocations++;
    }
    this.sizes.set(ptr, size);
    this.stats_.inUse += size;
    return ptr;
  }

  release(ptr: bigint): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`MemoryPool.release: 0x${ptr.toString(16)} was not allocated by this pool (or was released twice)`);
    this.sizes.delete(ptr);
    this.stats_.inUse -= size;
    if (this.stats_.cached + size > this.maxCached) {
      this.deviceFree(ptr);
      this.stats_.frees++;
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
    this.stats_.cached += size;
  }

  /** Returns every cached block to the device. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const p of list) {
        this.deviceFree(p);
        this.stats_.frees++;
      }
    }
    this.free.clear();
    this.stats_.cached = 0;
  }

  /** Frees cached and in-use blocks alike (backend teardown). */
  releaseAll(): void {
    this.trim();
    for (const p of this.sizes.keys()) {
      this.deviceFree(p);
      this.stats_.frees++;
    }
    this.sizes.clear();
    this.stats_.inUse = 0;
  }

  stats(): PoolStats {
    return { ...this.stats_ };
  }
}
