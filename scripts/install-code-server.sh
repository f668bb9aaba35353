#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last release for Node 20) from the npm registry into a
# cache folder and prints the path of its entry.js (progress goes to stderr). Idempotent: a stamp file
# marks each finished step, so a warm run takes milliseconds. See shared/recipes/code-server.md.
#
# Debian packages it needs (node-gyp compiles a few native modules; Debian's rg replaces the ripgrep
# binary that @vscode/ripgrep would download; Chromium is what the tests drive):
#   apt-get install -y --no-install-recommends build-essential python3 ripgrep chromium
#
# Env:
#   HVDBG_CODE_SERVER_DIR     install folder (default ~/.cache/hvdbg-code-server)
#   HVDBG_CODE_SERVER_NATIVE  VS Code's native modules to compile (default below). Measured on 2 cores:
#     node-pty 4 s (terminals), @vscode/spdlog 9 s (the log files under the user-data-dir),
#     native-watchdog and @vscode/deviceid 1 s each. kerberos (proxy authentication only; needs
#     libkrb5-dev) is left out. The workbench, the extension host and debugging work with none of them
#     (HVDBG_CODE_SERVER_NATIVE= builds none: the e2e test passes, but no terminal and no log files).
set -euo pipefail

VERSION=4.100.3
RECIPE=2 # bump when the steps below change, so that existing installs are redone
CS=${HVDBG_CODE_SERVER_DIR:-$HOME/.cache/hvdbg-code-server}
NATIVE=${HVDBG_CODE_SERVER_NATIVE-node-pty @vscode/spdlog native-watchdog @vscode/deviceid}
PKG=$CS/node_modules/code-server
ENTRY=$PKG/out/node/entry.js
VSCODE=$PKG/lib/vscode
TAG=$VERSION-r$RECIPE-$(printf '%s' "$NATIVE" | cksum | cut -d' ' -f1)
DONE=$CS/.installed-$TAG

log() { printf '[install-code-server] %s\n' "$*" >&2; }

if [[ -f $DONE && -f $ENTRY ]]; then
  echo "$ENTRY"
  exit 0
fi

mkdir -p "$CS"
# One installer at a time (the e2e test and the demo may race for the same folder).
exec 9>"$CS/.lock"
flock 9
if [[ -f $DONE && -f $ENTRY ]]; then
  echo "$ENTRY"
  exit 0
fi

for tool in node npm make g++ python3 rg; do
  command -v "$tool" >/dev/null || {
    log "missing $tool: apt-get install -y build-essential python3 ripgrep"
    exit 1
  }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ $node_major != 20 ]]; then
  log "code-server $VERSION needs Node 20 (this is $(node -v))"
  exit 1
fi

# node-gyp must not download Node's headers (no internet): use the installed ones. Compile on all cores.
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi
export JOBS=max
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# step NAME DIR COMMAND...: runs COMMAND in DIR unless a stamp says it succeeded before.
step() {
  local name=$1 dir=$2
  shift 2
  local stamp=$CS/.step-$TAG-$name
  if [[ -f $stamp ]]; then
    return 0
  fi
  local t0=$SECONDS
  log "$name ..."
  (cd "$dir" && "$@") >&2
  touch "$stamp"
  log "$name: $((SECONDS - t0)) s"
}

T0=$SECONDS
[[ -f $CS/package.json ]] || echo '{ "name": "hvdbg-code-server", "private": true }' >"$CS/package.json"
# --ignore-scripts: its postinstall would compile every native module and download ripgrep.
step fetch "$CS" npm install --no-save --no-package-lock --ignore-scripts "code-server@$VERSION"
# code-server's own native module: argon2 (password hashing; required at start-up). About 3 s.
step argon2 "$CS" npm rebuild argon2
# VS Code's dependencies, pinned by its npm-shrinkwrap.json.
step vscode-deps "$VSCODE" npm install --omit=dev --ignore-scripts
if [[ -n $NATIVE ]]; then
  # shellcheck disable=SC2086 # a list of package names
  step vscode-native "$VSCODE" npm rebuild $NATIVE
fi
# shellcheck disable=SC2016 # expanded by the inner sh
step ripgrep "$VSCODE" sh -c 'mkdir -p node_modules/@vscode/ripgrep/bin &&
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg &&
  ln -sfn node_modules node_modules.asar'
# The built-in extensions' shared dependency (typescript, for the TS/JS language features).
step builtin-extensions "$VSCODE/extensions" npm install --omit=dev --ignore-scripts

touch "$DONE"
log "code-server $VERSION installed in $((SECONDS - T0)) s: $CS"
echo "$ENTRY"
