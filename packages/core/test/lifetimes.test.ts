// Tensor lifetimes: scoped()/keep(), a forward that throws mid-layer frees everything it made, a disposed model
// throws DISPOSED, and the op contract's ownership check.
import { describe, expect, it } from "vitest";
import { DebertaError, DebertaV2Model, type Backend, inScope, keep, liveTensorCount, scoped } from "../src/index.js";
import { HostBackend } from "../src/testing/host-backend.js";
import { caseFiles, loadFixtureCases } from "../src/testing/parity.js";
import { fixtureRoot } from "./fixtures.js";

const cases = await loadFixtureCases(fixtureRoot, { classes: ["DebertaV2Model"] });

async function load(fixture: string, backend: Backend) {
  const c = cases.find((x) => x.fixture === fixture && x.name === "batch3_padded")!;
  return { c, model: await DebertaV2Model.fromPretrained(caseFiles(fixtureRoot, c).files, { backend, warn: () => {} }) };
}

/** A HostBackend whose `op` throws on its `failAt`-th call (0 = never) — an op failing in the middle of a layer. */
class FailingBackend extends HostBackend {
  calls = 0;
  failAt = 0;
  constructor(private readonly op: "layerNorm" | "softmax" | "matmul" | "add") {
    super({ fused: false });
    const original = (this[op] as (...a: unknown[]) => unknown).bind(this);
    (this as unknown as Record<string, unknown>)[op] = (...a: unknown[]) => {
      if (++this.calls === this.failAt) throw new DebertaError("BACKEND_ERROR", `injected failure in ${op}`);
      return original(...a);
    };
  }
}

describe("scoped / keep", () => {
  const be = new HostBackend();
  const up = () => be.upload(Float32Array.of(1, 2, 3), [3], "f32");

  it("frees what the function made except its result; results move to the enclosing scope", () => {
    const before = liveTensorCount();
    const outer = scoped(() => {
      const inner = scoped(() => {
        const a = up();
        const b = be.add(a, a);
        return { sum: be.mul(b, b), views: [b.reshape([1, 3])] };
      });
      expect(liveTensorCount() - before).toBe(2); // sum and b (kept through its view); a is freed
      return inner.sum;
    });
    expect(liveTensorCount() - before).toBe(1);
    expect(outer.isDisposed).toBe(false);
    outer.dispose();
    expect(liveTensorCount()).toBe(before);
    expect(inScope()).toBe(false);
  });

  it("frees everything when the function throws, and keep() survives every scope", () => {
    const before = liveTensorCount();
    let kept: ReturnType<typeof up> | undefined;
    expect(() =>
      scoped(() => {
        up();
        kept = keep(up());
        scoped(() => up());
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(liveTensorCount() - before).toBe(1);
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(liveTensorCount()).toBe(before);
  });

  it("refuses an async function", () => {
    const before = liveTensorCount();
    expect(() => scoped(async () => up())).toThrow(/synchronous/);
    // the tensor was created before the function's first await, inside the scope: freed
    expect(liveTensorCount()).toBe(before);
  });
});

describe("model lifetimes", () => {
  for (const op of ["layerNorm", "softmax", "matmul", "add"] as const) {
    it(`a forward whose ${op} throws mid-layer leaks no tensor`, async () => {
      const be = new FailingBackend(op);
      const { c, model } = await load("tiny-v2-conv", be);
      // Count the op's calls in one good forward (after it, the position caches are built), then fail halfway.
      await model.forward(c.inputs as never);
      const good = be.calls;
      be.calls = 0;
      await model.forward(c.inputs as never).then((o) => o.last_hidden_state.dispose());
      const perForward = be.calls;
      expect(perForward).toBeGreaterThan(2);
      const before = liveTensorCount();
      const storage = be.live.size;
      be.calls = 0;
      be.failAt = Math.ceil(perForward / 2);
      await expect(model.forward(c.inputs as never, { output_hidden_states: true, output_attentions: true })).rejects.toThrow(/injected failure/);
      expect(liveTensorCount()).toBe(before);
      expect(be.live.size).toBe(storage);
      expect(good).toBeGreaterThan(0);
      model.dispose();
    });
  }

  it("a disposed model throws DISPOSED (and its weights are gone)", async () => {
    const be = new HostBackend();
    const { c, model } = await load("tiny-v3", be);
    const out = await model.forward(c.inputs as never);
    out.last_hidden_state.dispose();
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await expect(model.forward(c.inputs as never)).rejects.toMatchObject({ code: "DISPOSED" });
    expect(() => model.encode({ batch: 1, seqLen: 1, ids: Int32Array.of(1), mask: Uint8Array.of(1) } as never)).toThrow(expect.objectContaining({ code: "DISPOSED" }));
    expect(be.live.size).toBe(0);
  });

  it("a tensor used after dispose or on another backend fails the op contract", async () => {
    const a = new HostBackend({ name: "a" });
    const b = new HostBackend({ name: "b" });
    const x = a.upload(Float32Array.of(1), [1], "f32");
    const y = b.upload(Float32Array.of(1), [1], "f32");
    expect(() => a.add(x, y)).toThrow(expect.objectContaining({ code: "INPUT_INVALID", message: 'add: b [1] f32 belongs to backend "b", not to this "a" backend' }));
    x.dispose();
    expect(() => a.add(x, x)).toThrow(expect.objectContaining({ code: "DISPOSED" }));
    await expect(x.data()).rejects.toMatchObject({ code: "DISPOSED" });
    y.dispose();
  });
});
