"""Tasks (SEP-2663, `io.modelcontextprotocol/tasks`) with the official Python
MCP client (`mcp` 2.x) on protocol 2026-07-28. The client has no tasks API
of its own; its extension interface (`ClientExtension`, `ResultClaim` for
`resultType: "task"`) declares the extension and finishes a task by polling
`tasks/get`, which it sends with `send_request` (with `Mcp-Name: <taskId>`).

A task-augmented `random_forest` (a seeded tool: every call draws the same
random numbers) answers at once with a task; polling shows it working, then
completed with the direct call's result. Cancelling a long one interrupts R
within a couple of seconds, and the engine serves the next call.
Run by `make python-client`."""

import asyncio
import math
import time
from typing import Any, Literal

from mcp import Client
from mcp.client.extension import ClientExtension, ResultClaim
from mcp_types import CallToolResult, Request, RequestParams, Result

TASKS = "io.modelcontextprotocol/tasks"


class CreateTaskResult(Result):
    """The flat `CreateTaskResult` a `tools/call` answers with."""

    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    created_at: str
    last_updated_at: str
    ttl_ms: int | None = None
    poll_interval_ms: int | None = None


class DetailedTask(Result):
    """`tasks/get`'s answer."""

    result_type: str | None = None
    task_id: str
    status: str
    status_message: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    poll_interval_ms: int | None = None


class Ack(Result):
    result_type: str | None = None


class TaskParams(RequestParams):
    task_id: str


class TasksGet(Request[TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param = "taskId"


class TasksCancel(Request[TaskParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    name_param = "taskId"


TERMINAL = {"completed", "failed", "cancelled"}


async def get(session, task_id):
    return await session.send_request(TasksGet(params=TaskParams(task_id=task_id)), DetailedTask)


async def poll(session, task_id, timeout=120.0):
    """`tasks/get` until the task is terminal; every status seen, and the last answer."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        task = await get(session, task_id)
        seen.append(task.status)
        if task.status in TERMINAL:
            return seen, task
        assert time.monotonic() < deadline, f"task {task_id} still {task.status}"
        await asyncio.sleep(0.1)


async def finish(created: CreateTaskResult, context) -> CallToolResult:
    """The claim's resolver: polls the task and returns its inlined result."""
    _, task = await poll(context.session, created.task_id)
    assert task.status == "completed", task
    return CallToolResult.model_validate(task.result)


class Tasks(ClientExtension):
    identifier = TASKS

    def claims(self):
        return [ResultClaim(result_type="task", model=CreateTaskResult, resolve=finish)]


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=300))


def mtcars():
    return {
        "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
                14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
        "wt": [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424,
               5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78],
        "hp": [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215,
               230, 66, 52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109],
    }


async def plain_call(url, tool, arguments):
    """`tool` called by a client without the extension (answered in the request)."""
    async with Client(url, mode="auto") as plain:
        return await plain.call_tool(tool, arguments)


def test_random_forest_as_a_task_matches_the_direct_call(catalog_http):
    """A task-augmented random_forest answers with a task at once; polling
    shows it working, then completed, and its result is the direct call's."""
    url, _ = catalog_http
    rows = 1500  # about a second or two of R: long enough to be seen working
    data = {
        name: [math.sin(i * 0.7919 + shift) * 10 for i in range(rows)]
        for shift, name in enumerate(["x1", "x2", "x3", "y"])
    }
    arguments = {"data": data, "formula": "y ~ .", "n_trees": 500}

    async def scenario():
        async with Client(url, mode="auto") as plain:
            assert plain.protocol_version == "2026-07-28"
            direct = await plain.call_tool("random_forest", arguments)
            assert not direct.is_error
        async with Client(url, mode="auto", extensions=[Tasks()]) as client:
            started = time.monotonic()
            created = await client.session.call_tool("random_forest", arguments, allow_claimed=True)
            assert isinstance(created, CreateTaskResult), created
            assert created.status == "working"
            assert created.ttl_ms and created.ttl_ms > 0
            seen, task = await poll(client.session, created.task_id)
            assert seen[0] == "working" and seen[-1] == "completed", seen
            assert task.result["structuredContent"] == direct.structured_content
            print(f"task answered in {time.monotonic() - started:.2f} s after {len(seen)} polls")
            # The extension's claim finishes a task transparently too.
            small = {"data": mtcars(), "formula": "mpg ~ wt + hp", "n_trees": 200}
            resolved = await client.call_tool("random_forest", small)
            again = await plain_call(url, "random_forest", small)
            assert resolved.structured_content == again.structured_content

    run(scenario())


def test_cancelling_a_long_task_interrupts_r(catalog_http):
    """A random forest on 20,000 rows cancelled after a second settles to
    cancelled, R lets go within a couple of seconds, and the next call is
    served."""
    url, _ = catalog_http
    rows = 20_000
    data = {
        name: [math.sin(i * 0.7919 + shift) * 10 for i in range(rows)]
        for shift, name in enumerate(["x1", "x2", "x3", "x4", "x5", "y"])
    }

    async def scenario():
        async with Client(url, mode="auto", extensions=[Tasks()]) as client:
            created = await client.session.call_tool(
                "random_forest",
                {"data": data, "formula": "y ~ .", "n_trees": 1000},
                allow_claimed=True,
            )
            assert isinstance(created, CreateTaskResult), created
            await asyncio.sleep(1.5)
            assert (await get(client.session, created.task_id)).status == "working"
            cancelled_at = time.monotonic()
            ack = await client.session.send_request(
                TasksCancel(params=TaskParams(task_id=created.task_id)), Ack
            )
            assert ack.result_type == "complete"
            _, task = await poll(client.session, created.task_id)
            assert task.status == "cancelled"
            quick = await client.call_tool("linear_model", {"data": mtcars(), "formula": "mpg ~ wt"})
            waited = time.monotonic() - cancelled_at
            assert not quick.is_error
            assert abs(quick.structured_content["coefficients"]["wt"] - -5.344) < 1e-3
            assert waited < 5, f"R was stopped after {waited:.1f} s"
            print(f"the next call answered {waited:.2f} s after the cancel")

    run(scenario())
