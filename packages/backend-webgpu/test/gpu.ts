/**
 * Shared test plumbing: one WebGPU backend (Dawn) per test file, or a skip with the reason when there is no adapter.
 */
import { describe, it } from "vitest";
import { createNodeWebGpuBackend, nodeWebGpuAvailability, type NodeWebGpuOptions } from "../src/node.js";
import type { WebGpuBackend } from "../src/backend.js";

export const availability = await nodeWebGpuAvailability();

if (!availability.available) {
  console.warn(
    `WebGPU tests skipped: ${availability.reason}`,
  );
}

/**
 * `describe` when an adapter exists, else `describe.skip` — or, with `DEBERTA_JS_REQUIRE_WEBGPU=1` (CI), a failing
 * test that says why, so a CI machine without SwiftShader cannot pass by skipping.
 */
export const describeGpu: typeof describe = (
  availability.available
    ? describe
    : process.env.DEBERTA_JS_REQUIRE_WEBGPU === "1"
      ? (name: string) =>
          describe(name, () =>
            it("needs a WebGPU adapter (DEBERTA_JS_REQUIRE_WEBGPU=1)", () => {
              throw new Error(`no WebGPU adapter: ${(availability as { reason: string }).reason}`);
            }),
          )
      : describe.skip
) as typeof describe;

export async function gpuBackend(options: NodeWebGpuOptions = {}): Promise<WebGpuBackend> {
  return createNodeWebGpuBackend(options);
}
