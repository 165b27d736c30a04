/**
 * A WebGPU backend without a GPU, for unit tests of op planning: a fake `GPUDevice` (limits, features, buffers that
 * only know their size) and a `FakeRecorder` that keeps every dispatch — kernel variant, workgroup counts, packed
 * parameters and the byte size of each bound buffer — instead of encoding it.
 */
import type { PooledBuffer } from "../src/buffer-pool.js";
import { WebGpuBackend, type WebGpuBackendOptions } from "../src/backend.js";
import type { Grid } from "../src/launch.js";
import type { KernelVariant } from "../src/pipelines.js";
import type { Recorder } from "../src/recorder.js";

export interface RecordedDispatch {
  /** The kernel variant's key, e.g. "matmul/f32/f32/f32/tA0/tB1/nobias/id/r4". */
  kernel: string;
  groups: Grid;
  params: Uint32Array;
  /** Byte size of the buffer at each binding (index 0, the parameter uniform, and unused bindings are null). */
  bindings: (number | null)[];
  /** The bound buffers themselves (to check which chunk or tensor went where). */
  buffers: (PooledBuffer | undefined)[];
}

export class FakeRecorder implements Recorder {
  readonly dispatches: RecordedDispatch[] = [];
  readonly copies: { bytes: number }[] = [];
  epoch = 0;
  submits = 0;
  lostReason: string | null = null;
  readonly pipelineCount = 0;

  dispatch(kv: KernelVariant, params: Uint32Array, bindings: readonly (PooledBuffer | undefined)[], groups: Grid): void {
    this.dispatches.push({ kernel: kv.key, groups: [...groups], params, bindings: bindings.map((b) => b?.size ?? null), buffers: [...bindings] });
  }
  copy(_src: GPUBuffer, _so: number, _dst: GPUBuffer, _do: number, bytes: number): void {
    this.copies.push({ bytes });
  }
  flush(): void {
    this.epoch++;
    this.submits++;
  }
  takeErrors(): Promise<(GPUError | null)[]> {
    return Promise.resolve([]);
  }
  throwErrors(): void {}
  profileReport(): Promise<[]> {
    return Promise.resolve([]);
  }
  close(): void {}
  /** The dispatches recorded since the last call. */
  take(): RecordedDispatch[] {
    return this.dispatches.splice(0);
  }
}

export interface FakeDeviceLimits {
  maxBufferBytes?: number;
  maxWorkgroupStorage?: number;
  f16?: boolean;
}

/** A `GPUDevice` with the limits planning reads; buffers hold nothing (uploads are dropped). */
export function fakeDevice(l: FakeDeviceLimits = {}): GPUDevice {
  const max = l.maxBufferBytes ?? 2 ** 30;
  const device = {
    limits: {
      maxStorageBufferBindingSize: max,
      maxBufferSize: max,
      maxComputeWorkgroupStorageSize: l.maxWorkgroupStorage ?? 16384,
      minUniformBufferOffsetAlignment: 256,
    },
    features: new Set(l.f16 ? ["shader-f16"] : []),
    createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, label: d.label, getMappedRange: () => new ArrayBuffer(d.size), unmap() {}, destroy() {} }),
    queue: { writeBuffer() {} },
    destroy() {},
  };
  return device as unknown as GPUDevice;
}

/** A backend on a fake device whose ops record into the returned `FakeRecorder`. */
export function plannedBackend(options: WebGpuBackendOptions & FakeDeviceLimits = {}): { be: WebGpuBackend; rec: FakeRecorder } {
  const rec = new FakeRecorder();
  const be = new WebGpuBackend(fakeDevice(options), { kernels: "gpu", ...options }, rec);
  return { be, rec };
}
