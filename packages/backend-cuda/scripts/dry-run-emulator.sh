#!/usr/bin/env bash
# Dry run of the GPU check on this machine, no GPU needed: the same gpu-check.sh and gpu-check.mjs, with the CUDA
# device replaced by the CPU emulator (test/emu) and Hugging Face replaced by a stub that hands over the tiny-v3
# fixture weights (no PyTorch here). Catches script bugs before a device session is spent on them.
#   bash packages/backend-cuda/scripts/dry-run-emulator.sh [gpu-check options]   (after scripts/pack-for-device.sh)
# The benchmark half is slow on the emulator (minutes): it is skipped unless DJS_DRY_BENCH=1.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$pkg/../.." && pwd)"
work="$(mktemp -d /tmp/djs-dry-XXXX)"
esbuild="$(cd "$repo" && node -e 'console.log(require.resolve("esbuild/bin/esbuild"))' 2>/dev/null || true)"
[ -n "$esbuild" ] || esbuild="$repo/node_modules/.bin/esbuild"
mkdir -p "$work/runtime"
"$esbuild" "$pkg/test/emu/gpu-check-device.ts" --bundle --platform=node --format=esm --external:koffi --outfile="$work/emu-device.mjs" --log-level=warning
cat > "$work/fake-python" <<STUB
#!/usr/bin/env bash
# hf_bench.py stand-in: "builds" every model by copying the tiny-v3 fixture, reports no timings.
if [ "\$1" = "-c" ]; then echo "python: stub (dry run)"; exit 0; fi
spec="\$3"; result="\$5"
for dir in \$(node -e 'for (const m of JSON.parse(require("fs").readFileSync(process.argv[1])).models) console.log(m.dir)' "\$spec"); do
  mkdir -p "\$dir"; cp "$repo/fixtures/models/tiny-v3/config.json" "$repo/fixtures/models/tiny-v3/model.safetensors" "\$dir/"
done
echo '{"torch":"stub","transformers":"stub","models":{}}' > "\$result"
STUB
chmod +x "$work/fake-python"
export DJS_EMU_DIR="$pkg/test/emu/"
DJS_WORK="$work/gpu" OUT="$work/out" PYTHON="$work/fake-python" DJS_GPU_CHECK_DEVICE_SRC="$work/emu-device.mjs" \
  bash "$pkg/scripts/gpu-check.sh" "$@" --quick --pairs 48 --models tiny $([ "${DJS_DRY_BENCH:-}" = 1 ] || echo --skip-bench)
