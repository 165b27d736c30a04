/**
 * `Device` on the CPU emulator: the backend under test is the real `CudaBackend`, its kernels are the real kernel
 * sources (compiled by g++, run by the fiber scheduler of djs_emu.cpp), its kernel arguments go through the real
 * marshalling (`packParams`), and its GEMMs run through a column-major reference of cuBLASLt's semantics.
 *
 * Checks a GPU would not make for us: every allocation has poisoned redzones on both sides that are verified after
 * each launch/GEMM (out-of-bounds writes), frees of unknown pointers throw, launches are checked against the
 * device's shared-memory limit and the grid limits.
 */
import koffi from "koffi";
import type { Device, DeviceInfo, Dim3 } from "../../src/device.js";
import type { GemmCall } from "../../src/gemm-plan.js";
import { KERNELS } from "../../src/kernels/index.js";
import { type ArgValue, packParams } from "../../src/launch-params.js";

const REDZONE = 256;
const ARENA = 4096;

const EmuGemm = koffi.struct("DjsEmuGemm", {
  transa: "int",
  transb: "int",
  m: "int",
  n: "int",
  k: "int",
  batch: "int",
  lda: "int64_t",
  ldb: "int64_t",
  ldc: "int64_t",
  strideA: "int64_t",
  strideB: "int64_t",
  strideC: "int64_t",
  A: "uint64_t",
  B: "uint64_t",
  C: "uint64_t",
  bias: "uint64_t",
  alpha: "float",
  beta: "float",
  dtype: "int",
  epilogue: "int",
});

export interface EmuDeviceOptions {
  computeCapability?: [number, number];
  maxSharedOptin?: number;
  multiprocessors?: number;
}

export class EmuDevice implements Device {
  readonly info: DeviceInfo;
  private readonly fn: Record<string, (...a: any[]) => any>;
  private readonly allocations = new Map<bigint, { base: bigint; bytes: number }>();
  private readonly arena: bigint;
  private readonly arenaView: DataView;
  private readonly index = new Map<string, number>();
  launches = 0;
  gemms = 0;
  /** Kernel names launched, in order (tests assert which kernels ran). */
  readonly launched: string[] = [];

  constructor(libPath: string, opts: EmuDeviceOptions = {}) {
    const lib = koffi.load(libPath);
    this.fn = {
      alloc: lib.func("void *djs_emu_alloc(size_t bytes)"),
      free: lib.func("void djs_emu_free(void *p)"),
      copy: lib.func("void djs_emu_copy(void *dst, const void *src, size_t bytes)"),
      find: lib.func("int djs_emu_find(const char *name)"),
      launch: lib.func(
        "int djs_emu_launch(int kernel, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int smem, void *params)",
      ),
      lastError: lib.func("const char *djs_emu_last_error()"),
      gemm: lib.func("int djs_emu_gemm(const DjsEmuGemm *g)"),
    };
    this.info = {
      name: "deberta-js CPU emulator",
      computeCapability: opts.computeCapability ?? [9, 0],
      multiprocessors: opts.multiprocessors ?? 2,
      maxSharedOptin: opts.maxSharedOptin ?? 227 * 1024,
      totalMemory: 1 << 30,
      versions: { emulator: libPath },
    };
    this.arena = this.fn.alloc(ARENA) as bigint;
    this.arenaView = new DataView(koffi.view(this.arena, ARENA));
  }

  memAlloc(bytes: number): bigint {
    const base = this.fn.alloc(bytes + 2 * REDZONE) as bigint;
    if (!base) throw new Error(`emulator: out of memory (${bytes} bytes)`);
    const ptr = base + BigInt(REDZONE);
    this.allocations.set(ptr, { base, bytes });
    return ptr;
  }

  memFree(ptr: bigint): void {
    const a = this.allocations.get(ptr);
    if (!a) throw new Error(`emulator: free of 0x${ptr.toString(16)}, which is not a live allocation`);
    this.checkRedzones(`free(0x${ptr.toString(16)})`, ptr, a);
    this.allocations.delete(ptr);
    this.fn.free(a.base);
  }

  /** Bytes currently allocated (the pool's cached blocks included). */
  get allocatedBytes(): number {
    let n = 0;
    for (const a of this.allocations.values()) n += a.bytes;
    return n;
  }

  private check(ptr: bigint, bytes: number, what: string): void {
    for (const [p, a] of this.allocations) {
      if (ptr >= p && ptr + BigInt(bytes) <= p + BigInt(a.bytes)) return;
    }
    throw new Error(`emulator: ${what} touches ${bytes} bytes at 0x${ptr.toString(16)}, outside every allocation`);
  }

  upload(dst: bigint, src: ArrayBufferView): void {
    if (!src.byteLength) return;
    this.check(dst, src.byteLength, "upload");
    this.fn.copy(dst, new Uint8Array(src.buffer, src.byteOffset, src.byteLength), src.byteLength);
  }

  copy(dst: bigint, src: bigint, bytes: number): void {
    if (!bytes) return;
    this.check(dst, bytes, "copy destination");
    this.check(src, bytes, "copy source");
    this.fn.copy(dst, src, bytes);
  }

  async download(src: bigint, dst: ArrayBufferView): Promise<void> {
    if (!dst.byteLength) return;
    this.check(src, dst.byteLength, "download");
    this.fn.copy(new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength), src, dst.byteLength);
  }

  launch(kernel: string, grid: Dim3, block: Dim3, smem: number, args: readonly ArgValue[]): void {
    const entry = KERNELS.get(kernel);
    if (!entry) throw new Error(`emulator: unknown kernel ${kernel}`);
    if (smem > this.info.maxSharedOptin) throw new Error(`emulator: ${kernel} asks for ${smem} bytes of shared memory > ${this.info.maxSharedOptin}`);
    if (grid[0] < 1 || grid[0] >= 2 ** 31 || grid[1] < 1 || grid[1] > 65535 || grid[2] < 1 || grid[2] > 65535) {
      throw new Error(`emulator: ${kernel} grid ${grid.join("x")} out of range`);
    }
    args.forEach((a, i) => {
      if (entry.params[i] === "p" && typeof a === "bigint" && a !== 0n) this.check(a, 1, `${kernel} argument ${i}`);
    });
    let idx = this.index.get(kernel);
    if (idx === undefined) {
      idx = this.fn.find(kernel) as number;
      if (idx < 0) throw new Error(`emulator: kernel ${kernel} is not in the emulator build`);
      this.index.set(kernel, idx);
    }
    const params = packParams(this.arenaView, this.arena, kernel, entry.params, args);
    const rc = this.fn.launch(idx, grid[0], grid[1], grid[2], block[0], block[1], block[2], smem, params) as number;
    if (rc !== 0) throw new Error(`emulator: ${kernel}: ${this.fn.lastError() as string}`);
    this.launches++;
    this.launched.push(kernel);
    this.checkAllRedzones(kernel);
  }

  gemm(c: GemmCall): void {
    const es = c.dtype === "f32" ? 4 : 2;
    const spanA = (c.batch - 1) * c.strideA + c.lda * ((c.transa ? c.m : c.k) - 1) + (c.transa ? c.k : c.m);
    const spanB = (c.batch - 1) * c.strideB + c.ldb * ((c.transb ? c.k : c.n) - 1) + (c.transb ? c.n : c.k);
    const spanC = (c.batch - 1) * c.strideC + c.ldc * (c.n - 1) + c.m;
    this.check(c.A, spanA * es, "gemm A");
    this.check(c.B, spanB * es, "gemm B");
    this.check(c.C, spanC * es, "gemm C");
    if (c.bias) this.check(c.bias, c.m * es, "gemm bias");
    const rc = this.fn.gemm({
      ...c,
      transa: c.transa ? 1 : 0,
      transb: c.transb ? 1 : 0,
      dtype: c.dtype === "f32" ? 0 : c.dtype === "f16" ? 1 : 2,
    }) as number;
    if (rc !== 0) throw new Error(`emulator: gemm failed (${rc})`);
    this.gemms++;
    this.checkAllRedzones("gemm");
  }

  gemmSupported(): boolean {
    return true;
  }

  async synchronize(): Promise<void> {}

  destroy(): void {
    for (const [p, a] of this.allocations) {
      this.checkRedzones("destroy", p, a);
      this.fn.free(a.base);
    }
    this.allocations.clear();
  }

  private checkAllRedzones(after: string): void {
    for (const [p, a] of this.allocations) this.checkRedzones(after, p, a);
  }

  private checkRedzones(after: string, ptr: bigint, a: { base: bigint; bytes: number }): void {
    const before = new Uint8Array(koffi.view(a.base, REDZONE));
    const afterZone = new Uint8Array(koffi.view(ptr + BigInt(a.bytes), REDZONE));
    for (let i = 0; i < REDZONE; i++) {
      if (before[i] !== 0xff || afterZone[i] !== 0xff) {
        throw new Error(`emulator: ${after} wrote outside the ${a.bytes}-byte allocation at 0x${ptr.toString(16)}`);
      }
    }
  }
}
