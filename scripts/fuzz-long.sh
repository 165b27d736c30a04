#!/usr/bin/env bash
# Long fuzz mode (issue 13): 10,000 seeded cases per parser (FUZZ_CASES to change, FUZZ_SEED for another seed),
# under a 2 GiB V8 heap so an unbounded allocation fails loudly; prints one "[fuzz] …" line per target and the
# peak RSS of each run. Exits non-zero when any target finds a crash, a hang (> 5 s) or a run above 2 GiB RSS.
# Usage: bash scripts/fuzz-long.sh [core|tokenizer|all]   (logs: $FUZZ_LOG_DIR, default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
export FUZZ_LONG=1 FUZZ_CASES="${FUZZ_CASES:-10000}" FUZZ_SEED="${FUZZ_SEED:-13}"
export NODE_OPTIONS="--max-old-space-size=2048 ${NODE_OPTIONS:-}"
logs="${FUZZ_LOG_DIR:-/tmp}"
mkdir -p "$logs"
failed=0
run() {
  local pkg="$1" file="$2" log="$logs/fuzz-long-$1.log" rc=0
  local timer=()
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -v)
  echo "== $pkg $file: $FUZZ_CASES cases per target, seed $FUZZ_SEED, heap cap 2048 MiB" >&2
  # a case stuck in a synchronous loop cannot be interrupted from inside: FUZZ_TIMEOUT bounds the whole run
  (cd "packages/$pkg" && timeout "${FUZZ_TIMEOUT:-4h}" "${timer[@]}" pnpm exec vitest run "$file") >"$log" 2>&1 || rc=$?
  grep -aE "\[fuzz\]|Tests |Maximum resident|×" "$log" || true
  if [[ $rc -ne 0 ]]; then
    echo "fuzz-long: $pkg failed (exit $rc); findings and replay seeds in $log" >&2
    failed=1
  fi
}
if [[ "$which" == core || "$which" == all ]]; then run core test/fuzz/parsers.fuzz.test.ts; fi
if [[ "$which" == tokenizer || "$which" == all ]]; then run heads test/fuzz/tokenizer.fuzz.test.ts; fi
exit "$failed"
