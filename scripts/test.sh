#!/usr/bin/env bash
# README's test command: installs what is missing, then lint, type check, build, unit tests, integration
# tests against the real lab guest, and the end-to-end test in real VS Code (code-server in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
