"""MCP clients and a stand-in DNS server for tests/scale_out.sh (Python 3
standard library only).

    python3 tests/scale_out.py drive --edge URL --backend NODE=URL[,PID] ... --kill NODE [--router]
    python3 tests/scale_out.py dns --port PORT --record NAME=ADDRESS ...
    python3 tests/scale_out.py configmap FILE        # prints data["nginx.conf"]
    python3 tests/scale_out.py bench --edge URL --backend NODE=URL [--calls N]   # routing's cost

`drive` plays several MCP clients through the proxy at URL: sessions over
Streamable HTTP and the legacy SSE transport, each request checked against
the backends' own /metrics (every request of a session must be counted by
the backend its id names, and by no other), an event stream that must deliver
its first event while it is still open, stateless protocol 2026-07-28 calls
(no session: spread over every backend, each answered), 2026-07-28 handles
(a workspace handle in Mcp-Param-Workspace, a task id in the Mcp-Name of
tasks/get: served by the replica they name; end to end, when the server has
workspaces and tasks: a workspace's objects and a task's result reached
through nginx on fresh connections), then SIGKILL for backend NODE and what
its clients and the others' clients see (older-era sessions of the killed
backend get 404, its handles reach a live replica, 2026-07-28 calls go on).
It prints one line per check ("ok    ...", "FAIL  ...", or "skip  ..." for
a check the server cannot take yet) and exits 1 when any failed.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

PROTOCOL = "2025-11-25"
# lm(mpg ~ wt, mtcars): R's slope for wt.
MTCARS = {
    "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
            14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
    "wt": [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424,
           5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78],
}
SLOPE = -5.344


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def skip(self, name, why):
        """A check this server cannot take yet (a feature it lacks)."""
        self.skipped += 1
        print(f"skip  {name}: skipped ({why})", flush=True)

    def check(self, condition, name, detail=""):
        if condition:
            self.passed += 1
            print(f"ok    {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f"\n      {detail}" if detail else ""), flush=True)
        return condition


def connect(url, timeout=10.0):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        # The proxy's certificate is a throwaway self-signed one.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def request(url, method, path, body=None, headers=None, timeout=30.0):
    """(status, headers, body text) of one request on a fresh connection."""
    connection = connect(url, timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def sse_events(text):
    """The events of an SSE body: a list of {field: value} dicts."""
    events = []
    for block in re.split(r"\r?\n\r?\n", text):
        fields = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[key] = fields[key] + "\n" + value if key in fields else value
        if fields:
            events.append(fields)
    return events


def counters(backend_url):
    """This backend's counts: (HTTP requests to /mcp, to /mcp/messages, tool calls)."""
    status, _, text = request(backend_url, "GET", "/metrics", timeout=5.0)
    if status != 200:
        raise RuntimeError(f"GET {backend_url}/metrics: {status}")
    mcp = messages = tools = 0.0
    for line in text.splitlines():
        if line.startswith("rmcp_http_requests_total{") and 'route="/mcp"' in line:
            mcp += float(line.rsplit(" ", 1)[1])
        elif line.startswith("rmcp_http_requests_total{") and 'route="/mcp/messages"' in line:
            messages += float(line.rsplit(" ", 1)[1])
        elif line.startswith("rmcp_tool_calls_total{"):
            tools += float(line.rsplit(" ", 1)[1])
    return mcp, messages, tools


class Client:
    """One MCP client over Streamable HTTP, through the proxy."""

    def __init__(self, edge):
        self.edge = edge
        self.session = None
        self.next_id = 1

    def post(self, message):
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        if self.session:
            headers["mcp-session-id"] = self.session
            headers["mcp-protocol-version"] = PROTOCOL
        status, response_headers, text = request(self.edge, "POST", "/mcp", json.dumps(message), headers)
        reply = None
        if "text/event-stream" in response_headers.get("content-type", ""):
            for event in sse_events(text):
                try:
                    data = json.loads(event.get("data", ""))
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("id") == message.get("id"):
                    reply = data
        elif text:
            try:
                reply = json.loads(text)
            except ValueError:
                reply = None
        return status, response_headers, reply, text

    def call(self, method, params):
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.next_id += 1
        return self.post(message)

    def initialize(self):
        status, headers, reply, text = self.call("initialize", {
            "protocolVersion": PROTOCOL, "capabilities": {},
            "clientInfo": {"name": "scale-out-test", "version": "1"},
        })
        self.session = headers.get("mcp-session-id")
        return status, reply, text

    def initialized(self):
        status, _, _, text = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return status, text

    def linear_model(self):
        return self.call("tools/call", {"name": "linear_model", "arguments": {"data": MTCARS, "formula": "mpg ~ wt"}})


def slope_of(reply):
    try:
        return reply["result"]["structuredContent"]["coefficients"]["wt"]
    except (KeyError, TypeError):
        return None


MODERN = "2026-07-28"


def modern_request(edge, method, params, request_id, name=None, headers=None, capabilities=None):
    """One stateless 2026-07-28 request on a fresh connection: _meta in the
    params, the MCP-Protocol-Version, Mcp-Method and (when given) Mcp-Name
    headers, plus `headers`; no session. (status, response headers, reply,
    body text)."""
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": capabilities or {},
            "io.modelcontextprotocol/clientInfo": {"name": "scale-out-modern", "version": "1"}}
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": dict(params, _meta=meta)}
    sent = {"content-type": "application/json", "accept": "application/json, text/event-stream",
            "mcp-protocol-version": MODERN, "mcp-method": method}
    if name is not None:
        sent["mcp-name"] = name
    sent.update(headers or {})
    status, response_headers, text = request(edge, "POST", "/mcp", json.dumps(message), sent)
    reply = None
    if "text/event-stream" in response_headers.get("content-type", ""):
        for event in sse_events(text):
            try:
                data = json.loads(event.get("data", ""))
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("id") == request_id:
                reply = data
    elif text:
        try:
            reply = json.loads(text)
        except ValueError:
            reply = None
    return status, response_headers, reply, text


def modern_call(edge, tool, arguments, request_id, headers=None, capabilities=None):
    """One stateless 2026-07-28 tools/call (Mcp-Name: the tool)."""
    return modern_request(edge, "tools/call", {"name": tool, "arguments": arguments}, request_id, name=tool,
                          headers=headers, capabilities=capabilities)


def mean_of(reply):
    try:
        return reply["result"]["structuredContent"]["statistics"]["x"]["mean"]
    except (KeyError, TypeError):
        return None


class Backends:
    """The backends' counters, to see which one served a request."""

    def __init__(self, backends):
        self.urls = backends

    def snapshot(self, nodes=None):
        return {node: counters(url) for node, url in self.urls.items() if nodes is None or node in nodes}

    @staticmethod
    def served(before, after):
        """node -> (/mcp requests, /mcp/messages requests, tool calls) it
        served between two snapshots."""
        return {node: tuple(int(a - b) for a, b in zip(after[node], before[node])) for node in after}


def node_of(session_id):
    return session_id.split(".", 1)[0] if session_id and "." in session_id else None


def open_stream(url, path, headers, timeout):
    """A GET whose response is read event by event: (connection, response)."""
    connection = connect(url, timeout)
    connection.request("GET", path, headers=headers)
    return connection, connection.getresponse()


def read_event(response):
    """The next SSE event of a streaming response (blocking), or None at EOF."""
    lines = []
    while True:
        line = response.fp.readline()
        if not line:
            return None
        line = line.decode().rstrip("\r\n")
        if line == "":
            if lines:
                return sse_events("\n".join(lines))[0] if sse_events("\n".join(lines)) else {}
            continue
        if not line.startswith(":"):
            lines.append(line)


def drive(args):
    results = Results()
    check = results.check
    backends = {}
    pids = {}
    for item in args.backend:
        node, _, rest = item.partition("=")
        url, _, pid = rest.partition(",")
        backends[node] = url
        if pid:
            pids[node] = int(pid)
    meter = Backends(backends)
    nodes = sorted(backends)
    victim = args.kill
    label = args.label
    id_pattern = re.compile(r"^(%s)\.[0-9a-f]{32}$" % "|".join(re.escape(n) for n in nodes))

    # 1. New sessions: initialize has no session id, so nginx picks a backend;
    # the id that backend issues names it, and the backend counted the request.
    clients = []
    misrouted = []
    for _ in range(args.sessions):
        client = Client(args.edge)
        before = meter.snapshot()
        status, reply, text = client.initialize()
        served = Backends.served(before, meter.snapshot())
        if status != 200 or not client.session or not id_pattern.match(client.session):
            misrouted.append(f"initialize: {status} id={client.session!r} {text[:200]}")
            continue
        home = node_of(client.session)
        if served[home] != (1, 0, 0) or any(served[n] != (0, 0, 0) for n in nodes if n != home):
            misrouted.append(f"initialize of {client.session} counted by {served}")
        clients.append(client)
    spread = {n: sum(1 for c in clients if node_of(c.session) == n) for n in nodes}
    check(len(clients) == args.sessions and not misrouted,
          f"{label}: {args.sessions} sessions initialized through nginx; ids name the backend that answered "
          f"({', '.join(f'{n}: {k}' for n, k in spread.items())})", "; ".join(misrouted))
    check(all(spread.values()), f"{label}: new sessions are spread over every backend", str(spread))

    # 2. Every later request of every session reaches the backend its id
    # names (counted there, and nowhere else). The order of the sessions
    # changes per step (grouped by backend, then reversed, then shuffled), so
    # no balancing that ignores the id (round-robin, least_conn) can pass
    # by landing on the right backend by turns.
    problems = []
    steps = [("notifications/initialized", Client.initialized), ("tools/call", Client.linear_model),
             ("tools/call", Client.linear_model)]
    grouped = sorted(clients, key=lambda c: c.session)
    shuffled = list(clients)
    random.Random(7).shuffle(shuffled)
    orders = [grouped, list(reversed(grouped)), shuffled]
    requests_made = 0
    for (method, step), order in zip(steps, orders):
        for client in order:
            home = node_of(client.session)
            before = meter.snapshot()
            outcome = step(client)
            served = Backends.served(before, meter.snapshot())
            requests_made += 1
            want_tools = 1 if method == "tools/call" else 0
            if served[home] != (1, 0, want_tools) or any(served[n] != (0, 0, 0) for n in nodes if n != home):
                problems.append(f"{method} of {client.session}: counted {served}")
            if method == "tools/call":
                status, _, reply, text = outcome
                slope = slope_of(reply)
                if status != 200 or slope is None or abs(slope - SLOPE) > 1e-3:
                    problems.append(f"{method} of {client.session}: {status} {text[:200]}")
            elif outcome[0] != 202:
                problems.append(f"{method} of {client.session}: {outcome[0]} {outcome[1][:200]}")
    check(not problems,
          f"{label}: {requests_made} requests (notifications/initialized, 2 x tools/call linear_model in R) "
          f"each served by the backend its session id names; R's slope {SLOPE}", "; ".join(problems[:5]))

    # 2b. Protocol 2026-07-28: stateless requests (per-request _meta, no
    # initialize, no Mcp-Session-Id) need no affinity: nginx spreads them
    # over the backends round-robin (compose: rmcp_rr; the router: the
    # Service, here both backends), every backend that gets one answers it,
    # and no answer opens a session.
    problems = []
    before = meter.snapshot()
    for index in range(args.modern_calls):
        if index % 2:
            status, headers, reply, text = modern_call(args.edge, "linear_model",
                                                       {"data": MTCARS, "formula": "mpg ~ wt"}, index)
            value = slope_of(reply)
            good = value is not None and abs(value - SLOPE) < 1e-3
        else:
            status, headers, reply, text = modern_call(args.edge, "summary_stats", {"data": {"x": [1, 2, 3, 4, 5]}},
                                                       index)
            value = mean_of(reply)
            good = value is not None and abs(value - 3.0) < 1e-9
        if status != 200 or not good or "mcp-session-id" in headers:
            problems.append(f"call {index}: {status} session={headers.get('mcp-session-id')!r} {text[:200]}")
    served = Backends.served(before, meter.snapshot())
    requests_seen = sum(counts[0] for counts in served.values())
    tools_seen = sum(counts[2] for counts in served.values())
    if requests_seen != args.modern_calls or tools_seen != args.modern_calls:
        problems.append(f"the backends counted {served}, want {args.modern_calls} /mcp requests and tool calls in all")
    check(not problems,
          f"{label}: {args.modern_calls} stateless 2026-07-28 tools/call (summary_stats, linear_model; no "
          f"initialize, no session id) answered through nginx ({', '.join(f'{n}: {served[n][2]}' for n in nodes)})",
          "; ".join(problems[:5]))
    check(all(served[n][2] > 0 for n in nodes),
          f"{label}: stateless 2026-07-28 calls are spread over every backend (no affinity)", str(served))

    # 2c. Protocol 2026-07-28 handles: a workspace handle (Mcp-Param-Workspace,
    # mirrored from the `workspace` argument) and a task id (Mcp-Name of a
    # tasks/* request) pin a request to the replica they name; one naming no
    # replica of the deployment is balanced. Checked by which backend served
    # each request, so any answer will do (a server without workspaces or
    # tasks refuses them, and still counts the request).
    check_handle_routing(args, meter, nodes, results)
    features = server_features(args.edge)
    workspaces = check_workspaces(args, meter, nodes, id_pattern, features, results)
    tasks = check_tasks(args, meter, nodes, id_pattern, features, results)

    # 3. An event stream through nginx delivers its first event while the
    # stream is still open (no buffering until the server closes it).
    for node in nodes:
        client = next((c for c in clients if node_of(c.session) == node), None)
        if client is None:
            continue
        headers = {"accept": "text/event-stream", "mcp-session-id": client.session,
                   "mcp-protocol-version": PROTOCOL}
        started = time.monotonic()
        try:
            connection, response = open_stream(args.edge, "/mcp", headers, timeout=5.0)
            event = read_event(response) if response.status == 200 else None
            first = time.monotonic() - started
            # Still open: the next read waits (times out) instead of seeing EOF.
            connection.sock.settimeout(1.0)
            try:
                still_open = response.fp.readline() != b""
            except (socket.timeout, TimeoutError):
                still_open = True
            connection.close()
            check(response.status == 200 and event is not None and "id" in event and still_open,
                  f"{label}: GET /mcp event stream of a {node} session: first event after {first:.2f} s "
                  f"while the stream stays open (unbuffered)",
                  f"status {response.status}, event {event}, open {still_open}")
        except (OSError, http.client.HTTPException) as error:
            check(False, f"{label}: GET /mcp event stream of a {node} session", repr(error))

    # 4. The legacy transport: GET /mcp/sse opens a session (on either
    # backend); its POSTs carry the id in ?session_id=, and nginx routes them
    # by it. The answer arrives on the stream. Sessions are opened until
    # every backend holds one (where a new one lands is the balancer's
    # choice; at most 8 per backend), so the checks after the kill below
    # always have a session of the killed backend to try.
    legacy = []
    for _ in range(8 * len(nodes)):
        if len(legacy) >= len(nodes) and {node_of(s) for _, _, _, s in legacy if s} >= set(nodes):
            break
        try:
            connection, response = open_stream(args.edge, "/mcp/sse", {"accept": "text/event-stream"}, 10.0)
            event = read_event(response) or {}
            endpoint = event.get("data", "")
            session = urllib.parse.parse_qs(urllib.parse.urlsplit(endpoint).query).get("session_id", [None])[0]
            legacy.append((connection, response, endpoint, session))
        except (OSError, http.client.HTTPException) as error:
            check(False, f"{label}: GET /mcp/sse", repr(error))
    problems = []
    for connection, response, endpoint, session in legacy:
        if not session or not id_pattern.match(session):
            problems.append(f"endpoint {endpoint!r}")
            continue
        before = meter.snapshot()
        status, _, text = request(args.edge, "POST", endpoint, json.dumps({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2024-11-05", "capabilities": {},
                       "clientInfo": {"name": "scale-out-legacy", "version": "1"}},
        }), {"content-type": "application/json"})
        served = Backends.served(before, meter.snapshot())
        home = node_of(session)
        if status != 202:
            problems.append(f"POST {endpoint}: {status} {text[:200]}")
        if served[home] != (0, 1, 0) or any(served[n] != (0, 0, 0) for n in nodes if n != home):
            problems.append(f"POST {endpoint}: counted {served}")
        try:
            event = read_event(response) or {}
            reply = json.loads(event.get("data", "null"))
        except (OSError, ValueError) as error:
            reply = repr(error)
        if not (isinstance(reply, dict) and reply.get("id") == 1 and "result" in reply):
            problems.append(f"answer on the {home} stream: {reply!r}")
    legacy_nodes = sorted({node_of(s) for _, _, _, s in legacy if s})
    check(legacy and not problems,
          f"{label}: legacy SSE sessions ({', '.join(legacy_nodes)}): POST /mcp/messages?session_id= routed to "
          f"the stream's backend, answer on the stream", "; ".join(problems))

    # 5. Kill one backend (SIGKILL: no drain, as in a crash).
    pid = pids.get(victim)
    if not check(pid is not None, f"{label}: pid of {victim} known"):
        return results
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as error:
        check(False, f"{label}: kill -9 {victim}", repr(error))
    host_port = urllib.parse.urlsplit(backends[victim])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host_port.hostname, host_port.port), timeout=0.5).close()
            time.sleep(0.05)
        except OSError:
            break
    survivors = [n for n in nodes if n != victim]
    for connection, *_ in legacy:
        connection.close()

    # The survivors' sessions keep working.
    problems = []
    kept = [c for c in clients if node_of(c.session) != victim]
    for client in kept:
        status, _, reply, text = client.linear_model()
        slope = slope_of(reply)
        if status != 200 or slope is None or abs(slope - SLOPE) > 1e-3:
            problems.append(f"{client.session}: {status} {text[:200]}")
    check(kept and not problems,
          f"{label}: after kill -9 {victim}, the {len(kept)} sessions of {', '.join(survivors)} still answer "
          f"tools/call", "; ".join(problems))

    # The dead backend's clients get a clear 404 (session expired: initialize
    # again), not a 502, and quickly.
    problems = []
    lost = [c for c in clients if node_of(c.session) == victim]
    slowest = 0.0
    for client in lost:
        started = time.monotonic()
        status, _, reply, text = client.linear_model()
        slowest = max(slowest, time.monotonic() - started)
        message = ((reply or {}).get("error") or {}).get("message", "")
        if status != 404 or "session not found" not in message or "initialize" not in message:
            problems.append(f"{client.session}: {status} {text[:200]}")
    check(lost and not problems,
          f"{label}: the {len(lost)} sessions of the killed {victim} get HTTP 404 \"session not found ... "
          f"send initialize\" (not 502), slowest {slowest:.2f} s", "; ".join(problems))
    if lost:
        status, _, text = request(args.edge, "GET", "/mcp", headers={
            "accept": "text/event-stream", "mcp-session-id": lost[0].session, "mcp-protocol-version": PROTOCOL})
        check(status == 404 and "session not found" in text,
              f"{label}: GET /mcp (event stream) of a {victim} session: 404", f"{status} {text[:200]}")
    dead_legacy = [(e, s) for _, _, e, s in legacy if s and node_of(s) == victim]
    check(bool(dead_legacy), f"{label}: a legacy SSE session of {victim} was open before the kill",
          f"legacy sessions on {sorted({node_of(s) for _, _, _, s in legacy if s})}")
    for endpoint, session in dead_legacy[:1]:
        status, _, text = request(args.edge, "POST", endpoint, json.dumps({
            "jsonrpc": "2.0", "id": 2, "method": "ping"}), {"content-type": "application/json"})
        check(status == 404 and "session not found" in text,
              f"{label}: legacy POST /mcp/messages of a {victim} session: 404", f"{status} {text[:200]}")

    # A 2026-07-28 client loses nothing with the replica: its next stateless
    # calls are answered by the survivors.
    problems = []
    for index in range(4):
        status, headers, reply, text = modern_call(args.edge, "linear_model",
                                                   {"data": MTCARS, "formula": "mpg ~ wt"}, 100 + index)
        slope = slope_of(reply)
        if status != 200 or slope is None or abs(slope - SLOPE) > 1e-3:
            problems.append(f"call {index}: {status} {text[:200]}")
    check(not problems, f"{label}: after kill -9 {victim}, stateless 2026-07-28 calls are answered by "
          f"{', '.join(survivors)}", "; ".join(problems))

    check_handles_after_kill(args, meter, nodes, victim, workspaces, tasks, features, results)

    # What such a client does next: initialize again, on a live backend.
    client = Client(args.edge)
    status, reply, text = client.initialize()
    call_status, _, call_reply, call_text = client.linear_model() if client.session else (None, None, None, "")
    check(status == 200 and node_of(client.session) in survivors and call_status == 200
          and slope_of(call_reply) is not None,
          f"{label}: a new initialize lands on a live backend ({client.session and node_of(client.session)}) "
          f"and its tools/call works", f"{status} {text[:200]} / {call_status} {call_text[:200]}")

    # Ids that name no live backend, or nothing nginx knows, get 404 too.
    for session in args.foreign_id:
        stranger = Client(args.edge)
        stranger.session = session
        status, _, reply, text = stranger.linear_model()
        check(status == 404 and "session not found" in text,
              f"{label}: a request with session id {session[:24]}... gets 404", f"{status} {text[:200]}")

    status, _, text = request(args.edge, "GET", "/health")
    check(status == 200, f"{label}: GET /health through nginx with one backend down", f"{status} {text[:200]}")
    return results


# --- 2026-07-28 handles: workspaces and tasks --------------------------------

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
TASK_CAPABILITIES = {"extensions": {TASKS_EXTENSION: {}}}
TERMINAL = ("completed", "failed", "cancelled")


def random_hex():
    return "%032x" % random.getrandbits(128)


def served_by(served, node, nodes):
    """Whether exactly one POST /mcp was served, by `node`, and nothing by the others."""
    return served[node][0] == 1 and served[node][1] == 0 and all(
        served[other] == (0, 0, 0) for other in nodes if other != node)


def server_of(served):
    """The node that served the one request between two snapshots, or None."""
    serving = [node for node, counts in served.items() if counts[0] or counts[1]]
    return serving[0] if len(serving) == 1 and sum(served[serving[0]][:2]) == 1 else None


def workspace_call(edge, handle, arguments, request_id):
    """execute_r_analysis in a workspace: the handle in the arguments and in
    the Mcp-Param-Workspace header (SEP-2243 x-mcp-header), as clients send it."""
    return modern_call(edge, "execute_r_analysis", dict(arguments, workspace=handle), request_id,
                       headers={"mcp-param-workspace": handle})


def task_get(edge, task_id, request_id):
    """tasks/get of a task, with Mcp-Name: the task id (SEP-2243)."""
    return modern_request(edge, "tasks/get", {"taskId": task_id}, request_id, name=task_id,
                          capabilities=TASK_CAPABILITIES)


def server_features(edge):
    """What the server behind the proxy serves of 2026-07-28's handles:
    {"tasks": server/discover lists the tasks extension, "workspace":
    execute_r_analysis takes a `workspace` argument}, and why not."""
    features = {"tasks": False, "workspace": False, "why_tasks": "", "why_workspace": ""}
    status, _, reply, text = modern_request(edge, "server/discover", {}, 9001)
    capabilities = ((reply or {}).get("result") or {}).get("capabilities") or {}
    extensions = capabilities.get("extensions") or {}
    features["tasks"] = TASKS_EXTENSION in extensions
    features["why_tasks"] = (f"server lacks the {TASKS_EXTENSION} extension in server/discover "
                             f"(capabilities: {sorted(capabilities)}; HTTP {status})")
    status, _, reply, text = modern_request(edge, "tools/list", {}, 9002)
    tools = ((reply or {}).get("result") or {}).get("tools") or []
    tool = next((t for t in tools if t.get("name") == "execute_r_analysis"), None)
    properties = ((tool or {}).get("inputSchema") or {}).get("properties") or {}
    features["workspace"] = "workspace" in properties
    features["why_workspace"] = ("server lacks workspace handles: execute_r_analysis has no `workspace` argument"
                                 if tool else f"server lacks execute_r_analysis (tools/list: HTTP {status})")
    return features


def find_handle(value, pattern, key_hint="workspace"):
    """A handle in a result: the string under a key named like `key_hint`
    first, else any string that reads "<node>.<32 hex>"."""
    found = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and pattern.match(node):
            found.append((key_hint.lower() not in key.lower(), node))
    walk(value)
    return sorted(found)[0][1] if found else None


def r_value(reply):
    """The value free-form R returned (structuredContent.result), unboxed."""
    try:
        value = reply["result"]["structuredContent"]["result"]
    except (KeyError, TypeError):
        return None
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def is_tool_error(reply):
    return bool(((reply or {}).get("result") or {}).get("isError")) or "error" in (reply or {})


def check_handle_routing(args, meter, nodes, results):
    """Routing only: Mcp-Param-Workspace and the Mcp-Name of tasks/get pick
    the replica they name, on fresh connections, in an order that defeats
    round-robin; an unknown node's handle is balanced."""
    label = args.label
    order = [nodes[i % len(nodes)] for i in (0, 0, 1, 1, 1, 0, 0, 1)]
    problems = []
    for index, node in enumerate(order):
        handle = f"{node}.{random_hex()}"
        before = meter.snapshot()
        status, _, _, text = workspace_call(args.edge, handle, {"r_code": "1", "description": "route"}, 200 + index)
        served = Backends.served(before, meter.snapshot())
        if not served_by(served, node, nodes):
            problems.append(f"workspace {handle[:20]}...: HTTP {status}, counted {served}")
    results.check(not problems,
                  f"{label}: {len(order)} tools/call execute_r_analysis with Mcp-Param-Workspace (and the `workspace` "
                  f"argument) of {' and '.join(nodes)}, fresh connections: each served by the replica the handle names",
                  "; ".join(problems[:4]))

    problems = []
    for index, node in enumerate(reversed(order)):
        task_id = f"{node}.{random_hex()}"
        before = meter.snapshot()
        if index % 4 == 3:
            status, _, _, text = modern_request(args.edge, "tasks/cancel", {"taskId": task_id}, 300 + index,
                                                name=task_id, capabilities=TASK_CAPABILITIES)
        else:
            status, _, _, text = task_get(args.edge, task_id, 300 + index)
        served = Backends.served(before, meter.snapshot())
        if not served_by(served, node, nodes):
            problems.append(f"task {task_id[:20]}...: HTTP {status}, counted {served}")
    results.check(not problems,
                  f"{label}: {len(order)} tasks/get and tasks/cancel with Mcp-Name: <task id> of {' and '.join(nodes)}, "
                  f"fresh connections: each served by the replica the task id names", "; ".join(problems[:4]))

    # A handle naming no replica of this deployment (an unknown node, or no
    # node) is not routed: round-robin (the router: after the pod name fails
    # to resolve, @rmcp_any), and the replica it reaches answers.
    for foreign in args.foreign_id:
        problems = []
        counts = {n: 0 for n in nodes}
        for index in range(6):
            before = meter.snapshot()
            status, _, _, text = workspace_call(args.edge, foreign, {"r_code": "1", "description": "route"},
                                                400 + index)
            served = Backends.served(before, meter.snapshot())
            node = server_of(served)
            if node is None or status == 502:
                problems.append(f"HTTP {status}, counted {served}")
            else:
                counts[node] += 1
        results.check(not problems and all(counts.values()),
                      f"{label}: Mcp-Param-Workspace {foreign[:24]}... (names no replica here) is balanced "
                      f"({', '.join(f'{n}: {k}' for n, k in counts.items())})", "; ".join(problems[:3]))


def check_workspaces(args, meter, nodes, id_pattern, features, results):
    """End to end (needs workspace handles): two workspaces started through
    nginx without a handle, then their calls, on fresh connections, all reach
    the workspace's replica and see its own objects. [(handle, value)]."""
    label = args.label
    name = f"{label}: workspace handles end to end (x <- 42 in one, 43 in another, then print(x) with each handle)"
    if not features["workspace"]:
        results.skip(name, features["why_workspace"])
        return []
    workspaces = []
    problems = []
    for index, value in enumerate((42, 43)):
        before = meter.snapshot()
        status, _, reply, text = modern_call(args.edge, "execute_r_analysis",
                                             {"r_code": f"x <- {value}\nx", "description": "scale-out workspace"},
                                             500 + index)
        served = Backends.served(before, meter.snapshot())
        if "free-form R is disabled" in text:
            results.skip(name, "free-form R is disabled on this machine (incomplete sandbox)")
            return []
        handle = find_handle((reply or {}).get("result"), id_pattern)
        if status != 200 or is_tool_error(reply) or handle is None:
            problems.append(f"new workspace: HTTP {status}, handle {handle!r}: {text[:200]}")
            continue
        if not served_by(served, node_of(handle), nodes):
            problems.append(f"new workspace {handle}: counted {served}, not by {node_of(handle)} alone")
        if r_value(reply) != value:
            problems.append(f"new workspace {handle}: returned {r_value(reply)!r}, want {value}")
        workspaces.append((handle, value))
    for round_number in range(3):
        for handle, value in workspaces:
            before = meter.snapshot()
            status, _, reply, text = workspace_call(args.edge, handle, {"r_code": "print(x)\nx",
                                                                        "description": "scale-out read"},
                                                    520 + round_number)
            served = Backends.served(before, meter.snapshot())
            if not served_by(served, node_of(handle), nodes):
                problems.append(f"{handle[:20]}...: counted {served}")
            if status != 200 or is_tool_error(reply) or r_value(reply) != value:
                problems.append(f"{handle[:20]}...: HTTP {status}, x = {r_value(reply)!r}, want {value}: {text[:200]}")
    homes = ", ".join(f"{node_of(h)}: x = {v}" for h, v in workspaces)
    results.check(len(workspaces) == 2 and not problems,
                  f"{name}: 6 calls on fresh connections each reached the workspace's replica and saw its x ({homes})",
                  "; ".join(problems[:4]))
    return workspaces


def check_tasks(args, meter, nodes, id_pattern, features, results):
    """End to end (needs tasks): a task-augmented tools/call through nginx
    answers a task whose id names the replica that runs it; tasks/get polls
    on fresh connections all reach that replica, until the result. [task ids]."""
    label = args.label
    name = f"{label}: a task through nginx (tools/call random_forest, then tasks/get until done)"
    if not features["tasks"]:
        results.skip(name, features["why_tasks"])
        return []
    before = meter.snapshot()
    status, _, reply, text = modern_call(args.edge, "random_forest",
                                         {"data": MTCARS, "formula": "mpg ~ wt", "n_trees": 200}, 600,
                                         capabilities=TASK_CAPABILITIES)
    served = Backends.served(before, meter.snapshot())
    result = (reply or {}).get("result") or {}
    task_id = (result.get("taskId") or (result.get("task") or {}).get("taskId")
               if result.get("resultType") == "task" else None)
    if not results.check(status == 200 and task_id and id_pattern.match(task_id) and
                         served_by(served, node_of(task_id), nodes),
                         f"{name}: tools/call answered a task whose id names the replica that took the call "
                         f"({task_id and node_of(task_id)})", f"HTTP {status}, counted {served}: {text[:300]}"):
        return []
    home = node_of(task_id)
    problems = []
    polls = 0
    final = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        before = meter.snapshot()
        status, _, reply, text = task_get(args.edge, task_id, 601 + polls)
        served = Backends.served(before, meter.snapshot())
        polls += 1
        if not served_by(served, home, nodes):
            problems.append(f"poll {polls}: counted {served}")
        final = (reply or {}).get("result") or {}
        if "status" not in final and isinstance(final.get("task"), dict):
            final = {**final["task"], **final}
        if status != 200 or "error" in (reply or {}):
            problems.append(f"poll {polls}: HTTP {status}: {text[:200]}")
            break
        if final.get("status") in TERMINAL:
            break
        time.sleep(min(max(float(final.get("pollInterval", 200)) / 1000, 0.05), 0.5))
    outcome = final.get("result") or {}
    if final.get("status") != "completed" or not outcome or outcome.get("isError"):
        problems.append(f"last tasks/get: {json.dumps(final)[:300]}")
    results.check(not problems,
                  f"{name}: {polls} tasks/get on fresh connections, each served by {home}, ended completed "
                  f"with the result", "; ".join(problems[:4]))
    return [task_id]


def check_handles_after_kill(args, meter, nodes, victim, workspaces, tasks, features, results):
    """After kill -9 of a replica: its workspace handles and task ids reach a
    live replica (the backup server / error_page fallback), never a 502, and
    (with the features) get the server's clear "not found" error."""
    label = args.label
    survivors = [n for n in nodes if n != victim]
    problems = []
    for index, (kind, handle) in enumerate((("workspace", f"{victim}.{random_hex()}"),
                                            ("task", f"{victim}.{random_hex()}"))):
        before = meter.snapshot(survivors)
        if kind == "workspace":
            status, _, reply, text = workspace_call(args.edge, handle, {"r_code": "1", "description": "gone"},
                                                    700 + index)
        else:
            status, _, reply, text = task_get(args.edge, handle, 700 + index)
        served = Backends.served(before, meter.snapshot(survivors))
        if status in (502, 503, 504) or server_of(served) not in survivors:
            problems.append(f"{kind} {handle[:24]}...: HTTP {status}, counted {served}: {text[:200]}")
    results.check(not problems,
                  f"{label}: after kill -9 {victim}, a workspace handle and a task id of {victim} reach "
                  f"{', '.join(survivors)} (no 502)", "; ".join(problems))

    name = f"{label}: after kill -9 {victim}, its workspaces and tasks get the server's clear \"not found\" error"
    lost = [(kind, handle) for kind, items in (("workspace", [h for h, _ in workspaces]), ("task", tasks))
            for handle in items if node_of(handle) == victim]
    if not features["workspace"] and not features["tasks"]:
        results.skip(name, f"{features['why_workspace']}; {features['why_tasks']}")
        return
    # Where none of the victim's was made above, one it never had: the
    # answer is the same "not found".
    for kind, feature in (("workspace", "workspace"), ("task", "tasks")):
        if features[feature] and not any(k == kind for k, _ in lost):
            lost.append((kind, f"{victim}.{random_hex()}"))
    problems = []
    for index, (kind, handle) in enumerate(lost):
        if kind == "workspace":
            status, _, reply, text = workspace_call(args.edge, handle, {"r_code": "x", "description": "gone"},
                                                    710 + index)
        else:
            status, _, reply, text = task_get(args.edge, handle, 710 + index)
        lowered = text.lower()
        if status in (502, 503, 504) or kind not in lowered or "not found" not in lowered:
            problems.append(f"{kind} {handle[:24]}...: HTTP {status}: {text[:200]}")
    results.check(not problems, f"{name} ({', '.join(k for k, _ in lost)})", "; ".join(problems))


# --- bench: what routing by handle costs ------------------------------------

def bench(args):
    """Latency of one quick 2026-07-28 tools/call (summary_stats) straight to
    a backend, through nginx without a handle (round-robin), and through
    nginx with a workspace handle naming that backend (Mcp-Param-Workspace),
    each over one kept-alive client connection, the three interleaved call
    by call so that the machine's load falls on them alike. Prints markdown
    table rows: | path | calls | p50 | p99 | mean | (ms)."""
    node, _, direct = args.backend.partition("=")
    handle = f"{node}.{random_hex()}"
    body_of = {"x": [1.5, 2.25, 3.0, 4.75, 5.5, 6.0, 7.25, 8.5]}
    paths = [
        # rmcp on loopback answers only loopback Host names; 127.0.0.2 (the
        # router's pods here) is not one of them, 127.0.0.1 (what nginx
        # passes on) is.
        (f"direct to {node}", direct, {"host": "127.0.0.1"}),
        ("nginx, no handle (round-robin)", args.edge, {}),
        (f"nginx, `Mcp-Param-Workspace: {node}.…` (pinned)", args.edge, {"mcp-param-workspace": handle}),
    ]
    connections = [connect(url, 10.0) for _, url, _ in paths]
    timings = [[] for _ in paths]
    problems = []
    for index in range(args.warmup + args.calls):
        for which, (label, _, extra) in enumerate(paths):
            message = {"jsonrpc": "2.0", "id": index, "method": "tools/call", "params": {
                "name": "summary_stats", "arguments": {"data": body_of},
                "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                          "io.modelcontextprotocol/clientCapabilities": {},
                          "io.modelcontextprotocol/clientInfo": {"name": "routing-bench", "version": "1"}}}}
            headers = {"content-type": "application/json", "accept": "application/json",
                       "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "summary_stats",
                       **extra}
            connection = connections[which]
            started = time.perf_counter()
            connection.request("POST", "/mcp", body=json.dumps(message), headers=headers)
            response = connection.getresponse()
            text = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or b'"mean"' not in text:
                problems.append(f"{label}: {response.status} {text[:120]!r}")
            if index >= args.warmup:
                timings[which].append(elapsed)
    for connection in connections:
        connection.close()
    stats = []
    for (label, _, _), values in zip(paths, timings):
        values.sort()
        p50 = values[len(values) // 2]
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        mean = sum(values) / len(values)
        stats.append((p50, p99))
        print(f"| {args.label} | {label} | {len(values)} | {p50:.2f} | {p99:.2f} | {mean:.2f} |", flush=True)
    (direct_p50, direct_p99), (rr_p50, _), (pinned_p50, pinned_p99) = stats
    print(f"NOTE {args.label}: the pinned path adds {pinned_p50 - direct_p50:+.2f} ms at p50 "
          f"({pinned_p99 - direct_p99:+.2f} ms at p99) to the direct call; the round-robin path "
          f"{rr_p50 - direct_p50:+.2f} ms at p50.", flush=True)
    for problem in problems[:5]:
        print(f"bench problem: {problem}", file=sys.stderr, flush=True)
    return 1 if problems else 0


# --- a DNS server answering A queries for fixed names (the cluster DNS in
# tests of the Kubernetes router); anything else is NXDOMAIN.
def dns(args):
    records = {}
    for item in args.record:
        name, _, address = item.partition("=")
        records[name.lower().rstrip(".")] = socket.inet_aton(address)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            if len(data) < 12:
                return
            ident, _flags, qdcount = struct.unpack("!HHH", data[:6])
            labels, offset = [], 12
            while offset < len(data) and data[offset] != 0:
                length = data[offset]
                labels.append(data[offset + 1:offset + 1 + length].decode(errors="replace"))
                offset += 1 + length
            question = data[12:offset + 5]
            qtype = struct.unpack("!H", data[offset + 1:offset + 3])[0] if offset + 3 <= len(data) else 0
            name = ".".join(labels).lower()
            address = records.get(name)
            if address is None:
                header = struct.pack("!HHHHHH", ident, 0x8183, qdcount, 0, 0, 0)  # NXDOMAIN
                sock.sendto(header + question, self.client_address)
                return
            answers = b""
            if qtype == 1:
                answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 5, 4) + address
            header = struct.pack("!HHHHHH", ident, 0x8180, qdcount, 1 if answers else 0, 0, 0)
            sock.sendto(header + question + answers, self.client_address)

    server = socketserver.UDPServer(("127.0.0.1", args.port), Handler)
    print(f"dns: serving {len(records)} names on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


def configmap(args):
    """data["nginx.conf"] of the ConfigMap in a manifest (a YAML literal block)."""
    lines = open(args.file).read().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^\s*nginx\.conf:\s*\|\s*$", line))
    key_indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= key_indent:
            break
        body.append(line)
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    sys.stdout.write("\n".join(line[indent:] for line in body).rstrip("\n") + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    drive_parser = commands.add_parser("drive")
    drive_parser.add_argument("--edge", required=True)
    drive_parser.add_argument("--backend", action="append", required=True)
    drive_parser.add_argument("--kill", required=True)
    drive_parser.add_argument("--sessions", type=int, default=6)
    drive_parser.add_argument("--modern-calls", type=int, default=20)
    drive_parser.add_argument("--label", default="nginx")
    drive_parser.add_argument("--foreign-id", action="append", default=[])
    dns_parser = commands.add_parser("dns")
    dns_parser.add_argument("--port", type=int, required=True)
    dns_parser.add_argument("--record", action="append", default=[])
    bench_parser = commands.add_parser("bench")
    bench_parser.add_argument("--edge", required=True)
    bench_parser.add_argument("--backend", required=True, help="NODE=URL of the backend the handle names")
    bench_parser.add_argument("--calls", type=int, default=300)
    bench_parser.add_argument("--warmup", type=int, default=20)
    bench_parser.add_argument("--label", default="nginx")
    configmap_parser = commands.add_parser("configmap")
    configmap_parser.add_argument("file")
    args = parser.parse_args()
    if args.command == "dns":
        dns(args)
        return 0
    if args.command == "bench":
        return bench(args)
    if args.command == "configmap":
        configmap(args)
        return 0
    results = drive(args)
    print(f"RESULT {results.passed} {results.failed} {results.skipped}", flush=True)
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
