#!/usr/bin/env bash
# `npm run test:loaded`: the suite as CI runs it on a shared machine. Clones the committed
# HEAD afresh, starts two CPU-bound busy loops (one per core of a 2-core CI machine), and
# runs `.ci/run` with CI=true three times in a row; stops at the first failure. The loops
# end with the script, however it ends.
#   RUNS=5 npm run test:loaded      more runs
#   BUSY_LOOPS=4 npm run test:loaded   a busier machine
set -euo pipefail
repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
runs="${RUNS:-3}"
loops="${BUSY_LOOPS:-2}"
work="$(mktemp -d)"
busy=()
cleanup() {
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet "$repo" "$work/radgate"
echo "clone of $(git -C "$repo" rev-parse --short HEAD) in $work/radgate; $loops busy loops; $runs runs of .ci/run"
for _ in $(seq "$loops"); do
  bash -c 'while :; do :; done' &
  busy+=("$!")
done

for run in $(seq "$runs"); do
  started=$(date +%s)
  log="$work/run-$run.log"
  if (cd "$work/radgate" && CI=true bash .ci/run) >"$log" 2>&1; then status=passed; else status=FAILED; fi
  summary=$(grep -E '^\s+[0-9]+ tests? (passed|failed)|known failure|skipped|todo' "$log" | tr -s ' ' | paste -sd ';' -)
  echo "run $run: $status in $(( $(date +%s) - started )) s; ${summary:-no ava summary}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$status" = FAILED ]; then
    echo "--- last lines of run $run:"
    tail -60 "$log"
    exit 1
  fi
done
echo "all $runs runs passed under load"
