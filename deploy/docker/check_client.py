"""The official Python MCP client (PyPI `mcp`, from .venv-test/) against the
container image that deploy/docker/check.sh started: lists the tools, fits
lm(mpg ~ wt, mtcars) with `linear_model`, draws a PNG with `scatter_plot`,
runs free-form R with `execute_r_analysis`, and checks that the answer matches
the sandbox layers `/health` reports (all in force: the R result; any layer
missing: the documented refusal, never a silently weaker sandbox).

    python check_client.py URL API_KEY EXPECTED_TOOLS

URL is the server's base (http://127.0.0.1:PORT). Prints one `ok`/`FAIL` line
per check, then `RESULT passed failed`; exits 1 when any check failed. The
whole run is bounded (120 s).
"""

import asyncio
import base64
import json
import sys
import urllib.request

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REFUSAL = "free-form R is disabled: the R sandbox is incomplete"
MTCARS = {
    "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
            14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
    "wt": [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424,
           5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78],
}

passed = 0
failed = 0


def result(ok, label, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {label}", flush=True)
    else:
        failed += 1
        print(f"FAIL  {label}{': ' + detail if detail else ''}", flush=True)


def text_of(answer):
    return "\n".join(block.text for block in answer.content if getattr(block, "type", "") == "text")


def health(base):
    with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
        return json.load(response)


async def scenario(base, key, expected_tools):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=httpx2.Timeout(30, read=120))
    async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
        tools = (await client.list_tools()).tools
        result(len(tools) == expected_tools, f"tools/list: {len(tools)} tools (expected {expected_tools})")

        fit = await client.call_tool("linear_model", {"data": MTCARS, "formula": "mpg ~ wt"})
        coefficients = (fit.structured_content or {}).get("coefficients", {})
        slope, intercept = coefficients.get("wt"), coefficients.get("(Intercept)")
        result(
            not fit.is_error and slope is not None and abs(slope - (-5.344472)) < 1e-4
            and abs(intercept - 37.285126) < 1e-4,
            f"linear_model lm(mpg ~ wt, mtcars): slope {slope}, intercept {intercept} (R: -5.3445, 37.2851)",
            text_of(fit)[:300],
        )

        plot = await client.call_tool(
            "scatter_plot", {"data": MTCARS, "x": "wt", "y": "mpg", "width": 400, "height": 300})
        images = [b for b in plot.content if getattr(b, "type", "") == "image"]
        png = base64.b64decode(images[0].data) if images else b""
        result(
            not plot.is_error and png.startswith(PNG_MAGIC) and images[0].mime_type == "image/png",
            f"scatter_plot: a PNG of {len(png)} bytes",
            text_of(plot)[:300],
        )

        free = await client.call_tool(
            "execute_r_analysis",
            {"r_code": "result <- sum(seq_len(10)) * nrow(datasets::mtcars)", "description": "docker-check"},
        )
        sandbox = health(base).get("sandbox", {})
        layers = sandbox.get("layers") or {}
        state = sandbox.get("free_form_r", "")
        print(f"      /health sandbox: free_form_r={state!r} layers={json.dumps(layers, sort_keys=True)}")
        result(sandbox.get("allow_weak_sandbox") is False,
               "the image does not accept a weaker sandbox (allow_weak_sandbox false)")
        result(bool(layers), "/health reports the worker's sandbox layers")
        if state == "enabled":
            value = (free.structured_content or {}).get("result")
            complete = (layers.get("landlock") == "fully_enforced" and layers.get("seccomp") is True
                        and layers.get("rlimits") is True and layers.get("no_new_privs") is True
                        and layers.get("env_scrubbed") is True)
            result(complete, "every sandbox layer in force (landlock fully enforced, seccomp, rlimits, "
                             "no_new_privs, scrubbed environment)")
            result(not free.is_error and value in (1760, [1760]),
                   f"execute_r_analysis in the sandboxed worker: {value} (expected 1760)", text_of(free)[:300])
        else:
            result(free.is_error and REFUSAL in text_of(free),
                   f"execute_r_analysis refused as documented while the sandbox is incomplete ({state})",
                   text_of(free)[:300])


def main(argv):
    base, key, expected_tools = argv[0], argv[1], int(argv[2])
    try:
        asyncio.run(asyncio.wait_for(scenario(base, key, expected_tools), timeout=120))
    except Exception as error:  # noqa: BLE001 - any failure is a failed check
        result(False, "the MCP session", f"{type(error).__name__}: {error}")
    print(f"RESULT {passed} {failed}")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
