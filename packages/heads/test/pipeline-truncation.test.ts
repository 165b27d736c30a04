// Issue 13: `pipeline()` never truncated, so 8,000 words ran a 10,000-token forward (66 s on a base model, GiBs of
// attention scores). Without `truncation` a text longer than the model can run is a typed error raised before
// the forward, naming `truncation`; with HF's `truncation: true` it is cut to the tokenizer's model_max_length.
import { describe, expect, it } from "vitest";
import { pipeline } from "../src/index.js";
import { testBackend } from "./backend.js";
import { syntheticModel } from "./synthetic.js";

const quiet = { warn: () => {} };
const words = Array.from({ length: 9000 }, (_, i) => ["alpha", "beta", "gamma", "delta"][i % 4]).join(" ");

describe("pipeline truncation (issue 13)", () => {
  it("9,000 words: a fast typed error without truncation, a result with truncation: true", async () => {
    const dir = await syntheticModel("DebertaV2ForSequenceClassification");
    const clf = await pipeline("text-classification", dir, { backend: await testBackend(), ...quiet });
    expect(clf.tokenizer.encode(words)[0].ids.length).toBeGreaterThan(8192);
    const t0 = performance.now();
    await expect(clf(words)).rejects.toMatchObject({ code: "INPUT_INVALID", message: expect.stringMatching(/truncation/) });
    expect(performance.now() - t0).toBeLessThan(10_000); // refused before the forward (a 9k-token forward is minutes)
    const seen: number[] = [];
    const model = clf.model as unknown as { forwardHost: (host: { seqLen: number }, o: unknown) => unknown };
    const forwardHost = model.forwardHost.bind(model);
    model.forwardHost = (host, o) => {
      seen.push(host.seqLen);
      return forwardHost(host, o);
    };
    const out = (await clf(words, { truncation: true })) as { label: string } | Array<{ label: string }>;
    expect(typeof (Array.isArray(out) ? out[0] : out).label, JSON.stringify(out)).toBe("string");
    expect(Math.max(...seen)).toBe(512); // tokenizer_config.json model_max_length
    clf.dispose();
  }, 60_000);
});
