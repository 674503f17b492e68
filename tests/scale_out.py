"""MCP clients and a stand-in DNS server for tests/scale_out.sh (Python 3
standard library only).

    python3 tests/scale_out.py drive --edge URL --backend NODE=URL[,PID] ... --kill NODE [--router]
    python3 tests/scale_out.py dns --port PORT --record NAME=ADDRESS ...
    python3 tests/scale_out.py configmap FILE        # prints data["nginx.conf"]

`drive` plays several MCP clients through the proxy at URL: sessions over
Streamable HTTP and the legacy SSE transport, each request checked against
the backends' own /metrics (every request of a session must be counted by
the backend its id names, and by no other), an event stream that must deliver
its first event while it is still open, stateless protocol 2026-07-28 calls
(no session: spread over every backend, each answered), then SIGKILL for
backend NODE and what its clients and the others' clients see (older-era
sessions of the killed backend get 404, 2026-07-28 calls go on). It prints
one line per check ("ok    ..." or "FAIL  ...") and exits 1 when any failed.
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


def modern_call(edge, tool, arguments, request_id):
    """One stateless 2026-07-28 tools/call: _meta in the params, the
    MCP-Protocol-Version, Mcp-Method and Mcp-Name headers, no session.
    (status, response headers, reply, body text)."""
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments,
        "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                  "io.modelcontextprotocol/clientCapabilities": {},
                  "io.modelcontextprotocol/clientInfo": {"name": "scale-out-modern", "version": "1"}}}}
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": tool}
    status, response_headers, text = request(edge, "POST", "/mcp", json.dumps(message), headers)
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


def mean_of(reply):
    try:
        return reply["result"]["structuredContent"]["statistics"]["x"]["mean"]
    except (KeyError, TypeError):
        return None


class Backends:
    """The backends' counters, to see which one served a request."""

    def __init__(self, backends):
        self.urls = backends

    def snapshot(self):
        return {node: counters(url) for node, url in self.urls.items()}

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
    # over the backends (no event stream is open here, so least_conn ties and
    # takes turns), every backend that gets one answers it, and no answer
    # opens a session.
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
    # by it. The answer arrives on the stream.
    legacy = []
    for _ in range(len(nodes)):
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
    configmap_parser = commands.add_parser("configmap")
    configmap_parser.add_argument("file")
    args = parser.parse_args()
    if args.command == "dns":
        dns(args)
        return 0
    if args.command == "configmap":
        configmap(args)
        return 0
    results = drive(args)
    print(f"RESULT {results.passed} {results.failed}", flush=True)
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
