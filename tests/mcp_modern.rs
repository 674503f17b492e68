//! Protocol 2026-07-28, the stateless revision, as a client of it sees the
//! server over real HTTP: no `initialize`, no session; each request carries
//! its version and capabilities in `_meta` and the SEP-2243 headers. The
//! older revisions keep working beside it on the same endpoint.

mod support {
    pub mod data;
    pub mod engine;
    pub mod modern;
    pub mod server;
}

use serde_json::{json, Value};
use support::data::mtcars;
use support::engine::engine;
use support::modern::{meta, post, request, MODERN};
use support::server::TestServer;

/// A new client asks `server/discover` what the server speaks: every
/// revision (2026-07-28 first), its capabilities (no logging: a request
/// opts in through `_meta`), its name in `_meta`, and how long it may keep
/// the answer. No session is made.
#[tokio::test]
async fn discover_names_the_revisions_and_capabilities() {
    let server = TestServer::start(None, None, |_| {}).await;
    let answer = request(&server.url, "server/discover", json!({})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.session, None);
    let result = &answer.response()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["supportedVersions"],
        json!([
            MODERN,
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ])
    );
    assert!(result["capabilities"]["tools"].is_object());
    assert!(result["capabilities"].get("logging").is_none());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "rmcp-server"
    );
    assert!(result["ttlMs"].as_u64().is_some());
    assert!(matches!(
        result["cacheScope"].as_str(),
        Some("public" | "private")
    ));
    assert!(server.state.sessions.is_empty());
}

/// An assistant on a 2026-07-28 client fits lm(mpg ~ wt) on mtcars with a
/// single request and no session, on whichever of two replicas it reaches:
/// it lists the tools on one and calls `linear_model` on the other, and
/// gets R's slope, -5.344.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateless_linear_model_on_any_replica() {
    let first = TestServer::catalog(engine()).await;
    let second = TestServer::catalog(engine()).await;
    let listed = request(&first.url, "tools/list", json!({})).await;
    let tools = listed.response()["result"]["tools"]
        .as_array()
        .expect("tools")
        .clone();
    assert!(tools.iter().any(|tool| tool["name"] == "linear_model"));
    assert_eq!(listed.response()["result"]["cacheScope"], "public");

    let answer = request(
        &second.url,
        "tools/call",
        json!({"name": "linear_model", "arguments": {"data": mtcars(), "formula": "mpg ~ wt"}}),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.session, None);
    let result = &answer.response()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["isError"], false, "{result}");
    let slope = result["structuredContent"]["coefficients"]["wt"]
        .as_f64()
        .expect("slope");
    assert!((slope - -5.344).abs() < 1e-3, "{slope}");
    assert!(second.state.sessions.is_empty());
}

/// Requests the revision cannot serve are refused with its error codes and
/// HTTP statuses, each answering the request's own id: no `_meta` (400,
/// -32602), a version the server does not speak (400, -32022 with the list
/// to retry with), headers that disagree with the body (400, -32020),
/// methods the revision removed (404, -32601), and the GET stream it
/// replaced with `subscriptions/listen` (405).
#[tokio::test]
async fn malformed_or_unservable_requests_are_refused() {
    let server = TestServer::start(None, None, |_| {}).await;
    let url = &server.url;
    let send = |body: Value, headers: Vec<(&'static str, String)>| async move {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        post(url, &body, &headers).await
    };
    let standard = |method: &str| {
        vec![
            ("mcp-protocol-version", MODERN.to_string()),
            ("mcp-method", method.to_string()),
        ]
    };

    let missing = send(
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}),
        standard("tools/list"),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.response()["error"]["code"], -32602);
    assert_eq!(missing.response()["id"], 7);

    let mut future = meta(json!({}));
    future["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let unsupported = send(
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": future}}),
        vec![
            ("mcp-protocol-version", "2099-01-01".into()),
            ("mcp-method", "tools/list".into()),
        ],
    )
    .await;
    assert_eq!(unsupported.status, 400);
    let error = &unsupported.response()["error"];
    assert_eq!(error["code"], -32022);
    assert_eq!(error["data"]["requested"], "2099-01-01");
    assert!(error["data"]["supported"]
        .as_array()
        .is_some_and(|versions| versions.contains(&json!(MODERN))));

    let mismatch = send(
        json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"_meta": meta(json!({}))}}),
        standard("prompts/list"),
    )
    .await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(mismatch.response()["error"]["code"], -32020);

    let wrong_name = send(
        json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call",
               "params": {"name": "test_simple_text", "arguments": {}, "_meta": meta(json!({}))}}),
        {
            let mut headers = standard("tools/call");
            headers.push(("mcp-name", "another_tool".into()));
            headers
        },
    )
    .await;
    assert_eq!(wrong_name.status, 400);
    assert_eq!(wrong_name.response()["error"]["code"], -32020);

    let stream = reqwest::Client::new()
        .get(url.as_str())
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .send()
        .await
        .expect("GET sent");
    assert_eq!(stream.status(), 405);
    assert_eq!(stream.headers()["allow"], "POST");

    for removed in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
    ] {
        let answer = request(url, removed, json!({})).await;
        assert_eq!(answer.status, 404, "{removed}");
        assert_eq!(answer.response()["error"]["code"], -32601, "{removed}");
    }
}

/// A tool that needs sampling, called by a client whose `_meta` declares no
/// sampling capability, is refused with -32021 naming the capability (HTTP
/// 400) rather than run against a capability the client never offered.
#[tokio::test]
async fn an_undeclared_capability_is_named() {
    let server = TestServer::start(None, None, |_| {}).await;
    let answer = request(
        &server.url,
        "tools/call",
        json!({"name": "test_sampling", "arguments": {"prompt": "hello"}}),
    )
    .await;
    assert_eq!(answer.status, 400);
    let error = &answer.response()["error"];
    assert_eq!(error["code"], -32021);
    assert!(error["data"]["requiredCapabilities"]["sampling"].is_object());
}

/// A client of 2025-11-25 keeps working on the same endpoint exactly as
/// before: `initialize` opens a session, and its requests go on under it.
#[tokio::test]
async fn legacy_sessions_work_beside_the_stateless_revision() {
    let server = TestServer::start(None, None, |_| {}).await;
    let initialize = post(
        &server.url,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "legacy", "version": "1"}}}),
        &[],
    )
    .await;
    assert_eq!(initialize.status, 200);
    assert_eq!(
        initialize.response()["result"]["protocolVersion"],
        "2025-11-25"
    );
    let session = initialize.session.clone().expect("a session id");
    let listed = post(
        &server.url,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        &[
            ("mcp-session-id", session.as_str()),
            ("mcp-protocol-version", "2025-11-25"),
        ],
    )
    .await;
    assert_eq!(listed.status, 200);
    let result = &listed.response()["result"];
    assert!(result["tools"]
        .as_array()
        .is_some_and(|tools| !tools.is_empty()));
    assert!(result.get("resultType").is_none());
    assert!(result.get("ttlMs").is_none());
}

/// A tool that needs the user's answer asks for it with an input-required
/// result (no request of the server's own on the stream); the client
/// answers by calling again with `inputResponses` and the `requestState`,
/// and gets the complete result. A state the client altered is refused.
#[tokio::test]
async fn input_required_rounds_complete_and_refuse_an_altered_state() {
    let server = TestServer::start(None, None, |_| {}).await;
    let with_elicitation = |mut params: Value| {
        params["_meta"] = meta(json!({"elicitation": {}}));
        params
    };
    let first = request(
        &server.url,
        "tools/call",
        with_elicitation(
            json!({"name": "test_input_required_result_multi_round", "arguments": {}}),
        ),
    )
    .await;
    assert_eq!(first.messages.len(), 1, "only the result, no request");
    let result = &first.response()["result"];
    assert_eq!(result["resultType"], "input_required");
    assert_eq!(
        result["inputRequests"]["step1"]["method"],
        "elicitation/create"
    );
    let state = result["requestState"]
        .as_str()
        .expect("a state")
        .to_string();

    let second = request(
        &server.url,
        "tools/call",
        with_elicitation(
            json!({"name": "test_input_required_result_multi_round", "arguments": {},
            "inputResponses": {"step1": {"action": "accept", "content": {"name": "Ada"}}},
            "requestState": state}),
        ),
    )
    .await;
    let result = &second.response()["result"];
    assert_eq!(result["resultType"], "input_required");
    assert!(result["inputRequests"]["step2"].is_object());
    let state = result["requestState"]
        .as_str()
        .expect("a state")
        .to_string();

    let altered = request(
        &server.url,
        "tools/call",
        with_elicitation(
            json!({"name": "test_input_required_result_multi_round", "arguments": {},
            "inputResponses": {"step2": {"action": "accept", "content": {"color": "blue"}}},
            "requestState": format!("{state}x")}),
        ),
    )
    .await;
    assert_eq!(altered.response()["error"]["code"], -32602);

    let last = request(
        &server.url,
        "tools/call",
        with_elicitation(
            json!({"name": "test_input_required_result_multi_round", "arguments": {},
            "inputResponses": {"step2": {"action": "accept", "content": {"color": "blue"}}},
            "requestState": state}),
        ),
    )
    .await;
    let result = &last.response()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["content"][0]["text"], "Ada likes blue");
}

/// A request without a log level gets no log messages; with one it does.
#[tokio::test]
async fn log_messages_only_for_requests_that_ask_for_them() {
    let server = TestServer::start(None, None, |_| {}).await;
    let quiet = request(
        &server.url,
        "tools/call",
        json!({"name": "test_logging_tool", "arguments": {}}),
    )
    .await;
    assert!(quiet
        .messages
        .iter()
        .all(|message| message["method"] != "notifications/message"));
    let mut chatty_meta = meta(json!({}));
    chatty_meta["io.modelcontextprotocol/logLevel"] = json!("info");
    let chatty = request(
        &server.url,
        "tools/call",
        json!({"name": "test_logging_tool", "arguments": {}, "_meta": chatty_meta}),
    )
    .await;
    assert_eq!(
        chatty
            .messages
            .iter()
            .filter(|message| message["method"] == "notifications/message")
            .count(),
        2
    );
    assert_eq!(chatty.response()["result"]["resultType"], "complete");
}

/// Replicas configured with the same `RMCP_REQUEST_STATE_KEY` continue each
/// other's input-required rounds (the state travels with the client); a
/// replica with another key refuses the state instead of trusting it.
#[tokio::test]
async fn a_shared_key_lets_any_replica_finish_a_round() {
    let key = "a shared key of at least thirty-two bytes";
    let first = TestServer::fixtures_keyed(key).await;
    let second = TestServer::fixtures_keyed(key).await;
    let stranger = TestServer::start(None, None, |_| {}).await;
    let capabilities = || meta(json!({"elicitation": {}}));
    let begun = request(
        &first.url,
        "tools/call",
        json!({"name": "test_input_required_result_request_state", "arguments": {}, "_meta": capabilities()}),
    )
    .await;
    let state = begun.response()["result"]["requestState"]
        .as_str()
        .expect("a state")
        .to_string();
    let retry = json!({"name": "test_input_required_result_request_state", "arguments": {},
        "inputResponses": {"confirm": {"action": "accept", "content": {"ok": true}}},
        "requestState": state, "_meta": capabilities()});
    let finished = request(&second.url, "tools/call", retry.clone()).await;
    let text = finished.response()["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("state-ok"), "{text}");
    let refused = request(&stranger.url, "tools/call", retry).await;
    assert_eq!(refused.response()["error"]["code"], -32602);
}

/// A client listens for resource notifications with `subscriptions/listen`:
/// the stream opens with the acknowledgement of what the server honours,
/// tagged with the subscription id (the listen request's id); tool list
/// changes, which never happen here, are not promised.
#[tokio::test]
async fn a_listen_stream_opens_with_its_acknowledgement() {
    let server = TestServer::start(None, None, |_| {}).await;
    let body = json!({"jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen",
        "params": {"notifications": {"resourcesListChanged": true, "toolsListChanged": true},
                   "_meta": meta(json!({}))}});
    let mut response = reqwest::Client::new()
        .post(&server.url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "subscriptions/listen")
        .body(body.to_string())
        .send()
        .await
        .expect("listen sent");
    assert_eq!(response.status(), 200);
    let mut text = String::new();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let chunk = response.chunk().await.expect("stream").expect("a chunk");
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(data) = text
                .lines()
                .find_map(|line| line.strip_prefix("data:"))
                .and_then(|data| serde_json::from_str::<Value>(data.trim()).ok())
            {
                return data;
            }
        }
    })
    .await
    .expect("an event in time");
    assert_eq!(first["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        first["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );
    assert_eq!(
        first["params"]["notifications"],
        json!({"resourcesListChanged": true})
    );
}

/// An argument a tool marks with `x-mcp-header` also travels as an
/// `Mcp-Param-*` header (literal or `=?base64?…?=`), so a proxy can route on
/// it; the server refuses a request whose header is missing, malformed or
/// different from the body (400, -32020).
#[tokio::test]
async fn parameter_headers_must_agree_with_the_body() {
    let server = TestServer::start(None, None, |_| {}).await;
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "test_custom_headers", "arguments": {"region": "eu-west"},
                   "_meta": meta(json!({}))}});
    let call = |param: Option<&'static str>| {
        let body = body.clone();
        let url = server.url.clone();
        async move {
            let mut headers = vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
                ("mcp-name", "test_custom_headers"),
            ];
            if let Some(value) = param {
                headers.push(("mcp-param-region", value));
            }
            post(&url, &body, &headers).await
        }
    };
    let literal = call(Some("eu-west")).await;
    assert_eq!(literal.status, 200);
    assert_eq!(
        literal.response()["result"]["content"][0]["text"],
        "region: eu-west"
    );
    // "eu-west" in standard Base64.
    let encoded = call(Some("=?base64?ZXUtd2VzdA==?=")).await;
    assert_eq!(encoded.status, 200, "{:?}", encoded.messages);
    for refused in [None, Some("us-east"), Some("=?base64?ZXUtd2VzdA?=")] {
        let answer = call(refused).await;
        assert_eq!(answer.status, 400, "{refused:?}");
        assert_eq!(answer.response()["error"]["code"], -32020, "{refused:?}");
    }
}
