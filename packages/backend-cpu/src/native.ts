/**
 * Loads the native addon (prebuilds/<platform>-<arch>/node.napi.node, built by `pnpm build` here and shipped
 * prebuilt when published) through node-gyp-build. Node-only modules are imported dynamically so that browsers and
 * bundlers never see them; any failure comes back as a reason string, and the backend falls back.
 */
import { setHalfConverters } from "@deberta-js/core";
import type { KernelSet } from "./kernels.js";

interface Addon extends Omit<KernelSet, "name" | "threads" | "packB" | "freePacked" | "gemm" | "gemmMulti" | "packI8" | "qgemmI8" | "holdQuantized" | "dqgemm"> {
  qPackedBytes(n: number, k: number): number;
  qPackI8(codes: Uint8Array, scb: Float32Array, n: number, k: number, out: Uint8Array): void;
  qgemmI8(m: number, n: number, k: number, a: Float32Array, packed: Uint8Array, c: Float32Array, bias: Float32Array | null, act: number): void;
  dqgemm(m: number, n: number, k: number, a: Float32Array, data: Uint8Array, scales: Float32Array, table: Float32Array | null, layout: number, block: number, c: Float32Array, bias: Float32Array | null, act: number): void;
  packedLength(n: number, k: number): number;
  packB(w: Float32Array, n: number, k: number, out: Float32Array): void;
  gemm(m: number, n: number, k: number, a: Float32Array, bp: Float32Array, c: Float32Array, bias: Float32Array | null, act: number, alpha: number): void;
  gemmMulti(m: number, k: number, a: Float32Array, ns: Int32Array, bps: Float32Array[], cs: readonly Float32Array[], biases: readonly (Float32Array | null)[], act: number): void;
  info(): { isa: string; threads: number; nr: number };
  setIsa(name: string): boolean;
  /** convert.c (F16C when the CPU has it); absent from addons built before it. */
  f32ToF16?(src: Float32Array, dst: Uint16Array, n: number): void;
  f16ToF32?(src: Uint16Array, dst: Float32Array, n: number): void;
}

const dynamicImport = (m: string): Promise<any> => import(/* @vite-ignore */ m);

export async function loadNativeKernels(threads: number | undefined): Promise<KernelSet | string> {
  if (typeof process === "undefined" || !process.versions?.node) return "not running in Node";
  try {
    const { createRequire } = await dynamicImport("node:module");
    const { fileURLToPath } = await dynamicImport("node:url");
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => Addon;
    const addon = load(fileURLToPath(new URL("..", import.meta.url)));
    const { availableParallelism } = await dynamicImport("node:os");
    addon.setThreads(threads ?? availableParallelism());
    // Bulk half conversions for the whole process: the loader's fp32 → fp16 chunks and the f16 ops.
    if (addon.f32ToF16 && addon.f16ToF32) setHalfConverters({ f32ToF16: addon.f32ToF16, f16ToF32: addon.f16ToF32 });
    return wrap(addon);
  } catch (e) {
    return `native addon not loadable: ${(e as Error).message.split("\n")[0]}`;
  }
}

function wrap(addon: Addon): KernelSet {
  return {
    get name() {
      return `native-${addon.info().isa}`;
    },
    get threads() {
      return addon.info().threads;
    },
    setThreads: (n) => addon.setThreads(n),
    packB: (w, n, k) => {
      const out = new Float32Array(addon.packedLength(n, k));
      addon.packB(w, n, k, out);
      return out;
    },
    freePacked: () => {}, // garbage-collected
    gemm: (m, n, k, a, bp, c, bias, act, alpha) => addon.gemm(m, n, k, a, bp as Float32Array, c, bias, act, alpha),
    gemmMulti: (m, k, a, ns, bps, cs, biases) => addon.gemmMulti(m, k, a, Int32Array.from(ns), bps as Float32Array[], cs, biases, 0),
    packI8: (codes, scb, n, k) => {
      const out = new Uint8Array(addon.qPackedBytes(n, k));
      addon.qPackI8(codes, scb, n, k, out);
      return out;
    },
    qgemmI8: (m, n, k, a, packed, c, bias, act) => addon.qgemmI8(m, n, k, a, packed as Uint8Array, c, bias, act),
    holdQuantized: (data, scales, table) => ({ data, scales, table }),
    dqgemm: (m, n, k, a, held, layout, block, c, bias, act) => {
      const h = held as { data: Uint8Array; scales: Float32Array; table: Float32Array | null };
      addon.dqgemm(m, n, k, a, h.data, h.scales, h.table, layout, block, c, bias, act);
    },
    layerNorm: addon.layerNorm,
    gelu: addon.gelu,
    attention: addon.attention,
  };
}
