/**
 * `DJS_GPU_CHECK_DEVICE` module for a dry run of scripts/gpu-check.mjs on the CPU emulator (see
 * scripts/dry-run-emulator.sh): every check and our side of the benchmark run as on a GPU, only slower.
 */
import { buildEmulator } from "./emu-build.js";
import { EmuDevice } from "./emu-device.js";

const lib = await buildEmulator();

export function createDevice(): EmuDevice {
  return new EmuDevice(lib);
}
