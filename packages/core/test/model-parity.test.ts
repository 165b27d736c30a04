// Every base-model case of every fixture (all config variants; F32, F16, BF16 and pytorch_model.bin weights)
// against Hugging Face's stored outputs, through the library API, on the reference backend — once with the
// backend's fused ops and once through core's reference fallbacks built from primitives.
import { describe, expect, it } from "vitest";
import { HostBackend } from "../src/testing/host-backend.js";
import { defineParitySuite, loadFixtureCases } from "../src/testing/parity.js";
import { fixtureRoot } from "./fixtures.js";

const cases = await loadFixtureCases(fixtureRoot, { classes: ["DebertaV2Model"] });

it("covers every base-model fixture case", () => {
  const fixtures = new Set(cases.map((c) => c.fixture));
  expect([...fixtures].sort()).toEqual(["long-v3", "tiny-noattn-rel", "tiny-v2-classic", "tiny-v2-conv", "tiny-v3"]);
  expect(cases.some((c) => c.weights.endsWith("pytorch_model.bin"))).toBe(true);
  expect(cases.some((c) => c.weights.endsWith("model.fp16.safetensors"))).toBe(true);
  expect(cases.some((c) => c.weights.endsWith("model.bf16.safetensors"))).toBe(true);
});

const fused = new HostBackend({ name: "host-fused" });
defineParitySuite({ describe, it, expect }, { name: "reference backend, fused ops", root: fixtureRoot, cases, backend: async () => fused });

// The long fixture is slow on the float64 reference; the fallback path is covered by the short ones.
const primitivesOnly = new HostBackend({ name: "host-primitives", fused: false });
defineParitySuite(
  { describe, it, expect },
  { name: "reference backend, core fallbacks", root: fixtureRoot, cases: cases.filter((c) => c.fixture !== "long-v3"), backend: async () => primitivesOnly },
);
