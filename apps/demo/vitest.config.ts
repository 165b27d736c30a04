import { defineConfig } from "vitest/config";
import { shared } from "../../vitest.shared.js";

// The end-to-end test builds the app, starts Chromium and compiles WebGPU shaders on SwiftShader: minutes, not seconds.
export default defineConfig({
  ...shared,
  test: { ...shared.test, testTimeout: 300_000, hookTimeout: 300_000 },
});
