/** The attention checks of `src/testing/attention-check.ts` as vitest tests (emulator and GPU runs). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CudaBackend, CudaBackendOptions } from "../../src/backend.js";
import { ATTENTION_CASES, ATTENTION_RUNS, checkAttention, roundBf16 } from "../../src/testing/index.js";
import { f16ArrayToF32, f32ArrayToF16 } from "@deberta-js/core";

export function attentionSuite(label: string, skip: string | undefined, make: (opts: CudaBackendOptions) => Promise<CudaBackend>): void {
  describe.skipIf(!!skip)(`fused disentangled attention (${label})${skip ? ` — skipped: ${skip}` : ""}`, () => {
    const backends = new Map<string, CudaBackend>();
    beforeAll(async () => {
      for (const r of ATTENTION_RUNS) {
        const key = `${r.kind}-${r.half}`;
        if (!backends.has(key)) backends.set(key, await make({ attention: r.kind, half: r.half }));
      }
    });
    afterAll(() => {
      for (const backend of backends.values()) backend.destroy();
    });

    for (const c of ATTENTION_CASES) {
      for (const run of ATTENTION_RUNS) {
        it(`${c.name} — ${run.kind} ${run.dtype === "f32" ? "f32" : run.half}`, async () => {
          const res = await checkAttention(backends.get(`${run.kind}-${run.half}`)!, c, run);
          expect(res.problems.join("; ")).toBe("");
        });
      }
    }

    it("bf16 storage round-trips through upload/read as IEEE half bits", async () => {
      const backend = backends.get("scalar-bf16")!;
      const vals = Float32Array.from([0, 1, -2.5, 0.15625, 1024, -3.0e-3]);
      const t = backend.upload(f32ArrayToF16(vals), [6], "f16");
      const back = f16ArrayToF32((await backend.read(t)) as Uint16Array);
      t.dispose();
      // stored as bfloat16, read back as the IEEE half of that value
      const expected = f16ArrayToF32(f32ArrayToF16(Float32Array.from(roundBf16(vals))));
      expect([...back]).toEqual([...expected]);
    });
  });
}
