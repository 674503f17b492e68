"""The official Python MCP client (`mcp` on PyPI) talks to rmcp over stdio and
Streamable HTTP without friction: handshake, listing, calls, argument
validation, progress, sampling and elicitation.

Run by `make python-client` (which builds the binary and installs `mcp` and
pytest into .venv-test/)."""

import asyncio

from mcp import Client, StdioServerParameters

from conftest import BINARY


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=120))


def text_of(result):
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def stdio_params(*extra):
    return StdioServerParameters(command=BINARY, args=["start", *extra])


def test_stdio_handshake_lists_and_validates_catalog_tools():
    """Claude Desktop's path: a stdio subprocess; every listed tool has a
    schema, and a wrong argument comes back as a tool error naming it."""

    async def scenario():
        async with Client(stdio_params()) as client:
            tools = (await client.list_tools()).tools
            assert tools, "the catalog lists tools"
            for tool in tools:
                assert tool.input_schema["type"] == "object"
            result = await client.call_tool(tools[0].name, {"no_such_argument": 1})
            assert result.is_error
            assert "no_such_argument" in text_of(result)

    run(scenario())


def test_stdio_progress_and_sampling_round_trip():
    """Over stdio a tool reports progress and asks the client's LLM."""

    async def sampling(context, params):
        from mcp import types

        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text="forty-two"),
            model="test-model",
        )

    async def scenario():
        updates = []

        async def on_progress(progress, total, message):
            updates.append(progress)

        async with Client(stdio_params("--conformance-fixtures"), sampling_callback=sampling) as client:
            result = await client.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
            assert not result.is_error
            sampled = await client.call_tool("test_sampling", {"prompt": "the answer?"})
            assert "forty-two" in text_of(sampled)
        assert updates == sorted(updates) and len(updates) >= 3

    run(scenario())


def test_http_handshake_tools_prompts_resources(fixtures_http):
    http_url, _ = fixtures_http
    """A remote client over Streamable HTTP sees tools, prompts and resources."""

    async def scenario():
        async with Client(http_url) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"test_simple_text", "test_tool_with_progress"} <= names
            result = await client.call_tool("test_simple_text", {})
            assert "simple text" in text_of(result)
            prompt = await client.get_prompt("test_prompt_with_arguments", {"arg1": "a", "arg2": "b"})
            assert "arg1='a'" in prompt.messages[0].content.text
            resource = await client.read_resource("test://static-text")
            assert "static text" in resource.contents[0].text

    run(scenario())


def test_http_elicitation_and_invalid_arguments(fixtures_http):
    http_url, _ = fixtures_http
    """The server asks the user through the client, and bad arguments are a
    tool error the model can act on."""

    async def elicitation(context, params):
        from mcp import types

        return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.com"})

    async def scenario():
        async with Client(http_url, elicitation_callback=elicitation) as client:
            result = await client.call_tool("test_elicitation", {"message": "who are you?"})
            assert "ada@example.com" in text_of(result)
            bad = await client.call_tool("json_schema_2020_12_tool", {"name": 3})
            assert bad.is_error and "name" in text_of(bad)

    run(scenario())
