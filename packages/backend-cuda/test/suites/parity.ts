/**
 * The Hugging Face fixtures through the `CudaBackend`: every base-model case in fp32 (≤ 1e-4 + 1e-4·|ref|),
 * padded and packed, and the fp16 / bf16 weight variants in half precision (≤ 2e-2 relative).
 */
import { fileURLToPath } from "node:url";
import { DebertaV2Model } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { caseFiles, compareOutputs, defineParitySuite, type FixtureCase, loadFixtureCases, relativeError, runFixtureCase } from "@deberta-js/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { CudaBackend, CudaBackendOptions } from "../../src/backend.js";

export const fixtureRoot = directoryFiles(fileURLToPath(new URL("../../../../fixtures/models", import.meta.url)));

export function loadBaseCases(): Promise<FixtureCase[]> {
  return loadFixtureCases(fixtureRoot, { classes: ["DebertaV2Model"] });
}

export function paritySuite(label: string, skip: string | undefined, cases: FixtureCase[], make: (opts: CudaBackendOptions) => Promise<CudaBackend>): void {
const root = fixtureRoot;
const backends = new Map<string, Promise<CudaBackend>>();
const backend = (half: "f16" | "bf16" = "f16") => {
  if (!backends.has(half)) backends.set(half, make({ half }));
  return backends.get(half)!;
};
afterAll(async () => {
  for (const b of backends.values()) (await b).destroy();
});

const fp32Cases = cases.filter((c) => !c.name.startsWith("fp16/") && !c.name.startsWith("bf16/"));

describe.skipIf(!!skip)(`HF parity (${label})${skip ? ` — skipped: ${skip}` : ""}`, () => {
  defineParitySuite({ describe, it, expect }, { name: "fp32, padded", root, cases: fp32Cases, backend: () => backend() });

  describe("fp32, packed (real tokens; padded positions are zeros)", () => {
    for (const c of fp32Cases.filter((c) => (c.inputs.attention_mask as number[][] | undefined)?.some((row) => row.includes(0)))) {
      it(`${c.fixture}/${c.name}`, async () => {
        const be = await backend();
        const { files, variant } = caseFiles(root, c);
        const model = await DebertaV2Model.fromPretrained(files, { backend: be, variant, warn: () => {} });
        try {
          const out = await model.forward(c.inputs as never, { packed: true });
          const data = await out.last_hidden_state.data();
          out.last_hidden_state.dispose();
          const mask = (c.inputs.attention_mask as number[][]).flat();
          const H = c.outputs.last_hidden_state.shape[2];
          const expected = c.outputs.last_hidden_state.data.map((v, i) => (mask[Math.floor(i / H)] ? v : 0));
          const cmp = compareOutputs({ last_hidden_state: { shape: out.last_hidden_state.shape, data } }, { last_hidden_state: { ...c.outputs.last_hidden_state, data: expected } });
          expect(cmp.ok, cmp.problems.join("; ")).toBe(true);
        } finally {
          model.dispose();
        }
      });
    }
  });

  describe("half precision (tensor-core attention, f32 accumulation)", () => {
    for (const c of cases.filter((c) => c.name.startsWith("fp16/") || c.name.startsWith("bf16/"))) {
      const half = c.name.startsWith("bf16/") ? "bf16" : "f16";
      it(`${c.fixture}/${c.name} in ${half} within 2e-2 relative`, async () => {
        const { actual } = await runFixtureCase(root, c, { backend: await backend(half), dtype: "f16" });
        const err = relativeError(actual.last_hidden_state.data, c.outputs.last_hidden_state.data);
        expect(err).toBeLessThan(2e-2);
      });
    }
  });
});
}
