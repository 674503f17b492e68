//! The production guards of the HTTP server: bearer authentication, the
//! admin endpoint, /health and /metrics, the per-client rate limit and the
//! session cap. No R here: these servers serve the conformance fixtures.

mod support {
    pub mod client;
    pub mod server;
}

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use rmcp_server::config::Secret;
use rmcp_server::tools::{CallContext, ToolProvider};
use serde_json::{json, Value};
use support::client::{eventually, Client};
use support::server::TestServer;

const KEY: &str = "test-key-0123456789";

/// Without the right bearer token /mcp answers 401 with WWW-Authenticate;
/// /health stays open; the admin endpoint clears sessions and says how many.
#[tokio::test]
async fn bearer_tokens_guard_everything_but_health() {
    let server = TestServer::start(None, None, |config| {
        config.api_keys = vec![Secret(KEY.into())]
    })
    .await;
    let mut client = Client::new(&server.url);
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let missing = client
        .post(&initialize, "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.headers()["www-authenticate"],
        "Bearer realm=\"rmcp\""
    );
    let wrong = client
        .post(&initialize, "application/json")
        .bearer_auth("wrong-key-0123456789")
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("invalid_token"));

    let health = reqwest::get(format!("{}/health", server.base))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.expect("json");
    // The conformance fixtures: 14 tools of the older revisions' scenarios,
    // 12 of 2026-07-28's and 7 of the Tasks extension's.
    assert_eq!(health["tools"], 33);
    assert_eq!(health["status"], "healthy");

    client.token = Some(KEY.into());
    client.initialize(json!({})).await;
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 401);
    let metrics = http
        .get(format!("{}/metrics", server.base))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("metrics");
    let text = metrics.text().await.expect("text");
    assert!(text.contains("rmcp_http_requests_total"), "{text}");
    assert!(text.contains("rmcp_active_sessions 1"), "{text}");

    let admin = http.delete(format!("{}/admin/sessions", server.base));
    assert_eq!(admin.send().await.expect("admin").status(), 401);
    let cleared: Value = http
        .delete(format!("{}/admin/sessions", server.base))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared, json!({"cleared": 1}));
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    assert_eq!(
        client
            .post(&ping, "application/json")
            .send()
            .await
            .expect("post")
            .status(),
        404
    );
}

/// A session belongs to the credential that opened it: another valid key
/// naming its id gets the same 404 as an unknown id, and the session goes on
/// working for its own key.
#[tokio::test]
async fn a_session_answers_only_the_key_that_opened_it() {
    const OTHER: &str = "other-key-9876543210";
    let server = TestServer::start(None, None, |config| {
        config.api_keys = vec![Secret(KEY.into()), Secret(OTHER.into())]
    })
    .await;
    let mut owner = Client::new(&server.url);
    owner.token = Some(KEY.into());
    owner.initialize(json!({})).await;
    let mut intruder = Client::new(&server.url);
    intruder.token = Some(OTHER.into());
    intruder.session = owner.session.clone();
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let refused = intruder
        .post(&ping, "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 404);
    let owned = owner
        .post(&ping, "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(owned.status(), 200);
}

/// A client that sends too fast gets 429 with Retry-After; others do not.
#[tokio::test]
async fn fast_clients_are_rate_limited() {
    let server = TestServer::start(None, None, |config| {
        config.rate_limit = Some(0.5);
        config.rate_burst = 3;
    })
    .await;
    let client = Client::new(&server.url);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    for _ in 0..3 {
        assert_ne!(
            client
                .post(&ping, "application/json")
                .send()
                .await
                .expect("post")
                .status(),
            429
        );
    }
    let limited = client
        .post(&ping, "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3).contains(&retry), "{retry}");
    assert_eq!(
        reqwest::get(format!("{}/health", server.base))
            .await
            .expect("health")
            .status(),
        200
    );
}

/// A tool that runs until cancelled, to keep a session busy.
struct Blocking;

impl ToolProvider for Blocking {
    fn tools(&self) -> Vec<Tool> {
        let schema = json!({"type": "object"});
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        vec![Tool::new(
            "block",
            "waits until cancelled",
            Arc::new(schema),
        )]
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        _arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        (name == "block").then(|| {
            Box::pin(async move {
                context.cancel.cancelled().await;
                CallToolResult::error(vec![ContentBlock::text("cancelled")])
            }) as BoxFuture<'a, CallToolResult>
        })
    }
}

/// Past RMCP_MAX_SESSIONS the longest-idle session is evicted; when every
/// session is busy, a new one is refused with a clear message.
#[tokio::test]
async fn the_session_cap_evicts_idle_sessions_then_refuses() {
    let server = TestServer::start(None, Some(Arc::new(Blocking)), |config| {
        config.max_sessions = 2
    })
    .await;
    let mut first = Client::new(&server.url);
    first.initialize(json!({})).await;
    let mut second = Client::new(&server.url);
    second.initialize(json!({})).await;
    let mut third = Client::new(&server.url);
    third.initialize(json!({})).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(
        first
            .post(&ping, "application/json")
            .send()
            .await
            .expect("post")
            .status(),
        404
    );

    // Both remaining sessions get a call that never ends.
    for client in [second.clone(), third.clone()] {
        tokio::spawn(async move {
            client
                .request("tools/call", json!({"name": "block", "arguments": {}}))
                .await
        });
    }
    let state = server.state.clone();
    eventually("both sessions busy", || {
        state
            .sessions
            .all()
            .iter()
            .filter(|session| session.requests_in_flight() > 0)
            .count()
            == 2
    })
    .await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let refused = Client::new(&server.url)
        .post(&initialize, "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("too many active sessions"));
}
