import { conformanceSuite } from "../suites/conformance.js";
import { emuBackend, emulatorUnavailable } from "./harness.js";

conformanceSuite("emulated", emulatorUnavailable, async () => (await emuBackend()).backend);
