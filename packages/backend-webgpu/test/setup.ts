// Vitest setup: on Linux without a chosen Vulkan driver, use Chromium's SwiftShader (CPU Vulkan) when installed,
// so the WebGPU tests find a Dawn adapter on GPU-less machines and in CI. Set VK_ICD_FILENAMES yourself to test a
// real GPU.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.platform === "linux" && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
// The Vulkan loader complains on stderr when XDG_RUNTIME_DIR is unset (CI shells): give it a private one.
if (process.platform === "linux" && !process.env.XDG_RUNTIME_DIR) {
  const dir = join(tmpdir(), `deberta-js-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}
