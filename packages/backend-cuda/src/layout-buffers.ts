/**
 * Device copies of a `SequenceLayout`'s metadata that the attention and im2col kernels read: the sequence offsets,
 * and per attention kernel kind the (sequence, first query) tile list. Uploaded once per layout object and freed
 * when the layout is garbage-collected (the layers of a forward pass share one layout).
 */
import type { SequenceLayout } from "@deberta-js/core";
import { QUERY_TILE, queryTiles, sequenceTable, type AttentionKernelKind, type SequenceTable } from "./attention-plan.js";
import type { Device } from "./device.js";
import type { MemoryPool } from "./memory-pool.js";

export interface LayoutBuffers {
  table: SequenceTable;
  offsets: bigint;
  tiles: Map<AttentionKernelKind, { ptr: bigint; count: number }>;
}

export class LayoutBufferCache {
  private readonly layouts = new WeakMap<SequenceLayout, LayoutBuffers>();
  private readonly finalizer: FinalizationRegistry<LayoutBuffers>;

  constructor(
    private readonly device: Device,
    private readonly pool: MemoryPool,
    /** True once the backend is destroyed (the pool is gone: nothing to release). */
    isDestroyed: () => boolean,
  ) {
    this.finalizer = new FinalizationRegistry((lb) => {
      if (!isDestroyed()) this.release(lb);
    });
  }

  get(layout: SequenceLayout): LayoutBuffers {
    let lb = this.layouts.get(layout);
    if (lb) return lb;
    const table = sequenceTable(layout);
    const offsets = this.pool.allocate(table.offsets.byteLength);
    this.device.upload(offsets, table.offsets);
    lb = { table, offsets, tiles: new Map() };
    this.layouts.set(layout, lb);
    this.finalizer.register(layout, lb);
    return lb;
  }

  /** The query-tile list of a layout for one attention kernel kind. */
  tiles(lb: LayoutBuffers, kind: AttentionKernelKind): { ptr: bigint; count: number } {
    let t = lb.tiles.get(kind);
    if (t) return t;
    const tiles = queryTiles(lb.table.offsets, QUERY_TILE[kind]);
    const ptr = this.pool.allocate(Math.max(4, tiles.byteLength));
    this.device.upload(ptr, tiles);
    t = { ptr, count: tiles.length / 2 };
    lb.tiles.set(kind, t);
    return t;
  }

  private release(lb: LayoutBuffers): void {
    this.pool.release(lb.offsets);
    for (const t of lb.tiles.values()) this.pool.release(t.ptr);
  }
}
