/**
 * `Device` on a real NVIDIA GPU: the driver API's primary context and one non-blocking stream, kernels compiled by
 * NVRTC per module at first use (cached on disk), GEMMs through cuBLASLt, readback through pinned staging buffers
 * and a polled event, so `await` never blocks Node's event loop.
 */
import type { BackendAvailability } from "@deberta-js/core";
import { CublasLt } from "./cublaslt.js";
import type { Device, DeviceInfo, Dim3 } from "./device.js";
import {
  CudaDriver,
  DEVICE_ATTRIBUTE,
  EVENT_DISABLE_TIMING,
  FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
  STREAM_NON_BLOCKING,
} from "./driver.js";
import { loadKoffi } from "./ffi.js";
import type { GemmCall } from "./gemm-plan.js";
import { KERNEL_MODULES, KERNELS, type KernelModule } from "./kernels/index.js";
import { type ArgValue, packParams } from "./launch-params.js";
import { openFirst } from "./libraries.js";
import { type CompiledModule, compileModule, compileModuleAsync, Nvrtc } from "./nvrtc.js";

export interface CudaLibraries {
  driver: CudaDriver;
  nvrtc: Nvrtc;
  cublasLt: CublasLt;
  versions: Record<string, string>;
}

let libraries: CudaLibraries | undefined;
let probed: BackendAvailability | undefined;

/** Loads libcuda, NVRTC and cuBLASLt once per process; throws with the reason when one is missing or broken. */
export function loadLibraries(): CudaLibraries {
  if (libraries) return libraries;
  loadKoffi();
  const drv = openFirst("cuda", (p) => CudaDriver.load(p));
  const driver = drv.value;
  driver.init();
  const count = driver.deviceCount();
  if (count < 1) throw new Error("the NVIDIA driver is loaded but reports no CUDA device");
  const nv = openFirst("nvrtc", (p) => {
    const n = Nvrtc.load(p);
    n.version();
    return n;
  });
  const lt = openFirst("cublasLt", (p) => {
    const c = CublasLt.load(p);
    c.version();
    return c;
  });
  const dv = driver.driverVersion();
  libraries = {
    driver,
    nvrtc: nv.value,
    cublasLt: lt.value,
    versions: {
      driver: `CUDA ${Math.floor(dv / 1000)}.${(dv % 1000) / 10} (${drv.path})`,
      nvrtc: `${nv.value.version()} (${nv.path})`,
      cublasLt: `${lt.value.version()} (${lt.path})`,
    },
  };
  return libraries;
}

/** `isAvailable()`: can this process use a CUDA GPU, and if not, precisely why. Cached. */
export function probeCuda(): BackendAvailability {
  if (probed) return probed;
  try {
    loadLibraries();
    probed = { available: true };
  } catch (e) {
    probed = { available: false, reason: (e as Error).message };
  }
  return probed;
}

export interface CudaDeviceOptions {
  /** Device ordinal (default `DEBERTA_JS_CUDA_DEVICE` or 0). */
  ordinal?: number;
  /** Kernel cache folder (default `DEBERTA_JS_CUDA_CACHE` or `~/.cache/deberta-js/cuda`). */
  cacheDir?: string;
  /** Allow TF32 tensor cores for f32 GEMMs (default false: f32 means f32). */
  tf32?: boolean;
  /** cuBLASLt workspace (default 32 MiB). */
  workspaceBytes?: number;
}

const ARENA_BYTES = 4096;
const STAGING_CHUNK = 256 * 1024;
const STAGING_CHUNKS = 16;
const STATIC_SMEM_LIMIT = 48 * 1024;

interface LoadedFunction {
  fn: bigint;
  smemConfigured: number;
}

export class CudaDevice implements Device {
  readonly info: DeviceInfo;
  private readonly modules = new Map<string, bigint>();
  private readonly functions = new Map<string, LoadedFunction>();
  private readonly arenaView: DataView;
  private readonly pinnedFree = new Map<number, bigint[]>();
  private readonly events: bigint[] = [];
  private readonly staging: { ptr: bigint; event: bigint; pending: boolean }[] = [];
  private stagingNext = 0;
  private stagingBase = 0n;
  private destroyed = false;
  private readonly supportedArchs: number[];
  private readonly nvrtcVersion: string;

  private constructor(
    private readonly libs: CudaLibraries,
    private readonly blas: CublasLt,
    private readonly ordinal: number,
    private readonly ctx: bigint,
    private readonly stream: bigint,
    private readonly workspace: bigint,
    private readonly arena: bigint,
    info: DeviceInfo,
    private readonly cacheDir: string | undefined,
  ) {
    this.info = info;
    this.arenaView = new DataView(loadKoffi().view(arena, ARENA_BYTES));
    this.supportedArchs = libs.nvrtc.supportedArchs();
    this.nvrtcVersion = libs.nvrtc.version();
  }

  static create(opts: CudaDeviceOptions = {}): CudaDevice {
    const libs = loadLibraries();
    const d = libs.driver;
    const ordinal = opts.ordinal ?? Number(process.env.DEBERTA_JS_CUDA_DEVICE ?? 0);
    const count = d.deviceCount();
    if (!(ordinal >= 0 && ordinal < count)) throw new Error(`CUDA device ${ordinal} does not exist (${count} device(s))`);
    const dev = d.device(ordinal);
    const ctx = d.primaryContext(dev);
    d.setCurrent(ctx);
    const cc: [number, number] = [d.attribute(DEVICE_ATTRIBUTE.COMPUTE_CAPABILITY_MAJOR, dev), d.attribute(DEVICE_ATTRIBUTE.COMPUTE_CAPABILITY_MINOR, dev)];
    const info: DeviceInfo = {
      name: d.deviceName(dev),
      computeCapability: cc,
      multiprocessors: d.attribute(DEVICE_ATTRIBUTE.MULTIPROCESSOR_COUNT, dev),
      maxSharedOptin: d.attribute(DEVICE_ATTRIBUTE.MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev),
      totalMemory: d.totalMemory(dev),
      versions: libs.versions,
    };
    const stream = d.streamCreate(STREAM_NON_BLOCKING);
    const wsBytes = opts.workspaceBytes ?? 32 * 1024 * 1024;
    const workspace = d.memAlloc(wsBytes);
    const blas = libs.cublasLt.session();
    blas.init({ workspace, workspaceBytes: wsBytes, stream, tf32: opts.tf32 ?? false });
    const arena = loadKoffi().alloc("uint8_t", ARENA_BYTES) as bigint;
    return new CudaDevice(libs, blas, dev, ctx, stream, workspace, arena, info, opts.cacheDir);
  }

  private get d(): CudaDriver {
    return this.libs.driver;
  }

  memAlloc(bytes: number): bigint {
    return this.d.memAlloc(bytes);
  }

  memFree(ptr: bigint): void {
    this.d.memFree(ptr);
  }

  /**
   * Small uploads (inputs, index tables, layout offsets) go through a pinned staging ring and stay asynchronous;
   * a copy from pageable memory would first wait for the whole stream. Large ones (weights) copy directly.
   */
  upload(dst: bigint, src: ArrayBufferView): void {
    const bytes = src.byteLength;
    if (bytes === 0) return;
    if (bytes <= STAGING_CHUNK) {
      const chunk = this.stagingChunk();
      new Uint8Array(loadKoffi().view(chunk.ptr, bytes)).set(new Uint8Array(src.buffer, src.byteOffset, bytes));
      this.d.check(this.d.fn.cuMemcpyHtoDAsync(dst, chunk.ptr, bytes, this.stream), `cuMemcpyHtoDAsync(${bytes} bytes, staged)`);
      this.d.check(this.d.fn.cuEventRecord(chunk.event, this.stream), "cuEventRecord");
      chunk.pending = true;
      return;
    }
    this.d.check(this.d.fn.cuMemcpyHtoDAsync(dst, src, bytes, this.stream), `cuMemcpyHtoDAsync(${bytes} bytes)`);
  }

  /** The next staging chunk, once the copy that last used it has finished (almost always already). */
  private stagingChunk(): { ptr: bigint; event: bigint; pending: boolean } {
    if (!this.staging.length) {
      const base = this.d.memAllocHost(STAGING_CHUNK * STAGING_CHUNKS);
      this.stagingBase = base;
      for (let i = 0; i < STAGING_CHUNKS; i++) {
        this.staging.push({ ptr: base + BigInt(i * STAGING_CHUNK), event: this.d.eventCreate(EVENT_DISABLE_TIMING), pending: false });
      }
    }
    const c = this.staging[this.stagingNext];
    this.stagingNext = (this.stagingNext + 1) % this.staging.length;
    if (c.pending && !this.d.eventDone(c.event)) this.d.check(this.d.fn.cuEventSynchronize(c.event), "cuEventSynchronize(staging)");
    c.pending = false;
    return c;
  }

  copy(dst: bigint, src: bigint, bytes: number): void {
    if (bytes === 0) return;
    this.d.check(this.d.fn.cuMemcpyDtoDAsync(dst, src, bytes, this.stream), `cuMemcpyDtoDAsync(${bytes} bytes)`);
  }

  async download(src: bigint, dst: ArrayBufferView): Promise<void> {
    const bytes = dst.byteLength;
    if (bytes === 0) return;
    const size = pinnedClass(bytes);
    const pinned = this.pinnedFree.get(size)?.pop() ?? this.d.memAllocHost(size);
    try {
      this.d.check(this.d.fn.cuMemcpyDtoHAsync(pinned, src, bytes, this.stream), `cuMemcpyDtoHAsync(${bytes} bytes)`);
      await this.waitStream();
      const view = new Uint8Array(loadKoffi().view(pinned, bytes));
      new Uint8Array(dst.buffer, dst.byteOffset, bytes).set(view);
    } finally {
      if (this.destroyed) this.d.memFreeHost(pinned);
      else {
        let list = this.pinnedFree.get(size);
        if (!list) this.pinnedFree.set(size, (list = []));
        list.push(pinned);
      }
    }
  }

  /** Records an event on the stream and polls it from the event loop until the GPU passes it. */
  private async waitStream(): Promise<void> {
    const ev = this.events.pop() ?? this.d.eventCreate(EVENT_DISABLE_TIMING);
    try {
      this.d.check(this.d.fn.cuEventRecord(ev, this.stream), "cuEventRecord");
      let spins = 0;
      while (!this.d.eventDone(ev)) {
        await (spins++ < 4000 ? new Promise<void>((r) => setImmediate(r)) : new Promise<void>((r) => setTimeout(r, 1)));
      }
    } finally {
      if (this.destroyed) this.d.fn.cuEventDestroy(ev);
      else this.events.push(ev);
    }
  }

  synchronize(): Promise<void> {
    return this.waitStream();
  }

  private compileArgs(m: KernelModule) {
    return {
      name: m.name,
      source: m.source,
      cc: this.info.computeCapability,
      supportedArchs: this.supportedArchs,
      nvrtcVersion: this.nvrtcVersion,
      cacheDir: this.cacheDir,
    };
  }

  private loadModule(m: KernelModule, precompiled?: CompiledModule): bigint {
    const have = this.modules.get(m.name);
    if (have) return have;
    const compiled = precompiled ?? compileModule(this.libs.nvrtc, this.compileArgs(m));
    let mod: bigint;
    try {
      mod = this.d.moduleLoad(compiled.image, `${m.name} (${compiled.target} ${compiled.format}, NVRTC ${this.nvrtcVersion})`);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}. If the driver is older than NVRTC ${this.nvrtcVersion}, use an NVRTC that matches the driver's ${this.libs.versions.driver} (DEBERTA_JS_NVRTC)`,
        { cause: e },
      );
    }
    this.modules.set(m.name, mod);
    return mod;
  }

  private function(kernel: string): LoadedFunction {
    let f = this.functions.get(kernel);
    if (f) return f;
    const entry = KERNELS.get(kernel);
    if (!entry) throw new Error(`unknown kernel ${kernel}`);
    const mod = this.loadModule(entry.module);
    f = { fn: this.d.moduleFunction(mod, kernel), smemConfigured: STATIC_SMEM_LIMIT };
    this.functions.set(kernel, f);
    return f;
  }

  async precompile(): Promise<{ module: string; ms: number; fromCache: boolean }[]> {
    const todo = KERNEL_MODULES.filter((m) => !this.modules.has(m.name));
    const done = await Promise.all(
      todo.map(async (m) => {
        const t0 = performance.now();
        const compiled = await compileModuleAsync(this.libs.nvrtc, this.compileArgs(m));
        return { m, compiled, ms: compiled.fromCache ? 0 : performance.now() - t0 };
      }),
    );
    this.d.setCurrent(this.ctx);
    for (const { m, compiled } of done) this.loadModule(m, compiled);
    return done.map(({ m, compiled, ms }) => ({ module: m.name, ms, fromCache: compiled.fromCache }));
  }

  launch(kernel: string, grid: Dim3, block: Dim3, smem: number, args: readonly ArgValue[]): void {
    const f = this.function(kernel);
    if (smem > f.smemConfigured) {
      this.d.check(this.d.fn.cuFuncSetAttribute(f.fn, FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem), `cuFuncSetAttribute(${kernel}, ${smem} bytes)`);
      f.smemConfigured = smem;
    }
    const params = packParams(this.arenaView, this.arena, kernel, KERNELS.get(kernel)!.params, args);
    this.d.check(
      this.d.fn.cuLaunchKernel(f.fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], smem, this.stream, params, null),
      `cuLaunchKernel(${kernel}, grid ${grid.join("x")}, block ${block.join("x")}, ${smem} B smem)`,
    );
  }

  gemm(call: GemmCall): void {
    this.blas.matmul(call);
  }

  /** Whether cuBLASLt can run this call as given (else the backend splits its batch). */
  gemmSupported(call: GemmCall): boolean {
    return this.blas.supports(call);
  }

  memInfo(): { free: number; total: number } {
    return this.d.memInfo();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const d = this.d;
    d.fn.cuStreamSynchronize(this.stream);
    this.blas.destroy();
    for (const m of this.modules.values()) d.fn.cuModuleUnload(m);
    this.modules.clear();
    this.functions.clear();
    for (const list of this.pinnedFree.values()) for (const p of list) d.fn.cuMemFreeHost(p);
    this.pinnedFree.clear();
    for (const e of this.events) d.fn.cuEventDestroy(e);
    this.events.length = 0;
    for (const c of this.staging) d.fn.cuEventDestroy(c.event);
    if (this.stagingBase) d.fn.cuMemFreeHost(this.stagingBase);
    this.staging.length = 0;
    d.fn.cuMemFree(this.workspace);
    d.fn.cuStreamDestroy(this.stream);
    loadKoffi().free(this.arena);
    d.fn.cuDevicePrimaryCtxRelease(this.ordinal);
  }
}

/** Pinned staging sizes: powers of two from 64 KiB. */
function pinnedClass(bytes: number): number {
  return Math.max(65536, 2 ** Math.ceil(Math.log2(bytes)));
}
