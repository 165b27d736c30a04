// The WASM kernel set with tensors resident in shared linear memory: what users hold never aliases WASM memory,
// memory growth leaves earlier tensors valid, and nothing leaks across forwards, failed forwards or model dispose.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { DebertaV2Model, DisposedError, type Tensor } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { caseFiles, loadFixtureCases, Rng, randomUniform, withInjectedFailure } from "@deberta-js/core/testing";
import { CompiledCpuBackend, CpuBackend } from "../src/index.js";
import type { KernelHeap } from "../src/kernels.js";
import { loadWasmKernels } from "../src/wasm.js";

const root = directoryFiles(fileURLToPath(new URL("../../../fixtures/models", import.meta.url)));
const cases = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });

async function residentBackend(): Promise<CompiledCpuBackend | string> {
  const k = await loadWasmKernels(2, { resident: true });
  return typeof k === "string" ? k : new CompiledCpuBackend(k);
}

const first = await residentBackend();
if (typeof first === "string") console.warn(`WASM heap tests skipped: ${first}`);

describe.skipIf(typeof first === "string")("WASM kernels, tensors resident in shared linear memory", () => {
  const b = first as CompiledCpuBackend;
  const heap = b.kernels.heap as KernelHeap;
  const ref = new CpuBackend();
  const rng = new Rng(11);
  const rand = (n: number) => Float32Array.from(randomUniform(rng, n, -1, 1));
  const f32 = (t: Tensor) => t.storage as Float32Array;

  it("allocates op results in linear memory on a shared memory only", async () => {
    expect(heap).toBeDefined();
    const x = b.upload(rand(12), [3, 4], "f32");
    expect(f32(x).buffer).toBeInstanceOf(SharedArrayBuffer);
    x.dispose();
    const st = await loadWasmKernels(1, { shared: false });
    const copying = await loadWasmKernels(2, { resident: false });
    for (const k of [st, copying]) if (typeof k !== "string") expect(k.heap).toBeUndefined();
  });

  it("read() and toOrt() copy out: the values stay intact after dispose and after the memory is reused", async () => {
    const W = rand(24 * 16);
    const bias = rand(24);
    const w = b.upload(W, [24, 16], "f32");
    const bv = b.upload(bias, [24], "f32");
    const X1 = rand(8 * 16);
    const y = b.linear(b.upload(X1, [8, 16], "f32"), w, bv, "gelu");
    const r = await y.data();
    const o = (await y.toOrt()).data as Float32Array;
    expect(r.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(o.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const saved = r.slice();
    const addr = f32(y).byteOffset;
    y.dispose();
    // the allocator hands the same block to the next result of this size: overwrite it with other values
    const X2 = rand(8 * 16);
    const z = b.linear(b.upload(X2, [8, 16], "f32"), w, bv, "gelu");
    expect(f32(z).byteOffset).toBe(addr);
    expect(r).toEqual(saved);
    expect(o).toEqual(saved);
    const expected = await ref.linear(ref.upload(X2, [8, 16], "f32"), ref.upload(W, [24, 16], "f32"), ref.upload(bias, [24], "f32"), "gelu").data();
    const got = await z.data();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(expected[i]));
    expect(saved).not.toEqual(got);
    // a disposed tensor's freed block is never read again: core refuses it as an operand
    const w2 = b.upload(rand(16 * 24), [16, 24], "f32");
    b.linear(z, w2, undefined).dispose();
    z.dispose();
    expect(() => b.linear(z, w2, undefined)).toThrow(DisposedError);
    await expect(z.data()).rejects.toThrow(DisposedError);
    for (const t of [w, bv, w2]) t.dispose();
  });

  it("memory growth during an op (a large intermediate) leaves earlier tensors valid", async () => {
    const fresh = (await residentBackend()) as CompiledCpuBackend; // a small memory, so that the big result grows it
    const h = fresh.kernels.heap as KernelHeap;
    const W = rand(32 * 16);
    const w = fresh.upload(W, [32, 16], "f32");
    const X = rand(4 * 16);
    const a = fresh.linear(fresh.upload(X, [4, 16], "f32"), w, undefined);
    const before = await a.data();
    const grownFrom = h.memoryBytes;
    const rows = Math.ceil(grownFrom / (4 * 32)) + 1; // more bytes than the whole memory holds now
    const big = fresh.linear(fresh.upload(new Float32Array(rows * 16).fill(0.5), [rows, 16], "f32"), w, undefined);
    expect(h.memoryBytes).toBeGreaterThan(grownFrom);
    expect(f32(a).length).toBe(4 * 32); // the old view still spans its tensor
    expect(await a.data()).toEqual(before);
    // and the kernels still read it where it was: the same op on it after growth gives the same values
    const again = fresh.linear(fresh.upload(X, [4, 16], "f32"), w, undefined);
    expect(await fresh.add(a, again).data()).toEqual(before.map((v) => v + v));
    const bigRow = (await big.data()).subarray((rows - 1) * 32);
    const expected = await ref.linear(ref.upload(new Float32Array(16).fill(0.5), [1, 16], "f32"), ref.upload(W, [32, 16], "f32"), undefined).data();
    for (let i = 0; i < 32; i++) expect(Math.abs(bigRow[i] - expected[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(expected[i]));
    fresh.destroy();
  });

  it("a bias held in JS memory (adopted from the loader) is copied in once, on first use, and freed with it", async () => {
    const W = rand(24 * 16);
    const w = b.upload(W, [24, 16], "f32");
    const x = b.upload(rand(4 * 16), [4, 16], "f32");
    b.linear(x, w, undefined).dispose(); // packs the weight
    const B = rand(24);
    const bias = b.adopt(B, [24], "f32");
    expect(heap.owns(bias.storage as Float32Array)).toBe(false);
    const before = heap.inUseBytes;
    b.linear(x, w, bias).dispose();
    const mirrored = heap.inUseBytes;
    expect(mirrored - before).toBe(128); // 24 floats in a 128-byte block
    b.linear(x, w, bias).dispose();
    expect(heap.inUseBytes).toBe(mirrored); // not copied again
    const y = b.linear(x, w, bias);
    const got = await y.data();
    y.dispose();
    const expected = await ref.linear(ref.upload(await x.data(), [4, 16], "f32"), ref.upload(W, [24, 16], "f32"), ref.upload(B, [24], "f32")).data();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(expected[i]));
    bias.dispose();
    expect(heap.inUseBytes).toBe(before);
    for (const t of [w, x]) t.dispose();
  });

  it("a tensor too large for linear memory is a BACKEND_ERROR naming the size, and nothing is allocated", () => {
    const before = heap.inUseBytes;
    expect(() => b.upload(new Float32Array(0), [0], "f32")).not.toThrow();
    expect(() => heap.f32(900 * 2 ** 20)).toThrow(expect.objectContaining({ code: "BACKEND_ERROR", message: expect.stringMatching(/WASM kernels: out of memory allocating 3600 MiB/) }));
    expect(heap.inUseBytes).toBe(before);
  });

  it("inputs of varying length reuse blocks: a freed block serves any request of its size class", () => {
    const a = heap.f32(128 * 384);
    const addr = a.byteOffset;
    heap.free(a);
    const c = heap.f32(117 * 384); // another sequence length, same class (at most 25% larger)
    expect(c.byteOffset).toBe(addr);
    expect(heap.free(c)).toBe(true);
    expect(heap.free(c)).toBe(false); // a second free is refused, never a double free
  });

  it("no heap growth across forwards or after a failed forward; model dispose frees its cached tensors and packed weights", async () => {
    const c = cases.find((x) => x.fixture === "tiny-v3" && x.name === "batch3_padded")!;
    const fail = withInjectedFailure(b, "layerNorm");
    const start = heap.inUseBytes;
    const model = await DebertaV2Model.fromPretrained(caseFiles(root, c).files, { backend: fail.backend, warn: () => {} });
    const ids = [
      [1, 5, 9, 14, 2],
      [1, 7, 3, 2, 0],
    ];
    const mask = [
      [1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0],
    ];
    const forward = async () => {
      const out = await model.forward({ input_ids: ids, attention_mask: mask });
      const data = await out.last_hidden_state.data();
      out.last_hidden_state.dispose();
      return data;
    };
    const firstOut = await forward(); // warm-up: packs the weights, caches the position projections
    const warm = heap.inUseBytes;
    expect(warm).toBeGreaterThan(start);
    for (let i = 0; i < 3; i++) {
      expect(await forward()).toEqual(firstOut);
      expect(heap.inUseBytes).toBe(warm);
    }
    fail.reset();
    await forward();
    fail.failAt(Math.ceil(fail.calls / 2)); // the next forward fails halfway through
    await expect(forward()).rejects.toThrow(/injected failure/);
    expect(heap.inUseBytes).toBe(warm);
    fail.reset();
    expect(await forward()).toEqual(firstOut);
    model.dispose();
    expect(heap.inUseBytes).toBe(start);
  });
});
