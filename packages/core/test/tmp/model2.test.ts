import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "../../src/node/index.js";
import { loadFixtureCases, defineParitySuite, caseFiles } from "../../src/testing/parity.js";
import { DebertaV2Model } from "../../src/index.js";
import { NaiveBackend } from "./naive-backend.js";
const root = directoryFiles(fileURLToPath(new URL("../../../../fixtures/models", import.meta.url)));
const cases = (await loadFixtureCases(root, { classes: ["DebertaV2Model"] })).filter((c) => c.fixture === "long-v3");
const be = new NaiveBackend();
defineParitySuite({ describe, it, expect }, { name: "naive-long", root, cases, backend: async () => be });
describe("packed", () => {
  it("packed equals padded on real tokens", async () => {
    const all = await loadFixtureCases(root, { classes: ["DebertaV2Model"] });
    for (const c of all.filter((c) => c.name === "batch3_padded")) {
      const { files } = caseFiles(root, c);
      const m = await DebertaV2Model.fromPretrained(files, { backend: be });
      const a = await (await m.forward(c.inputs as any)).last_hidden_state.data();
      const b = await (await m.forward(c.inputs as any, { packed: true })).last_hidden_state.data();
      const mask = (c.inputs.attention_mask as number[][]).flat();
      const H = m.config.hidden_size;
      let max = 0;
      mask.forEach((v, i) => { if (v) for (let h = 0; h < H; h++) max = Math.max(max, Math.abs(a[i * H + h] - b[i * H + h])); else for (let h = 0; h < H; h++) expect(Math.abs(b[i*H+h])).toBe(0); });
      console.log(c.fixture, "packed max diff", max);
      expect(max).toBeLessThan(1e-5);
    }
  });
});
