//! Free-form R workspaces as explicit handles: every free-form answer names
//! its workspace (`structuredContent.workspace`, and the text), and a call
//! passing it as `workspace` reaches the same live workspace, also on
//! protocol 2026-07-28, which has no session. A handle is a capability bound
//! to the credential that made it: unknown, foreign and expired handles are
//! refused with the fix (start a new workspace), and never start a worker.
//! Sessions of 2025-11-25 keep their own workspace without a handle.

mod support {
    pub mod client;
    pub mod engine;
    pub mod modern;
    pub mod server;
    pub mod workers;
}

use std::time::Duration;

use rmcp_server::config::Secret;
use rmcp_server::server::Server;
use serde_json::{json, Value};
use support::client::{eventually, Client};
use support::modern::{post, with_meta, Answer, MODERN};
use support::server::TestServer;
use support::workers::{self, text, value, Harness};

/// The server as shipped, with free-form R and these API keys.
async fn start_keyed(name: &str, keys: &[&str]) -> Harness {
    let settings = support::server::settings(workers::test_config(name));
    let base_dir = settings.workers.base_dir.clone();
    let server = Server::builder(settings)
        .engine(support::engine::engine())
        .build()
        .expect("server builds");
    let free = server.free_form.clone().expect("free-form R is built");
    let keys: Vec<Secret> = keys.iter().map(|key| Secret(key.to_string())).collect();
    let server = TestServer::serve(server, |config| config.api_keys = keys).await;
    Harness {
        server,
        free,
        base_dir,
    }
}

/// A modern `tools/call` as a 2026-07-28 client sends it: the SEP-2243
/// headers, `Mcp-Param-Workspace` mirroring a `workspace` argument, and
/// the bearer `token` when given.
async fn modern_call(url: &str, tool: &str, arguments: Value, token: Option<&str>) -> Answer {
    let workspace = arguments["workspace"].as_str().map(str::to_string);
    let params = with_meta(json!({"name": tool, "arguments": arguments}));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/call"),
        ("mcp-name", tool),
    ];
    if let Some(workspace) = &workspace {
        headers.push(("mcp-param-workspace", workspace.as_str()));
    }
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    post(url, &body, &headers).await
}

/// Runs `code` on the modern path, in `workspace` when given; the result.
async fn modern_r(url: &str, code: &str, workspace: Option<&str>, token: Option<&str>) -> Value {
    let mut arguments = json!({"r_code": code, "description": "test", "timeout_seconds": 20});
    if let Some(workspace) = workspace {
        arguments["workspace"] = json!(workspace);
    }
    let answer = modern_call(url, "execute_r_analysis", arguments, token).await;
    assert_eq!(answer.status, 200, "{:?}", answer.messages);
    answer.response()["result"].clone()
}

/// The handle a result names, checked to be in the text as well.
fn handle_of(result: &Value) -> String {
    let handle = result["structuredContent"]["workspace"]
        .as_str()
        .unwrap_or_else(|| panic!("no workspace handle: {result}"))
        .to_string();
    assert!(
        text(result).contains(&format!("Workspace: {handle}")),
        "{result}"
    );
    handle
}

/// A refusal of a workspace handle: `isError` with the fix.
fn assert_refused(result: &Value, why: &str) {
    assert_eq!(result["isError"], json!(true), "{result}");
    let message = text(result);
    assert!(message.contains(why), "{result}");
    assert!(
        message.contains("call again without `workspace` to start a new workspace"),
        "{result}"
    );
}

/// A random handle in the shape the server makes (32 hex digits).
fn guessed_handle() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An analyst on a 2026-07-28 client creates `x` without a handle, gets
/// one back, and with it finds `x` in the next request (and lists it), and
/// the end of the first request did not end the workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handle_keeps_a_modern_workspace_across_requests() {
    let harness = workers::start(workers::test_config("handles-keep")).await;
    let url = &harness.server.url;
    let first = modern_r(url, "x <- 42; result <- x", None, None).await;
    assert_eq!(value(&first), json!(42));
    let handle = handle_of(&first);
    assert_eq!(handle.len(), 32, "{handle}");

    let second = modern_r(url, "result <- x", Some(&handle), None).await;
    assert_eq!(value(&second), json!(42));
    assert_eq!(handle_of(&second), handle);

    let listed = modern_call(
        url,
        "list_r_objects",
        json!({"workspace": handle.clone()}),
        None,
    )
    .await;
    let listed = &listed.response()["result"];
    assert_eq!(listed["structuredContent"]["workspace"], json!(handle));
    assert!(text(listed).contains("x"), "{listed}");
    let info = modern_call(
        url,
        "get_r_session_info",
        json!({"workspace": handle.clone()}),
        None,
    )
    .await;
    let info = &info.response()["result"];
    assert_eq!(
        info["structuredContent"]["workspace"],
        json!(handle),
        "{info}"
    );
}

/// Two handles are two workspaces: the same name holds different values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_stay_isolated() {
    let harness = workers::start(workers::test_config("handles-two")).await;
    let url = &harness.server.url;
    let one = handle_of(&modern_r(url, "x <- 1; result <- x", None, None).await);
    let two = handle_of(&modern_r(url, "x <- 2; result <- x", None, None).await);
    assert_ne!(one, two);
    let seen_one = modern_r(url, "result <- x", Some(&one), None).await;
    let seen_two = modern_r(url, "result <- x", Some(&two), None).await;
    assert_eq!(value(&seen_one), json!(1));
    assert_eq!(value(&seen_two), json!(2));
}

/// A mistyped or guessed handle is refused with the fix, on both eras,
/// and nothing is created for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_handle_is_refused_with_the_fix() {
    let harness = workers::start(workers::test_config("handles-unknown")).await;
    let url = &harness.server.url;
    let before = harness.free.sessions().workspaces();
    let guessed = guessed_handle();
    let refused = modern_r(url, "result <- 1", Some(&guessed), None).await;
    assert_refused(&refused, "not found");
    let listed = modern_call(url, "list_r_objects", json!({"workspace": guessed}), None).await;
    assert_refused(&listed.response()["result"], "not found");
    let client = workers::client(&harness).await;
    let legacy = workers::call(
        &client,
        "execute_r_analysis",
        json!({"r_code": "result <- 1", "description": "t", "workspace": "not-a-handle"}),
    )
    .await;
    assert_refused(&legacy, "not found");
    assert_eq!(harness.free.sessions().workspaces(), before);
}

/// A handle made with one API key is refused to another, with the same
/// answer as a handle never made, on the modern path and in a session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handle_answers_only_its_credential() {
    const OWNER: &str = "owner-key-0123456789";
    const OTHER: &str = "other-key-9876543210";
    let harness = start_keyed("handles-keys", &[OWNER, OTHER]).await;
    let url = &harness.server.url;
    let made = modern_r(url, "secret <- 7; result <- secret", None, Some(OWNER)).await;
    let handle = handle_of(&made);

    let stolen = modern_r(url, "result <- secret", Some(&handle), Some(OTHER)).await;
    assert_refused(&stolen, "not found");
    assert!(!stolen.to_string().contains("\"result\":7"), "{stolen}");
    let mut intruder = Client::new(url);
    intruder.token = Some(OTHER.into());
    intruder.initialize(json!({})).await;
    let in_session = workers::call(
        &intruder,
        "inspect_r_object",
        json!({"object_name": "secret", "workspace": handle.clone()}),
    )
    .await;
    assert_refused(&in_session, "not found");

    let owned = modern_r(url, "result <- secret", Some(&handle), Some(OWNER)).await;
    assert_eq!(value(&owned), json!(7));
}

/// A handle whose workspace sat idle past the TTL is told "expired", with
/// the fix, and is not brought back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_handle_says_so() {
    let mut config = workers::test_config("handles-expired");
    config.idle_ttl = Duration::from_millis(500);
    let harness = workers::start(config).await;
    let url = &harness.server.url;
    let handle = handle_of(&modern_r(url, "x <- 1; result <- x", None, None).await);
    eventually("the idle workspace ends", || {
        harness.free.sessions().workspaces() == 0
    })
    .await;
    let late = modern_r(url, "result <- x", Some(&handle), None).await;
    assert_refused(&late, "has expired");
    assert_eq!(harness.free.sessions().workspaces(), 0);
}

/// A 2025-11-25 session works as before: calls without a handle share the
/// session's workspace, whose handle is returned and works too, also from
/// another session of the same credential; the workspace ends with its
/// session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_keeps_its_workspace_and_names_it() {
    let harness = workers::start(workers::test_config("handles-legacy")).await;
    let client = workers::client(&harness).await;
    let first = workers::run_r(&client, "x <- 42; result <- x").await;
    let handle = handle_of(&first);
    let again = workers::run_r(&client, "result <- x").await;
    assert_eq!(value(&again), json!(42));
    assert_eq!(handle_of(&again), handle);
    let named = workers::call(
        &client,
        "execute_r_analysis",
        json!({"r_code": "result <- x", "description": "t", "workspace": handle.clone()}),
    )
    .await;
    assert_eq!(value(&named), json!(42));

    let other = workers::client(&harness).await;
    let own = workers::run_r(&other, "result <- exists('x')").await;
    assert_eq!(value(&own), json!(false));
    assert_ne!(handle_of(&own), handle);
    let borrowed = workers::call(
        &other,
        "execute_r_analysis",
        json!({"r_code": "result <- x", "description": "t", "workspace": handle.clone()}),
    )
    .await;
    assert_eq!(value(&borrowed), json!(42));

    let ended = client
        .http
        .delete(&client.url)
        .header("mcp-session-id", client.session.clone().expect("session"))
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .expect("delete");
    assert!(ended.status().is_success(), "{}", ended.status());
    let after = workers::call(
        &other,
        "execute_r_analysis",
        json!({"r_code": "result <- x", "description": "t", "workspace": handle}),
    )
    .await;
    assert_refused(&after, "has expired");
}

/// A proxy routes on `Mcp-Param-Workspace`: a header that disagrees with
/// the body's `workspace`, or a `workspace` without its header, is refused
/// (HTTP 400, -32020) before the tool runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_header_must_match_the_body() {
    let harness = workers::start(workers::test_config("handles-header")).await;
    let url = &harness.server.url;
    let handle = handle_of(&modern_r(url, "result <- 1", None, None).await);
    let params = with_meta(json!({"name": "execute_r_analysis", "arguments": {
        "r_code": "result <- 1", "description": "t", "workspace": handle}}));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let base = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/call"),
        ("mcp-name", "execute_r_analysis"),
    ];
    let other = guessed_handle();
    let mut mismatched = base.to_vec();
    mismatched.push(("mcp-param-workspace", other.as_str()));
    for headers in [mismatched, base.to_vec()] {
        let answer = post(url, &body, &headers).await;
        assert_eq!(answer.status, 400, "{:?}", answer.messages);
        assert_eq!(answer.response()["error"]["code"], json!(-32020));
    }
}

/// Abuse: a thousand guessed handles are all refused, start no worker and
/// make no workspace; a real handle replayed with another key is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessed_handles_start_nothing() {
    const OWNER: &str = "owner-key-0123456789";
    const OTHER: &str = "other-key-9876543210";
    let harness = start_keyed("handles-abuse", &[OWNER, OTHER]).await;
    let url = harness.server.url.clone();
    let handle = handle_of(&modern_r(&url, "result <- 1", None, Some(OWNER)).await);
    let pool = std::sync::Arc::clone(harness.free.sessions().pool());
    eventually("the pool is refilled", || {
        let health = pool.health();
        health["warm"] == health["target"] && health["starting"] == json!(0)
    })
    .await;
    let started = pool.health()["started_total"].clone();
    let workspaces = harness.free.sessions().workspaces();
    let live = harness.free.sessions().live_workers();

    for _ in 0..20 {
        let batch = (0..50).map(|_| {
            let url = url.clone();
            async move {
                let guessed = guessed_handle();
                let result = modern_r(&url, "result <- 1", Some(&guessed), Some(OWNER)).await;
                assert_refused(&result, "not found");
            }
        });
        futures::future::join_all(batch).await;
    }
    for _ in 0..5 {
        let replayed = modern_r(&url, "result <- 1", Some(&handle), Some(OTHER)).await;
        assert_refused(&replayed, "not found");
    }

    let health: Value = reqwest::get(format!("{}/health", harness.server.base))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(pool.health()["started_total"], started, "{health}");
    assert_eq!(health["sandbox"]["workers"]["started_total"], started);
    assert_eq!(health["sandbox"]["workspaces"], json!(workspaces));
    assert_eq!(harness.free.sessions().workspaces(), workspaces);
    assert_eq!(harness.free.sessions().live_workers(), live);
}

/// An approval belongs to the workspace it was made in: on 2026-07-28 the
/// handle an approval returns carries it to later calls, and a new
/// workspace starts without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_belong_to_the_workspace() {
    let harness = workers::start(workers::test_config("handles-approvals")).await;
    let url = &harness.server.url;
    let approve = |workspace: Option<&str>, operation: &str| {
        let mut arguments =
            json!({"operation_type": "file_operations", "specific_operation": operation});
        if let Some(workspace) = workspace {
            arguments["workspace"] = json!(workspace);
        }
        modern_call(url, "approve_operation", arguments, None)
    };
    let first = approve(None, "write.csv").await;
    let first = &first.response()["result"];
    let handle = handle_of(first);
    let second = approve(Some(&handle), "saveRDS").await;
    let second = &second.response()["result"];
    assert_eq!(handle_of(second), handle);
    assert_eq!(
        second["structuredContent"]["approved_operations"]["file_operations"],
        json!(["saveRDS", "write.csv"]),
        "{second}"
    );
    let elsewhere = approve(None, "saveRDS").await;
    let elsewhere = &elsewhere.response()["result"];
    assert_ne!(handle_of(elsewhere), handle);
    assert_eq!(
        elsewhere["structuredContent"]["approved_operations"]["file_operations"],
        json!(["saveRDS"]),
        "{elsewhere}"
    );
}

/// Two requests naming one workspace at once run one after the other (as
/// one session's calls do), never side by side in its R.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_workspace_runs_one_call_at_a_time() {
    let harness = workers::start(workers::test_config("handles-turns")).await;
    let url = &harness.server.url;
    let handle = handle_of(&modern_r(url, "n <- 0; result <- n", None, None).await);
    let code = "start <- as.numeric(Sys.time()); n <- n + 1; Sys.sleep(0.4); \
                result <- c(start, as.numeric(Sys.time()))";
    let (one, two) = tokio::join!(
        modern_r(url, code, Some(&handle), None),
        modern_r(url, code, Some(&handle), None)
    );
    let spans: Vec<Vec<f64>> = [value(&one), value(&two)]
        .iter()
        .map(|span| serde_json::from_value(span.clone()).expect("two times"))
        .collect();
    let (first, second) = if spans[0][0] <= spans[1][0] {
        (&spans[0], &spans[1])
    } else {
        (&spans[1], &spans[0])
    };
    assert!(second[0] >= first[1], "the calls overlapped: {spans:?}");
    let count = modern_r(url, "result <- n", Some(&handle), None).await;
    assert_eq!(value(&count), json!(2));
}
