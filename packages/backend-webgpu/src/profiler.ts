/**
 * Optional per-kernel GPU timing (`profile: true`, needs the adapter's `timestamp-query` feature): every dispatch
 * runs in its own compute pass with timestamp writes; at each submit the timestamps are resolved and read back
 * asynchronously, and `report()` sums them per kernel variant. For tuning on real GPUs — it serialises passes,
 * so totals are a little higher than in normal runs.
 */
import { BufferUsage, MapMode } from "./gpu-constants.js";

export interface KernelTiming {
  kernel: string;
  calls: number;
  ms: number;
}

const CAPACITY = 2048; // dispatches per submit (WebGPU allows 4096 queries per set)

export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private keys: string[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly totals = new Map<string, { calls: number; ns: number }>();

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: "timestamp", count: 2 * CAPACITY });
    this.resolve = device.createBuffer({ size: 16 * CAPACITY, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
  }

  /** Full: the caller must submit before the next dispatch. */
  get full(): boolean {
    return this.keys.length >= CAPACITY;
  }

  /** Timestamp writes for the pass of the next dispatch. */
  passDescriptor(key: string): GPUComputePassDescriptor {
    const i = this.keys.length;
    this.keys.push(key);
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  /** Records the resolve + copy into `encoder` (call before finishing it); `afterSubmit()` reads them. */
  beforeSubmit(encoder: GPUCommandEncoder): (() => void) | undefined {
    const n = this.keys.length;
    if (!n) return undefined;
    const keys = this.keys;
    this.keys = [];
    const staging = this.device.createBuffer({ size: 16 * n, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, staging, 0, 16 * n);
    return () => {
      this.pending.push(
        staging.mapAsync(MapMode.READ).then(() => {
          const t = new BigInt64Array(staging.getMappedRange().slice(0));
          staging.destroy();
          for (let i = 0; i < n; i++) {
            const e = this.totals.get(keys[i]) ?? { calls: 0, ns: 0 };
            e.calls++;
            e.ns += Math.max(0, Number(t[2 * i + 1] - t[2 * i]));
            this.totals.set(keys[i], e);
          }
        }),
      );
    };
  }

  /** Time per kernel variant since the last `reset()`, slowest first. */
  async report(): Promise<KernelTiming[]> {
    await Promise.all(this.pending.splice(0));
    return [...this.totals.entries()].map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ns / 1e6 })).sort((a, b) => b.ms - a.ms);
  }

  reset(): void {
    this.totals.clear();
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}
