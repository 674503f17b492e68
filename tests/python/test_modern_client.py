"""The official Python MCP client (`mcp` 2.x) adopts protocol 2026-07-28 with
rmcp in its default `mode="auto"`: it discovers the server, never falls back
to the initialize handshake, and answers input-required rounds (elicitation,
sampling) through its callbacks. Run by `make python-client`."""

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from mcp import Client

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RMCP_BIN", str(ROOT / "target" / "debug" / "rmcp"))


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=120))


def text_of(result):
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


@pytest.fixture(scope="module")
def server():
    """A real `rmcp serve-http --conformance-fixtures` on a free port, and the
    lines of its log (one per request)."""
    process = subprocess.Popen(
        [BINARY, "serve-http", "--port", "0", "--conformance-fixtures"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = None
    deadline = time.time() + 120
    lines = []
    while time.time() < deadline and url is None:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"http://127\.0\.0\.1:\d+/mcp", line)
        if match:
            url = match.group(0)
    if url is None:
        process.kill()
        pytest.fail("the server did not start:\n" + "".join(lines))
    yield url, process
    process.terminate()
    assert process.wait(timeout=30) == 0


def test_auto_mode_adopts_the_stateless_revision(server):
    """`Client(url)` discovers 2026-07-28 and works without initialize."""
    url, _ = server

    async def scenario():
        async with Client(url, mode="auto") as client:
            assert client.protocol_version == "2026-07-28"
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "test_simple_text" in names
            result = await client.call_tool("test_simple_text", {})
            assert "simple text" in text_of(result)

    run(scenario())


def test_input_required_rounds_through_the_callbacks(server):
    """A tool's questions reach the client's elicitation and sampling
    callbacks as input-required rounds, and the retried call completes."""
    url, _ = server

    async def elicitation(context, params):
        from mcp import types

        return types.ElicitResult(action="accept", content={"name": "Ada"})

    async def sampling(context, params):
        from mcp import types

        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text="Paris"),
            model="test-model",
        )

    async def scenario():
        async with Client(
            url, mode="auto", elicitation_callback=elicitation, sampling_callback=sampling
        ) as client:
            assert client.protocol_version == "2026-07-28"
            greeted = await client.call_tool("test_input_required_result_elicitation", {})
            assert "Hello, Ada!" in text_of(greeted)
            answered = await client.call_tool("test_input_required_result_sampling", {})
            assert "Paris" in text_of(answered)

    run(scenario())
