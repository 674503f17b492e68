#!/usr/bin/env bash
# `make conformance`: the official MCP conformance suite
# (@modelcontextprotocol/conformance, all 32 server scenarios) against
# `rmcp serve-http --conformance-fixtures` on a free loopback port.
# Installs npm when missing (Node >= 22 itself comes from npm via the shared
# script). Exits non-zero unless every scenario passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
SHARED_DIR="${SHARED_DIR:-$ROOT/../shared}"
BIN="${RMCP_BIN:-$ROOT/target/debug/rmcp}"
OUT="${CONFORMANCE_OUT:-$ROOT/target/conformance}"
EXPECTED="${CONFORMANCE_EXPECTED:-32}"

if ! command -v npm >/dev/null 2>&1; then
  echo "conformance: installing npm" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm >/dev/null
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

bash "$SHARED_DIR/tools/conformance.sh" "$URL" "$OUT" | tee "$OUT/summary.txt"
grep -q "^conformance: $EXPECTED passed, 0 failed$" "$OUT/summary.txt" || {
  echo "conformance: expected all $EXPECTED scenarios to pass (details: $OUT/summary.tsv, $OUT/server.log)" >&2
  exit 1
}
