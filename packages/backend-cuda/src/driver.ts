/**
 * koffi bindings to the CUDA driver API (`libcuda.so.1`), loaded at run time. Every call's `CUresult` is checked;
 * a failure throws a `CudaError` naming the call and the error (`cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (2): out of
 * memory`). Handles (contexts, streams, events, modules, functions) and device pointers are BigInts.
 */
import { DebertaError } from "@deberta-js/core";
import { cString, loadKoffi, openLibrary } from "./ffi.js";

export class CudaError extends DebertaError {
  /** The library's status code (CUresult, nvrtcResult or cublasStatus_t). */
  readonly status: number;
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super("BACKEND_ERROR", message, options);
    this.name = "CudaError";
    this.status = status;
  }
}

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_NOT_READY = 600;
export const CUDA_ERROR_OUT_OF_MEMORY = 2;

/** `CUdevice_attribute` values used. */
export const DEVICE_ATTRIBUTE = {
  MULTIPROCESSOR_COUNT: 16,
  COMPUTE_CAPABILITY_MAJOR: 75,
  COMPUTE_CAPABILITY_MINOR: 76,
  MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: 97,
} as const;

/** `CUfunction_attribute`. */
export const FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
export const STREAM_NON_BLOCKING = 1;
export const EVENT_DISABLE_TIMING = 2;

type Fn = (...args: any[]) => any;

/** The driver entry points, with the `_v2` names cuda.h maps the plain names to. */
const PROTOTYPES = {
  cuInit: "int cuInit(unsigned int flags)",
  cuDriverGetVersion: "int cuDriverGetVersion(_Out_ int *version)",
  cuDeviceGetCount: "int cuDeviceGetCount(_Out_ int *count)",
  cuDeviceGet: "int cuDeviceGet(_Out_ int *device, int ordinal)",
  cuDeviceGetName: "int cuDeviceGetName(void *name, int len, int dev)",
  cuDeviceGetAttribute: "int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)",
  cuDeviceTotalMem: "int cuDeviceTotalMem_v2(_Out_ size_t *bytes, int dev)",
  cuDevicePrimaryCtxRetain: "int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)",
  cuDevicePrimaryCtxRelease: "int cuDevicePrimaryCtxRelease_v2(int dev)",
  cuCtxSetCurrent: "int cuCtxSetCurrent(void *ctx)",
  cuMemAlloc: "int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)",
  cuMemFree: "int cuMemFree_v2(uint64_t dptr)",
  cuMemAllocHost: "int cuMemAllocHost_v2(_Out_ void **pp, size_t bytes)",
  cuMemFreeHost: "int cuMemFreeHost(void *p)",
  cuMemGetInfo: "int cuMemGetInfo_v2(_Out_ size_t *free, _Out_ size_t *total)",
  cuMemcpyHtoDAsync: "int cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *stream)",
  cuMemcpyDtoHAsync: "int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream)",
  cuMemcpyDtoDAsync: "int cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void *stream)",
  cuStreamCreate: "int cuStreamCreate(_Out_ void **stream, unsigned int flags)",
  cuStreamDestroy: "int cuStreamDestroy_v2(void *stream)",
  cuStreamSynchronize: "int cuStreamSynchronize(void *stream)",
  cuEventCreate: "int cuEventCreate(_Out_ void **event, unsigned int flags)",
  cuEventRecord: "int cuEventRecord(void *event, void *stream)",
  cuEventQuery: "int cuEventQuery(void *event)",
  cuEventSynchronize: "int cuEventSynchronize(void *event)",
  cuEventDestroy: "int cuEventDestroy_v2(void *event)",
  cuModuleLoadData: "int cuModuleLoadData(_Out_ void **module, const void *image)",
  cuModuleUnload: "int cuModuleUnload(void *module)",
  cuModuleGetFunction: "int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)",
  cuFuncSetAttribute: "int cuFuncSetAttribute(void *fn, int attrib, int value)",
  cuLaunchKernel:
    "int cuLaunchKernel(void *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int smem, void *stream, void *kernelParams, void *extra)",
  cuGetErrorName: "int cuGetErrorName(int error, _Out_ const char **str)",
  cuGetErrorString: "int cuGetErrorString(int error, _Out_ const char **str)",
} as const;

export type DriverFunctions = { [K in keyof typeof PROTOTYPES]: Fn };

export class CudaDriver {
  private constructor(
    readonly path: string,
    readonly fn: DriverFunctions,
  ) {}

  /** Loads the library and binds every entry point (a missing symbol means a driver too old for this backend). */
  static load(path: string): CudaDriver {
    const lib = openLibrary(path);
    const fn = {} as DriverFunctions;
    for (const [name, proto] of Object.entries(PROTOTYPES)) {
      try {
        (fn as Record<string, Fn>)[name] = lib.func(proto);
      } catch (e) {
        throw new Error(`${path}: symbol for ${name} is missing (${(e as Error).message}); the NVIDIA driver is too old`);
      }
    }
    return new CudaDriver(path, fn);
  }

  errorText(code: number): string {
    const name: unknown[] = [null];
    const text: unknown[] = [null];
    const n = this.fn.cuGetErrorName(code, name) === 0 ? cString(name[0]) : `CUDA error`;
    const s = this.fn.cuGetErrorString(code, text) === 0 ? cString(text[0]) : "";
    return `${n} (${code})${s ? `: ${s}` : ""}`;
  }

  check(code: number, call: string): void {
    if (code !== CUDA_SUCCESS) throw new CudaError(`${call}: ${this.errorText(code)}`, code);
  }

  init(): void {
    this.check(this.fn.cuInit(0), "cuInit");
  }

  driverVersion(): number {
    const v = [0];
    this.check(this.fn.cuDriverGetVersion(v), "cuDriverGetVersion");
    return v[0];
  }

  deviceCount(): number {
    const n = [0];
    this.check(this.fn.cuDeviceGetCount(n), "cuDeviceGetCount");
    return n[0];
  }

  device(ordinal: number): number {
    const d = [0];
    this.check(this.fn.cuDeviceGet(d, ordinal), `cuDeviceGet(${ordinal})`);
    return d[0];
  }

  deviceName(dev: number): string {
    const buf = Buffer.alloc(256);
    this.check(this.fn.cuDeviceGetName(buf, buf.length, dev), "cuDeviceGetName");
    const end = buf.indexOf(0);
    return buf.subarray(0, end < 0 ? buf.length : end).toString("utf8");
  }

  attribute(attr: number, dev: number): number {
    const v = [0];
    this.check(this.fn.cuDeviceGetAttribute(v, attr, dev), `cuDeviceGetAttribute(${attr})`);
    return v[0];
  }

  totalMemory(dev: number): number {
    const v = [0];
    this.check(this.fn.cuDeviceTotalMem(v, dev), "cuDeviceTotalMem");
    return Number(v[0]);
  }

  primaryContext(dev: number): bigint {
    const ctx: unknown[] = [null];
    this.check(this.fn.cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
    return toPtr(ctx[0]);
  }

  setCurrent(ctx: bigint): void {
    this.check(this.fn.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  }

  memAlloc(bytes: number): bigint {
    const p = [0];
    this.check(this.fn.cuMemAlloc(p, bytes), `cuMemAlloc(${bytes} bytes)`);
    return BigInt(p[0]);
  }

  memFree(ptr: bigint): void {
    this.check(this.fn.cuMemFree(ptr), "cuMemFree");
  }

  memAllocHost(bytes: number): bigint {
    const p: unknown[] = [null];
    this.check(this.fn.cuMemAllocHost(p, bytes), `cuMemAllocHost(${bytes} bytes)`);
    return toPtr(p[0]);
  }

  memFreeHost(ptr: bigint): void {
    this.check(this.fn.cuMemFreeHost(ptr), "cuMemFreeHost");
  }

  memInfo(): { free: number; total: number } {
    const f = [0];
    const t = [0];
    this.check(this.fn.cuMemGetInfo(f, t), "cuMemGetInfo");
    return { free: Number(f[0]), total: Number(t[0]) };
  }

  streamCreate(flags: number): bigint {
    const s: unknown[] = [null];
    this.check(this.fn.cuStreamCreate(s, flags), "cuStreamCreate");
    return toPtr(s[0]);
  }

  eventCreate(flags: number): bigint {
    const e: unknown[] = [null];
    this.check(this.fn.cuEventCreate(e, flags), "cuEventCreate");
    return toPtr(e[0]);
  }

  /** true when the event has completed; throws on an asynchronous error. */
  eventDone(event: bigint): boolean {
    const r = this.fn.cuEventQuery(event) as number;
    if (r === CUDA_ERROR_NOT_READY) return false;
    this.check(r, "cuEventQuery");
    return true;
  }

  moduleLoad(image: Uint8Array, name: string): bigint {
    const m: unknown[] = [null];
    this.check(this.fn.cuModuleLoadData(m, image), `cuModuleLoadData(${name})`);
    return toPtr(m[0]);
  }

  moduleFunction(mod: bigint, name: string): bigint {
    const f: unknown[] = [null];
    this.check(this.fn.cuModuleGetFunction(f, mod, name), `cuModuleGetFunction(${name})`);
    return toPtr(f[0]);
  }
}

/** koffi 3 gives pointers as BigInt (null for NULL). */
export function toPtr(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  if (v === null || v === undefined) return 0n;
  return loadKoffi().address(v);
}
