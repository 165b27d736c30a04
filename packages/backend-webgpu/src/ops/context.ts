/**
 * What the ops see of the backend: where to record dispatches, tensor memory, the kernel family and the limits
 * launch geometry depends on. Validation is done before an op function runs (core's op contract).
 */
import type { SequenceLayout } from "@deberta-js/core";
import type { PooledBuffer } from "../buffer-pool.js";
import type { KernelProfile } from "../launch.js";
import type { GpuMemory } from "../memory.js";
import type { Recorder } from "../recorder.js";

export interface OpContext {
  readonly recorder: Recorder;
  readonly memory: GpuMemory;
  /** The kernel family in use. */
  readonly kernels: KernelProfile;
  /** The device's `maxComputeWorkgroupStorageSize` (attention tiles). */
  readonly maxWorkgroupStorage: number;
  /** The layout's metadata buffer (see `LayoutMetaCache`). */
  layoutMeta(layout: SequenceLayout): PooledBuffer;
}
