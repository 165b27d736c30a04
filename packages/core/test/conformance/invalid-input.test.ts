// The conformance kit's "invalid input" family: the contract's backends pass it, backends with their own (or no)
// checks fail it, case by case.
import { describe, expect, it } from "vitest";
import { type DType, InputError, type Tensor, type TensorData } from "@deberta-js/core";
import { HostBackend, runConformance } from "@deberta-js/core/testing";

/** What WebGPU's upload did before the contract: convert any array with `TypedArray.from` (f32 → f16 as integers). */
class ConvertingUpload extends HostBackend {
  override upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    const typed = dtype === "f32" ? Float32Array.from(data) : dtype === "i32" ? Int32Array.from(data) : Uint16Array.from(data);
    return super.upload(typed, shape, dtype);
  }
}

/** Its own shape check, worded differently, and broadcasting residuals in addLayerNorm. */
class OwnChecks extends HostBackend {
  override add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.at(-1) !== b.shape.at(-1)) throw new InputError("add: bad shapes");
    return super.add(a, b);
  }
}

const invalid = (be: HostBackend) => runConformance(be, { ops: ["invalidInput"], log: () => {} });

describe("conformance: invalid input family", () => {
  it("passes on a backend that checks the op contract (fused and fallback)", async () => {
    for (const be of [new HostBackend(), new HostBackend({ fused: false })]) {
      const r = await invalid(be);
      expect(r.results.filter((x) => !x.ok)).toEqual([]);
      expect(r.results.length).toBeGreaterThan(25);
    }
  });

  it("fails a backend that converts wrongly-typed uploads", async () => {
    const r = await invalid(new ConvertingUpload());
    const failed = r.results.filter((x) => !x.ok).map((x) => x.case);
    expect(failed).toContain("upload: a Uint16Array [6] as f32 [2,3]");
    expect(failed).toContain("upload: a Int32Array [6] as f16 [2,3]");
    expect(failed).toContain("upload: a Float32Array as f16 is rounded to half bits");
    expect(r.passed).toBe(false);
  });

  it("fails a backend whose errors differ from the contract's", async () => {
    const r = await invalid(new OwnChecks());
    const bad = r.results.find((x) => x.case === "add: shapes that do not broadcast")!;
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('threw INPUT_INVALID: "add: bad shapes"');
  });
});
