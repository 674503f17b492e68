//! The HTTP server (warp): routes, and the state handlers share. Today it
//! serves `GET /health`; MCP routes join it here.
//!
//! It knows nothing about R beyond the engine's health snapshot.

use std::convert::Infallible;
use std::future::Future;

use serde_json::json;
use warp::http::StatusCode;
use warp::Filter;

use crate::r::RHandle;

/// State the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub engine: RHandle,
}

/// All routes of the server.
pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (impl warp::Reply,), Error = Infallible> + Clone {
    let health = warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        .and(with_state(state))
        .map(health);
    health.recover(|_rejection: warp::Rejection| async move {
        Ok::<_, Infallible>(warp::reply::with_status(
            warp::reply::json(&json!({"error": "not found"})),
            StatusCode::NOT_FOUND,
        ))
    })
}

fn with_state(state: AppState) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// `GET /health`: 200 with the engine's state, 503 when R is not alive.
fn health(state: AppState) -> impl warp::Reply {
    let engine = state.engine.health();
    let status = if engine.alive {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if engine.alive { "healthy" } else { "unhealthy" },
        "server": "rmcp-server",
        "version": env!("CARGO_PKG_VERSION"),
        "transport": "http",
        "r": engine,
    });
    warp::reply::with_status(warp::reply::json(&body), status)
}

/// Serves on an already-bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    warp::serve(routes(state))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}
