/**
 * The CPU backend's allocator when the kernels have a heap (WASM on a shared memory): tensor storage is allocated in
 * linear memory, so the kernels take it by address, and disposing a tensor frees it there at once. Nothing is kept
 * for reuse on the JS side: the WASM allocator's own free lists (csrc/wasm_rt.c) hand the same sizes back on the
 * next forward pass.
 */
import type { KernelHeap } from "./kernels.js";
import { BufferPool, type Storage } from "./pool.js";

export class HeapPool extends BufferPool {
  constructor(readonly heap: KernelHeap) {
    super(0);
  }

  override f32(n: number): Float32Array {
    return this.heap.f32(n);
  }
  override f16(n: number): Uint16Array {
    return this.heap.f16(n);
  }
  override i32(n: number): Int32Array {
    return this.heap.i32(n);
  }

  /** Frees heap storage; arrays from elsewhere (adopted weights, JS temporaries) are left to the garbage collector. */
  override give(a: Storage): void {
    this.heap.free(a);
  }
}
