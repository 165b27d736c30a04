#!/usr/bin/env node
/**
 * Builds the native Node-API addon from csrc/: the kernel files once per x86-64 ISA (AVX-512, AVX2+FMA, SSE2
 * baseline; just the baseline elsewhere), plus the thread pool, the run-time dispatch and the binding, linked into
 * prebuilds/<platform>-<arch>/node.napi.node — the layout node-gyp-build loads, so a published package carries
 * prebuilt binaries and `npm install` never compiles. Needs a C compiler ($CC, clang-19, clang or cc) and Node's
 * headers (shipped with Node in <prefix>/include/node). Without them it prints why and exits 0: the backend then
 * falls back to the WASM (or TypeScript) kernels.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, readdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "csrc");
const obj = join(root, "build", "native");
const outDir = join(root, "prebuilds", `${process.platform}-${process.arch}`);
const out = join(outDir, "node.napi.node");

function findCompiler() {
  for (const cc of [process.env.CC, "clang-19", "clang", "cc", "gcc"].filter(Boolean)) {
    if (spawnSync(cc, ["--version"], { stdio: "ignore" }).status === 0) return cc;
  }
  return undefined;
}

const KERNELS = ["gemm.c", "attention.c", "norm.c", "qgemm.c", "kernel_set.c"];
/** Compiled once for the addon: the pool, the dispatch, the binding, and convert.c (own run-time F16C check). */
const NODE_ONLY = ["pool_pthread.c", "dispatch_native.c", "addon.c", "convert.c"];
const ISAS =
  process.arch === "x64"
    ? {
        avx512: ["-DDJ_ISA=1", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"],
        avx2: ["-DDJ_ISA=2", "-mavx2", "-mfma", "-mf16c"],
        base: ["-DDJ_ISA=3"],
      }
    : { base: ["-DDJ_ISA=3"] };
const COMMON = ["-std=c11", "-O3", "-fPIC", "-ffp-contract=fast", "-fno-math-errno", "-Wall", "-Wno-unused-function"];

function newest(files) {
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function run(cc, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cc, args, { stdio: "inherit" });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cc} ${args.join(" ")} exited with ${code}`))));
    p.on("error", reject);
  });
}

/**
 * The wasm32 modules: the same kernel files for SIMD128 and for relaxed SIMD (JS instantiates the relaxed one when
 * the engine validates it), with atomics on a shared, imported memory so worker threads can share it. Needs clang
 * with the WebAssembly target and wasm-ld (Debian clang-19 + lld-19). Output: wasm/deberta-cpu{,-relaxed}{,-st}.wasm.
 */
const WASM_EXPORTS = ["dj_malloc", "dj_free", "dj_heap_in_use", "dj_nr", "dj_pack_b_w", "dj_gemm_w", "dj_gemm_multi_w", "dj_layer_norm_w", "dj_gelu_w", "dj_attention_w",
  "dj_qpacked_bytes_w", "dj_qpack_i8_w", "dj_qgemm_i8_w", "dj_dqgemm_w",
  "dj_set_threads", "dj_threads", "dj_worker_prepare", "dj_worker_main", "__stack_pointer"];

function findWasmTools() {
  for (const [cc, ld] of [["clang-19", "wasm-ld-19"], ["clang", "wasm-ld"]]) {
    if (spawnSync(cc, ["--target=wasm32", "--version"], { stdio: "ignore" }).status === 0 && spawnSync(ld, ["--version"], { stdio: "ignore" }).status === 0) return { cc, ld };
  }
  return undefined;
}

async function buildWasm() {
  const tools = findWasmTools();
  if (!tools) {
    console.error("build-native: wasm skipped (no clang with the wasm32 target and wasm-ld; apt-get install clang-19 lld-19)");
    return;
  }
  const wasmDir = join(root, "wasm");
  mkdirSync(wasmDir, { recursive: true });
  const sources = readdirSync(src).filter((f) => f.endsWith(".c") || f.endsWith(".h")).map((f) => join(src, f));
  const base = ["--target=wasm32", "-O3", "-std=c11", "-nostdlib", `-I${join(src, "wasm-libc")}`, "-msimd128", "-matomics", "-mbulk-memory",
    "-ffp-contract=fast", "-fno-math-errno", "-Wall", "-Wno-unused-function"];
  // the -st modules: no atomics, a non-shared memory, one thread — for pages that are not crossOriginIsolated
  const variants = [["deberta-cpu", "4", []], ["deberta-cpu-relaxed", "5", ["-mrelaxed-simd", "-DDJ_RELAXED"]]];
  for (const [name, isa, extra] of [...variants, ...variants.map(([n, i, e]) => [`${n}-st`, i, e])]) {
    const shared = !name.endsWith("-st");
    const out = join(wasmDir, `${name}.wasm`);
    if (existsSync(out) && statSync(out).mtimeMs > Math.max(newest(sources), statSync(fileURLToPath(import.meta.url)).mtimeMs)) continue;
    const o = join(obj, "..", name);
    mkdirSync(o, { recursive: true });
    const flags = shared ? base : base.filter((f) => f !== "-matomics");
    const jobs = [...KERNELS, "dispatch_wasm.c", "pool_wasm.c"].map((f) => [...flags, ...extra, `-DDJ_ISA=${isa}`, "-c", join(src, f), "-o", join(o, f.replace(/\.c$/, ".o"))]);
    jobs.push([...flags, "-fno-builtin", "-c", join(src, "wasm_rt.c"), "-o", join(o, "wasm_rt.o")]);
    const queue = [...jobs];
    await Promise.all(Array.from({ length: 2 }, async () => { while (queue.length) await run(tools.cc, queue.shift()); }));
    const objects = [...KERNELS, "dispatch_wasm.c", "pool_wasm.c", "wasm_rt.c"].map((f) => join(o, f.replace(/\.c$/, ".o")));
    await run(tools.ld, ["--no-entry", ...WASM_EXPORTS.map((e) => `--export=${e}`), "--import-memory", ...(shared ? ["--shared-memory"] : []),
      "--max-memory=4294967296", "-z", "stack-size=1048576", ...objects, "-o", `${out}.tmp`]);
    renameSync(`${out}.tmp`, out);
    console.error(`build-native: ${out}`);
  }
}

async function main() {
  await buildWasm();
  const cc = findCompiler();
  const nodeInclude = join(dirname(process.execPath), "..", "include", "node");
  if (!cc || !existsSync(join(nodeInclude, "node_api.h"))) {
    console.error(`build-native: skipped (${!cc ? "no C compiler" : `no Node headers at ${nodeInclude}`}); the CPU backend will use WASM`);
    return;
  }
  const sources = readdirSync(src).map((f) => join(src, f));
  if (existsSync(out) && statSync(out).mtimeMs > Math.max(newest(sources), statSync(fileURLToPath(import.meta.url)).mtimeMs)) return;
  const jobs = [];
  for (const [isa, flags] of Object.entries(ISAS)) {
    mkdirSync(join(obj, isa), { recursive: true });
    for (const f of KERNELS) jobs.push([...COMMON, ...flags, "-c", join(src, f), "-o", join(obj, isa, f.replace(/\.c$/, ".o"))]);
  }
  for (const f of NODE_ONLY) {
    jobs.push([...COMMON, `-I${nodeInclude}`, "-DNODE_GYP_MODULE_NAME=deberta_js_cpu", "-c", join(src, f), "-o", join(obj, f.replace(/\.c$/, ".o"))]);
  }
  // two compiles at a time: CI and this machine have few cores
  const queue = [...jobs];
  const workers = Array.from({ length: 2 }, async () => {
    while (queue.length) await run(cc, queue.shift());
  });
  await Promise.all(workers);
  mkdirSync(outDir, { recursive: true });
  const objects = [
    ...Object.keys(ISAS).flatMap((isa) => KERNELS.map((f) => join(obj, isa, f.replace(/\.c$/, ".o")))),
    ...NODE_ONLY.map((f) => join(obj, f.replace(/\.c$/, ".o"))),
  ];
  const tmp = `${out}.tmp`;
  const link = process.platform === "darwin" ? ["-bundle", "-undefined", "dynamic_lookup"] : ["-shared"];
  await run(cc, [...link, "-o", tmp, ...objects, "-lpthread", "-lm"]);
  renameSync(tmp, out); // never a half-written binary at the loaded path
  console.error(`build-native: ${out} (${cc})`);
}

main().catch((e) => {
  console.error(`build-native: failed: ${e.message}`);
  process.exit(1);
});
