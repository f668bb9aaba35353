#!/usr/bin/env bash
# Measures the suite's flakiness: runs the full test set (`npm run test:all`, what CI runs) N times, each
# on a fresh clone of HEAD, one after the other, and tabulates every failure by test and cause.
#   scripts/flakiness.sh [N=6]      → test-artifacts/flakiness/run-K.log and table.md
# The clones share the lab and code-server caches (~/.cache) and take node_modules from this checkout
# (hard links: `npm ci` gives the same tree); nothing else is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-6}
out=$PWD/test-artifacts/flakiness
mkdir -p "$out"
rm -f "$out"/run-*.log "$out"/table.md
head=$(git rev-parse HEAD)
for k in $(seq 1 "$runs"); do
  clone=$(mktemp -d /tmp/hvdbg-flaky-XXXXXX)
  git clone --quiet --no-hardlinks "$PWD" "$clone/hvdbg"
  git -C "$clone/hvdbg" checkout --quiet "$head"
  [ -d ../shared ] && ln -s "$(cd ../shared && pwd)" "$clone/shared"
  cp -al node_modules "$clone/hvdbg/node_modules"
  start=$(date +%s)
  set +e
  (cd "$clone/hvdbg" && npm run test:all) > "$out/run-$k.log" 2>&1
  code=$?
  set -e
  echo "# run $k: exit $code in $(( $(date +%s) - start )) s (commit $head)" >> "$out/run-$k.log"
  echo "run $k: exit $code in $(( $(date +%s) - start )) s"
  rm -rf "$clone"
done
node scripts/flakinessTable.mjs "$out"/run-*.log | tee "$out/table.md"
