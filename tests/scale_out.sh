#!/usr/bin/env bash
# tests/scale_out.sh (`make scale-out`, run by `make test` after deploy-check):
# the shipped nginx session routing, for real, on loopback.
#
#  1. deploy/compose/nginx.conf (TLS, map + per-replica upstreams): two
#     `rmcp serve-http` processes with RMCP_NODE_ID=rmcp-1 and rmcp-2 (the
#     compose service names the config routes to) behind Debian's nginx
#     running a copy of the file with only host-specific values changed:
#     backend and listen addresses, a throwaway self-signed certificate, log,
#     pid and temp paths.
#  2. deploy/k8s/router.yaml (the Kubernetes session router's nginx.conf):
#     rmcp-server-0 and rmcp-server-1 on 127.0.0.2 and 127.0.0.3, a stand-in
#     for the cluster DNS answering their pod names, and the Service of new
#     sessions standing in as both addresses.
#
# Each phase drives MCP sessions through nginx (tests/scale_out.py): every
# request of a session must be served by the backend its id names (checked
# against each backend's /metrics), an event stream must deliver its first
# event while still open; stateless protocol 2026-07-28 calls (no session id)
# must be spread over both backends round-robin, each answered; 2026-07-28
# requests naming a workspace handle (Mcp-Param-Workspace) or a task id
# (Mcp-Name of tasks/get, tasks/cancel) must be served by the replica the
# handle names, and ones naming no replica balanced; end to end, when the
# server has them (else "skip"), a workspace's objects and a task's result
# through nginx on fresh connections; then one backend gets kill -9: the
# other's sessions keep working, the dead one's get 404 "session not found
# ... send initialize", its handles reach a live replica (no 502),
# 2026-07-28 calls go on. Ends with `scale-out: N passed, M failed, K
# skipped`; at most 60 s; loopback only; every process it started is
# stopped on exit.
#
# With SCALE_OUT_BENCH=FILE (`make bench-routing`) it benches instead of
# testing: in each phase, SCALE_OUT_BENCH_CALLS (300) quick 2026-07-28 calls
# straight to a backend, through nginx without a handle, and through nginx
# with a workspace handle naming that backend; p50/p99 go to FILE as a
# markdown table.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
repo="$(pwd)"
rmcp="${RMCP_BIN:-$repo/target/debug/rmcp}"
driver="$repo/tests/scale_out.py"
bench_out="${SCALE_OUT_BENCH:-}"
budget_s=60
if [ -n "$bench_out" ]; then budget_s=90; fi
bench_load="$(cut -d' ' -f1-3 /proc/loadavg)"

log() { echo "scale-out: $*"; }

if [ ! -x "$rmcp" ]; then
  log "no $rmcp; build it first (cargo build --bin rmcp)"
  echo "scale-out: 0 passed, 1 failed"
  exit 1
fi

# Debian's nginx, installed like deploy/check.sh does (binary only, the
# service is never started), when the machine has none.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root (or sudo) for: $*"; return 1
  fi
}
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v nginx >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  log "installing nginx-light and openssl"
  policy_created=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null &&
      as_root chmod 0755 /usr/sbin/policy-rc.d && policy_created=true
  fi
  as_root apt-get update -qq &&
    { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light openssl ||
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx openssl; } \
      >/dev/null
  if $policy_created; then as_root rm -f /usr/sbin/policy-rc.d; fi
  if [ -d /run/systemd/system ]; then as_root systemctl disable --now nginx.service >/dev/null 2>&1 || true; fi
fi

tmp="$(mktemp -d)"
started=()
watchdog=""
# Stops what this script started, by pid: SIGTERM (nginx's master then stops
# its workers; rmcp drains for RMCP_SHUTDOWN_GRACE=1 s), SIGKILL after 3 s.
cleanup() {
  local pid tries=0
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  while [ $tries -lt 30 ]; do
    alive=false
    for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.1
    tries=$((tries + 1))
  done
  for pid in "${started[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  # (bash reports the jobs that died of SIGKILL when it reaps them; quietly)
  { for pid in "${started[@]}"; do wait "$pid"; done; } 2>/dev/null
  if [ -n "$watchdog" ]; then kill -TERM "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "scale-out: stopped (signal or over ${budget_s} s)"; echo "scale-out: $passed passed, $((failed + 1)) failed"; exit 1' INT TERM
# The whole run is bounded: past the budget the watchdog sends this script
# SIGTERM (long steps run in the background under `wait`, which the signal
# interrupts; the EXIT trap then stops what the script started).
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$budget_s" &
  sleeper=$!
  wait "$sleeper" && kill -TERM $$
) &
watchdog=$!

passed=0
failed=0
skipped=0
result() {
  if [ "$1" = ok ]; then passed=$((passed + 1)); printf 'ok    %s\n' "$2"
  else failed=$((failed + 1)); printf 'FAIL  %s\n' "$2"; fi
}

free_port() {
  python3 -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# start NAME COMMAND...: runs COMMAND in the background, output in $tmp/NAME.log.
start() {
  local name="$1"
  shift
  "$@" >"$tmp/$name.log" 2>&1 &
  started+=("$!")
  last_pid=$!
}

# start_rmcp NODE_ID HOST PORT: one rmcp serve-http, without a key (loopback),
# without its own rate limit (nginx's limit_req is the one under test). Out of
# the job table (disown): the driver kills one with SIGKILL, and bash would
# report that job as "Killed" in the middle of the output.
start_rmcp() {
  start "$1" env -u RMCP_API_KEY -u RMCP_ALLOWED_ORIGINS RMCP_NODE_ID="$1" RMCP_HTTP_HOST="$2" \
    RMCP_HTTP_PORT="$3" RMCP_RATE_LIMIT=0 RMCP_SHUTDOWN_GRACE=1 RMCP_LOG_LEVEL=info "$rmcp" serve-http
  disown "$last_pid"
}

# wait_http URL: until URL answers 200, up to 30 s.
wait_http() {
  local deadline=$((SECONDS + 30))
  until curl -fsS -k -o /dev/null --max-time 2 "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.1
  done
}

# The user nginx's workers run as: root may name itself; otherwise nginx
# ignores the directive.
nginx_user="user $(id -un) $(id -gn);"

# run_nginx NAME CONF: nginx in the foreground of a background job.
run_nginx() {
  nginx -t -q -e "$tmp/$1-error.log" -c "$2" >"$tmp/$1-t.log" 2>&1 || { cat "$tmp/$1-t.log"; return 1; }
  start "$1" nginx -e "$tmp/$1-error.log" -c "$2" -g 'daemon off;'
}

# drive LABEL ARGS...: tests/scale_out.py, its lines shown, its counts added.
drive() {
  local label="$1" rc counts
  shift
  start "drive-$label" python3 "$driver" drive --label "$label" "$@"
  wait "$last_pid"
  rc=$?
  grep -v '^RESULT ' "$tmp/drive-$label.log"
  counts="$(sed -n 's/^RESULT //p' "$tmp/drive-$label.log")"
  if [ -n "$counts" ]; then
    read -r counted_passed counted_failed counted_skipped <<<"$counts"
    passed=$((passed + counted_passed))
    failed=$((failed + counted_failed))
    skipped=$((skipped + ${counted_skipped:-0}))
  else
    result FAIL "$label: the driver stopped (exit $rc)"
  fi
}

# run_bench LABEL ARGS...: tests/scale_out.py bench; its table rows kept for
# the report.
run_bench() {
  local label="$1" rc
  shift
  start "bench-$label" python3 "$driver" bench --label "$label" --calls "${SCALE_OUT_BENCH_CALLS:-300}" "$@"
  wait "$last_pid"
  rc=$?
  cat "$tmp/bench-$label.log"
  grep '^|' "$tmp/bench-$label.log" >>"$tmp/bench-rows"
  sed -n 's/^NOTE /- /p' "$tmp/bench-$label.log" >>"$tmp/bench-notes"
  if [ $rc -eq 0 ]; then result ok "$label: routing bench, every call answered"
  else result FAIL "$label: routing bench (exit $rc)"; fi
}

show_logs() {
  local file
  for file in "$@"; do
    [ -f "$file" ] || continue
    echo "---- $(basename "$file") (last 15 lines)"
    tail -n 15 "$file"
  done
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=stats.example.com" -keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1

# --- 1. Compose: deploy/compose/nginx.conf -----------------------------------
port_1="$(free_port)"
port_2="$(free_port)"
port_http="$(free_port)"
port_https="$(free_port)"
start_rmcp rmcp-1 127.0.0.1 "$port_1"
pid_1=$last_pid
start_rmcp rmcp-2 127.0.0.1 "$port_2"
pid_2=$last_pid

mkdir -p "$tmp/compose-temp"
sed -E \
  -e "s#^([[:space:]]*ssl_certificate)[[:space:]]+[^;]+;#\1 $tmp/tls.crt;#" \
  -e "s#^([[:space:]]*ssl_certificate_key)[[:space:]]+[^;]+;#\1 $tmp/tls.key;#" \
  -e "s#(server[[:space:]]+)rmcp-1:8000#\1127.0.0.1:$port_1#" \
  -e "s#(server[[:space:]]+)rmcp-2:8000#\1127.0.0.1:$port_2#" \
  -e "s#^([[:space:]]*listen)[[:space:]]+80([[:space:];])#\1 127.0.0.1:$port_http\2#" \
  -e "s#^([[:space:]]*listen)[[:space:]]+443([[:space:];])#\1 127.0.0.1:$port_https\2#" \
  -e "s#/var/log/nginx/#$tmp/compose-#" \
  -e "s#^pid[[:space:]]+[^;]+;#pid $tmp/compose-nginx.pid;#" \
  -e "s#^user[[:space:]]+[^;]+;#$nginx_user#" \
  -e "s#^http \{#http {\n    client_body_temp_path $tmp/compose-temp/body;\n    proxy_temp_path $tmp/compose-temp/proxy;#" \
  deploy/compose/nginx.conf >"$tmp/compose-nginx.conf"
# The bench sends far more than the edge's 20 requests/s per client; it
# measures routing, not the rate limit.
if [ -n "$bench_out" ]; then sed -i -E '/^[[:space:]]*limit_req zone=/d' "$tmp/compose-nginx.conf"; fi
# Only host-specific lines may differ from the shipped file.
changed="$(diff deploy/compose/nginx.conf "$tmp/compose-nginx.conf" | grep '^>' |
  grep -v -E '^> +(ssl_certificate|ssl_certificate_key|server 127\.0\.0\.1:|listen 127\.0\.0\.1:|access_log|error_log|client_body_temp_path|proxy_temp_path)|^> (pid|user|http \{)')"
if [ -z "$changed" ]; then result ok "compose: nginx.conf rendered for loopback (addresses, certificate, paths only)"
else result FAIL "compose: unexpected changes in the rendered nginx.conf: $changed"; fi

if wait_http "http://127.0.0.1:$port_1/health" && wait_http "http://127.0.0.1:$port_2/health"; then
  result ok "compose: rmcp-1 and rmcp-2 serving (RMCP_NODE_ID=rmcp-1, rmcp-2)"
else
  result FAIL "compose: rmcp backends did not start"
  show_logs "$tmp/rmcp-1.log" "$tmp/rmcp-2.log"
fi
if run_nginx compose-nginx "$tmp/compose-nginx.conf" && wait_http "https://127.0.0.1:$port_https/health"; then
  result ok "compose: nginx $(nginx -v 2>&1 | sed 's#.*/##') up with TLS on 127.0.0.1:$port_https"
  if [ -n "$bench_out" ]; then
    run_bench compose --edge "https://127.0.0.1:$port_https" --backend "rmcp-1=http://127.0.0.1:$port_1"
  else
    drive compose --edge "https://127.0.0.1:$port_https" \
      --backend "rmcp-1=http://127.0.0.1:$port_1,$pid_1" --backend "rmcp-2=http://127.0.0.1:$port_2,$pid_2" \
      --kill rmcp-2 --sessions 6 \
      --foreign-id "rmcp-9.0123456789abcdef0123456789abcdef" --foreign-id "0123456789abcdef0123456789abcdef"
  fi
else
  result FAIL "compose: nginx did not start"
  show_logs "$tmp/compose-nginx-t.log" "$tmp/compose-nginx-error.log" "$tmp/compose-nginx.log"
fi
if [ "$failed" -gt 0 ]; then show_logs "$tmp/compose-access.log" "$tmp/compose-nginx-error.log"; fi

# --- 2. Kubernetes: the router's nginx.conf from deploy/k8s/router.yaml ------
failed_before=$failed
port_pod="$(free_port 127.0.0.2)"
port_router="$(free_port)"
port_dns="$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pods_domain="rmcp-server-pods.rmcp.svc.cluster.local"
start_rmcp rmcp-server-0 127.0.0.2 "$port_pod"
pid_pod_0=$last_pid
start_rmcp rmcp-server-1 127.0.0.3 "$port_pod"
pid_pod_1=$last_pid
start dns python3 "$driver" dns --port "$port_dns" \
  --record "rmcp-server-0.$pods_domain=127.0.0.2" --record "rmcp-server-1.$pods_domain=127.0.0.3"

mkdir -p "$tmp/router"
python3 "$driver" configmap deploy/k8s/router.yaml >"$tmp/router-raw.conf"
sed -E \
  -e "s#^([[:space:]]*resolver)[[:space:]]+[^[:space:];]+#\1 127.0.0.1:$port_dns#" \
  -e "s#(\.svc\.cluster\.local):8000\"#\1:$port_pod\"#" \
  -e "s#^([[:space:]]*)server[[:space:]]+rmcp-server\.rmcp\.svc\.cluster\.local:80;#\1server 127.0.0.2:$port_pod;\n\1server 127.0.0.3:$port_pod;#" \
  -e "s#^([[:space:]]*listen)[[:space:]]+8080;#\1 127.0.0.1:$port_router;#" \
  -e "s#/tmp/#$tmp/router/#" \
  -e "s#^([[:space:]]*access_log)[[:space:]]+/dev/stdout#\1 $tmp/router-access.log#" \
  "$tmp/router-raw.conf" >"$tmp/router-nginx.conf"
# shellcheck disable=SC2016 # $rmcp_pod is nginx's variable
changed="$(diff "$tmp/router-raw.conf" "$tmp/router-nginx.conf" | grep '^>' |
  grep -v -E '^> +(resolver 127\.0\.0\.1:|server 127\.0\.0\.[23]:|listen 127\.0\.0\.1:|access_log|(client_body|proxy|fastcgi|uwsgi|scgi)_temp_path)|^> pid|"\$rmcp_pod\.rmcp-server-pods\.rmcp\.svc\.cluster\.local:[0-9]+";$')"
if [ -z "$changed" ]; then result ok "router: nginx.conf from the ConfigMap rendered for loopback (addresses, paths only)"
else result FAIL "router: unexpected changes in the rendered nginx.conf: $changed"; fi

if wait_http "http://127.0.0.2:$port_pod/health" && wait_http "http://127.0.0.3:$port_pod/health"; then
  result ok "router: rmcp-server-0 (127.0.0.2) and rmcp-server-1 (127.0.0.3) serving"
else
  result FAIL "router: rmcp backends did not start"
  show_logs "$tmp/rmcp-server-0.log" "$tmp/rmcp-server-1.log"
fi
if run_nginx router-nginx "$tmp/router-nginx.conf" && wait_http "http://127.0.0.1:$port_router/health"; then
  result ok "router: nginx up on 127.0.0.1:$port_router, pods resolved at request time (stand-in DNS)"
  if [ -n "$bench_out" ]; then
    run_bench router --edge "http://127.0.0.1:$port_router" --backend "rmcp-server-0=http://127.0.0.2:$port_pod"
  else
    drive router --edge "http://127.0.0.1:$port_router" \
      --backend "rmcp-server-0=http://127.0.0.2:$port_pod,$pid_pod_0" \
      --backend "rmcp-server-1=http://127.0.0.3:$port_pod,$pid_pod_1" \
      --kill rmcp-server-1 --sessions 6 \
      --foreign-id "rmcp-server-7.0123456789abcdef0123456789abcdef" \
      --foreign-id "evil.example.com.0123456789abcdef0123456789abcdef"
  fi
else
  result FAIL "router: nginx did not start"
  show_logs "$tmp/router-nginx-t.log" "$tmp/router-nginx-error.log" "$tmp/router-nginx.log"
fi
if [ "$failed" -gt "$failed_before" ]; then
  show_logs "$tmp/router-access.log" "$tmp/router-nginx-error.log" "$tmp/router-nginx.log" "$tmp/dns.log"
fi

if [ -n "$bench_out" ] && [ -s "$tmp/bench-rows" ]; then
  {
    echo "## Routing by handle through nginx: what it costs"
    echo
    echo "One run of \`make bench-routing\` ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1);" \
      "load average $bench_load at the start; a build machine shared with other builds, so the absolute numbers are loose)," \
      "loopback: \`$(basename "$(dirname "$rmcp")")/rmcp serve-http\` processes behind Debian's $(nginx -v 2>&1 | sed 's#.*: ##')" \
      "running the shipped configs as \`make scale-out\` does (compose: TLS to nginx, keep-alive to the replicas," \
      "its per-client \`limit_req\` taken out for the bench;" \
      "router: plain HTTP, a connection per request to the pod, resolved through a stand-in DNS)."
    echo
    echo "${SCALE_OUT_BENCH_CALLS:-300} calls per path (after 20 warm-up calls): a stateless 2026-07-28 \`tools/call summary_stats\`" \
      "(8 numbers), one kept-alive client connection per path, the three paths interleaved call by call." \
      "Latency client-side, request written → whole response read, in ms."
    echo
    echo "| config | path | calls | p50 | p99 | mean |"
    echo "|---|---|---:|---:|---:|---:|"
    cat "$tmp/bench-rows"
    echo
    cat "$tmp/bench-notes"
    echo
    echo "What the pinned path adds is nginx's hop (the compose config also ends TLS) and, in the router, a" \
      "name lookup (cached \`valid=10s\`) and a new connection to the pod per request; the \`map\` lookups" \
      "themselves are a few string and regular-expression matches. Against an R call of milliseconds to minutes it is noise; run it on an" \
      "idle machine (and with the release binary, as \`make bench-routing\` does) for numbers to quote."
  } >"$bench_out"
  log "wrote $bench_out"
fi

echo "scale-out: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
