"""The official Python MCP client (`mcp` 2.x) adopts protocol 2026-07-28 with
rmcp in its default `mode="auto"`: it discovers the server, never falls back
to the initialize handshake, and answers input-required rounds (elicitation,
sampling) through its callbacks. Run by `make python-client`."""

import asyncio

from mcp import Client


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=120))


def text_of(result):
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def test_auto_mode_adopts_the_stateless_revision(fixtures_http):
    """`Client(url)` discovers 2026-07-28 and works without initialize."""
    url, _ = fixtures_http

    async def scenario():
        async with Client(url, mode="auto") as client:
            assert client.protocol_version == "2026-07-28"
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "test_simple_text" in names
            result = await client.call_tool("test_simple_text", {})
            assert "simple text" in text_of(result)

    run(scenario())


def test_input_required_rounds_through_the_callbacks(fixtures_http):
    """A tool's questions reach the client's elicitation and sampling
    callbacks as input-required rounds, and the retried call completes."""
    url, _ = fixtures_http

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
