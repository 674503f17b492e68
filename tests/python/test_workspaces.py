"""Free-form R workspaces through handles, with the official Python MCP
client (`mcp` 2.x) in `mode="2026-07-28"` on the server as shipped: a call
without `workspace` names a new workspace's handle; passing the handle back
reaches that workspace's objects, two handles are two workspaces, and a
wrong handle is refused with the fix. The client mirrors the `workspace`
argument into the `Mcp-Param-Workspace` header because the input schema
declares `x-mcp-header: Workspace` (SEP-2243): the test sees the header on
the client's requests, and the server refuses a body value without its
header (400), so a call that works proves the header came. Run by
`make python-client`."""

import asyncio

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

MODERN = "2026-07-28"


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=180))


def text_of(result):
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def modern_client(url, sent):
    """A 2026-07-28 client whose HTTP requests' `Mcp-Param-Workspace`
    headers (of tools/call) are recorded in `sent`."""

    async def record(request):
        if request.headers.get("mcp-method") == "tools/call":
            sent.append(request.headers.get("mcp-param-workspace"))

    http = httpx2.AsyncClient(
        event_hooks={"request": [record]}, timeout=httpx2.Timeout(60.0, read=180.0)
    )
    return Client(streamable_http_client(url, http_client=http), mode=MODERN)


async def execute(client, code, workspace=None):
    arguments = {"r_code": code, "description": "workspace test"}
    if workspace is not None:
        arguments["workspace"] = workspace
    return await client.call_tool("execute_r_analysis", arguments)


def handle_of(result):
    assert not result.is_error, text_of(result)
    handle = result.structured_content["workspace"]
    assert f"Workspace: {handle}" in text_of(result), text_of(result)
    return handle


def test_two_handles_are_two_workspaces(catalog_http):
    """Two workspaces hold different `x`; each handle finds its own, and the
    client sent each handle in the Mcp-Param-Workspace header."""
    url, lines = catalog_http
    sent = []

    async def scenario():
        async with modern_client(url, sent) as client:
            assert client.protocol_version == MODERN
            # The client learns which arguments to mirror from the listing.
            await client.list_tools()
            first = handle_of(await execute(client, "x <- 1; result <- x"))
            second = handle_of(await execute(client, "x <- 2; result <- x"))
            assert first != second
            one = await execute(client, "result <- x", first)
            two = await execute(client, "result <- x", second)
            assert one.structured_content["result"] == 1, text_of(one)
            assert two.structured_content["result"] == 2, text_of(two)
            assert one.structured_content["workspace"] == first
            listed = await client.call_tool("list_r_objects", {"workspace": second})
            assert not listed.is_error, text_of(listed)
            names = [item["name"] for item in listed.structured_content["objects"]]
            assert "x" in names, names
            return first, second

    first, second = run(scenario())
    assert sent.count(first) == 1, sent
    assert sent.count(second) == 2, sent
    assert sent[:2] == [None, None], sent
    assert not any(" 400 " in line for line in lines), "".join(lines[-20:])


def test_a_wrong_handle_is_refused_with_the_fix(catalog_http):
    """A handle the server never made is an error result that says to start
    a new workspace; it creates nothing."""
    url, _ = catalog_http
    sent = []

    async def scenario():
        async with modern_client(url, sent) as client:
            await client.list_tools()
            made = handle_of(await execute(client, "result <- 1"))
            wrong = made[:-4] + ("0000" if not made.endswith("0000") else "ffff")
            refused = await execute(client, "result <- 1", wrong)
            assert refused.is_error, text_of(refused)
            message = text_of(refused)
            assert "not found" in message, message
            assert "without `workspace`" in message, message
            return wrong

    wrong = run(scenario())
    assert wrong in sent, sent
