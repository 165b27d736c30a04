/**
 * Builds the CPU emulator: every kernel module compiled by g++ with `djs_emu.h` force-included, the signature checks
 * of `signatureChecks`, one trampoline per kernel (unpacks `kernelParams` into a typed call) and the runtime.
 * Cached under the OS temp folder by a hash of all sources, so only the first test run pays the compile.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNEL_MODULES, signatureChecks, type KernelModule } from "../../src/kernels/index.js";

const EMU_DIR = process.env.DJS_EMU_DIR ?? fileURLToPath(new URL(".", import.meta.url));
const CXX = process.env.CXX || "g++";

export function compilerMissing(): string | undefined {
  const r = spawnSync(CXX, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `no host C++ compiler (${CXX}) to build the CUDA kernel emulator: ${r.error?.message ?? r.stderr}`;
  return undefined;
}

function trampolines(m: KernelModule): string {
  const lines = [
    "#include <utility>",
    "#include <type_traits>",
    "template <typename... A, std::size_t... I>",
    "static void djs_call(void (*f)(A...), void** p, std::index_sequence<I...>) { f(*static_cast<typename std::remove_reference<A>::type*>(p[I])...); }",
    "template <typename... A>",
    "static void djs_invoke(void (*f)(A...), void** p) { djs_call(f, p, std::index_sequence_for<A...>{}); }",
  ];
  for (const k of Object.keys(m.kernels)) lines.push(`extern "C" void djs_tramp_${k}(void** p) { djs_invoke(&${k}, p); }`);
  return lines.join("\n");
}

function registry(): string {
  const names = KERNEL_MODULES.flatMap((m) => Object.keys(m.kernels));
  return [
    'extern "C" {',
    ...names.map((n) => `void djs_tramp_${n}(void**);`),
    "struct DjsKernelEntry { const char* name; void (*fn)(void**); };",
    "extern const DjsKernelEntry djs_emu_kernels[] = {",
    ...names.map((n) => `  {"${n}", djs_tramp_${n}},`),
    "};",
    `extern const int djs_emu_kernel_count = ${names.length};`,
    "}",
  ].join("\n");
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.stdout.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${err}`))));
  });
}

let building: Promise<{ emulator: string; fakeCuda: string }> | undefined;

/** Path of the emulator shared library, built on first call. */
export async function buildEmulator(): Promise<string> {
  building ??= doBuild();
  return (await building).emulator;
}

/**
 * Path of the fake CUDA library (fake_cuda.cpp: libcuda + NVRTC + cuBLASLt entry points on the emulator), for the
 * real `CudaDevice` to load through `DEBERTA_JS_LIBCUDA` / `DEBERTA_JS_NVRTC` / `DEBERTA_JS_CUBLASLT`.
 */
export async function buildFakeCuda(): Promise<string> {
  building ??= doBuild();
  return (await building).fakeCuda;
}

async function doBuild(): Promise<{ emulator: string; fakeCuda: string }> {
  const header = readFileSync(join(EMU_DIR, "djs_emu.h"), "utf8");
  const runtime = readFileSync(join(EMU_DIR, "djs_emu.cpp"), "utf8");
  const fake = readFileSync(join(EMU_DIR, "fake_cuda.cpp"), "utf8");
  const units = KERNEL_MODULES.map((m) => ({ name: m.name, text: `${m.source}\n${signatureChecks(m)}\n${trampolines(m)}\n` }));
  const hash = createHash("sha256");
  for (const t of [header, runtime, fake, registry(), ...units.map((u) => u.text), CXX]) hash.update(t).update("\0");
  const key = hash.digest("hex").slice(0, 20);
  const root = join(tmpdir(), "deberta-js-cuda-emu");
  const lib = join(root, `libdjs_emu-${key}.so`);
  const fakeLib = join(root, `libdjs_fakecuda-${key}.so`);
  const done = { emulator: lib, fakeCuda: fakeLib };
  if (existsSync(lib) && existsSync(fakeLib)) return done;
  // One build at a time across vitest's worker processes: the others wait for the library to appear.
  mkdirSync(root, { recursive: true });
  const lock = join(root, `lock-${key}`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lib) && existsSync(fakeLib)) return done;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the builder just finished
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (existsSync(lib) && existsSync(fakeLib)) return done;
    await compileAll(root, lib, fakeLib, key, header, runtime, fake, units);
    return done;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function compileAll(
  root: string,
  lib: string,
  fakeLib: string,
  key: string,
  header: string,
  runtime: string,
  fake: string,
  units: { name: string; text: string }[],
): Promise<void> {
  const work = join(root, `build-${key}-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "djs_emu.h"), header);
  writeFileSync(join(work, "djs_emu.cpp"), runtime);
  writeFileSync(join(work, "registry.cpp"), registry());
  writeFileSync(join(work, "fake_cuda.cpp"), fake);
  for (const u of units) writeFileSync(join(work, `module_${u.name}.cpp`), u.text);
  const flags = ["-std=c++17", "-O2", "-U_FORTIFY_SOURCE", "-fPIC", "-w", "-include", "djs_emu.h", "-I", work];
  const sources = ["djs_emu.cpp", "registry.cpp", ...units.map((u) => `module_${u.name}.cpp`)];
  const all = [...sources, "fake_cuda.cpp"];
  // Two compilers at a time (the attention module is the slow one: start it first).
  const queue = [...all].sort((a, b) => (b.includes("attention") ? 1 : 0) - (a.includes("attention") ? 1 : 0));
  const workers = Array.from({ length: 2 }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) await run(CXX, [...flags, "-c", s, "-o", `${s}.o`], work);
  });
  await Promise.all(workers);
  const tmpLib = join(work, "lib.so");
  const tmpFake = join(work, "fake.so");
  await run(CXX, ["-shared", "-o", tmpLib, ...sources.map((s) => `${s}.o`)], work);
  await run(CXX, ["-shared", "-o", tmpFake, ...all.map((s) => `${s}.o`)], work);
  renameSync(tmpFake, fakeLib);
  renameSync(tmpLib, lib);
  rmSync(work, { recursive: true, force: true });
}
