#!/usr/bin/env bash
# README's test command: installs what is missing, then the full set (`npm run test:all`): lint, type
# check, build, unit tests (with the in-process lane over recorded gdb answers), integration tests against
# the real lab guest, the nested lab, and the end-to-end tests in real VS Code (code-server in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run test:all
