"""Shared set-up of the Python client tests: the `rmcp` binary under test
and a real `rmcp serve-http` on a free loopback port, one per test module,
whose log a thread keeps reading (one line per request answered,
"POST /mcp <method> <status> ...")."""

import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RMCP_BIN", str(ROOT / "target" / "debug" / "rmcp"))
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+/mcp")


def serve_http(*extra):
    """Runs `rmcp serve-http` with `extra` arguments; yields its URL and the
    lines of its log so far, and stops it (a clean exit) afterwards."""
    process = subprocess.Popen(
        [BINARY, "serve-http", "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    found = threading.Event()

    def read_log():
        for line in process.stderr:
            lines.append(line)
            if ADDRESS.search(line):
                found.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    found.wait(timeout=120)
    url = next((match.group(0) for line in list(lines) if (match := ADDRESS.search(line))), None)
    if url is None:
        process.kill()
        pytest.fail("the server did not start:\n" + "".join(lines))
    yield url, lines
    process.terminate()
    assert process.wait(timeout=30) == 0
    reader.join(timeout=10)


@pytest.fixture(scope="module")
def fixtures_http():
    """The conformance fixtures server (`--conformance-fixtures`)."""
    yield from serve_http("--conformance-fixtures")


@pytest.fixture(scope="module")
def catalog_http():
    """The server as shipped: the catalog, prompts, resources, free-form R."""
    yield from serve_http()
