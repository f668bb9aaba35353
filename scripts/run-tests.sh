#!/usr/bin/env bash
# Runs the compiled test lanes in one node:test run (one summary): unit, then integration against the
# lab, the nested lab (an L2 Linux guest of KVM, test/lab/nested), then end-to-end in code-server.
# `scripts/run-tests.sh unit` runs one lane.
set -euo pipefail
cd "$(dirname "$0")/.."
lanes=("${@:-unit integration nested e2e}")
files=()
for lane in ${lanes[*]}; do
  while IFS= read -r f; do files+=("$f"); done < <(find "out/test/$lane" -name '*.test.js' | sort)
done
exec node --test --test-concurrency=1 "${files[@]}"
