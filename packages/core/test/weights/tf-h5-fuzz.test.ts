// Seeded fuzzing of the tf_model.h5 reader: mutated and truncated copies of a real fixture must either load or fail
// with a WeightsError (never another exception, a hang or an abort of the HDF5 module), and the reader must still
// work on the intact file afterwards. Set DEBERTA_FUZZ_ITERATIONS for a longer run.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { WeightsError } from "../../src/errors.js";
import { Rng } from "../../src/testing/random.js";
import { parseTfH5 } from "../../src/weights/tf-h5.js";
import { tfWeightsToStateDict } from "../../src/weights/tf-names.js";

const ITERATIONS = Number(process.env.DEBERTA_FUZZ_ITERATIONS ?? 30);
const FILE = new URL("../../../../fixtures/tf/tiny-v3/heads/DebertaV2ForMaskedLM/tf_model.h5", import.meta.url);

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  const int = (n: number) => rng.nextU32() % n;
  const kind = int(5);
  // Most of the file is float data; aim half of the mutations at the metadata (the first and last 8 KiB).
  const pos = () => (int(2) === 0 ? int(Math.min(8192, src.length)) : src.length - 1 - int(Math.min(8192, src.length)));
  switch (kind) {
    case 0: {
      const b = Uint8Array.from(src);
      for (let i = 0, n = 1 + int(16); i < n; i++) b[pos()] ^= 1 << int(8);
      return b;
    }
    case 1: {
      const b = Uint8Array.from(src);
      const at = pos();
      for (let i = 0; i < 1 + int(64) && at + i < b.length; i++) b[at + i] = int(256);
      return b;
    }
    case 2:
      return src.slice(0, int(src.length));
    case 3: {
      // 8-byte fields (addresses, lengths) set to huge or boundary values.
      const b = Uint8Array.from(src);
      const at = pos() & ~7;
      const v = [0xff, 0x7f, 0x00, 0x80][int(4)];
      for (let i = 0; i < 8 && at + i < b.length; i++) b[at + i] = v;
      return b;
    }
    default: {
      const b = Uint8Array.from(src);
      const from = pos();
      const to = pos();
      b.copyWithin(to, from, Math.min(src.length, from + 1 + int(256)));
      return b;
    }
  }
}

describe("tf_model.h5 fuzz", () => {
  it(`${ITERATIONS} seeded mutations: a load or a WeightsError, nothing else`, async () => {
    const original = new Uint8Array(await readFile(FILE));
    const intact = (await parseTfH5(original, "intact.h5")).variables.size;
    const rng = new Rng(16);
    const outcomes = { loaded: 0, rejected: 0, timedOut: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = mutate(rng, original);
      try {
        // A short deadline: the tiny file reads in milliseconds, and HDF5 loops forever on some corrupt ones.
        const w = await parseTfH5(bytes, `fuzz-${i}.h5`, { timeoutMs: 3000 });
        let total = 0;
        for (const v of w.variables.values()) total += v.tensor.data.byteLength;
        expect(total, `fuzz-${i}: tensors larger than the file`).toBeLessThanOrEqual(bytes.byteLength);
        tfWeightsToStateDict(w, `fuzz-${i}.h5`);
        outcomes.loaded++;
      } catch (e) {
        if (!(e instanceof WeightsError)) throw new Error(`fuzz-${i}: ${String(e)}`, { cause: e });
        expect(e.message).toContain(`fuzz-${i}.h5`);
        if (e.message.includes("did not finish")) outcomes.timedOut++;
        outcomes.rejected++;
      }
    }
    console.log(`tf_model.h5 fuzz: ${ITERATIONS} inputs, ${outcomes.loaded} loaded, ${outcomes.rejected} rejected with WeightsError (${outcomes.timedOut} of them stopped by the deadline)`);
    // The HDF5 module is still healthy.
    expect((await parseTfH5(original, "intact.h5")).variables.size).toBe(intact);
  }, 120_000);
});
