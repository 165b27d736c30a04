/**
 * Test harness: a `CudaBackend` over the CPU emulator, or the reason it cannot be built here.
 */
import { CudaBackend, type CudaBackendOptions } from "../../src/backend.js";
import { buildEmulator, compilerMissing } from "./emu-build.js";
import { EmuDevice, type EmuDeviceOptions } from "./emu-device.js";

export const emulatorUnavailable = compilerMissing();

export async function emuBackend(opts: CudaBackendOptions & EmuDeviceOptions = {}): Promise<{ backend: CudaBackend; device: EmuDevice }> {
  const lib = await buildEmulator();
  const device = new EmuDevice(lib, opts);
  return { backend: new CudaBackend(device, opts), device };
}
