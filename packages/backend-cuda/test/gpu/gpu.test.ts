/** The same suites as the emulator runs, on the real GPU (skipped, with the reason, where there is none). */
import { attentionSuite } from "../suites/attention.js";
import { conformanceSuite } from "../suites/conformance.js";
import { loadBaseCases, paritySuite } from "../suites/parity.js";
import { loadQuantizedCases, quantizedSuite } from "../suites/quantized.js";
import { gpuBackend, gpuUnavailable } from "./harness.js";

conformanceSuite("GPU", gpuUnavailable, () => gpuBackend());
attentionSuite("GPU", gpuUnavailable, (opts) => gpuBackend(opts));
paritySuite("GPU", gpuUnavailable, gpuUnavailable ? [] : await loadBaseCases(), (opts) => gpuBackend(opts));
quantizedSuite("GPU", gpuUnavailable, gpuUnavailable ? [] : await loadQuantizedCases(), () => gpuBackend());
