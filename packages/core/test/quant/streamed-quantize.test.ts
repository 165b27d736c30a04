// Quantize-on-load streams each Linear weight and quantizes it as it is read. Whatever the config (separate
// pos_key_proj / pos_query_proj when share_att_key is false, embed_proj, conv, no relative attention), the streamed
// load must give exactly the model the whole-state-dict path gives: same weights, bit-identical outputs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DebertaV2Config, DebertaV2Model, loadStateDict } from "../../src/index.js";
import { directoryFiles } from "../../src/node/index.js";
import { HostBackend } from "../../src/testing/host-backend.js";
import { FIXTURES } from "../fixtures.js";

const backend = new HostBackend({ name: "host-streamed-quantize" });
const quiet = { warn: () => {} };
const FIXTURE_MODELS = ["tiny-v3", "tiny-v2-classic", "tiny-v2-conv", "tiny-noattn-rel", "long-v3"];

async function hidden(m: DebertaV2Model, input_ids: number[][]): Promise<Float32Array> {
  const { last_hidden_state } = await m.forward({ input_ids });
  const d = (await last_hidden_state.data()) as Float32Array;
  last_hidden_state.dispose();
  return d;
}

describe("quantize-on-load through the streaming loader", () => {
  it.each(FIXTURE_MODELS.flatMap((f) => (["q8", "q4"] as const).map((d) => [f, d] as const)))("%s %s: streamed == in-memory", async (fixture, dtype) => {
    const dir = join(FIXTURES, fixture);
    const files = directoryFiles(dir);
    const streamed = await DebertaV2Model.fromPretrained(files, { backend, dtype, ...quiet });
    const config = DebertaV2Config.fromJSON(readFileSync(join(dir, "config.json")));
    const { stateDict } = await loadStateDict(files);
    const quantize = dtype === "q8" ? "int8" : "q4";
    const inMemory = DebertaV2Model.fromStateDict(config, stateDict, { backend, dtype: "f32", quantize, ...quiet });
    const ids = [[1, 5, 9, 13, 17, 2]];
    const a = await hidden(streamed, ids);
    const b = await hidden(inMemory, ids);
    expect(a.length).toBe(b.length);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(streamed.residentWeightBytes).toBe(inMemory.residentWeightBytes);
    streamed.dispose();
    inMemory.dispose();
  });
});
