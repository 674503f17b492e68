#!/usr/bin/env bash
# `make python-client`: installs the official Python MCP client (`mcp`) and
# pytest into .venv-test/ and runs tests/python against target/debug/rmcp.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${VENV:-.venv-test}"
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    echo "python-client: installing python3-venv" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
fi
"$VENV/bin/pip" install -q --disable-pip-version-check "mcp>=2,<3" pytest
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python
