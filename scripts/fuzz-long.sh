#!/usr/bin/env bash
# Long fuzz mode (issue 13): 10,000 seeded cases per parser (FUZZ_CASES to change, FUZZ_SEED for another seed),
# under a 2 GiB V8 heap so an unbounded allocation fails loudly; prints one "[fuzz] …" line per target and the
# peak RSS of each run. Usage: bash scripts/fuzz-long.sh [core|tokenizer|all]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
export FUZZ_LONG=1 FUZZ_CASES="${FUZZ_CASES:-10000}" FUZZ_SEED="${FUZZ_SEED:-13}"
export NODE_OPTIONS="--max-old-space-size=2048 ${NODE_OPTIONS:-}"
run() {
  local pkg="$1" file="$2"
  echo "== $pkg $file: $FUZZ_CASES cases per target, seed $FUZZ_SEED, heap cap 2048 MiB" >&2
  (cd "packages/$pkg" && /usr/bin/time -v pnpm exec vitest run "$file" 2>&1) | tee "/tmp/fuzz-long-$pkg.log" | grep -aE "\[fuzz\]|Tests |Maximum resident|×" || true
}
if [[ "$which" == core || "$which" == all ]]; then run core test/fuzz/parsers.fuzz.test.ts; fi
if [[ "$which" == tokenizer || "$which" == all ]]; then run heads test/fuzz/tokenizer.fuzz.test.ts; fi
