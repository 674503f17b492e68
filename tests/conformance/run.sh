#!/usr/bin/env bash
# `make conformance`: the official MCP conformance suite
# (`@modelcontextprotocol/conformance` from npm) runs its server scenarios
# against `rmcp serve-http --conformance-fixtures` on a free loopback port,
# and this fails unless the expected number of scenarios pass.
#
# It runs once per requirement set: the scenarios a revision of the
# specification requires (`--requirements <date>`), judged from the suite's
# own summary (tests/conformance/summary.py); scenarios the set does not
# score (extensions, pending ones) are reported, not counted, except the
# extensions this server implements (CONFORMANCE_EXTENSIONS: Tasks), which
# must pass too.
#
# Settings (environment):
#   CONFORMANCE_VERSION       the suite's npm version (default 0.2.0-alpha.12)
#   CONFORMANCE_REQUIREMENTS  the sets to run, as <date>=<required scenarios
#                             that must pass>, space-separated (default
#                             "2026-07-28=37 2025-11-25=30")
#   CONFORMANCE_EXTENSIONS    extension scenarios (unscored by the suite)
#                             that must pass too, as
#                             <date>:<name prefix>=<count>, space-separated
#                             (default "2026-07-28:tasks-=10": the Tasks
#                             extension, SEP-2663; the suite's SKIP of
#                             tasks-status-notifications counts as a pass)
#   CONFORMANCE_DIR           where the suite (and a Node 22, when the
#                             system's is older) is installed
#                             (default target/conformance-suite/<version>)
#   CONFORMANCE_OUT           results (default target/conformance)
#   CONFORMANCE_TIMEOUT       seconds for one set (default 600)
#   RMCP_BIN                  the server binary (default target/debug/rmcp)
#
# Results, per set: $CONFORMANCE_OUT/<date>/ as the suite writes it (a
# checks.json per scenario), the suite's output in <date>.log and a line per
# scenario in <date>.tsv; the server's log in server.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
VERSION="${CONFORMANCE_VERSION:-0.2.0-alpha.12}"
REQUIREMENTS="${CONFORMANCE_REQUIREMENTS:-2026-07-28=37 2025-11-25=30}"
EXTENSIONS="${CONFORMANCE_EXTENSIONS-2026-07-28:tasks-=10}"
SUITE_DIR="${CONFORMANCE_DIR:-$ROOT/target/conformance-suite/$VERSION}"
OUT="${CONFORMANCE_OUT:-$ROOT/target/conformance}"
TIMEOUT="${CONFORMANCE_TIMEOUT:-600}"
BIN="${RMCP_BIN:-$ROOT/target/debug/rmcp}"

say() { echo "conformance: $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  say "installing npm"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm >/dev/null
fi
[ -x "$BIN" ] || cargo build --locked --bin rmcp

# npm install PACKAGE into folder DIR (its own package.json, so nothing lands
# in the repository), logging to DIR/install.log.
npm_install() {
  local dir="$1" package="$2"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-save "$package" >"$dir/install.log" 2>&1) || {
    say "npm install $package failed (see $dir/install.log)"
    exit 1
  }
}

SUITE="$SUITE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [ ! -f "$SUITE" ]; then
  say "installing @modelcontextprotocol/conformance@$VERSION into $SUITE_DIR"
  npm_install "$SUITE_DIR" "@modelcontextprotocol/conformance@$VERSION"
fi

# The suite needs Node 22 or later (it imports fs.globSync): the system's, or
# npm's package of Node (tests/node22.sh).
NODE="$(bash tests/node22.sh "$SUITE_DIR/node22")"

rm -rf "$OUT"
mkdir -p "$OUT"
"$BIN" serve-http --host 127.0.0.1 --port 0 --conformance-fixtures --rate-limit 0 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 600); do
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$OUT/server.log" | head -1 || true)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER" 2>/dev/null || { say "the server did not start"; cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { say "no address in the server log"; exit 1; }

status=0
for set in $REQUIREMENTS; do
  date="${set%%=*}"
  expected="${set#*=}"
  say "$NODE $SUITE server --url $URL --requirements $date"
  # The suite's exit status says whether any scenario failed, scored or
  # not; the summary decides from what it printed instead.
  (cd "$SUITE_DIR" && NO_COLOR=1 timeout "$TIMEOUT" "$NODE" "$SUITE" server --url "$URL" \
    --requirements "$date" -o "$OUT/$date") >"$OUT/$date.log" 2>&1 || true
  extras=()
  for extension in $EXTENSIONS; do
    [ "${extension%%:*}" = "$date" ] && extras+=("${extension#*:}")
  done
  echo "conformance --requirements $date:"
  python3 tests/conformance/summary.py "$OUT/$date.log" "$OUT/$date.tsv" "$expected" ${extras[@]+"${extras[@]}"} || {
    say "$date: expected $expected required scenarios (and ${extras[*]:-no extension scenarios}) to pass and none to fail (details: $OUT/$date.tsv, $OUT/$date.log, $OUT/server.log)"
    status=1
  }
done
exit "$status"
