#!/usr/bin/env bash
# The demo in one command: builds and packages hvdbg, boots the lab guest (a Debian kernel under QEMU, with
# kvm_amd and an L2 guest issuing hypercalls), writes a workspace attached to it and opens it in VS Code:
# the desktop `code` if installed, otherwise code-server on 127.0.0.1 (the URL is printed). Ctrl-C stops
# everything. Options: scripts/demo.sh --help
#
# Debian packages: qemu-system-x86 gdb busybox-static cpio (the lab), and for code-server
#   apt-get install -y --no-install-recommends build-essential python3 ripgrep
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  if [[ $arg == -h || $arg == --help ]]; then
    [[ -f out/scripts/demo.js ]] && exec node out/scripts/demo.js --help
    echo "usage: scripts/demo.sh [--port N] [--code-server] [--no-kvm] [--vsix FILE]"
    exit 0
  fi
done

step() { printf '[demo] %s\n' "$*"; }

step 'installing what is missing (Debian packages, npm ci)'
bash scripts/setup.sh

if [[ ! -d node_modules ]]; then
  step 'npm ci'
  npm ci
fi
step 'building hvdbg.vsix'
npm run --silent build
npm run --silent package >/dev/null
# The demo's Node half, bundled on its own (does not wait for a type-check of the whole project).
npx --no-install esbuild test/e2e/demo.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:playwright-core --log-level=warning --outfile=out/scripts/demo.js
exec node out/scripts/demo.js "$@"
