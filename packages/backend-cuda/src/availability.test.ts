import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendUnavailableError, createBackend, registeredBackends } from "@deberta-js/core";
import { describe, expect, it } from "vitest";
import { cudaBackendFactory, probeCuda } from "./index.js";
import { libraryCandidates, openFirst } from "./libraries.js";
import { cacheFileName, compileTarget, defaultCacheDir } from "./nvrtc.js";

describe("loading the CUDA libraries", () => {
  it("registers the cuda backend on import, with priority 20, without touching native code", () => {
    const f = registeredBackends().find((b) => b.name === "cuda");
    expect(f).toBe(cudaBackendFactory);
    expect(f!.priority).toBe(20);
  });

  it("tries the explicit path first, then sonames, then toolkit and pip-wheel folders", () => {
    const venv = mkdtempSync(join(tmpdir(), "djs-venv-"));
    const wheelLib = join(venv, "lib/python3.12/site-packages/nvidia/cu13/lib");
    mkdirSync(wheelLib, { recursive: true });
    writeFileSync(join(wheelLib, "libnvrtc.so.13"), "");
    const c = libraryCandidates("nvrtc", { VIRTUAL_ENV: venv, DEBERTA_JS_NVRTC: "/opt/x/libnvrtc.so" }, "linux");
    expect(c[0]).toBe("/opt/x/libnvrtc.so");
    expect(c[1]).toBe("libnvrtc.so.13");
    expect(c).toContain(join(wheelLib, "libnvrtc.so.13"));
    expect(libraryCandidates("cuda", {}, "linux").slice(0, 2)).toEqual(["libcuda.so.1", "libcuda.so"]);
    expect(libraryCandidates("cublasLt", {}, "win32")[0]).toBe("cublasLt64_13.dll");
    rmSync(venv, { recursive: true, force: true });
  });

  it("says what was tried and how to point at the library", () => {
    expect(() =>
      openFirst("cublasLt", () => {
        throw new Error("cannot open shared object file");
      }, {}),
    ).toThrow(/cuBLASLt was not found \(install the CUDA toolkit or `pip install nvidia-cublas`, or set DEBERTA_JS_CUBLASLT to its path\); tried libcublasLt\.so\.13 \(cannot open/);
  });

  it("isAvailable() never throws and gives a reason when CUDA is unusable", async () => {
    const a = await cudaBackendFactory.isAvailable();
    expect(a).toEqual(probeCuda());
    if (!a.available) {
      expect(a.reason).toMatch(/NVIDIA driver|koffi|NVRTC|cuBLASLt|cuInit|CUDA device/);
      await expect(createBackend("cuda")).rejects.toThrow(BackendUnavailableError);
      await expect(createBackend("cuda")).rejects.toThrow(a.reason);
    }
  });
});

describe("NVRTC targets and the kernel cache", () => {
  it("compiles CUBIN for the GPU's own arch, else PTX for the newest older arch", () => {
    expect(compileTarget([9, 0], [75, 80, 86, 89, 90])).toEqual({ option: "--gpu-architecture=sm_90", format: "cubin" });
    expect(compileTarget([12, 0], [75, 80, 90, 100])).toEqual({ option: "--gpu-architecture=compute_100", format: "ptx" });
    expect(() => compileTarget([5, 0], [75, 80])).toThrow(/no architecture at or below sm_50/);
  });

  it("keys cache files by source, options and NVRTC version", () => {
    const a = cacheFileName("attention", "src", ["--gpu-architecture=sm_90"], "13.0", "cubin");
    expect(a).toMatch(/^attention-[0-9a-f]{24}\.cubin$/);
    expect(cacheFileName("attention", "src2", ["--gpu-architecture=sm_90"], "13.0", "cubin")).not.toBe(a);
    expect(cacheFileName("attention", "src", ["--gpu-architecture=sm_80"], "13.0", "cubin")).not.toBe(a);
    expect(cacheFileName("attention", "src", ["--gpu-architecture=sm_90"], "12.8", "cubin")).not.toBe(a);
    expect(defaultCacheDir({ DEBERTA_JS_CUDA_CACHE: "/c" })).toBe("/c");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "deberta-js", "cuda"));
  });
});
