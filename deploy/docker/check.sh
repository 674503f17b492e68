#!/usr/bin/env bash
# deploy/docker/check.sh (`make docker-check`, run by `make test`): builds the
# container images of deploy/docker/Dockerfile for real and runs the
# production image on loopback, without a Docker engine or a container
# registry: buildah builds with chroot isolation, and what the registry would
# give comes from here instead:
#
#  - the base image (the Dockerfile's DEBIAN_IMAGE): a Debian 12 root made by
#    debootstrap from the Debian mirror apt already uses, imported as
#    localhost/rmcp-debian:bookworm; kept in buildah's storage and as a tarball
#    in $RMCP_DOCKER_CACHE (default /var/cache/rmcp-docker-check), so later
#    runs (and fresh clones on the same machine) skip it;
#  - the binaries (BINARIES=prebuilt instead of the rust:1-bookworm builder):
#    target/release/rmcp from `cargo build --release --locked` on this host
#    (Debian 12, like the image), and the Lambda Web Adapter from crates.io
#    (`cargo install --locked lambda_web_adapter`, cached in the same folder).
#
# The image's own steps (apt-get install of R and the r-cran-* packages, the
# user, ENV, HEALTHCHECK...) run as written; buildah's --layers cache keeps
# them between runs. Then:
#
#  1. the production image's contents: runtime only (no compilers, -dev
#     packages, R headers, apt lists or package caches, docs), its unpacked
#     size and layers;
#  2. its ENTRYPOINT + CMD, as its USER, with its ENV and WORKDIR
#     (`buildah run`; the host's network, so RMCP_HTTP_HOST=127.0.0.1 and a
#     free port replace the image's 0.0.0.0:8000, with an RMCP_API_KEY as
#     production needs): /health answers 200 within the HEALTHCHECK's start
#     period, the HEALTHCHECK command exits 0 (and non-zero against a closed
#     port), the process runs as the image's uid, the official Python MCP
#     client (deploy/docker/check_client.py) lists the tools, fits a model,
#     gets a PNG and runs free-form R (or gets the documented refusal when a
#     sandbox layer is missing), and SIGTERM stops it with exit 0 in time;
#  3. the Compose topology: two replicas (rmcp-1, rmcp-2) from the image behind
#     Debian's nginx running deploy/compose/nginx.conf, through
#     tests/scale_out.sh's compose phase with RMCP_BIN pointing at a wrapper
#     that starts each replica in the image;
#  4. the lambda target builds (on the production layers) and carries the
#     adapter.
#
# Prints one `ok`/`FAIL` line per check and `docker-check: N passed, M failed`;
# exits 1 when anything failed. Every step is bounded in time; containers,
# mounts and processes it started are removed on exit, images are kept (they
# are the cache). Needs root (buildah, debootstrap, chroot; it re-runs itself
# under sudo when started as another user); installs buildah,
# debootstrap and nginx-light from Debian when missing.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
repo="$(pwd)"
cache="${RMCP_DOCKER_CACHE:-/var/cache/rmcp-docker-check}"
base_image=localhost/rmcp-debian:bookworm
image=localhost/rmcp-server:docker-check
lambda_image=localhost/rmcp-server:docker-check-lambda
adapter_version=0.9.1
expected_tools=54
prefix="rmcp-docker-check"
export PATH="$PATH:/usr/sbin:/sbin"
export BUILDAH_ISOLATION=chroot

log() { echo "docker-check: $*"; }

passed=0
failed=0
result() {
  if [ "$1" = ok ]; then passed=$((passed + 1)); printf 'ok    %s\n' "$2"
  else failed=$((failed + 1)); printf 'FAIL  %s\n' "$2"; fi
}
finish() {
  echo "docker-check: $passed passed, $failed failed ($((SECONDS - t0)) s)"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
fail_now() { result FAIL "$1"; finish; }

t0=$SECONDS
# image_json IMAGE KEY: the image's Docker-format KEY (config, rootfs, history).
image_json() {
  buildah inspect --type image "$1" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["Docker"][sys.argv[1]]))' "$2"
}
# step SECONDS LABEL COMMAND...: COMMAND (a program or an exported function)
# bounded by `timeout` (which signals its whole process group), its output in
# $tmp/step.log, shown (last 40 lines) when it fails; prints how long it took.
step() {
  local limit="$1" label="$2" start=$SECONDS rc
  shift 2
  timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" >"$tmp/step.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    log "$label: $((SECONDS - start)) s"
  else
    [ $rc -eq 124 ] && log "$label: over ${limit} s, stopped"
    tail -n 40 "$tmp/step.log" | sed 's/^/      /'
  fi
  return "$rc"
}

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    log "needs root (buildah with chroot isolation, debootstrap): running under sudo"
    exec sudo --preserve-env=PATH,RMCP_DOCKER_CACHE,CARGO_HOME,RUSTUP_HOME bash "$repo/deploy/docker/check.sh"
  fi
  log "needs root (buildah with chroot isolation, debootstrap)"
  fail_now "run as root"
fi

# --- set-up -----------------------------------------------------------------

tmp="$(mktemp -d /tmp/rmcp-docker-check.XXXXXX)"
containers=()
mounts=()
pids=()
# Removes what this run started: the servers (by pid: each is an `unshare`
# holding a PID namespace, which ignores SIGTERM while it waits; SIGKILL ends
# it and with it everything in its namespace), the working containers and
# their mounts, the temporary folder.
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
  local pid ctr
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for ctr in "${mounts[@]}"; do buildah umount "$ctr" >/dev/null 2>&1; done
  for ctr in "${containers[@]}"; do buildah rm "$ctr" >/dev/null 2>&1; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'log "stopped by a signal"; failed=$((failed + 1)); finish' INT TERM

missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  policy_created=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && policy_created=true
  fi
  step 600 "apt-get install ${missing[*]}" bash -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"' \
    apt "${missing[@]}"
  rc=$?
  if $policy_created; then rm -f /usr/sbin/policy-rc.d; fi
  if [ -d /run/systemd/system ]; then systemctl disable --now nginx.service >/dev/null 2>&1 || true; fi
  [ $rc -eq 0 ] || fail_now "installing ${missing[*]}"
fi

# The official Python MCP client, in .venv-test/ like tests/python/run.sh.
venv="$repo/.venv-test"
if ! "$venv/bin/python" -c 'import mcp, httpx2' >/dev/null 2>&1; then
  step 300 "python venv with mcp" bash -c \
    "{ [ -x '$venv/bin/python' ] || python3 -m venv '$venv'; } && '$venv/bin/pip' install -q --disable-pip-version-check 'mcp>=2,<3' pytest" ||
    fail_now "installing the Python MCP client into .venv-test"
fi

mkdir -p "$cache"
# Containers left by an earlier run that was killed before its cleanup.
buildah containers --format '{{.ContainerName}}' 2>/dev/null | grep "^$prefix-" |
  while read -r stale; do buildah umount "$stale" >/dev/null 2>&1; buildah rm "$stale" >/dev/null 2>&1; done

# --- the base image: Debian 12 by debootstrap --------------------------------

# The Debian mirror apt already uses (deb822 or one-line sources).
debian_mirror() {
  local uri
  uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -o -E '(https?|ftp)://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ')"
  echo "${uri:-http://deb.debian.org/debian}"
}

# shellcheck disable=SC2329 # invoked through step
make_base_tarball() {
  local mirror root="$cache/rootfs.tmp"
  mirror="$(debian_mirror)"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" || return 1
  # What debian:bookworm-slim has besides: updates and security sources, no
  # apt caches kept after installs.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${mirror%/}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian*}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # debian:bookworm-slim's dpkg excludes (no docs, man pages, translations),
  # and the files they would have kept out removed.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' >"$root/etc/dpkg/dpkg.cfg.d/docker"
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  printf 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nBinary::apt::APT::Keep-Downloaded-Packages "false";\n' \
    >"$root/etc/apt/apt.conf.d/docker-clean"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -cf "$cache/debian-bookworm.tar.tmp" . || return 1
  mv "$cache/debian-bookworm.tar.tmp" "$cache/debian-bookworm.tar"
  rm -rf "$root"
}

# shellcheck disable=SC2329 # invoked through step
import_base() {
  local ctr
  ctr="$(buildah from --name "$prefix-base-$$" scratch)" || return 1
  # (committed with --rm; a failed import leaves it to the next run's sweep)
  buildah add "$ctr" "$cache/debian-bookworm.tar" / &&
    buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr" &&
    buildah commit --quiet --rm "$ctr" "$base_image"
}

export cache base_image prefix
export -f debian_mirror make_base_tarball import_base
if buildah inspect --type image "$base_image" >/dev/null 2>&1; then
  log "base image $base_image: cached"
else
  if [ ! -f "$cache/debian-bookworm.tar" ]; then
    step 600 "debootstrap --variant=minbase bookworm ($(debian_mirror))" make_base_tarball ||
      fail_now "the Debian 12 base (debootstrap)"
  fi
  step 300 "import $cache/debian-bookworm.tar as $base_image" import_base ||
    fail_now "importing the Debian 12 base"
fi
result ok "base image $base_image (Debian 12 by debootstrap, cached in $cache)"

# --- the binaries -------------------------------------------------------------

prebuilt="$tmp/prebuilt"
mkdir -p "$prebuilt"
step 1200 "cargo build --release --locked --bin rmcp" cargo build --release --locked --bin rmcp ||
  fail_now "cargo build --release --locked"
# As the builder stage does: the debug sections (line tables, for panic
# backtraces) compressed, a third of their size.
objcopy --compress-debug-sections=zlib target/release/rmcp "$prebuilt/rmcp" ||
  fail_now "objcopy --compress-debug-sections target/release/rmcp"
adapter="$cache/lambda-adapter-$adapter_version/bin/lambda-adapter"
if [ ! -x "$adapter" ]; then
  step 1200 "cargo install --locked lambda_web_adapter@$adapter_version" \
    env CARGO_TARGET_DIR="$cache/lambda-adapter-target" cargo install --locked --root "$cache/lambda-adapter-$adapter_version" \
    "lambda_web_adapter@$adapter_version" || fail_now "building the Lambda Web Adapter from crates.io"
  rm -rf "$cache/lambda-adapter-target"
fi
cp "$adapter" "$prebuilt/lambda-adapter"

# --- 1. build the production image ---------------------------------------------

# bud TARGET TAG: the Dockerfile as `docker build` would run it, with the build
# context filtered by Dockerfile.dockerignore; --format docker keeps the
# HEALTHCHECK (the OCI format has none).
# shellcheck disable=SC2329 # invoked through step
bud() {
  local before rc old_id new_id
  before="$(buildah containers -q --all)"
  old_id="$(buildah images -q --no-trunc "$2" 2>/dev/null)"
  buildah bud --isolation chroot --pull-never --layers --format docker \
    -f deploy/docker/Dockerfile --ignorefile deploy/docker/Dockerfile.dockerignore \
    --build-arg BINARIES=prebuilt --build-arg DEBIAN_IMAGE="$base_image" \
    --build-context prebuilt="$prebuilt" --target "$1" -t "$2" .
  rc=$?
  # buildah 1.28 leaves the working container of a stage that only another
  # stage's FROM names (binaries-prebuilt); remove what the build left.
  comm -13 <(sort <<<"$before") <(buildah containers -q --all | sort) | xargs -r buildah rm >/dev/null
  # The image this tag named before (another binary): untagged now, dropped,
  # so runs do not pile up images. The cached layers under it stay.
  new_id="$(buildah images -q --no-trunc "$2" 2>/dev/null)"
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then buildah rmi "$old_id" >/dev/null 2>&1 || true; fi
  return "$rc"
}
# The stage images of earlier runs' binaries (untagged, their one step a COPY
# into /out/): a copy of a file, cheaper to redo than to keep piling up.
buildah images -q --no-trunc --filter dangling=true 2>/dev/null | while read -r id; do
  if image_json "$id" history 2>/dev/null | python3 -c 'import json, sys
h = [x for x in json.load(sys.stdin) if not x.get("empty_layer")]
sys.exit(0 if len(h) == 1 and " in /out/" in h[0].get("created_by", "") else 1)'; then
    buildah rmi "$id" >/dev/null 2>&1 || true
  fi
done

export prebuilt
export -f bud
step 1200 "buildah bud --target production" bud production "$image" ||
  fail_now "building the production target of deploy/docker/Dockerfile"
result ok "production target built: $image"

# The image's configuration, as a runtime reads it (the Docker format's
# config: the OCI one has no HEALTHCHECK).
image_json "$image" config >"$tmp/config.json" || fail_now "reading the configuration of $image"
config() { python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
v = c
for k in sys.argv[2].split("."):
    v = (v or {}).get(k)
if isinstance(v, list):
    sys.stdout.write("".join(str(x) + "\0" for x in v))
elif v is not None:
    sys.stdout.write(str(v))' "$tmp/config.json" "$1"; }
user="$(config User)"
workdir="$(config WorkingDir)"
mapfile -d '' -t entrypoint < <(config Entrypoint)
mapfile -d '' -t cmd < <(config Cmd)
mapfile -d '' -t health_test < <(config Healthcheck.Test)
health_start_ns="$(config Healthcheck.StartPeriod)"
health_timeout_ns="$(config Healthcheck.Timeout)"
health_start_s=$((${health_start_ns:-0} / 1000000000))
health_timeout_s=$((${health_timeout_ns:-0} / 1000000000))
stop_signal="$(config StopSignal)"
command=("${entrypoint[@]}" "${cmd[@]}")
log "image config: USER $user, WORKDIR $workdir, ENTRYPOINT+CMD ${command[*]}, STOPSIGNAL ${stop_signal:-SIGTERM}"
log "HEALTHCHECK ${health_test[*]} (start period ${health_start_s} s, timeout ${health_timeout_s} s)"
if [ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] && [ ${#command[@]} -gt 0 ] &&
  [ ${#health_test[@]} -gt 1 ] && [ "$health_start_s" -gt 0 ]; then
  result ok "image config: non-root USER $user, ENTRYPOINT/CMD, HEALTHCHECK with a start period"
else
  result FAIL "image config: USER '$user', command '${command[*]}', HEALTHCHECK '${health_test[*]}'"
fi

# --- 1b. what the image carries -------------------------------------------------

inspect_contents() {
  local ctr mnt
  ctr="$(buildah from --pull-never --name "$prefix-inspect-$$" "$image")" || return 1
  containers+=("$ctr")
  mnt="$(buildah mount "$ctr")" || return 1
  mounts+=("$ctr")
  unpacked_mb=$(($(du -sxk "$mnt" | cut -f1) / 1024))
  local packages forbidden leftovers sizes
  # shellcheck disable=SC2016 # dpkg's ${Package}, not the shell's
  packages="$(chroot "$mnt" dpkg-query -W -f='${Package}\n')"
  forbidden="$(grep -E '^(gcc|g\+\+|cpp|gfortran|clang|make|binutils|build-essential|r-base-dev|pkg-config|pkgconf)(-[0-9.]+)?$|-dev$' <<<"$packages" | tr '\n' ' ')"
  if [ -z "$forbidden" ]; then result ok "runtime only: no compilers, build tools or -dev packages ($(wc -l <<<"$packages") Debian packages)"
  else result FAIL "build-time packages in the image: $forbidden"; fi
  leftovers="$(cd "$mnt" && {
    find usr/bin -maxdepth 1 \( -name 'gcc*' -o -name 'cc' -o -name 'c++' -o -name 'g++*' -o -name 'gfortran*' -o -name 'rustc' -o -name 'cargo' \) -print
    find usr/share/R/include -name '*.h' -print 2>/dev/null | head -n 3
    find var/lib/apt/lists -type f ! -name lock -print 2>/dev/null | head -n 3
    find var/cache/apt -name '*.deb' -o -name '*.bin' 2>/dev/null | head -n 3
    find usr/share/doc -type f ! -name copyright -print 2>/dev/null | head -n 3
    find usr/share/man -type f -print 2>/dev/null | head -n 3
    find usr/lib/R/site-library usr/lib/R/library -mindepth 3 -maxdepth 3 -type f \( -path '*/doc/*' -o -path '*/html/*' \) -print 2>/dev/null | head -n 3
    find usr/lib/R/site-library -mindepth 3 -path '*/include/*' -type f -print 2>/dev/null | head -n 3
    find tmp -mindepth 1 -maxdepth 1 -print 2>/dev/null | head -n 3
  })"
  if [ -z "$leftovers" ]; then result ok "no R headers, apt lists, package caches, docs or vignettes in the image"
  else result FAIL "left in the image: $(tr '\n' ' ' <<<"$leftovers")"; fi
  if [ -x "$mnt/usr/local/bin/rmcp" ] && chroot "$mnt" getent passwd "${user%%:*}" >/dev/null &&
    [ -e "$mnt/etc/ssl/certs/ca-certificates.crt" ] && [ -n "$(find "$mnt/usr/share/fonts" -name 'DejaVu*.ttf' 2>/dev/null)" ]; then
    result ok "carries the binary, the user ${user%%:*}, CA certificates and fonts ($(find "$mnt/usr/share/fonts" -name '*.ttf' | wc -l) TrueType files)"
  else
    result FAIL "the binary, user ${user%%:*}, /etc/ssl/certs/ca-certificates.crt or fonts missing"
  fi
  # Where the size goes (largest folders), for deploy/README.md.
  sizes="$(cd "$mnt" && du -xsm usr/lib/R usr/lib/R/site-library usr/lib/x86_64-linux-gnu usr/share usr/local/bin var 2>/dev/null |
    awk '{printf "%s %s MB; ", $2, $1}')"
  log "unpacked: ${unpacked_mb} MB; $sizes"
  buildah umount "$ctr" >/dev/null
  buildah rm "$ctr" >/dev/null
}
inspect_contents || result FAIL "could not mount the image to inspect it"

# --- 2. run it ---------------------------------------------------------------------

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
api_key="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

# new_container NAME: a new working container of the image (removed on
# exit), its name in $ctr.
new_container() {
  ctr="$(buildah from --pull-never --name "$prefix-$1-$$" "$image")" || return 1
  containers+=("$ctr")
}
# "${in_image[@]}" [--env K=V]... CONTAINER -- COMMAND...: COMMAND in the
# container, as the image's USER, in its WORKDIR, with its ENV (buildah run
# applies it) plus the --env given; the host's network (chroot isolation).
# In a PID namespace of its own, like a container: buildah leaves the command
# running when it is killed itself, but when the namespace's first process
# dies (unshare --kill-child) the kernel kills everything in it, so killing
# the unshare process stops the server, as `docker kill` would.
in_image=(unshare --pid --fork --kill-child --mount-proc
  buildah run --isolation chroot --user "$user" --workingdir "$workdir")

# serve NAME PORT [--env K=V]...: the image's ENTRYPOINT + CMD in the
# background, on 127.0.0.1:PORT, with an API key; output in $tmp/NAME.log;
# its pid (unshare's) in $last_pid.
serve() {
  local name="$1" port="$2"
  shift 2
  new_container "$name" || return 1
  "${in_image[@]}" --env RMCP_HTTP_HOST=127.0.0.1 --env RMCP_HTTP_PORT="$port" --env RMCP_API_KEY="$api_key" \
    "$@" "$ctr" -- "${command[@]}" >"$tmp/$name.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

# listener_pid PORT: the process listening on 127.0.0.1:PORT (the server
# itself, under buildah's chroot helper).
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o -E 'pid=[0-9]+' | head -n 1 | cut -d= -f2
}

# wait_health URL SECONDS: until URL/health answers 200; prints the seconds.
wait_health() {
  local start=$SECONDS deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 2 "$1/health" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
  echo $((SECONDS - start))
}

port="$(free_port)"
base="http://127.0.0.1:$port"
started_at=$SECONDS
serve prod "$port" --env RMCP_NODE_ID=docker-check
server_pid=$last_pid
if took="$(wait_health "$base" "$health_start_s")"; then
  result ok "/health 200 after ${took} s (HEALTHCHECK start period ${health_start_s} s), image command on 127.0.0.1:$port"
  server_up=true
else
  result FAIL "/health did not answer 200 within ${health_start_s} s"
  tail -n 30 "$tmp/prod.log" | sed 's/^/      /'
  server_up=false
fi

if $server_up; then
  rmcp_pid="$(listener_pid "$port")"
  uid="$(awk '/^Uid:/ {print $2}' "/proc/$rmcp_pid/status" 2>/dev/null)"
  if [ -n "$rmcp_pid" ] && [ "$uid" = "${user%%:*}" ]; then result ok "the server (pid $rmcp_pid) runs as uid $uid, the image's USER"
  else result FAIL "the server (pid '$rmcp_pid') runs as uid '$uid', not the image's USER $user"; fi
  if curl -fsS -o /dev/null --max-time 5 "$base/metrics" 2>/dev/null; then result FAIL "/metrics answered without the API key"
  else result ok "/metrics refused without the API key (RMCP_API_KEY in force)"; fi

  # The HEALTHCHECK command itself, in a second container of the image.
  if [ "${health_test[0]}" = CMD-SHELL ]; then hc=(/bin/sh -c "${health_test[1]}"); else hc=("${health_test[@]:1}"); fi
  if new_container healthcheck &&
    timeout --kill-after=5 "$((health_timeout_s + 20))" "${in_image[@]}" --env RMCP_HTTP_PORT="$port" "$ctr" -- "${hc[@]}" >"$tmp/hc.log" 2>&1; then
    result ok "HEALTHCHECK command exits 0: ${hc[*]}"
  else
    result FAIL "HEALTHCHECK command failed: $(tail -n 3 "$tmp/hc.log")"
  fi
  if ! new_container healthcheck-closed; then
    result FAIL "a second container for the HEALTHCHECK"
  elif timeout --kill-after=5 "$((health_timeout_s + 20))" "${in_image[@]}" --env RMCP_HTTP_PORT="$(free_port)" "$ctr" -- "${hc[@]}" >"$tmp/hc2.log" 2>&1; then
    result FAIL "HEALTHCHECK command exits 0 against a closed port (it cannot fail)"
  else
    result ok "HEALTHCHECK command fails against a closed port"
  fi

  # The official Python client.
  timeout --kill-after=5 180 "$venv/bin/python" deploy/docker/check_client.py "$base" "$api_key" "$expected_tools" >"$tmp/client.log" 2>&1
  grep -v '^RESULT ' "$tmp/client.log"
  counts="$(sed -n 's/^RESULT //p' "$tmp/client.log")"
  if [ -n "$counts" ]; then passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* }))
  else result FAIL "the Python MCP client stopped: $(tail -n 5 "$tmp/client.log")"; fi

  # SIGTERM (the image's STOPSIGNAL), as `docker stop` sends it to the
  # container's main process: exit 0 within RMCP_SHUTDOWN_GRACE (10 s) + 10 s.
  signal="${stop_signal:-SIGTERM}"
  stop_start=$SECONDS
  kill -s "${signal#SIG}" "$rmcp_pid" 2>/dev/null
  rc=""
  while [ $((SECONDS - stop_start)) -lt 20 ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then wait "$server_pid"; rc=$?; break; fi
    sleep 0.1
  done
  if [ "$rc" = 0 ]; then result ok "$signal: stopped with exit 0 in $((SECONDS - stop_start)) s"
  else
    result FAIL "$signal: exit '${rc:-still running after 20 s}'"
    tail -n 20 "$tmp/prod.log" | sed 's/^/      /'
  fi
  if grep -q -i -E 'shut|drain|stop' "$tmp/prod.log"; then log "server log on stop: $(grep -i -E 'shut|drain|stop' "$tmp/prod.log" | tail -n 1 | cut -c1-200)"; fi
fi
log "serving took $((SECONDS - started_at)) s"

# --- 3. the Compose topology: nginx + rmcp-1 + rmcp-2 ------------------------------

# tests/scale_out.sh runs the shipped nginx.conf on loopback in front of
# `$RMCP_BIN serve-http` processes and drives sessions through it, kill -9 of
# a replica included. Here RMCP_BIN is a wrapper that execs the image's
# ENTRYPOINT in a container of the image, in a PID namespace as in_image
# runs it (so the kill -9 of the wrapper's pid kills the replica), with the
# RMCP_* settings the script gives it.
cat >"$tmp/rmcp-in-image" <<EOF
#!/usr/bin/env bash
# Runs the image's ENTRYPOINT with this script's arguments in a new container
# of $image, with the RMCP_* variables of the caller's environment.
set -euo pipefail
ctr="\$(buildah from --pull-never --name "$prefix-replica-\$\$" "$image")"
echo "\$ctr" >>"$tmp/replicas"
envs=()
while IFS='=' read -r -d '' name value; do
  case "\$name" in RMCP_*) envs+=(--env "\$name=\$value") ;; esac
done < <(env -0)
exec unshare --pid --fork --kill-child --mount-proc buildah run --isolation chroot --user "$user" --workingdir "$workdir" "\${envs[@]}" "\$ctr" -- ${entrypoint[*]} "\$@"
EOF
chmod 0755 "$tmp/rmcp-in-image"
compose_start=$SECONDS
RMCP_BIN="$tmp/rmcp-in-image" timeout --kill-after=10 240 bash tests/scale_out.sh >"$tmp/scale-out.log" 2>&1
scale_rc=$?
grep -E '^(ok|FAIL|skip)  ' "$tmp/scale-out.log" | sed 's/^/      /'
if [ -f "$tmp/replicas" ]; then while read -r ctr; do containers+=("$ctr"); done <"$tmp/replicas"; fi
summary="$(grep -E '^scale-out: [0-9]+ passed' "$tmp/scale-out.log" | tail -n 1)"
if [ $scale_rc -eq 0 ] && grep -q -E ' passed, 0 failed(, [0-9]+ skipped)?$' <<<"$summary"; then
  result ok "compose topology and k8s router from the image (tests/scale_out.sh, RMCP_BIN in the image): ${summary#scale-out: } ($((SECONDS - compose_start)) s)"
else
  result FAIL "tests/scale_out.sh with the image's replicas: exit $scale_rc, ${summary:-no summary}"
  grep -v -E '^(ok|FAIL)  ' "$tmp/scale-out.log" | tail -n 30 | sed 's/^/      /'
fi

# --- 4. the lambda target ----------------------------------------------------------

if step 600 "buildah bud --target lambda" bud lambda "$lambda_image"; then
  ctr="$(buildah from --pull-never --name "$prefix-lambda-$$" "$lambda_image")" && containers+=("$ctr")
  # shellcheck disable=SC2016 # expanded by the image's shell
  if [ -n "${ctr:-}" ] && timeout --kill-after=5 60 unshare --pid --fork --kill-child --mount-proc buildah run --isolation chroot --user "$user" "$ctr" -- \
    /bin/sh -c 'test -x /opt/extensions/lambda-adapter && test "$AWS_LWA_READINESS_CHECK_PATH" = /health && rmcp --version' >"$tmp/lambda.log" 2>&1; then
    result ok "lambda target built on the production layers: /opt/extensions/lambda-adapter ($adapter_version), $(tail -n 1 "$tmp/lambda.log")"
  else
    result FAIL "lambda image: adapter or settings missing: $(tail -n 3 "$tmp/lambda.log" 2>/dev/null)"
  fi
else
  result FAIL "building the lambda target"
fi

# --- report ------------------------------------------------------------------------

# report IMAGE: its size as buildah counts it, and each layer's command.
report() {
  local size
  size="$(buildah images --format '{{.Size}}' "$1" | head -n 1)"
  log "$1: $size, $(image_json "$1" rootfs | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["diff_ids"]))') layers:"
  image_json "$1" history | python3 -c 'import json, sys
for h in json.load(sys.stdin):
    if not h.get("empty_layer"):
        print("      " + " ".join(h.get("created_by", "").split())[:140])'
}
report "$image"
log "production image unpacked: ${unpacked_mb:-?} MB"
report "$lambda_image"
finish
