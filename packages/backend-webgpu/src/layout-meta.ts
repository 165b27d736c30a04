/**
 * The i32 metadata of a `SequenceLayout` that attention and conv1d kernels read: `[offsets (batch+1)]`, then for a
 * padded layout `[mask (batch·seqLen)]`. Uploaded once and cached by content (the layers of a forward pass, and
 * repeated batches of the same shape and mask, share it); the least recently used of more than 8 is freed.
 */
import { type SequenceLayout, layoutBatch } from "@deberta-js/core";
import type { BufferPool, PooledBuffer } from "./buffer-pool.js";

const CAPACITY = 8;

export class LayoutMetaCache {
  private readonly cache = new Map<string, PooledBuffer>();
  private readonly keys = new WeakMap<SequenceLayout, string>();

  constructor(
    private readonly write: (bytes: Uint8Array) => PooledBuffer,
    private readonly pool: BufferPool,
  ) {}

  get(layout: SequenceLayout): PooledBuffer {
    const key = this.key(layout);
    const hit = this.cache.get(key);
    if (hit) {
      // re-insert: Map order is the LRU order
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const buffer = this.write(new Uint8Array(layoutMetaData(layout).buffer));
    this.cache.set(key, buffer);
    if (this.cache.size > CAPACITY) {
      const [oldest, old] = this.cache.entries().next().value as [string, PooledBuffer];
      this.cache.delete(oldest);
      this.pool.release(old);
    }
    return buffer;
  }

  clear(): void {
    this.cache.clear();
  }

  private key(layout: SequenceLayout): string {
    let key = this.keys.get(layout);
    if (key === undefined) {
      key = layout.kind === "padded" ? `p${layout.batch},${layout.seqLen}:${layout.mask.join("")}` : `k${layout.offsets.join(",")}`;
      this.keys.set(layout, key);
    }
    return key;
  }
}

/** The metadata words of a layout (see the file comment). */
export function layoutMetaData(layout: SequenceLayout): Int32Array {
  if (layout.kind !== "padded") return Int32Array.from(layout.offsets);
  const B = layoutBatch(layout);
  const data = new Int32Array(B + 1 + B * layout.seqLen);
  for (let b = 0; b <= B; b++) data[b] = b * layout.seqLen;
  data.set(layout.mask, B + 1);
  return data;
}
