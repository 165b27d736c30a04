/**
 * `uploadAsync` (weight loading, issue 18) writes large tensors in slices with waits for the queue between them, so
 * a browser never holds a whole weight in its renderer↔GPU shared memory. Checked: the bytes arrive intact across
 * chunk and slice boundaries (f32 split in several buffers; chunks whose
 * last slice is short) and the tensors read back equal to what was uploaded.
 */
import { Rng } from "@deberta-js/core/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import type { GpuStorage } from "../src/storage.js";
import { describeGpu, gpuBackend } from "./gpu.js";

/** Elements that differ (expect(...).toEqual on 10 M elements takes a minute). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let bad = 0;
  for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) bad++;
  return bad;
}

describeGpu("uploadAsync (sliced uploads for weight loading)", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend({ maxBufferBytes: 16 * 2 ** 20 });
  });
  afterAll(() => be?.destroy());

  it("uploads a 40 MB f32 tensor split over three buffers, sliced, byte for byte", async () => {
    const rng = new Rng(18);
    const rows = 10_000;
    const cols = 1_000; // 4,000 bytes per row → 4,194 rows per 16 MiB chunk → 3 chunks
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, 1);
    const t = await be.uploadAsync(data, [rows, cols], "f32");
    expect((t.storage as GpuStorage).chunks.length).toBe(3);
    expect(mismatches(await t.data(), data)).toBe(0);
    t.dispose();
  });

  it("uploads an i32 tensor whose last slice is partial, intact", async () => {
    const rows = 3 * 2 ** 20 + 1;
    const n = rows * 3; // 36 MiB + 12 bytes in 12-byte rows: 16 MiB − 4 bytes per chunk, so every chunk's last slice is short
    const ints = new Int32Array(n);
    for (let i = 0; i < n; i++) ints[i] = (i * 2654435761) | 0;
    const t = await be.uploadAsync(ints, [rows, 3], "i32");
    expect(mismatches(await t.data(), ints)).toBe(0);
    t.dispose();
  });
});
