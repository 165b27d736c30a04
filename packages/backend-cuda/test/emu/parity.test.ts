import { loadBaseCases, paritySuite } from "../suites/parity.js";
import { emuBackend, emulatorUnavailable } from "./harness.js";

const cases = emulatorUnavailable ? [] : await loadBaseCases();
paritySuite("emulated CUDA backend", emulatorUnavailable, cases, async (opts) => (await emuBackend(opts)).backend);
