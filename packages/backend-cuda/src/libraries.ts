/**
 * Where the three CUDA libraries are looked for, in order:
 *
 *  1. an explicit path in `DEBERTA_JS_LIBCUDA` / `DEBERTA_JS_NVRTC` / `DEBERTA_JS_CUBLASLT`;
 *  2. the plain sonames (`libcuda.so.1`, `libnvrtc.so.13`, …): `LD_LIBRARY_PATH` and the ld.so cache;
 *  3. CUDA toolkit folders: `$CUDA_PATH`, `$CUDA_HOME`, `/usr/local/cuda`, distribution and container folders;
 *  4. the NVIDIA pip wheels (`nvidia-cuda-nvrtc`, `nvidia-cublas`, as PyTorch installs them) in Python
 *     site-packages folders: system, user, `$VIRTUAL_ENV`, `$CONDA_PREFIX`, `/opt/<name>/.venv`.
 *
 * The driver (`libcuda.so.1`) comes with the NVIDIA driver, never with a toolkit or wheel, so only 1–3 apply.
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type CudaLibrary = "cuda" | "nvrtc" | "cublasLt";

const ENV: Record<CudaLibrary, string> = {
  cuda: "DEBERTA_JS_LIBCUDA",
  nvrtc: "DEBERTA_JS_NVRTC",
  cublasLt: "DEBERTA_JS_CUBLASLT",
};

const LINUX_NAMES: Record<CudaLibrary, string[]> = {
  cuda: ["libcuda.so.1", "libcuda.so"],
  nvrtc: ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
  cublasLt: ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"],
};

const WINDOWS_NAMES: Record<CudaLibrary, string[]> = {
  cuda: ["nvcuda.dll"],
  nvrtc: ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
  cublasLt: ["cublasLt64_13.dll", "cublasLt64_12.dll", "cublasLt64_11.dll"],
};

/** Sub-folders of site-packages where NVIDIA's wheels put each library. */
const WHEEL_DIRS: Record<CudaLibrary, string[]> = {
  cuda: [],
  nvrtc: ["nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib", "nvidia/cu12/lib"],
  cublasLt: ["nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/cu12/lib"],
};

export function libraryNames(lib: CudaLibrary, platform: NodeJS.Platform = process.platform): string[] {
  return platform === "win32" ? WINDOWS_NAMES[lib] : LINUX_NAMES[lib];
}

function toolkitDirs(env: NodeJS.ProcessEnv): string[] {
  const roots = [env.CUDA_PATH, env.CUDA_HOME, env.CUDA_ROOT, "/usr/local/cuda"].filter((x): x is string => !!x);
  const dirs: string[] = [];
  for (const r of roots) {
    dirs.push(join(r, "lib64"), join(r, "lib"), join(r, "targets/x86_64-linux/lib"), join(r, "targets/sbsa-linux/lib"), join(r, "bin"));
  }
  dirs.push(
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib/wsl/lib",
  );
  return dirs;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Python site-packages folders that exist on this machine. */
export function sitePackagesDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const libRoots: string[] = ["/usr/lib", "/usr/local/lib", join(homedir(), ".local/lib")];
  if (env.VIRTUAL_ENV) libRoots.push(join(env.VIRTUAL_ENV, "lib"));
  if (env.CONDA_PREFIX) libRoots.push(join(env.CONDA_PREFIX, "lib"));
  libRoots.push("/opt/conda/lib");
  for (const name of listDir("/opt")) libRoots.push(join("/opt", name, ".venv/lib"), join("/opt", name, "venv/lib"), join("/opt", name, "lib"));
  const out: string[] = [];
  for (const root of libRoots) {
    for (const py of listDir(root)) {
      if (!/^python3(\.\d+)?$/.test(py)) continue;
      for (const sp of ["site-packages", "dist-packages"]) {
        const d = join(root, py, sp);
        if (existsSync(d)) out.push(d);
      }
    }
  }
  return out;
}

/** Every path tried for a library, in order (file paths, or bare sonames for the dynamic loader to resolve). */
export function libraryCandidates(lib: CudaLibrary, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const names = libraryNames(lib, platform);
  const out: string[] = [];
  const explicit = env[ENV[lib]];
  if (explicit) out.push(explicit);
  out.push(...names);
  if (platform !== "win32") {
    const dirs = [...toolkitDirs(env)];
    for (const sp of sitePackagesDirs(env)) for (const sub of WHEEL_DIRS[lib]) dirs.push(join(sp, sub));
    for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) out.push(join(d, n));
  }
  return [...new Set(out)];
}

export interface Opened<T> {
  value: T;
  path: string;
}

/**
 * Tries each candidate with `open` until one succeeds. The error lists what was tried and why each failed, and
 * names the environment variable that points at the library explicitly.
 */
export function openFirst<T>(lib: CudaLibrary, open: (path: string) => T, env: NodeJS.ProcessEnv = process.env): Opened<T> {
  const tried: string[] = [];
  for (const path of libraryCandidates(lib, env)) {
    try {
      return { value: open(path), path };
    } catch (e) {
      tried.push(`${path} (${shortReason(e)})`);
    }
  }
  const what = lib === "cuda" ? "the NVIDIA driver library" : lib === "nvrtc" ? "NVRTC (CUDA runtime compiler)" : "cuBLASLt";
  const hint =
    lib === "cuda"
      ? "install the NVIDIA driver"
      : `install the CUDA toolkit or \`pip install ${lib === "nvrtc" ? "nvidia-cuda-nvrtc" : "nvidia-cublas"}\``;
  throw new Error(`${what} was not found (${hint}, or set ${ENV[lib]} to its path); tried ${tried.join(", ")}`);
}

function shortReason(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.length > 160 ? `${m.slice(0, 157)}...` : m;
}
