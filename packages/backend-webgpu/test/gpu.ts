/**
 * Shared test plumbing: one WebGPU backend (Dawn) per test file, or a skip with the reason when there is no adapter.
 */
import { describe } from "vitest";
import { createNodeWebGpuBackend, nodeWebGpuAvailability, type NodeWebGpuOptions } from "../src/node.js";
import type { WebGpuBackend } from "../src/backend.js";

export const availability = await nodeWebGpuAvailability();

if (!availability.available) {
  console.warn(
    `WebGPU tests skipped: no adapter (${availability.reason}). Set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian packages chromium and libvulkan1).`,
  );
}

/** `describe` when an adapter exists, else `describe.skip`. */
export const describeGpu: typeof describe = (availability.available ? describe : describe.skip) as typeof describe;

export async function gpuBackend(options: NodeWebGpuOptions = {}): Promise<WebGpuBackend> {
  return createNodeWebGpuBackend(options);
}
