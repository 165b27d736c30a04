// The compiled kernel sets against the HF fixtures and the conformance kit, on every variant this machine builds:
// native (the ISA the CPU dispatches to) with 2 threads, WASM with 2 threads (worker pool; tensors resident in linear
// memory), the same copying every operand in and out per call, WASM single-thread, and WASM single-thread on a
// non-shared memory (browsers without cross-origin isolation).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { defineParitySuite, loadFixtureCases, relativeError, runConformance, runFixtureCase } from "@deberta-js/core/testing";
import { CompiledCpuBackend, loadCpuBackend, type CpuKernels } from "../src/index.js";
import { loadWasmKernels } from "../src/wasm.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });

// The last variant is what a page that is not crossOriginIsolated gets: the single-thread module on a non-shared
// memory (forced here, since Node always has SharedArrayBuffer).
const VARIANTS: { kernels: CpuKernels; threads: number; name: RegExp; shared?: false; resident?: false }[] = [
  { kernels: "native", threads: 2, name: /^native-(avx512|avx2|base)$/ },
  { kernels: "wasm", threads: 2, name: /^wasm-(simd128|relaxed-simd)$/ },
  { kernels: "wasm", threads: 2, name: /^wasm-(simd128|relaxed-simd)$/, resident: false },
  { kernels: "wasm", threads: 1, name: /^wasm-(simd128|relaxed-simd)$/ },
  { kernels: "wasm", threads: 1, name: /^wasm-(simd128|relaxed-simd)-st$/, shared: false },
];

async function load(v: (typeof VARIANTS)[number]): Promise<CompiledCpuBackend | Error> {
  if (v.shared === false || v.resident === false) {
    const k = await loadWasmKernels(v.threads, { shared: v.shared, resident: v.resident });
    return typeof k === "string" ? new Error(k) : new CompiledCpuBackend(k);
  }
  return (await loadCpuBackend({ kernels: v.kernels, threads: v.threads }).catch((e: Error) => e)) as CompiledCpuBackend | Error;
}

for (const v of VARIANTS) {
  const label = `${v.kernels} kernels, ${v.threads} thread${v.threads > 1 ? "s" : ""}${v.shared === false ? ", non-shared memory" : ""}${v.resident === false ? ", operands copied per call" : ""}`;
  const be = await load(v);
  if (be instanceof Error) console.warn(`${label} skipped: ${be.message}`);
  describe.skipIf(be instanceof Error)(label, () => {
    const b = be as CompiledCpuBackend;
    it("loads a SIMD kernel set with the threads asked for", () => {
      expect(b).toBeInstanceOf(CompiledCpuBackend);
      expect(b.kernelSet).toMatch(v.name);
      expect(b.threads).toBe(v.threads);
      // tensors live in linear memory on a shared memory unless copying is forced (DEBERTA_JS_WASM_COPY=1 or the option)
      const resident = v.kernels === "wasm" && v.shared !== false && v.resident !== false && process.env.DEBERTA_JS_WASM_COPY !== "1";
      expect(b.kernels.heap !== undefined).toBe(resident);
    });
    it("passes runConformance in f32", async () => {
      const report = await runConformance(b, { dtype: "f32" });
      expect(report.results.filter((x) => !x.ok).map((x) => `${x.op} / ${x.case}: ${x.error}`).join("\n")).toBe("");
      expect(report.results.some((r) => r.skipped)).toBe(false);
    });
    it("passes runConformance in f16 (f16 linear and attention run the compiled kernels on widened operands)", async () => {
      const report = await runConformance(b, { dtype: "f16" });
      expect(report.results.filter((x) => !x.ok).map((x) => `${x.op} / ${x.case}: ${x.error}`).join("\n")).toBe("");
    });
    it("linearMany: each output bit-identical to its own linear (odd sizes, chunks spanning weights, bias/no bias)", async () => {
      // [rows, in, outs]: rows across row blocks and partial tiles, widths not multiples of any tile, K over a K block
      const shapes: Array<[number, number, number[]]> = [
        [130, 40, [33, 8, 70]],
        [257, 700, [64, 17, 129]],
        [3, 5, [1, 2]],
        [128, 384, [384, 384, 384]],
        [1, 65, [9]],
      ];
      let seed = 7;
      const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5));
      for (const [T, K, outs] of shapes) {
        const x = b.upload(rand(T * K), [T, K], "f32");
        const ws = outs.map((n) => b.upload(rand(n * K), [n, K], "f32"));
        const bs = outs.map((n, i) => (i % 2 ? undefined : b.upload(rand(n), [n], "f32")));
        const many = b.linearMany(x, ws, bs);
        for (let i = 0; i < outs.length; i++) {
          const one = b.linear(x, ws[i], bs[i]);
          expect(many[i].shape).toEqual([T, outs[i]]);
          expect(Buffer.from((await many[i].data()).buffer).equals(Buffer.from((await one.data()).buffer)), `${T}×${K} → ${outs} output ${i}`).toBe(true);
          one.dispose();
        }
        for (const t of [x, ...ws, ...bs, ...many]) t?.dispose();
      }
    });
    for (const c of cases.filter((c) => c.fixture === "tiny-v3" && c.name.startsWith("fp16/"))) {
      it(`f16 compute: ${c.fixture}/${c.name} within 2e-2 relative`, async () => {
        const { actual } = await runFixtureCase(root, c, { backend: b, dtype: "f16" });
        expect(relativeError(actual.last_hidden_state.data, c.outputs.last_hidden_state.data)).toBeLessThan(2e-2);
      });
    }
    defineParitySuite({ describe, it, expect }, { name: `${label}, fp32`, root, cases, backend: async () => b });
  });
}

describe("kernel selection", () => {
  it("rejects an unknown kernels value with a typed error", async () => {
    await expect(loadCpuBackend({ kernels: "gpu" as CpuKernels })).rejects.toThrow(/kernels "gpu" is not one of native, wasm, js/);
  });
  it("rejects a bad thread count", async () => {
    await expect(loadCpuBackend({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
  it("builds the single-thread non-shared WASM module whenever the threaded one is built", async () => {
    const threaded = await loadWasmKernels(1);
    const single = await loadWasmKernels(1, { shared: false });
    expect(typeof single === "string" ? single : single.name).toBe(typeof threaded === "string" ? threaded : `${threaded.name}-st`);
  });
  it("gives the TypeScript backend for kernels: js", async () => {
    const b = await loadCpuBackend({ kernels: "js" });
    expect(b).not.toBeInstanceOf(CompiledCpuBackend);
  });
});

describe("thread pools", () => {
  it("let Node exit after work (workers are unref'd and idle ones sleep)", () => {
    // runs the built package in a child process; a pool that kept Node alive would hit the spawn timeout
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const script = `
      const { loadCpuBackend } = await import(${JSON.stringify(dist)});
      for (const kernels of ["native", "wasm"]) {
        const be = await loadCpuBackend({ kernels, threads: 2 }).catch(() => null);
        if (!be) continue;
        const x = be.upload(new Float32Array(64 * 64).fill(1), [64, 64], "f32");
        const y = be.linear(x, x, undefined, "gelu");
        if (Math.abs((await y.data())[0] - 64) > 1e-3) throw new Error("wrong result");
      }
      console.log("done");`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout.trim()).toBe("done");
    expect(r.status).toBe(0);
  });
});
