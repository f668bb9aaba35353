#!/usr/bin/env bash
# Installs what hvdbg needs on Debian 12: the lab's tools (QEMU, gdb, busybox, a C compiler for the
# KVM program), what real VS Code (code-server) needs to build and run, and the npm dependencies.
# Idempotent; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  qemu-system-x86 gdb busybox-static cpio gzip xz-utils zstd gcc libc6-dev binutils # the lab
  trace-cmd mawk                                                                    # traces, benchmarks
  chromium ripgrep build-essential python3                                          # code-server
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
