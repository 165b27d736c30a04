// The thread pools under stress: thousands of tiny parallel jobs back to back, small GEMMs whose task count (panel
// chunks) varies from job to job, and int8 GEMMs (whose later tasks wait for the earlier ones that quantize A, so
// tasks must be claimed in order), with more threads than cores and a CPU hog running, so workers are often
// descheduled, wake late, or wake in the middle of a later job. Every job's output must be complete when the call
// returns (C is NaN-filled before each call) and equal to its reference — the shape's first output, checked against
// a float64 product, or for int8 the same kernel on one thread — so a task lost, run twice, run with another job's
// arguments, or finishing after the call returned shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import type { KernelSet } from "../src/kernels.js";
import { loadNativeKernels } from "../src/native.js";
import { loadWasmKernels } from "../src/wasm.js";

const SETS: [string, (threads: number) => Promise<KernelSet | string>][] = [
  ["native", (t) => loadNativeKernels(t)],
  ["wasm", (t) => loadWasmKernels(t)],
];
const JOBS = 3000;
const K = 64;
// [m, n]: m·n·K ≥ 65536 so each GEMM is split across threads; n sets the task count (1 to ~20 panel chunks)
const SHAPES = [[16, 64], [16, 16], [40, 200], [17, 40], [64, 256], [33, 100], [20, 72], [128, 24]];

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5);
}

let hog: ChildProcess | undefined;
beforeAll(() => {
  // bounded, so it cannot outlive a crashed test run by more than a minute
  hog = spawn(process.execPath, ["-e", "const end = Date.now() + 60000; while (Date.now() < end);"], { stdio: "ignore" });
});
afterAll(() => {
  hog?.kill();
});

for (const [label, load] of SETS) {
  for (const threads of [2, 4]) {
    it(`${label}, ${threads} threads: ${JOBS} tiny f32/int8 GEMM jobs back to back give complete, exact results`, async () => {
      // int8 references on one thread (for native this sets the shared addon's thread count, so first)
      const one = await load(1);
      if (typeof one === "string") {
        console.warn(`${label} skipped: ${one}`);
        return;
      }
      const qcases = SHAPES.map(([m, n], i) => {
        const a = rand(m * K, 13 * i + 3);
        const codes = Uint8Array.from(rand(n * K, 17 * i + 4), (x) => Math.round(x * 254) & 255);
        const scb = Float32Array.from(rand(n, 19 * i + 5), (x) => 0.5 + x);
        const ref = new Float32Array(m * n);
        const p1 = one.packI8(codes, scb, n, K);
        one.qgemmI8(m, n, K, a, p1, ref, null, 0);
        one.freePacked(p1);
        return { m, n, a, codes, scb, ref };
      });
      const ks = await load(threads);
      if (typeof ks === "string") throw new Error(ks);
      expect(ks.threads).toBe(threads);
      const qpacked = qcases.map((q) => ks.packI8(q.codes, q.scb, q.n, K));
      const cases = SHAPES.map(([m, n], i) => {
        const a = rand(m * K, 7 * i + 1);
        const w = rand(n * K, 11 * i + 2);
        const ref = new Float64Array(m * n);
        for (let r = 0; r < m; r++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let q = 0; q < K; q++) s += a[r * K + q] * w[j * K + q];
            ref[r * n + j] = s;
          }
        return { m, n, a, bp: ks.packB(w, n, K), ref, first: undefined as Float32Array | undefined };
      });
      const bad: string[] = [];
      for (let job = 0; job < JOBS && bad.length < 5; job++) {
        const pick = (job * 5 + (job >> 3)) % cases.length;
        if (job % 4 === 3) {
          const q = qcases[pick];
          const c = new Float32Array(q.m * q.n).fill(NaN);
          ks.qgemmI8(q.m, q.n, K, q.a, qpacked[pick], c, null, 0);
          const i = c.findIndex((x, e) => x !== q.ref[e]);
          if (i >= 0) bad.push(`int8 job ${job} (${q.m}×${q.n}): c[${i}] = ${c[i]}, one thread gave ${q.ref[i]}`);
          continue;
        }
        const cs = cases[pick];
        const c = new Float32Array(cs.m * cs.n).fill(NaN);
        ks.gemm(cs.m, cs.n, K, cs.a, cs.bp, c, null, 0, 1);
        if (!cs.first) {
          const i = c.findIndex((x, e) => !(Math.abs(x - cs.ref[e]) <= 1e-4 + 1e-4 * Math.abs(cs.ref[e])));
          if (i >= 0) bad.push(`job ${job} (${cs.m}×${cs.n}): c[${i}] = ${c[i]}, expected ${cs.ref[i]}`);
          cs.first = c;
        } else {
          const i = c.findIndex((x, e) => x !== cs.first![e]);
          if (i >= 0) bad.push(`job ${job} (${cs.m}×${cs.n}): c[${i}] = ${c[i]}, first run gave ${cs.first[i]}`);
        }
      }
      for (const cs of cases) ks.freePacked(cs.bp);
      for (const p of qpacked) ks.freePacked(p);
      expect(bad).toEqual([]);
    }, 60_000);
  }
}
