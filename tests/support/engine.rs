//! The test binary's R engine: one embedded R per test binary (R can start
//! once per process), and helpers to run jobs on it. Declared by a test as
//! `mod support { pub mod engine; }`; it needs no other helper module.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use rmcp_server::r::{EngineConfig, EngineError, Job, RHandle, Reply};

/// The test binary's engine, started on first use.
pub fn engine() -> RHandle {
    static ENGINE: OnceLock<RHandle> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            RHandle::start(EngineConfig {
                default_timeout: Duration::from_secs(60),
                queue_capacity: 512,
                environment_ttl: Duration::from_secs(3),
                max_reply_bytes: 4 * 1024 * 1024,
                max_vsize: Some("2Gb".into()),
                ..EngineConfig::default()
            })
            .expect("R starts")
        })
        .clone()
}

/// A runtime for one test (engine calls are async).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime builds")
        .block_on(future)
}

/// Evaluates `code` in a fresh environment.
pub fn eval(code: &str) -> Result<Reply, EngineError> {
    let engine = engine();
    block_on(engine.eval(Job::eval(code)))
}

pub fn run(job: Job) -> Result<Reply, EngineError> {
    let engine = engine();
    block_on(engine.eval(job))
}
