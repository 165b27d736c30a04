import { describe, expect, it } from "vitest";
import { MemoryPool } from "./memory-pool.js";

function fakeDevice(limit = Infinity) {
  let next = 0x1000n;
  const live = new Map<bigint, number>();
  let used = 0;
  return {
    live,
    alloc: (n: number) => {
      if (used + n > limit) throw new Error("cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (2)");
      const p = next;
      next += BigInt(n + 256);
      live.set(p, n);
      used += n;
      return p;
    },
    free: (p: bigint) => {
      used -= live.get(p)!;
      live.delete(p);
    },
  };
}

describe("MemoryPool", () => {
  it("rounds to size classes", () => {
    expect(MemoryPool.sizeClass(1)).toBe(512);
    expect(MemoryPool.sizeClass(513)).toBe(1024);
    expect(MemoryPool.sizeClass(1 << 20)).toBe(1 << 20);
    expect(MemoryPool.sizeClass((1 << 20) + 1)).toBe(1.25 * (1 << 20));
    expect(MemoryPool.sizeClass(3 * (1 << 20))).toBe(3 * (1 << 20));
    expect(MemoryPool.sizeClass(7 * (1 << 20) + 5)).toBe(8 * (1 << 20));
  });

  it("reuses freed blocks of the same class without touching the device", () => {
    const d = fakeDevice();
    const pool = new MemoryPool(d.alloc, d.free);
    const a = pool.allocate(1000);
    pool.release(a);
    const b = pool.allocate(900);
    expect(b).toBe(a);
    expect(pool.stats()).toMatchObject({ allocations: 1, inUse: 1024, cached: 0 });
    expect(() => pool.release(0x42n)).toThrow(/not allocated by this pool/);
  });

  it("releases its cache and retries when the device runs out of memory", () => {
    const d = fakeDevice(4096);
    const pool = new MemoryPool(d.alloc, d.free);
    const a = pool.allocate(3000);
    pool.release(a);
    const b = pool.allocate(2000); // another class: needs the cached 3072 bytes back
    expect(d.live.size).toBe(1);
    expect(pool.stats().cached).toBe(0);
    pool.release(b);
    pool.releaseAll();
    expect(d.live.size).toBe(0);
  });

  it("returns blocks to the device beyond maxCached", () => {
    const d = fakeDevice();
    const pool = new MemoryPool(d.alloc, d.free, 1024);
    const a = pool.allocate(1024);
    const b = pool.allocate(1024);
    pool.release(a);
    pool.release(b);
    expect(pool.stats()).toMatchObject({ cached: 1024, frees: 1 });
  });
});
