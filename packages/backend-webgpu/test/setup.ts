// Vitest setup: on Linux without a chosen Vulkan driver, use Chromium's SwiftShader (CPU Vulkan) when installed,
// so the WebGPU tests find a Dawn adapter on GPU-less machines and in CI. Set VK_ICD_FILENAMES yourself to test a
// real GPU.
import { existsSync } from "node:fs";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.platform === "linux" && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
