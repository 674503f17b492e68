//! After the R thread has stopped, every caller gets `Unavailable` at once
//! and `/health` answers 503, so a supervisor or load balancer can react.

mod support {
    pub mod engine;
}

use std::time::Duration;

use rmcp_server::r::{EngineError, Job};
use support::engine::{block_on, engine};

/// Jobs sent after the engine stopped fail fast with `Unavailable`, and
/// the health endpoint reports the engine unhealthy with HTTP 503.
#[test]
fn stopped_engine_is_unavailable_and_unhealthy() {
    let engine = engine();
    block_on(async {
        let reply = engine
            .eval(Job::eval("1 + 1"))
            .await
            .expect("runs before shutdown");
        assert_eq!(reply.value, serde_json::json!(2));
    });
    engine.shutdown(Duration::from_secs(10));
    assert!(!engine.health().alive);
    block_on(async {
        for _ in 0..3 {
            let error = engine
                .eval(Job::eval("1 + 1"))
                .await
                .expect_err("engine stopped");
            assert_eq!(error, EngineError::Unavailable);
        }
    });
    let status = block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        let server = tokio::spawn(rmcp_server::http::serve(
            listener,
            rmcp_server::http::AppState::with_engine(engine.clone()),
            {
                let stop = stop.clone();
                async move { stop.cancelled().await }
            },
        ));
        let response = reqwest::get(format!("http://{address}/health"))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["r"]["alive"], false);
        stop.cancel();
        let _ = server.await;
        status
    });
    assert_eq!(status, 503);
}
