#!/usr/bin/env bash
# Sets up a fresh machine for deberta-js: system packages (Chromium's SwiftShader for WebGPU without a GPU,
# the Vulkan loader), pnpm, the workspace's dependencies, and a build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need_apt+=(libvulkan1)
# the CPU backend's C kernels: clang-19 builds the native addon (x86-64 ISAs) and the wasm32 modules, lld-19 links wasm
command -v clang-19 >/dev/null 2>&1 || need_apt+=(clang-19)
command -v wasm-ld-19 >/dev/null 2>&1 || command -v wasm-ld >/dev/null 2>&1 || need_apt+=(lld-19)
# The batch-job tests start their own redis-server (127.0.0.1, random port); CI requires it.
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_apt[*]} (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need_apt[@]}" >&2
  else
    echo "setup: warning: ${need_apt[*]} missing and not root; WebGPU / Redis tests will be skipped" >&2
  fi
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "12.4.2" ]; then
  echo "setup: installing pnpm 12.4.2" >&2
  npm i -g pnpm@12.4.2 >&2
fi

export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile >&2
pnpm build >&2
