import { defineConfig } from "vitest/config";
import { shared } from "../../vitest.shared.js";

export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    // Points Vulkan at Chromium's SwiftShader when no ICD is chosen, so Dawn finds an adapter on GPU-less CI.
    setupFiles: ["./test/setup.ts"],
    // One Dawn instance at a time on a 2-core machine.
    fileParallelism: false,
  },
});
