# rmcp-server: the two commands a new machine needs are `make run` and
# `make test`; each installs what it needs first (Debian packages from
# deploy/apt-packages.txt through deploy/install-deps.sh, the same script the
# Dockerfile runs).

CARGO ?= cargo
PREFIX ?= /usr/local
RMCP_HTTP_HOST ?= 127.0.0.1
RMCP_HTTP_PORT ?= 8000

.PHONY: run test deps rust build check fmt clippy test-rust conformance python-client ts-client deploy-check scale-out docker-check bench bench-routing install clean

run: deps build
	./target/release/rmcp serve-http --host $(RMCP_HTTP_HOST) --port $(RMCP_HTTP_PORT)

test: deps check test-rust conformance python-client ts-client deploy-check scale-out docker-check

deps: rust
	bash deploy/install-deps.sh

# Rust comes from rustup when the machine has none.
rust:
	@command -v $(CARGO) >/dev/null 2>&1 || { \
	  echo "installing Rust with rustup"; \
	  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal; }

build:
	$(CARGO) build --release --locked

check: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --all-targets -- -D warnings

test-rust:
	$(CARGO) test --locked

# The official MCP conformance suite (npm, pinned in tests/conformance/run.sh)
# against the fixtures server: the required scenarios of 2026-07-28 and of
# 2025-11-25, and the Tasks extension's (tasks-*) of 2026-07-28.
conformance:
	$(CARGO) build --locked --bin rmcp
	bash tests/conformance/run.sh

# The official Python MCP client (PyPI `mcp`, in .venv-test/) over stdio and HTTP.
python-client:
	$(CARGO) build --locked --bin rmcp
	bash tests/python/run.sh

# The official TypeScript MCP client (npm @modelcontextprotocol/client, in
# target/ts-client/) over HTTP on the catalog, in its three modes.
ts-client:
	$(CARGO) build --locked --bin rmcp
	bash tests/typescript/run.sh

deploy-check:
	@if [ -f deploy/check.sh ]; then bash deploy/check.sh; else echo "deploy-check: no deploy/check.sh yet"; fi

# Two rmcp processes behind Debian's nginx running the shipped session-routing
# configs (deploy/compose/nginx.conf, deploy/k8s/router.yaml) on loopback.
scale-out:
	$(CARGO) build --locked --bin rmcp
	bash tests/scale_out.sh

# The container images built and run for real, without a Docker engine or a
# registry: buildah builds deploy/docker/Dockerfile's production and lambda
# targets on a debootstrap Debian 12 base with the host's release binary, and
# the production image is run on loopback (deploy/docker/check.sh; needs root).
docker-check:
	bash deploy/docker/check.sh

# Benchmarks, each printing a markdown table and writing it to benches/results/:
# the engine alone, this server vs the Python reference (rmcp==0.12.0 from PyPI
# in .venv-bench/) vs the R floor over Streamable HTTP, free-form R in the
# sandboxed workers, every catalog fixture case on both servers, and the
# catalog's engine pool (1 engine vs N: head-of-line, throughput, memory),
# tasks (creation, polling, a long model fetched after a reconnect), and the
# cost of routing by handle through nginx (bench-routing).
bench: deps .venv-bench/bin/rmcp
	$(CARGO) bench --locked --bench engine
	$(CARGO) bench --locked --bench mcp_http
	$(CARGO) bench --locked --bench free_form_r
	$(CARGO) bench --locked --bench catalog
	$(CARGO) bench --locked --bench engines
	$(CARGO) bench --locked --bench tasks
	$(MAKE) bench-routing

# What routing by a workspace handle through the shipped nginx configs costs
# against a call straight to the replica (tests/scale_out.sh in bench mode,
# release binary; benches/results/routing.md).
bench-routing:
	$(CARGO) build --locked --release --bin rmcp
	RMCP_BIN=$(CURDIR)/target/release/rmcp SCALE_OUT_BENCH=benches/results/routing.md bash tests/scale_out.sh

.venv-bench/bin/rmcp:
	python3 -m venv .venv-bench
	.venv-bench/bin/pip install --quiet rmcp==0.12.0

# The binary is all there is to install (the R scripts are compiled into it);
# $(PREFIX)/bin/rmcp is the unit's ExecStart (deploy/systemd/rmcp.service, checked
# by deploy/check.sh). The R runtime comes from deploy/install-deps.sh --runtime.
install: build
	install -D -m 0755 target/release/rmcp $(DESTDIR)$(PREFIX)/bin/rmcp

clean:
	$(CARGO) clean
