#!/usr/bin/env bash
# The CUDA backend's whole GPU check in one device call. Run from the repo root on the GPU machine, with the
# folder made by scripts/pack-for-device.sh carried along:
#
#   bash packages/backend-cuda/scripts/gpu-check.sh [--quick] [--skip-bench] [--skip-checks] [--models deberta-v3-base]
#
# It unpacks the carried Node binary and runtime packages under /tmp, then runs scripts/gpu-check.mjs (checks,
# then the benchmark against Hugging Face transformers with scripts/hf_bench.py). Logs and JSON go to $OUT
# (or /tmp/djs-gpu/out). The table of timings is printed last.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
carry="${DJS_CARRY:-$repo/.device-carry}"
work="${DJS_WORK:-/tmp/djs-gpu}"
out="${OUT:-$work/out}"
rm -rf "$work/runtime" "$work/node"
mkdir -p "$work" "$out"

for f in node.xz runtime.tar.xz; do
  if [ ! -f "$carry/$f" ]; then
    echo "gpu-check: $carry/$f is missing: run packages/backend-cuda/scripts/pack-for-device.sh first and carry .device-carry" >&2
    exit 3
  fi
done
xz -dc "$carry/node.xz" > "$work/node" && chmod +x "$work/node"
tar -xJf "$carry/runtime.tar.xz" -C "$work"
cp "$repo/packages/backend-cuda/scripts/gpu-check.mjs" "$work/runtime/gpu-check.mjs"
if [ -n "${DJS_GPU_CHECK_DEVICE_SRC:-}" ]; then  # dry run (scripts/dry-run-emulator.sh): the CPU emulator as device
  cp "$DJS_GPU_CHECK_DEVICE_SRC" "$work/runtime/device-hook.mjs"
  export DJS_GPU_CHECK_DEVICE="$work/runtime/device-hook.mjs"
fi

echo "== machine =="
"$work/node" --version
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, "| transformers", transformers.__version__)' 2>&1 || true

export DEBERTA_JS_CUDA_CACHE="${DEBERTA_JS_CUDA_CACHE:-$work/kernel-cache}"
export PYTHONUNBUFFERED=1
"$work/node" --max-old-space-size=16384 "$work/runtime/gpu-check.mjs" --repo "$repo" --python "$PYTHON" --work "$work" --out "$out" "$@" 2>&1 | tee "$out/gpu-check.log"
exit "${PIPESTATUS[0]}"
