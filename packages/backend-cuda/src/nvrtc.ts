/**
 * NVRTC: compiles the kernel modules at first use for the GPU's own architecture (`sm_XY` → CUBIN; when this NVRTC
 * is older than the GPU, PTX for the newest `compute_XY` it knows, which the driver finishes), and keeps the result
 * in a disk cache keyed by source, options, architecture and NVRTC version:
 * `$DEBERTA_JS_CUDA_CACHE` or `~/.cache/deberta-js/cuda`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CudaError, toPtr } from "./driver.js";
import { cString, openLibrary } from "./ffi.js";

type Fn = ((...args: any[]) => any) & { async?: any };

const PROTOTYPES = {
  nvrtcVersion: "int nvrtcVersion(_Out_ int *major, _Out_ int *minor)",
  nvrtcGetNumSupportedArchs: "int nvrtcGetNumSupportedArchs(_Out_ int *n)",
  nvrtcGetSupportedArchs: "int nvrtcGetSupportedArchs(void *archs)",
  nvrtcCreateProgram:
    "int nvrtcCreateProgram(_Out_ void **prog, const char *src, const char *name, int numHeaders, void *headers, void *includeNames)",
  nvrtcCompileProgram: "int nvrtcCompileProgram(void *prog, int numOptions, const char **options)",
  nvrtcGetProgramLogSize: "int nvrtcGetProgramLogSize(void *prog, _Out_ size_t *size)",
  nvrtcGetProgramLog: "int nvrtcGetProgramLog(void *prog, void *log)",
  nvrtcGetCUBINSize: "int nvrtcGetCUBINSize(void *prog, _Out_ size_t *size)",
  nvrtcGetCUBIN: "int nvrtcGetCUBIN(void *prog, void *cubin)",
  nvrtcGetPTXSize: "int nvrtcGetPTXSize(void *prog, _Out_ size_t *size)",
  nvrtcGetPTX: "int nvrtcGetPTX(void *prog, void *ptx)",
  nvrtcDestroyProgram: "int nvrtcDestroyProgram(_Inout_ void **prog)",
  nvrtcGetErrorString: "const char *nvrtcGetErrorString(int result)",
} as const;

export interface CompiledModule {
  image: Uint8Array;
  format: "cubin" | "ptx";
  /** The architecture compiled for, e.g. "sm_90" or "compute_90". */
  target: string;
  fromCache: boolean;
}

/** Picks the compile target: the GPU's own `sm_XY` when NVRTC supports it, else PTX for the newest arch it does. */
export function compileTarget(cc: readonly [number, number], supported: readonly number[]): { option: string; format: "cubin" | "ptx" } {
  const want = cc[0] * 10 + cc[1];
  if (supported.includes(want)) return { option: `--gpu-architecture=sm_${want}`, format: "cubin" };
  const older = supported.filter((a) => a <= want);
  if (!older.length) throw new Error(`NVRTC supports no architecture at or below sm_${want} (it knows ${supported.join(", ")})`);
  return { option: `--gpu-architecture=compute_${Math.max(...older)}`, format: "ptx" };
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEBERTA_JS_CUDA_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "deberta-js", "cuda");
}

/** The cache file name of a module: readable prefix + hash of everything that changes the binary. */
export function cacheFileName(moduleName: string, source: string, options: readonly string[], nvrtcVersion: string, format: string): string {
  const h = createHash("sha256").update(source).update("\0").update(options.join(" ")).update("\0").update(nvrtcVersion).digest("hex");
  return `${moduleName}-${h.slice(0, 24)}.${format}`;
}

export class Nvrtc {
  private constructor(
    readonly path: string,
    private readonly fn: Record<keyof typeof PROTOTYPES, Fn>,
  ) {}

  static load(path: string): Nvrtc {
    const lib = openLibrary(path);
    const fn = {} as Record<keyof typeof PROTOTYPES, Fn>;
    for (const [name, proto] of Object.entries(PROTOTYPES)) (fn as Record<string, Fn>)[name] = lib.func(proto);
    return new Nvrtc(path, fn);
  }

  private check(code: number, call: string, log?: string): void {
    if (code !== 0) {
      const text = cString(this.fn.nvrtcGetErrorString(code));
      throw new CudaError(`${call}: ${text || "NVRTC error"} (${code})${log ? `\n${log}` : ""}`, code);
    }
  }

  version(): string {
    const major = [0];
    const minor = [0];
    this.check(this.fn.nvrtcVersion(major, minor), "nvrtcVersion");
    return `${major[0]}.${minor[0]}`;
  }

  supportedArchs(): number[] {
    const n = [0];
    this.check(this.fn.nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs");
    const archs = new Int32Array(n[0]);
    this.check(this.fn.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
    return [...archs];
  }

  compile(source: string, name: string, options: readonly string[], format: "cubin" | "ptx"): Uint8Array {
    const prog = this.create(source, name);
    try {
      return this.finish(prog, name, options, format, this.fn.nvrtcCompileProgram(prog, options.length, [...options]) as number);
    } finally {
      this.fn.nvrtcDestroyProgram([prog]);
    }
  }

  /** The same, with the compilation on one of koffi's worker threads (modules then compile in parallel). */
  async compileAsync(source: string, name: string, options: readonly string[], format: "cubin" | "ptx"): Promise<Uint8Array> {
    const prog = this.create(source, name);
    try {
      const res = await new Promise<number>((resolve, reject) =>
        this.fn.nvrtcCompileProgram.async!(prog, options.length, [...options], (err: unknown, r: number) => (err ? reject(err) : resolve(r))),
      );
      return this.finish(prog, name, options, format, res);
    } finally {
      this.fn.nvrtcDestroyProgram([prog]);
    }
  }

  private create(source: string, name: string): bigint {
    const progOut: unknown[] = [null];
    this.check(this.fn.nvrtcCreateProgram(progOut, source, `${name}.cu`, 0, null, null), `nvrtcCreateProgram(${name})`);
    return toPtr(progOut[0]);
  }

  private finish(prog: bigint, name: string, options: readonly string[], format: "cubin" | "ptx", res: number): Uint8Array {
    this.check(res, `nvrtcCompileProgram(${name}.cu, ${options.join(" ")})`, this.log(prog));
    const size = [0];
    if (format === "cubin") {
      this.check(this.fn.nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize");
      const out = Buffer.alloc(Number(size[0]));
      this.check(this.fn.nvrtcGetCUBIN(prog, out), "nvrtcGetCUBIN");
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    this.check(this.fn.nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize");
    const out = Buffer.alloc(Number(size[0]));
    this.check(this.fn.nvrtcGetPTX(prog, out), "nvrtcGetPTX");
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  private log(prog: bigint): string {
    const size = [0];
    if (this.fn.nvrtcGetProgramLogSize(prog, size) !== 0 || Number(size[0]) <= 1) return "";
    const buf = Buffer.alloc(Number(size[0]));
    this.fn.nvrtcGetProgramLog(prog, buf);
    return buf.toString("utf8").replace(/\0+$/, "").trim();
  }
}

export interface CompileArgs {
  name: string;
  source: string;
  cc: readonly [number, number];
  supportedArchs: readonly number[];
  nvrtcVersion: string;
  cacheDir?: string;
}

function cacheEntry(args: CompileArgs) {
  const target = compileTarget(args.cc, args.supportedArchs);
  const options = [target.option, "--std=c++17", "-DDJS_NVRTC=1"];
  const dir = args.cacheDir ?? defaultCacheDir();
  const file = join(dir, cacheFileName(args.name, args.source, options, args.nvrtcVersion, target.format));
  const targetName = target.option.split("=")[1];
  let cached: CompiledModule | undefined;
  try {
    const image = new Uint8Array(readFileSync(file));
    if (image.length > 0) cached = { image: withNul(image, target.format), format: target.format, target: targetName, fromCache: true };
  } catch {
    // not cached yet
  }
  return { target, options, dir, file, targetName, cached };
}

/** Compiles `source` for the device, through the disk cache (a cache that cannot be written is only skipped). */
export function compileModule(nvrtc: Nvrtc, args: CompileArgs): CompiledModule {
  const e = cacheEntry(args);
  if (e.cached) return e.cached;
  return store(e, nvrtc.compile(args.source, args.name, e.options, e.target.format));
}

/** `compileModule` with NVRTC on a worker thread. */
export async function compileModuleAsync(nvrtc: Nvrtc, args: CompileArgs): Promise<CompiledModule> {
  const e = cacheEntry(args);
  if (e.cached) return e.cached;
  return store(e, await nvrtc.compileAsync(args.source, args.name, e.options, e.target.format));
}

function store(e: ReturnType<typeof cacheEntry>, image: Uint8Array): CompiledModule {
  const { dir, file, target, targetName } = e;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, image);
    renameSync(tmp, file);
  } catch {
    // read-only home, full disk: compile again next time
  }
  return { image: withNul(image, target.format), format: target.format, target: targetName, fromCache: false };
}

/** cuModuleLoadData reads PTX as a NUL-terminated string. */
function withNul(image: Uint8Array, format: "cubin" | "ptx"): Uint8Array {
  if (format === "cubin" || image[image.length - 1] === 0) return image;
  const out = new Uint8Array(image.length + 1);
  out.set(image);
  return out;
}
