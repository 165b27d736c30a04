// `quantize_embeddings` through a head with a tied decoder: DebertaV2ForMaskedLM (both MLM head layouts) on the CPU
// backend (native int8 gather + int8 quantizedLinear). The decoder multiplies by the same int8 row-wise table the
// embeddings gather from (one QuantizedWeight, no float copy); logits stay close to fp32.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QuantizedWeight } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { describe, expect, it } from "vitest";
import { DebertaV2ForMaskedLM } from "../src/index.js";
import { testBackend } from "./backend.js";

const MODELS = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const inputs = { input_ids: [[1, 17, 42, 99, 2, 0], [1, 5, 2, 0, 0, 0]], attention_mask: [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]] };

describe("quantize_embeddings with a tied MLM decoder", () => {
  for (const dir of ["tiny-v3/heads/DebertaV2ForMaskedLM", "tiny-v3-legacy-mlm"]) {
    it(`${dir}: the decoder is the int8 embedding table itself; logits within int8 error of fp32`, async () => {
      const files = directoryFiles(`${MODELS}/${dir}`);
      const backend = await testBackend();
      const ref = await DebertaV2ForMaskedLM.fromPretrained(files, { backend, warn: () => {} });
      const q = await DebertaV2ForMaskedLM.fromPretrained(files, { backend, quantize_embeddings: true, warn: () => {} });
      const table = q.deberta.embeddings.wordEmbeddings;
      expect(table).toBeInstanceOf(QuantizedWeight);
      expect([...q.parameters.named.values()].filter((t) => t === table).length).toBe(1); // stored once
      const a = (await (await q.forward(inputs)).logits.data()) as Float32Array;
      const r = (await (await ref.forward(inputs)).logits.data()) as Float32Array;
      let dot = 0, na = 0, nr = 0, maxAbs = 0, maxRef = 0;
      for (let i = 0; i < r.length; i++) {
        dot += a[i] * r[i];
        na += a[i] * a[i];
        nr += r[i] * r[i];
        maxAbs = Math.max(maxAbs, Math.abs(a[i] - r[i]));
        maxRef = Math.max(maxRef, Math.abs(r[i]));
      }
      // int8 error enters twice (gathered rows, decoder weight), each ≤ absmax/254 per element: measured cosine
      // ≥ 0.9999 and max |Δ| 0.8% of max |logit|; bounds with margin that a wrong row or scale would break.
      expect(dot / Math.sqrt(na * nr)).toBeGreaterThan(0.9999); // measured 0.99996
      expect(maxAbs).toBeGreaterThan(0);
      expect(maxAbs / maxRef).toBeLessThan(0.03); // measured 0.0083
      console.error(`${dir}: cosine ${dot / Math.sqrt(na * nr)}, max |Δ| ${maxAbs} (max |logit| ${maxRef})`);
      ref.dispose();
      q.dispose();
    });
  }
});

describe("savePretrained of an MLM with int8 embeddings and a tied decoder, loaded back", () => {
  const tmp = mkdtempSync(join(tmpdir(), "deberta-qemb-mlm-"));
  for (const dir of ["tiny-v3/heads/DebertaV2ForMaskedLM", "tiny-v3-legacy-mlm"]) {
    for (const dtype of [undefined, "q8"]) {
      it(`${dir}, ${dtype ?? "fp32"} + embeddings: bit-identical logits, the decoder still the one int8 table`, async () => {
        const backend = await testBackend();
        const q = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(`${MODELS}/${dir}`), { backend, quantize_embeddings: true, ...(dtype ? { dtype } : {}), warn: () => {} });
        const out = join(tmp, `${dir.replace(/\//g, "_")}-${dtype ?? "fp32"}`);
        await q.savePretrained(out);
        const header = readFileSync(join(out, "model.safetensors"));
        const names = Object.keys(JSON.parse(new TextDecoder().decode(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))))));
        expect(names).toContain("deberta.embeddings.word_embeddings.int8_weight");
        expect(names).toContain("deberta.embeddings.word_embeddings.int8_scb");
        expect(names.filter((n) => /word_embeddings\.weight|decoder\.weight/.test(n))).toEqual([]);
        const again = await DebertaV2ForMaskedLM.fromPretrained(directoryFiles(out), { backend, ...(dtype ? { dtype } : {}), warn: () => {} });
        const table = again.deberta.embeddings.wordEmbeddings;
        expect(table).toBeInstanceOf(QuantizedWeight);
        expect((again as unknown as { head: { decoder: unknown } }).head.decoder).toBe(table); // tied: the same int8 weight
        const a = (await (await again.forward(inputs)).logits.data()) as Float32Array;
        const r = (await (await q.forward(inputs)).logits.data()) as Float32Array;
        expect(a.length).toBe(2 * 6 * 1000);
        expect(Array.from(a)).toEqual(Array.from(r));
        q.dispose();
        again.dispose();
      });
    }
  }
});
