//! Cancellation and graceful shutdown reach R: `notifications/cancelled`
//! interrupts the R computation of a call, and shutdown lets calls in
//! flight finish within the grace period, then cancels the rest. A tiny
//! test-only tool runs `Sys.sleep` on the real embedded engine.

mod support {
    pub mod client;
    pub mod server;
}

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use rmcp_server::r::{EngineConfig, Job, RHandle};
use rmcp_server::tools::{CallContext, ToolProvider};
use serde_json::{json, Value};
use support::client::{answer_messages, eventually, Client};
use support::server::TestServer;

/// The test binary's engine (R starts once per process).
fn engine() -> RHandle {
    static ENGINE: OnceLock<RHandle> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            RHandle::start(EngineConfig {
                default_timeout: Duration::from_secs(60),
                ..EngineConfig::default()
            })
            .expect("R starts")
        })
        .clone()
}

/// One R thread serves every test here: run them one at a time so "R is
/// running" means this test's call.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `r_sleep {seconds}`: `Sys.sleep(seconds)` in R with the call's token.
struct RSleep {
    engine: RHandle,
}

impl ToolProvider for RSleep {
    fn tools(&self) -> Vec<Tool> {
        let schema = json!({"type": "object", "properties": {"seconds": {"type": "number"}}, "required": ["seconds"]});
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        vec![Tool::new("r_sleep", "sleeps in R", Arc::new(schema))]
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        if name != "r_sleep" {
            return None;
        }
        let seconds = arguments["seconds"].as_f64().unwrap_or(0.0);
        Some(Box::pin(async move {
            let job = Job::eval(format!("Sys.sleep({seconds}); 'slept'"))
                .with_cancel(context.cancel.clone());
            match self.engine.eval(job).await {
                Ok(reply) => {
                    CallToolResult::success(vec![ContentBlock::text(reply.value.to_string())])
                }
                Err(error) => CallToolResult::error(vec![ContentBlock::text(error.to_string())]),
            }
        }))
    }
}

async fn server(grace: Duration) -> TestServer {
    eventually("R to be idle", || {
        engine().health().running_for_ms.is_none()
    })
    .await;
    let engine = engine();
    let tools = Arc::new(RSleep {
        engine: engine.clone(),
    });
    TestServer::start(Some(engine), Some(tools), |config| {
        config.shutdown_grace = grace
    })
    .await
}

/// Starts `r_sleep` as request `id`, accepting an SSE reply (a call that
/// ends within the server's quick-call wait, e.g. cancelled at once, may come
/// back as plain JSON); resolves to its messages.
fn start_sleep(client: &Client, id: i64, seconds: f64) -> tokio::task::JoinHandle<Vec<Value>> {
    let client = client.clone();
    tokio::spawn(async move {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "r_sleep", "arguments": {"seconds": seconds}}});
        match client
            .post(&body, "application/json, text/event-stream")
            .send()
            .await
        {
            Ok(response) => answer_messages(&response.text().await.unwrap_or_default()),
            Err(_) => Vec::new(),
        }
    })
}

async fn r_is_running() {
    let engine = engine();
    eventually("R to run the call", || {
        engine.health().running_for_ms.is_some()
    })
    .await;
}

fn result_text(messages: &[Value], id: i64) -> (bool, String) {
    let reply = messages
        .iter()
        .find(|m| m["id"] == id)
        .expect("the call's response");
    let text = reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (reply["result"]["isError"] == true, text)
}

/// A user stops a 30-second computation: the client's cancellation
/// interrupts R and the call answers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_stops_r() {
    let _serial = SERIAL.lock().await;
    let server = server(Duration::from_secs(5)).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let cancelled_before = engine().health().jobs_cancelled;
    let call = start_sleep(&client, 42, 30.0);
    r_is_running().await;
    let started = Instant::now();
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 42, "reason": "user stop"}});
    assert_eq!(
        client
            .post(&cancel, "application/json")
            .send()
            .await
            .expect("post")
            .status(),
        202
    );
    let messages = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("answers quickly")
        .expect("task");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (is_error, text) = result_text(&messages, 42);
    assert!(is_error && text.contains("cancelled"), "{text}");
    let engine = engine();
    eventually("the engine to count the cancellation", || {
        engine.health().jobs_cancelled > cancelled_before
    })
    .await;
    eventually("R to be idle", || engine.health().running_for_ms.is_none()).await;
}

/// SIGTERM during a short call: the call finishes with its result, then
/// the server stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_call_in_flight_finish() {
    let _serial = SERIAL.lock().await;
    let mut server = server(Duration::from_secs(10)).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let call = start_sleep(&client, 1, 0.5);
    r_is_running().await;
    server.begin_shutdown();
    let messages = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("finishes")
        .expect("task");
    let (is_error, text) = result_text(&messages, 1);
    assert!(!is_error && text.contains("slept"), "{text}");
    let task = server.task.take().expect("server task");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("server stops")
        .expect("join");
}

/// A call still running when the grace period ends is cancelled (R is
/// interrupted) and the server stops promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cancels_calls_past_the_grace_period() {
    let _serial = SERIAL.lock().await;
    let mut server = server(Duration::from_millis(300)).await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let call = start_sleep(&client, 5, 30.0);
    r_is_running().await;
    let started = Instant::now();
    server.begin_shutdown();
    let task = server.task.take().expect("server task");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("server stops")
        .expect("join");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let messages = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("answers")
        .expect("task");
    if !messages.is_empty() {
        let (is_error, text) = result_text(&messages, 5);
        assert!(is_error && text.contains("cancelled"), "{text}");
    }
    let engine = engine();
    eventually("R to be idle", || engine.health().running_for_ms.is_none()).await;
}
