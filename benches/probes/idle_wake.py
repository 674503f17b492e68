"""Latency of MCP calls to a running rmcp-server over one raw keep-alive
socket (no HTTP library in the way), with the client busy-waiting 0, 0.5
or 2 ms between calls: what waking a quiet server costs, next to what the
server itself costs. Also gzip vs plain tools/list, and a tools/call
answered as JSON vs on an SSE stream.

    rmcp serve-http --port 18777 --rate-limit 0 &
    python3 benches/probes/idle_wake.py 18777 1000

Prints a markdown table. mtcars comes from Rscript (jsonlite)."""
import socket, json, time, sys, http.client, subprocess
port = int(sys.argv[1]); n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
mt = json.loads(subprocess.check_output(
    ["Rscript", "-e", "cat(jsonlite::toJSON(as.list(mtcars), digits = NA))"]))
c = http.client.HTTPConnection("127.0.0.1", port)
H = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
c.request("POST", "/mcp", json.dumps({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}), H)
r = c.getresponse(); sid = r.getheader("mcp-session-id"); r.read()
H2 = dict(H); H2["mcp-session-id"] = sid; H2["mcp-protocol-version"] = "2025-11-25"
c.request("POST", "/mcp", json.dumps({"jsonrpc":"2.0","method":"notifications/initialized"}), H2); c.getresponse().read()
s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def req(method, params, accept, gz):
    body = json.dumps({"jsonrpc":"2.0","id":2,"method":method,"params":params}).encode()
    h = "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: %s\r\nmcp-session-id: %s\r\nmcp-protocol-version: 2025-11-25\r\ncontent-length: %d\r\n" % (accept, sid, len(body))
    if gz: h += "accept-encoding: gzip\r\n"
    return (h + "\r\n").encode() + body
def once(data):
    s.sendall(data); buf = b""
    while b"\r\n\r\n" not in buf: buf += s.recv(262144)
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = [l.lower() for l in head.split(b"\r\n")]
    cl = [int(l.split(b":")[1]) for l in lines if l.startswith(b"content-length")]
    if cl:
        while len(rest) < cl[0]: rest += s.recv(262144)
    else:  # chunked: read to the last chunk
        while not rest.endswith(b"0\r\n\r\n"): rest += s.recv(262144)
    return rest
both = "application/json, text/event-stream"
cases = [("ping", "ping", {}, both, 0), ("tools/list gzip", "tools/list", {}, both, 1), ("tools/list plain", "tools/list", {}, both, 0),
         ("summary_stats JSON", "tools/call", {"name": "summary_stats", "arguments": {"data": mt}}, "application/json", 0),
         ("summary_stats SSE", "tools/call", {"name": "summary_stats", "arguments": {"data": mt}}, both, 0)]
print("| call | client idle between calls | p50 ms | p90 ms |\n|---|---:|---:|---:|")
for gap_ms in (0, 0.5, 2):
    for label, method, params, accept, gz in cases:
        data = req(method, params, accept, gz); ts = []
        for i in range(100): out = once(data)
        assert b'"error"' not in out[:200] and b"isError\":true" not in out, out[:300]
        for i in range(n):
            if gap_ms:
                e = time.perf_counter() + gap_ms / 1e3
                while time.perf_counter() < e: pass
            t = time.perf_counter(); once(data); ts.append(time.perf_counter() - t)
        ts.sort(); print("| %s | %s ms | %.3f | %.3f |" % (label, gap_ms, ts[len(ts)//2]*1e3, ts[int(len(ts)*.9)]*1e3), flush=True)
