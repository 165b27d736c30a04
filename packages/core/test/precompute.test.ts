// Input-independent work at load: `fromPretrained` computes every layer's relative-position projections before
// returning (progress phase "precompute"), and the first forward then gives exactly what the lazy path gives.
import { describe, expect, it } from "vitest";
import { DebertaV2Model, type ProgressEvent } from "../src/index.js";
import { directoryFiles } from "../src/node/files.js";
import { HostBackend } from "../src/testing/host-backend.js";
import { FIXTURES } from "./fixtures.js";

describe("precompute at load", () => {
  it("computes the position projections at load, reports each layer, and leaves the forward unchanged", async () => {
    const files = directoryFiles(`${FIXTURES}/tiny-v3`);
    const lazy = await DebertaV2Model.fromPretrained(files, { device: new HostBackend(), precompute: false });
    const weightsOnly = lazy.residentWeightBytes;
    const events: ProgressEvent[] = [];
    const eager = await DebertaV2Model.fromPretrained(files, { device: new HostBackend(), progress_callback: (e) => events.push(e) });
    const layers = eager.config.num_hidden_layers;
    const pre = events.filter((e) => e.phase === "precompute");
    expect(pre.map((e) => e.loaded)).toEqual(Array.from({ length: layers }, (_, i) => i + 1));
    expect(pre.at(-1)).toMatchObject({ status: "done", total: layers, progress: 100 });
    // the caches exist before any forward: relEmbeddings LayerNorm'd + posKey/posQuery per layer
    expect(eager.residentWeightBytes).toBeGreaterThan(weightsOnly);
    const input = { input_ids: [[1, 7, 12, 9, 2]] };
    const a = await (await lazy.forward(input)).last_hidden_state.data();
    const residentBefore = eager.residentWeightBytes;
    const b = await (await eager.forward(input)).last_hidden_state.data();
    expect(eager.residentWeightBytes).toBe(residentBefore); // nothing left to compute lazily
    expect(lazy.residentWeightBytes).toBe(residentBefore); // the lazy path caches the same tensors on its first forward
    expect(Array.from(b)).toEqual(Array.from(a));
    lazy.dispose();
    eager.dispose();
  });

  it("precompute must be a boolean", async () => {
    await expect(DebertaV2Model.fromPretrained(directoryFiles(`${FIXTURES}/tiny-v3`), { precompute: "yes" as never })).rejects.toThrow(/precompute/);
  });
});
