import { loadQuantizedCases, quantizedSuite } from "../suites/quantized.js";
import { emuBackend, emulatorUnavailable } from "./harness.js";

quantizedSuite("emulated CUDA backend", emulatorUnavailable, emulatorUnavailable ? [] : await loadQuantizedCases(), async () => (await emuBackend()).backend);
