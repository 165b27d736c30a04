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

const KERNELS = ["gemm.c", "attention.c", "norm.c", "kernel_set.c"];
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

async function main() {
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
  for (const f of ["pool_pthread.c", "dispatch_native.c", "addon.c"]) {
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
    ...["pool_pthread.o", "dispatch_native.o", "addon.o"].map((f) => join(obj, f)),
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
