import { describe, expect, it } from "vitest";
import { GEOM_BYTES, packParams, paramLayout, writeGeom } from "./launch-params.js";
import { KERNELS } from "./kernels/index.js";

describe("kernel argument marshalling", () => {
  it("puts every value at an 8-byte aligned offset, then the pointer array", () => {
    const l = paramLayout(["p", "i", "f", "g", "p"]);
    expect(l.offsets).toEqual([0, 8, 16, 24, 24 + GEOM_BYTES]);
    expect(l.pointersAt).toBe(24 + GEOM_BYTES + 8);
    expect(l.size).toBe(l.pointersAt + 5 * 8);
    expect(GEOM_BYTES).toBe(104);
  });

  it("writes values little-endian and pointers to them", () => {
    const buf = new ArrayBuffer(512);
    const view = new DataView(buf);
    const base = 0x7f0000001000n;
    const params = packParams(view, base, "k", ["p", "i", "f"], [0xdeadbeef00n, -7, 1.5]);
    const l = paramLayout(["p", "i", "f"]);
    expect(params).toBe(base + BigInt(l.pointersAt));
    expect(view.getBigUint64(0, true)).toBe(0xdeadbeef00n);
    expect(view.getInt32(8, true)).toBe(-7);
    expect(view.getFloat32(16, true)).toBe(1.5);
    for (let i = 0; i < 3; i++) expect(view.getBigUint64(l.pointersAt + 8 * i, true)).toBe(base + BigInt(l.offsets[i]));
  });

  it("lays out DjsGeom as rank, axis, dims[6], s0[6], s1[6], s2[6]", () => {
    const view = new DataView(new ArrayBuffer(GEOM_BYTES));
    writeGeom(view, 0, { rank: 3, axis: 1, dims: [2, 3, 4], s0: [12, 4, 1], s1: [0, 1, 0], s2: [5] });
    const ints = Array.from({ length: 26 }, (_, i) => view.getInt32(4 * i, true));
    expect(ints).toEqual([3, 1, 2, 3, 4, 0, 0, 0, 12, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]);
  });

  it("rejects wrong argument counts and types with the kernel's name", () => {
    const view = new DataView(new ArrayBuffer(512));
    expect(() => packParams(view, 0n, "djs_x", ["p", "i"], [1n])).toThrow(/djs_x: 1 arguments given, its signature has 2/);
    expect(() => packParams(view, 0n, "djs_x", ["i"], [1.5])).toThrow(/argument 0 must be an int32/);
    expect(() => packParams(view, 0n, "djs_x", ["p"], [5])).toThrow(/device pointer/);
    expect(() => writeGeom(view, 0, { rank: 7, dims: [] })).toThrow(/rank 7/);
  });

  it("fits the largest kernel signature in the 4 KiB launch arena", () => {
    for (const [name, k] of KERNELS) expect(paramLayout(k.params).size, name).toBeLessThanOrEqual(4096);
  });
});
