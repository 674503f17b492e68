"""The official Python MCP client (`mcp` 2.x) on the real catalog server, over
Streamable HTTP (`rmcp serve-http --port 0`, one per module) and over stdio
(`rmcp start`, one child per client, since the first request locks a stdio
connection's era), in each of the client's modes:

- `mode="auto"` adopts 2026-07-28 with no fallback: `server/discover`
  answered, no `initialize` (over HTTP the server's per-request log shows
  none);
- `mode="2026-07-28"`: the 54 tools, `linear_model` (lm(mpg ~ wt, mtcars):
  slope -5.344), `scatter_plot` (a PNG image block), `rmcp://catalog` and the
  `statistical_workflow` prompt;
- `mode="legacy"`: the initialize handshake, 54 tools, `linear_model`.

Run by `make python-client`."""

import asyncio
import base64
import re
import time

from mcp import Client, StdioServerParameters

from conftest import BINARY
MODERN = "2026-07-28"
TOOL_COUNT = 54
# lm(mpg ~ wt, mtcars): R's slope for wt is -5.344472.
MTCARS = {
    "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
            14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
    "wt": [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424,
           5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78],
}
SLOPE = -5.344
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=180))


def text_of(result):
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def stdio_server():
    return StdioServerParameters(command=BINARY, args=["start"])


def requests_logged(lines, since):
    """The MCP methods of the requests the server logged after line `since`."""
    methods = []
    for line in lines[since:]:
        match = re.search(r"POST /mcp (\S+)(?: tool=\S+)? \d{3} ", line)
        if match:
            methods.append(match.group(1))
    return methods


async def wait_for_log(lines, since, method, timeout=10.0):
    """The server logs a request once answered; wait until `method` shows up."""
    deadline = time.monotonic() + timeout
    while method not in requests_logged(lines, since) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return requests_logged(lines, since)


async def check_tools_and_linear_model(client):
    tools = (await client.list_tools()).tools
    names = {tool.name for tool in tools}
    assert len(tools) == TOOL_COUNT, sorted(names)
    assert {"linear_model", "scatter_plot", "summary_stats", "execute_r_analysis"} <= names
    result = await client.call_tool("linear_model", {"data": MTCARS, "formula": "mpg ~ wt"})
    assert not result.is_error, text_of(result)
    slope = result.structured_content["coefficients"]["wt"]
    assert abs(slope - SLOPE) < 1e-3, result.structured_content


async def check_catalog(client):
    """Everything a 2026-07-28 client uses: tools, a plot, a resource, a prompt."""
    await check_tools_and_linear_model(client)

    plot = await client.call_tool(
        "scatter_plot", {"data": {"x": [1, 2, 3, 4, 5], "y": [3, 5, 7, 9, 11]}, "x": "x", "y": "y"}
    )
    assert not plot.is_error, text_of(plot)
    images = [block for block in plot.content if getattr(block, "type", "") == "image"]
    assert images, [getattr(block, "type", "") for block in plot.content]
    assert images[0].mime_type == "image/png"
    assert base64.b64decode(images[0].data).startswith(PNG_SIGNATURE)

    uris = {resource.uri for resource in (await client.list_resources()).resources}
    assert "rmcp://catalog" in {str(uri) for uri in uris}, uris
    catalog = await client.read_resource("rmcp://catalog")
    text = catalog.contents[0].text
    assert f"{TOOL_COUNT} tools" in text and "linear_model" in text, text[:300]

    prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
    assert "statistical_workflow" in prompts, prompts
    prompt = await client.get_prompt(
        "statistical_workflow", {"dataset_name": "sales", "analysis_goals": "what drives revenue"}
    )
    message = prompt.messages[0].content.text
    assert "Dataset: sales" in message and "what drives revenue" in message, message[:300]


# --- Streamable HTTP -----------------------------------------------------


def test_http_auto_adopts_2026_07_28_without_initialize(catalog_http):
    url, lines = catalog_http
    since = len(lines)

    async def scenario():
        async with Client(url, mode="auto") as client:
            assert client.protocol_version == MODERN
            assert client.session.initialize_result is None
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert len(names) == TOOL_COUNT
        return await wait_for_log(lines, since, "tools/list")

    methods = run(scenario())
    assert "server/discover" in methods, methods
    assert "tools/list" in methods, methods
    assert "initialize" not in methods, methods


def test_http_2026_07_28_catalog(catalog_http):
    url, lines = catalog_http
    since = len(lines)

    async def scenario():
        async with Client(url, mode=MODERN) as client:
            assert client.protocol_version == MODERN
            await check_catalog(client)
        return await wait_for_log(lines, since, "prompts/get")

    methods = run(scenario())
    assert {"tools/list", "tools/call", "resources/read", "prompts/get"} <= set(methods), methods
    assert "initialize" not in methods, methods


def test_http_legacy_mode_still_works(catalog_http):
    url, lines = catalog_http
    since = len(lines)

    async def scenario():
        async with Client(url, mode="legacy") as client:
            assert client.protocol_version != MODERN
            assert client.session.initialize_result is not None
            await check_tools_and_linear_model(client)
        return await wait_for_log(lines, since, "tools/call")

    methods = run(scenario())
    assert methods[:1] == ["initialize"], methods


# --- stdio (`rmcp start`) ------------------------------------------------


def test_stdio_auto_adopts_2026_07_28():
    async def scenario():
        async with Client(stdio_server(), mode="auto") as client:
            assert client.protocol_version == MODERN
            assert client.session.initialize_result is None
            assert client.session.discover_result is not None
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert len(names) == TOOL_COUNT

    run(scenario())


def test_stdio_2026_07_28_catalog():
    async def scenario():
        async with Client(stdio_server(), mode=MODERN) as client:
            assert client.protocol_version == MODERN
            await check_catalog(client)

    run(scenario())


def test_stdio_legacy_mode_still_works():
    async def scenario():
        async with Client(stdio_server(), mode="legacy") as client:
            assert client.protocol_version != MODERN
            assert client.session.initialize_result is not None
            await check_tools_and_linear_model(client)

    run(scenario())
