/**
 * What the backend needs from a GPU, in one small interface: memory, copies, kernel launches, GEMMs and a way to
 * wait. `CudaDevice` (cuda-device.ts) implements it with the CUDA driver API, NVRTC and cuBLASLt; the test suite
 * implements it with a CPU emulator that runs the very same kernel sources, so the backend's logic is tested on
 * machines without a GPU.
 */
import type { GemmCall } from "./gemm-plan.js";
import type { ArgValue } from "./launch-params.js";

export type Dim3 = readonly [number, number, number];

export interface DeviceInfo {
  /** e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
  computeCapability: readonly [number, number];
  multiprocessors: number;
  /** Largest dynamic shared memory a block may opt in to (bytes). */
  maxSharedOptin: number;
  totalMemory: number;
  /** Versions of the loaded libraries, for logs and benchmark tables. */
  versions: Record<string, string>;
}

export interface Device {
  readonly info: DeviceInfo;
  /** Raw device allocation (the backend's memory pool sits on top). Throws when out of memory. */
  memAlloc(bytes: number): bigint;
  memFree(ptr: bigint): void;
  /** Host → device copy, ordered on the device's stream. The source may be reused once this returns. */
  upload(dst: bigint, src: ArrayBufferView): void;
  /** Device → device copy on the stream. */
  copy(dst: bigint, src: bigint, bytes: number): void;
  /** Device → host copy, ordered after all earlier work; resolves when `dst` holds the data. */
  download(src: bigint, dst: ArrayBufferView): Promise<void>;
  /** Enqueues a kernel (compiling its module on first use). */
  launch(kernel: string, grid: Dim3, block: Dim3, smem: number, args: readonly ArgValue[]): void;
  /** Enqueues a cuBLASLt matmul. */
  gemm(call: GemmCall): void;
  /** Whether `gemm` can run this call as one strided batch (cuBLASLt may have no algorithm for some strides). */
  gemmSupported?(call: GemmCall): boolean;
  /** Resolves when all enqueued work has finished (rejects with the first asynchronous error). */
  synchronize(): Promise<void>;
  /**
   * Compiles (or loads from the disk cache) every kernel module now instead of at first use, in parallel.
   * Resolves with each module's compile time (0 when it came from the cache).
   */
  precompile?(): Promise<{ module: string; ms: number; fromCache: boolean }[]>;
  destroy(): void;
}
