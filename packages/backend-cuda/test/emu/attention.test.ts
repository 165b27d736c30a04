import { attentionSuite } from "../suites/attention.js";
import { emuBackend, emulatorUnavailable } from "./harness.js";

attentionSuite("emulated", emulatorUnavailable, async (opts) => (await emuBackend(opts)).backend);
