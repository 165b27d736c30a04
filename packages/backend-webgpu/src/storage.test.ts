import { describe, expect, it } from "vitest";
import { bucketSize } from "./buffer-pool.js";
import { planChunks } from "./storage.js";
import { kernelProfileFor } from "./backend.js";
import { ParamLayout } from "./uniforms.js";

describe("chunk planning", () => {
  it("keeps a tensor whole when it fits, else splits whole rows planned at 4 bytes per element", () => {
    expect(planChunks([10, 10], "f32", 400)).toBe(100);
    expect(planChunks([128100, 1536], "f32", 2 ** 30)).toBe(128100 * 1536);
    // 787 MB f32 embedding on a 256 MiB limit: 43,690 rows per chunk → 3 chunks
    const ce = planChunks([128100, 1536], "f32", 2 ** 28);
    expect(ce).toBe(43690 * 1536);
    expect(Math.ceil((128100 * 1536) / ce)).toBe(3);
    // the same tensor in f16 splits at the same elements (f32 and its cast walk chunk by chunk)
    expect(planChunks([128100, 1536], "f16", 2 ** 27)).toBe(planChunks([128100, 1536], "f32", 2 ** 27));
    // odd rows: an even number of rows per chunk, so f16 chunks end on 4-byte words
    expect((planChunks([100, 3], "f16", 100) / 3) % 2).toBe(0);
    expect(planChunks([2, 1000], "f32", 1000)).toBe(0);
  });

  it("buckets buffer sizes with at most 25% waste", () => {
    for (const n of [1, 255, 256, 4097, 5000, 1e6, 3e8]) {
      const b = bucketSize(n);
      expect(b).toBeGreaterThanOrEqual(n);
      expect(b).toBeLessThanOrEqual(Math.max(256, n * 1.25));
    }
  });
});

describe("params and adapters", () => {
  it("packs scalars then vec4-aligned arrays, as the WGSL struct declares them", () => {
    const p = new ParamLayout({ n: "u32", alpha: "f32", off: "i32" }, { shape: 6 });
    expect(p.words).toBe(4 + 8);
    expect(p.wgsl).toContain("shape: array<vec4<u32>, 2>");
    const w = p.pack({ n: 7, alpha: 0.5, off: -1, shape: [1, 2, 3] });
    expect(w[0]).toBe(7);
    expect(new Float32Array(w.buffer)[1]).toBe(0.5);
    expect(new Int32Array(w.buffer)[2]).toBe(-1);
    expect(Array.from(w.slice(4, 7))).toEqual([1, 2, 3]);
  });

  it("gives CPU adapters the barrier-free kernels", () => {
    expect(kernelProfileFor({ vendor: "google", architecture: "swiftshader" })).toBe("cpu");
    expect(kernelProfileFor({ vendor: "mesa", description: "llvmpipe (LLVM 15.0.7, 256 bits)" })).toBe("cpu");
    expect(kernelProfileFor({ vendor: "nvidia", architecture: "hopper" })).toBe("gpu");
    expect(kernelProfileFor({ isFallbackAdapter: true })).toBe("cpu");
    expect(kernelProfileFor(undefined)).toBe("gpu");
  });
});
