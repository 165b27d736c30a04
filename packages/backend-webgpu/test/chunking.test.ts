/**
 * Tensors bigger than one GPU buffer (a 128,100 × 1,536 f32 embedding is 787 MB, over many devices'
 * maxStorageBufferBindingSize) are split in row chunks. `maxBufferBytes` simulates a small device limit so the
 * chunked gather / linear / cast / read paths run on SwiftShader.
 */
import { fileURLToPath } from "node:url";
import { DebertaError } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { Rng, compareOutputs, loadFixtureCases, refActivation, refGather, refLinear, runFixtureCase } from "@deberta-js/core/testing";
import { headsRunner } from "@deberta-js/heads/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import type { GpuStorage } from "../src/storage.js";
import { describeGpu, gpuBackend } from "./gpu.js";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(tol);
}

describeGpu("split (chunked) tensors", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend({ maxBufferBytes: 4096 });
  });
  afterAll(() => be?.destroy());

  it("uploads, reads, gathers, casts and activates a table split over several buffers", async () => {
    const rng = new Rng(7);
    const V = 101;
    const D = 24; // 96 bytes per row → 42 rows per 4 KiB chunk → 3 chunks
    const table = Float32Array.from({ length: V * D }, () => rng.normal(0, 1));
    const t = be.upload(table, [V, D], "f32");
    expect((t.storage as GpuStorage).chunks.length).toBe(3);
    expect(await t.data()).toEqual(table);
    const ids = Int32Array.from([0, 41, 42, 83, 84, 100, 5, 99, 42]);
    const idsT = be.upload(ids, [ids.length], "i32");
    const g = be.gather(t, idsT);
    close(await g.data(), refGather({ shape: [V, D], data: Float64Array.from(table) }, { shape: [ids.length], data: Float64Array.from(ids) }).data, 0);
    const c = be.cast(t, "f32");
    expect((c.storage as GpuStorage).chunks.length).toBe(3);
    expect(await c.data()).toEqual(table);
    const a = be.activation(t, "gelu");
    close(await a.data(), refActivation({ shape: [V, D], data: Float64Array.from(table) }, "gelu").data);
    for (const x of [t, idsT, g, c, a]) x.dispose();
  });

  it("linear / matmul with a split weight as the transposed right operand (the tied MLM decoder)", async () => {
    const rng = new Rng(8);
    const N = 130;
    const K = 20; // 80 bytes per row → 51 rows per chunk → 3 chunks
    const M = 5;
    const w = Float32Array.from({ length: N * K }, () => rng.normal(0, 1));
    const x = Float32Array.from({ length: M * K }, () => rng.normal(0, 1));
    const bias = Float32Array.from({ length: N }, () => rng.normal(0, 1));
    const wt = be.upload(w, [N, K], "f32");
    expect((wt.storage as GpuStorage).chunks.length).toBe(3);
    const xt = be.upload(x, [M, K], "f32");
    const bt = be.upload(bias, [N], "f32");
    const host = (d: Float32Array, shape: number[]) => ({ shape, data: Float64Array.from(d) });
    const y = be.linear(xt, wt, bt, "gelu");
    close(await y.data(), refLinear(host(x, [M, K]), host(w, [N, K]), host(bias, [N]), "gelu").data);
    const z = be.matmul(xt, wt, { transB: true, alpha: 0.5 });
    const ref = refLinear(host(x, [M, K]), host(w, [N, K])).data.map((v) => v * 0.5);
    close(await z.data(), ref);
    expect(() => be.add(wt, wt)).toThrow(DebertaError);
    expect(() => be.matmul(wt, xt, { transB: true })).toThrow(/split over 3 GPU buffers/);
    for (const t of [wt, xt, bt, y, z]) t.dispose();
  });

  it("says clearly when a single row cannot fit", () => {
    expect(() => be.upload(new Float32Array(2048), [1, 2048], "f32")).toThrow(/cannot fit this device/);
    const x = be.upload(new Float32Array(64), [8, 8], "f32");
    expect(() => be.matmul(x.reshape([64, 1]), x.reshape([1, 64]))).toThrow(/output \[64,64\] f32 needs 16384 bytes/);
    x.dispose();
  });

  it("runs a masked-LM fixture with its word embeddings split in 4 chunks", async () => {
    const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
    const cases = (await loadFixtureCases(root, { fixtures: ["tiny-v3", "tiny-v3-legacy-mlm"], classes: ["DebertaV2ForMaskedLM"] })).filter((c) => c.name.endsWith("len1"));
    expect(cases.length).toBe(2);
    // 1000 × 32 f32 embedding = 128,000 bytes; 40,000-byte buffers → 312 rows per chunk → 4 chunks.
    const small = await gpuBackend({ maxBufferBytes: 40_000 });
    try {
      for (const c of cases) {
        const { actual, comparison } = await runFixtureCase(root, c, { backend: small, runner: headsRunner });
        expect(comparison.problems).toEqual([]);
        expect(compareOutputs(actual, c.outputs).ok).toBe(true);
      }
    } finally {
      small.destroy();
    }
  });
});
