/**
 * What the conformance kit does not see: one submit per forward pass, cached pipelines, a pool that stops growing,
 * GPU-resident outputs, the uniform arena and automatic submits on long op chains, and `destroy()`.
 */
import { fileURLToPath } from "node:url";
import { DebertaV2Model, OrtTensor } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { HostBackend } from "@deberta-js/core/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebGpuBackend } from "../src/backend.js";
import { describeGpu, gpuBackend } from "./gpu.js";

const fixture = (name: string) => directoryFiles(fileURLToPath(new URL(`../../../fixtures/models/${name}`, import.meta.url)));

const inputs = {
  input_ids: [
    [1, 17, 250, 33, 2, 0, 0],
    [1, 5, 6, 7, 8, 9, 2],
    [1, 2, 0, 0, 0, 0, 0],
  ],
  attention_mask: [
    [1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 0, 0, 0, 0, 0],
  ],
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describeGpu("WebGpuBackend", () => {
  let be: WebGpuBackend;
  beforeAll(async () => {
    be = await gpuBackend();
  });
  afterAll(() => be?.destroy());

  it("runs a forward pass as one submit, with cached pipelines and a pool that stops growing", async () => {
    const model = await DebertaV2Model.fromPretrained(fixture("tiny-v2-conv"), { backend: be, warn: () => {} });
    const run = async () => {
      const out = await model.forward(inputs);
      const data = await out.last_hidden_state.data();
      out.last_hidden_state.dispose();
      return data;
    };
    const first = await run();
    await run(); // the pool settles after a pass or two (which freed buffer fits which request)
    const pipelines = be.pipelineCount;
    const bytes = be.bytesAllocated;
    const submits = be.submits;
    const second = await run();
    expect(be.submits - submits).toBe(1);
    expect(be.pipelineCount).toBe(pipelines);
    expect(be.bytesAllocated).toBe(bytes);
    expect(second).toEqual(first);
    model.dispose();
  });

  it("packed batches give the padded batch's real-token rows; attention probabilities match the host reference", async () => {
    const model = await DebertaV2Model.fromPretrained(fixture("tiny-v3"), { backend: be, warn: () => {} });
    const host = new HostBackend();
    const ref = await DebertaV2Model.fromPretrained(fixture("tiny-v3"), { backend: host, warn: () => {} });
    const padded = await model.forward(inputs, { output_attentions: true });
    const packed = await model.forward(inputs, { packed: true });
    const expected = await ref.forward(inputs, { output_attentions: true });
    const [p, q, r] = await Promise.all([padded.last_hidden_state.data(), packed.last_hidden_state.data(), expected.last_hidden_state.data()]);
    expect(maxDiff(p, r)).toBeLessThan(1e-4);
    const H = model.config.hidden_size;
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 7; i++) {
        if (!inputs.attention_mask[b][i]) continue;
        const row = (b * 7 + i) * H;
        expect(maxDiff(p.subarray(row, row + H), q.subarray(row, row + H))).toBeLessThan(1e-5);
      }
    }
    expect(padded.attentions!.length).toBe(expected.attentions!.length);
    for (let l = 0; l < padded.attentions!.length; l++) {
      expect(padded.attentions![l].shape).toEqual(expected.attentions![l].shape);
      expect(maxDiff(await padded.attentions![l].data(), await expected.attentions![l].data())).toBeLessThan(1e-5);
    }
    for (const o of [padded, packed, expected]) for (const t of new Set([o.last_hidden_state, ...(o.attentions ?? [])])) t.dispose();
    model.dispose();
    ref.dispose();
  });

  it("keeps outputs on the GPU as onnxruntime-common tensors", async () => {
    const x = be.upload(Float32Array.from([1, -2, 3, -4, 5, -6]), [2, 3], "f32");
    const y = be.activation(x, "relu");
    const ort = be.toOrtGpuTensor(y);
    expect(ort).toBeInstanceOf(OrtTensor);
    expect(ort.location).toBe("gpu-buffer");
    expect(ort.dims).toEqual([2, 3]);
    expect(ort.type).toBe("float32");
    expect(Array.from((await ort.getData(true)) as Float32Array)).toEqual([1, 0, 3, 0, 5, 0]);
    ort.dispose();
    x.dispose();
    y.dispose();
  });

  it("keeps each dispatch's parameters apart across uniform-arena buffers and automatic submits", async () => {
    const small = await gpuBackend({ maxDispatchesPerSubmit: 300 });
    try {
      const one = small.upload(Float32Array.from([1, 1, 1]), [3], "f32");
      let acc = small.upload(Float32Array.from([0, 0, 0]), [3], "f32");
      const submits = small.submits;
      // 700 dispatches with distinct parameters: > 256 uniform slots per 64 KiB arena buffer, and 2 auto-submits.
      for (let i = 0; i < 700; i++) {
        const next = i % 2 ? small.add(acc, one) : small.mul(acc, one);
        acc.dispose();
        acc = next;
      }
      expect(small.submits - submits).toBe(2);
      expect(Array.from(await acc.data())).toEqual([350, 350, 350]);
      const t = small.transpose(small.upload(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4], "f32"), [2, 0, 1]);
      expect(Array.from(await t.data()).slice(0, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    } finally {
      small.destroy();
    }
  });

  it("times kernels with GPU timestamps when asked (profile: true)", async () => {
    const p = await gpuBackend({ profile: true });
    try {
      const x = p.upload(Float32Array.from({ length: 64 }, (_, i) => i), [8, 8], "f32");
      const y = p.matmul(x, x, { transB: true });
      const z = p.activation(y, "gelu");
      await z.data();
      const report = await p.profileReport();
      if (!p.device.features.has("timestamp-query")) {
        expect(report).toEqual([]);
        return;
      }
      expect(report.map((r) => r.kernel.split("/")[0]).sort()).toEqual(["matmul" + (p.kernels === "cpu" ? "-direct" : ""), "unary"].sort());
      expect(report.every((r) => r.calls === 1 && r.ms >= 0)).toBe(true);
      expect(await p.profileReport()).toEqual([]);
      for (const t of [x, y, z]) t.dispose();
    } finally {
      p.destroy();
    }
  });

  it("frees everything on destroy() and refuses work afterwards", async () => {
    const b = await gpuBackend();
    const x = b.upload(new Float32Array(1000), [10, 100], "f32");
    const y = b.add(x, x);
    await y.data();
    expect(b.bytesAllocated).toBeGreaterThan(0);
    b.destroy();
    expect(b.bytesAllocated).toBe(0);
    expect(() => b.add(x, x)).toThrow(/destroyed/);
    x.dispose(); // a no-op after destroy
  });
});
