#!/usr/bin/env bash
# The headline benchmarks of the CPU kernels (issue 11), quantized weights (12), streaming loads (18) and the
# server (15), one after another, each peer timed in the same run. Run on a quiet machine after `pnpm build`:
#   bash scripts/bench-report.sh [OUT_DIR]       (SHARED=path/to/shared, default ../shared; ~12 min, ~22 GB in /tmp)
# Each case's full output goes to OUT_DIR/<case>.log; OUT_DIR/summary.log lists the cases with the load average.
set -uo pipefail
cd "$(dirname "$0")/.."
S=${SHARED:-../shared}; O=${1:-bench-report}; mkdir -p "$O"
M=$S/bench/deberta-v3-xsmall-6l; C=$S/configs; D=${CKPT_DIR:-/tmp/deberta-ckpt}
B="node packages/cli/dist/bin.js bench"; L=packages/cli/scripts/load-bench.mjs
run() { local name=$1; shift; echo "=== $name $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$O/summary.log" >&2; echo "\$ $*" > "$O/$name.log"; timeout 900 bash -c "$*" >> "$O/$name.log" 2>&1; echo "rc=$?" >> "$O/$name.log"; }
# issue 11: native vs onnxruntime-node, WASM vs onnxruntime-web (Node and headless Chromium), long sequences, v3-base
run i11-native-1x128 "$B --model $M --peer ort-node --threads 2 --batch 1 --seq 128 --runs 30 --warmup 5"
run i11-native-8x128 "$B --model $M --peer ort-node --threads 2 --batch 8 --seq 128 --runs 10 --warmup 3"
run i11-wasm-1x128 "DEBERTA_JS_CPU=wasm $B --model $M --peer ort-web --threads 2 --batch 1 --seq 128 --runs 20 --warmup 3"
run i11-native-1x128-interleaved "$B --model $M --peer ort-node --interleave --threads 2 --batch 1 --seq 128 --runs 30 --warmup 5"
run i11-wasm-1x128-interleaved "DEBERTA_JS_CPU=wasm $B --model $M --peer ort-web --interleave --threads 2 --batch 1 --seq 128 --runs 30 --warmup 5"
run i11-wasm-8x128 "DEBERTA_JS_CPU=wasm $B --model $M --peer ort-web --threads 2 --batch 8 --seq 128 --runs 5 --warmup 2"
run i11-chromium-1x128 "node packages/cli/scripts/bench-browser.mjs --model $M --threads 2 --batch 1 --seq 128 --runs 20 --warmup 3"
run i11-chromium-8x128 "node packages/cli/scripts/bench-browser.mjs --model $M --threads 2 --batch 8 --seq 128 --runs 5 --warmup 2"
run i11-native-1x512 "$B --model $M --peer ort-node --threads 2 --batch 1 --seq 512 --runs 5 --warmup 2 --isolate"
run i11-native-1x2048 "$B --model $M --peer ort-node --threads 2 --batch 1 --seq 2048 --runs 3 --warmup 1 --isolate"
run i11-v3base-native "$B --config $C/deberta-v3-base.json --threads 2 --batch 1 --seq 128 --runs 5 --warmup 2 --profile"
run i11-v3base-wasm "DEBERTA_JS_CPU=wasm $B --config $C/deberta-v3-base.json --threads 2 --batch 1 --seq 128 --runs 3 --warmup 1"
# issue 12: q8/q4 vs onnxruntime-node on the dynamic-int8 twin, profile, quality
run i12-q8-1x128 "$B --model $M --dtype q8 --onnx $M/model.q8.onnx --batch 1 --seq 128 --threads 2 --runs 20 --warmup 3"
run i12-q8-8x128 "$B --model $M --dtype q8 --onnx $M/model.q8.onnx --batch 8 --seq 128 --threads 2"
run i12-q4-1x128 "$B --model $M --dtype q4 --onnx $M/model.q8.onnx --batch 1 --seq 128 --threads 2 --runs 20 --warmup 3"
run i12-q4-8x128 "$B --model $M --dtype q4 --onnx $M/model.q8.onnx --batch 8 --seq 128 --threads 2"
run i12-q8-profile "$B --model $M --dtype q8 --batch 1 --seq 128 --threads 2 --profile"
run i12-quality "node packages/cli/scripts/quant-quality.mjs --dtypes q8,q4 fixtures/models/tiny-v3 fixtures/models/tiny-v2-classic fixtures/models/tiny-v2-conv fixtures/models/long-v3 $M"
run i12-embed-quality "node packages/cli/scripts/quant-quality.mjs --dtypes fp32,q8,q4 --quantize-embeddings $M"
# issue 18: random checkpoints of the published shapes (written first, untimed), then loads, xxlarge, Chromium
run i18-write "node $L --config $C/deberta-v3-large.json --formats safetensors,sharded,bin --dir $D --write-only --max-shard 500000000 && node $L --config $C/deberta-v2-xlarge.json --formats safetensors,sharded,bin --dir $D --write-only && node $L --config $C/deberta-v2-xxlarge.json --formats safetensors --dir $D --write-only"
run i18-v3large "node $L --config $C/deberta-v3-large.json --formats safetensors,sharded,bin --dtypes f32,f16 --dir $D --reuse --precompute"
run i18-v2xlarge "node $L --config $C/deberta-v2-xlarge.json --formats safetensors,sharded,bin --dtypes f32,f16 --dir $D --reuse --precompute"
run i18-v2xxlarge "node $L --config $C/deberta-v2-xxlarge.json --formats safetensors --dtypes f16 --dir $D --reuse --precompute --forward 128"
run i18-browser "node packages/cli/scripts/browser-load-bench.mjs --config $C/deberta-v3-large.json --dir $D"
rm -rf "$D"
# issue 15: batching server vs a naive one at 1/16/64 clients, and the in-process ceiling
run i15-load "node packages/server/bench/load.mjs --base $M --duration 15 --threads 2"
run i15-ceiling "D2=\$(ls -td /tmp/deberta-js-load-* | head -1); node packages/server/bench/ceiling.mjs \$D2 2; node packages/server/bench/ceiling.mjs \$D2 1"
echo "=== done $(date -u +%T)" | tee -a "$O/summary.log" >&2
