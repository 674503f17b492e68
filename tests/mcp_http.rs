//! Streamable HTTP at /mcp (and the legacy SSE transport) as a client sees
//! them over real sockets: the handshake, JSON and SSE replies, the GET
//! stream, server-to-client requests, session errors, origin checks and
//! malformed input. These servers serve the conformance fixtures, no R.

mod support {
    pub mod client;
    pub mod server;
}

use serde_json::{json, Value};
use support::client::{sse_messages, wait_for_event, Client};
use support::server::TestServer;

const BOTH: &str = "application/json, text/event-stream";

/// A client connects, negotiates 2025-11-25, learns the server and lists
/// tools sorted by name, each with a schema.
#[tokio::test]
async fn handshake_then_list_tools_as_json() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    let result = client.initialize(json!({})).await;
    assert_eq!(result["protocolVersion"], "2025-11-25");
    assert_eq!(result["serverInfo"]["name"], "rmcp-server");
    assert!(result["instructions"]
        .as_str()
        .is_some_and(|text| !text.is_empty()));
    assert_eq!(result["capabilities"]["tools"]["listChanged"], false);
    let session = client.session.clone().expect("session");
    assert!(session.len() >= 32 && session.chars().all(|c| c.is_ascii_hexdigit()));

    let listed = client.request("tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(tools
        .iter()
        .all(|tool| tool["inputSchema"]["type"] == "object"));
    assert!(listed["result"].get("nextCursor").is_none());
    assert_eq!(client.request("ping", json!({})).await["result"], json!({}));
}

/// A client that accepts gzip gets `tools/list` (~90 KB of schemas)
/// compressed, for its own request id; one that does not, or refuses gzip
/// with `q=0`, gets the same answer as plain JSON.
#[tokio::test]
async fn tools_list_is_gzipped_for_clients_that_accept_it() {
    use std::io::Read as _;
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let plain = client
        .post(
            &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}),
            BOTH,
        )
        .send()
        .await
        .expect("plain tools/list");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain: Value = plain.json().await.expect("plain JSON");
    assert!(plain["result"]["tools"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));

    for (id, accept_encoding) in [
        (json!("list-7"), "gzip, deflate, br"),
        (json!(42), "br;q=1.0, *;q=0.5"),
    ] {
        let response = client
            .post(
                &json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"}),
                BOTH,
            )
            .header("accept-encoding", accept_encoding)
            .send()
            .await
            .expect("gzip tools/list");
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-encoding"], "gzip", "{accept_encoding}");
        assert_eq!(headers["vary"], "accept-encoding");
        assert_eq!(headers["content-type"], "application/json");
        let compressed = response.bytes().await.expect("body");
        let mut text = String::new();
        flate2::read::GzDecoder::new(compressed.as_ref())
            .read_to_string(&mut text)
            .expect("one valid gzip member");
        assert!(
            compressed.len() * 3 < text.len(),
            "{} bytes compressed from {}",
            compressed.len(),
            text.len()
        );
        let answer: Value = serde_json::from_str(&text).expect("JSON inside");
        assert_eq!(answer["id"], id);
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["result"], plain["result"]);
    }

    let refused = client
        .post(
            &json!({"jsonrpc": "2.0", "id": 6, "method": "tools/list"}),
            BOTH,
        )
        .header("accept-encoding", "gzip;q=0, br")
        .send()
        .await
        .expect("refused gzip");
    assert!(refused.headers().get("content-encoding").is_none());
    let refused: Value = refused.json().await.expect("plain JSON");
    assert_eq!(refused["result"], plain["result"]);
    assert_eq!(refused["id"], 6);
}

/// Older clients get their version back; unknown versions get the latest.
#[tokio::test]
async fn versions_are_negotiated() {
    let server = TestServer::start(None, None, |_| {}).await;
    let client = Client::new(&server.url);
    for (asked, answered) in [
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("1999-01-01", "2025-11-25"),
    ] {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "old", "version": "0"}}});
        let reply: Value = client
            .post(&body, BOTH)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        assert_eq!(reply["result"]["protocolVersion"], answered, "{asked}");
    }
}

/// A tool call with a progressToken streams its progress, then the result,
/// on an SSE reply that starts with a priming event.
#[tokio::test]
async fn tool_call_streams_progress_then_result() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "p1"}}});
    let response = client.post(&body, BOTH).send().await.expect("post");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.expect("body");
    assert!(text.starts_with("id: "), "priming event first: {text}");
    assert!(text.contains("retry: "), "{text}");
    let messages = sse_messages(&text);
    let progress: Vec<f64> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| m["params"]["progress"].as_f64().expect("number"))
        .collect();
    assert_eq!(progress, vec![0.0, 50.0, 100.0]);
    let last = messages.last().expect("result");
    assert_eq!(last["id"], 7);
    assert_eq!(last["result"]["isError"], false);
}

/// A tool call that finishes at once with nothing but its result goes back
/// as a plain JSON body to a client that takes both kinds of answer; a
/// client that takes only event streams gets the same answer on one, after
/// its priming event.
#[tokio::test]
async fn a_quick_tool_call_is_answered_as_json_when_the_client_takes_it() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let call = |id: i64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "test_simple_text", "arguments": {}}})
    };
    let response = client.post(&call(21), BOTH).send().await.expect("post");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let plain: Value = response.json().await.expect("one JSON message");
    assert_eq!(plain["id"], 21);
    assert_eq!(plain["result"]["isError"], false);

    let response = client
        .post(&call(22), "text/event-stream")
        .send()
        .await
        .expect("post");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.expect("body");
    assert!(text.starts_with("id: "), "priming event first: {text}");
    let messages = sse_messages(&text);
    assert_eq!(messages.len(), 1, "{text}");
    assert_eq!(messages[0]["id"], 22);
    assert_eq!(messages[0]["result"], plain["result"]);
}

/// A call that outlives the server's short wait for quick answers opens
/// its SSE reply with the priming event while it still runs, and the
/// requests it sends the client travel on that stream: here it waits for
/// the client's answer to an elicitation, which only that stream carries.
#[tokio::test]
async fn a_waiting_call_opens_its_stream_before_it_ends() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({"elicitation": {}})).await;
    let body = json!({"jsonrpc": "2.0", "id": 11, "method": "tools/call",
        "params": {"name": "test_elicitation", "arguments": {"message": "who?"}}});
    let mut response = client.post(&body, BOTH).send().await.expect("post");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), response.chunk())
        .await
        .expect("the stream opens while the call waits")
        .expect("stream")
        .expect("a first chunk");
    let mut buffer = String::from_utf8_lossy(&first).into_owned();
    assert!(buffer.starts_with("id: "), "priming event first: {buffer}");
    let request = wait_for_event(&mut response, &mut buffer, |m| {
        m["method"] == "elicitation/create"
    })
    .await;
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"username": "ada", "email": "a@b.c"}}});
    let accepted = client.post(&answer, BOTH).send().await.expect("reply");
    assert_eq!(accepted.status(), 202);
    let result = wait_for_event(&mut response, &mut buffer, |m| m["id"] == 11).await;
    let text = result["result"]["content"][0]["text"]
        .as_str()
        .expect("text");
    assert!(
        text.contains("action=accept") && text.contains("ada"),
        "{text}"
    );
}

/// With a JSON reply, a tool's elicitation request goes out on the GET
/// stream; the client's answer (POSTed back, 202) reaches the waiting call.
/// DELETE then ends the session.
#[tokio::test]
async fn get_stream_carries_server_requests_and_delete_ends_the_session() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({"elicitation": {}})).await;
    let session = client.session.clone().expect("session");
    let mut stream = client
        .http
        .get(&server.url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("get");
    assert_eq!(stream.status(), 200);
    let caller = client.clone();
    let call = tokio::spawn(async move {
        caller
            .request(
                "tools/call",
                json!({"name": "test_elicitation", "arguments": {"message": "who?"}}),
            )
            .await
    });
    let mut buffer = String::new();
    let request = wait_for_event(&mut stream, &mut buffer, |m| {
        m["method"] == "elicitation/create"
    })
    .await;
    assert_eq!(request["params"]["message"], "who?");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"username": "ada", "email": "a@b.c"}}});
    let accepted = client.post(&answer, BOTH).send().await.expect("reply");
    assert_eq!(accepted.status(), 202);
    let result = call.await.expect("call");
    let text = result["result"]["content"][0]["text"]
        .as_str()
        .expect("text");
    assert!(
        text.contains("action=accept") && text.contains("ada"),
        "{text}"
    );

    let deleted = client
        .http
        .delete(&server.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "ping"});
    assert_eq!(
        client
            .post(&body, BOTH)
            .send()
            .await
            .expect("post")
            .status(),
        404
    );
}

/// Sessions are required after initialize: 400 without, 404 when unknown,
/// 400 for an unsupported MCP-Protocol-Version.
#[tokio::test]
async fn session_and_version_headers_are_checked() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let missing = client.post(&ping, BOTH).send().await.expect("post");
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["id"], 1);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("Mcp-Session-Id"));

    client.session = Some("0".repeat(32));
    assert_eq!(
        client
            .post(&ping, BOTH)
            .send()
            .await
            .expect("post")
            .status(),
        404
    );

    client.session = None;
    client.initialize(json!({})).await;
    let session = client.session.clone().expect("session");
    let bad_version = client
        .http
        .post(&server.url)
        .header("content-type", "application/json")
        .header("accept", BOTH)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2099-01-01")
        .body(ping.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(bad_version.status(), 400);
    let get_without_session = client
        .http
        .get(&server.url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("get");
    assert_eq!(get_without_session.status(), 400);
}

/// A page on another site (DNS rebinding or a foreign Origin) is refused
/// with 403; a local page is served.
#[tokio::test]
async fn foreign_origins_and_hosts_are_forbidden() {
    let server = TestServer::start(None, None, |_| {}).await;
    let client = Client::new(&server.url);
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "web", "version": "1"}}});
    let evil = client
        .post(&initialize, BOTH)
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .expect("post");
    assert_eq!(evil.status(), 403);
    let rebound = client
        .post(&initialize, BOTH)
        .header("host", "evil.example.com")
        .send()
        .await
        .expect("post");
    assert_eq!(rebound.status(), 403);
    let local = client
        .post(&initialize, BOTH)
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .expect("post");
    assert_eq!(local.status(), 200);
}

/// Malformed input gets JSON-RPC errors with the standard codes, never a
/// dropped connection; bad arguments are tool errors naming the field.
#[tokio::test]
async fn malformed_requests_get_standard_errors() {
    let server = TestServer::start(None, None, |config| config.max_body_bytes = 4096).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let raw = |body: &'static str| {
        client
            .http
            .post(&server.url)
            .header("content-type", "application/json")
            .header("accept", BOTH)
            .header("mcp-session-id", client.session.clone().expect("session"))
            .body(body)
    };
    let parse = raw("{not json").send().await.expect("post");
    assert_eq!(parse.status(), 400);
    assert_eq!(
        parse.json::<Value>().await.expect("json")["error"]["code"],
        -32700
    );
    let batch: Value = raw("[]")
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(batch["error"]["code"], -32600);
    let no_version: Value = raw(r#"{"id":1,"method":"ping"}"#)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(no_version["error"]["code"], -32600);

    assert_eq!(
        client.request("no/such/method", json!({})).await["error"]["code"],
        -32601
    );
    let unknown = client
        .request("tools/call", json!({"name": "nope", "arguments": {}}))
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
    let invalid = client
        .request(
            "tools/call",
            json!({"name": "json_schema_2020_12_tool", "arguments": {"name": 5, "extra": true}}),
        )
        .await;
    assert_eq!(invalid["result"]["isError"], true);
    let text = invalid["result"]["content"][0]["text"]
        .as_str()
        .expect("text");
    assert!(
        text.contains("field: name") && text.contains("'extra'"),
        "{text}"
    );
    let missing = client
        .request(
            "tools/call",
            json!({"name": "test_sampling", "arguments": {}}),
        )
        .await;
    assert!(missing["result"]["content"][0]["text"]
        .as_str()
        .expect("text")
        .contains("field: prompt"));
    let no_prompt = client.request("prompts/get", json!({"name": "nope"})).await;
    assert_eq!(no_prompt["error"]["code"], -32602);
    let no_resource = client
        .request("resources/read", json!({"uri": "test://nope"}))
        .await;
    assert_eq!(no_resource["error"]["code"], -32002);

    let big =
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(10_000)}});
    let refused = client.post(&big, BOTH).send().await.expect("post");
    assert_eq!(refused.status(), 413);
    // The unread body spoils the connection: the server says it closes it,
    // so the client opens a new one rather than failing on the next call.
    assert_eq!(refused.headers()["connection"], "close");
    // The session still works afterwards.
    assert_eq!(client.request("ping", json!({})).await["result"], json!({}));
}

/// Lists page with opaque cursors; a bad cursor is invalid params.
#[tokio::test]
async fn bad_cursors_are_invalid_params() {
    let server = TestServer::start(None, None, |_| {}).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let bad = client
        .request("tools/list", json!({"cursor": "nonsense"}))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
    let completion = client
        .request("completion/complete", json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": {"name": "arg1", "value": "par"}}))
        .await;
    assert_eq!(
        completion["result"]["completion"]["values"],
        json!(["paris", "park", "party"])
    );
}

/// An old (2024-11-05) client opens /mcp/sse, posts to the endpoint it is
/// given, and reads every answer on the stream.
#[tokio::test]
async fn legacy_sse_transport_round_trip() {
    let server = TestServer::start(None, None, |_| {}).await;
    let http = reqwest::Client::new();
    let mut stream = http
        .get(format!("{}/mcp/sse", server.base))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("sse");
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    while !buffer.contains("\n\n") {
        let chunk = stream.chunk().await.expect("read").expect("open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    let endpoint = buffer
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .expect("endpoint event")
        .to_string();
    assert!(buffer.starts_with("event: endpoint"), "{buffer}");
    buffer.clear();
    let post = |body: Value| {
        http.post(format!("{}{}", server.base, endpoint))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "0"}}});
    assert_eq!(post(initialize).await.expect("post").status(), 202);
    let reply = wait_for_event(&mut stream, &mut buffer, |m| m["id"] == 1).await;
    assert_eq!(reply["result"]["protocolVersion"], "2024-11-05");
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "test_simple_text"}});
    assert_eq!(post(call).await.expect("post").status(), 202);
    let reply = wait_for_event(&mut stream, &mut buffer, |m| m["id"] == 2).await;
    assert!(reply["result"]["content"][0]["text"]
        .as_str()
        .expect("text")
        .contains("simple text"));
    let unknown = http
        .post(format!("{}/mcp/messages?session_id=nope", server.base))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(unknown.status(), 404);
}
