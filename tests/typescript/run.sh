#!/usr/bin/env bash
# `make ts-client`: installs the official TypeScript MCP client
# (@modelcontextprotocol/client from npm, pinned below) into
# target/ts-client/<version>/, gets a Node 22 or later (tests/node22.sh), and
# runs tests/typescript/*.test.mjs with `node --test` against
# target/debug/rmcp (each test file starts its own server on 127.0.0.1).
#
# Settings (environment):
#   TS_CLIENT_VERSION  the client's npm version (default 2.4.0)
#   TS_CLIENT_DIR      where it is installed (default target/ts-client/<version>)
#   RMCP_BIN           the server binary (default target/debug/rmcp)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
VERSION="${TS_CLIENT_VERSION:-2.4.0}"
CLIENT_DIR="${TS_CLIENT_DIR:-$ROOT/target/ts-client/$VERSION}"
BIN="${RMCP_BIN:-$ROOT/target/debug/rmcp}"

say() { echo "ts-client: $*" >&2; }

[ -x "$BIN" ] || cargo build --locked --bin rmcp
NODE="$(bash tests/node22.sh "$ROOT/target/node22")"

if [ ! -f "$CLIENT_DIR/node_modules/@modelcontextprotocol/client/package.json" ]; then
  say "installing @modelcontextprotocol/client@$VERSION into $CLIENT_DIR"
  mkdir -p "$CLIENT_DIR"
  [ -f "$CLIENT_DIR/package.json" ] || echo '{"private": true}' >"$CLIENT_DIR/package.json"
  (cd "$CLIENT_DIR" && npm install --no-audit --no-fund --no-save "@modelcontextprotocol/client@$VERSION" \
    >"$CLIENT_DIR/install.log" 2>&1) || {
    say "npm install @modelcontextprotocol/client@$VERSION failed (see $CLIENT_DIR/install.log)"
    exit 1
  }
fi

say "$("$NODE" --version), @modelcontextprotocol/client@$VERSION, $BIN"
MCP_CLIENT_DIR="$CLIENT_DIR" RMCP_BIN="$BIN" timeout 600 "$NODE" --test --test-reporter=spec \
  tests/typescript/*.test.mjs
