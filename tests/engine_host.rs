//! Host calls: R code calls back into the Rust program embedding it with
//! `rmcp_host_call(name, args)` — the bridge a sandboxed worker uses to
//! reach catalog tools from user R code.

use std::sync::Arc;
use std::time::Duration;

use rmcp_server::r::{EngineConfig, EngineError, HostHandler, Job, RHandle};
use serde_json::{json, Value};

fn engine() -> RHandle {
    let handler = HostHandler(Arc::new(|name: &str, args: Value| match name {
        "add" => Ok(json!(
            args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)
        )),
        "echo" => Ok(args),
        other => Err(format!("no host function named '{other}'")),
    }));
    RHandle::start(EngineConfig {
        default_timeout: Duration::from_secs(30),
        host: Some(handler),
        ..EngineConfig::default()
    })
    .expect("R starts")
}

/// R gets the host's answer as an R value; host errors are R errors that
/// user code can catch; the engine stays healthy.
#[test]
fn r_calls_the_host() {
    let engine = engine();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sum = engine.eval(Job::eval("rmcp_host_call('add', list(a = 1, b = 2)) * 10")).await.unwrap();
        assert_eq!(sum.value, json!(30));
        let round_trip = engine
            .eval(Job::eval("x <- rmcp_host_call('echo', list(v = c(1.5, NA), s = 'a')); list(class(x$v), x$v, x$s)"))
            .await
            .unwrap();
        assert_eq!(round_trip.value, json!(["numeric", [1.5, null], "a"]));
        let error = engine.eval(Job::eval("rmcp_host_call('nope')")).await.unwrap_err();
        assert!(matches!(&error, EngineError::R(r) if r.message == "no host function named 'nope'"), "{error:?}");
        let caught = engine
            .eval(Job::eval("tryCatch(rmcp_host_call('nope'), error = function(e) 'handled')"))
            .await
            .unwrap();
        assert_eq!(caught.value, json!("handled"));
    });
    engine.shutdown(Duration::from_secs(5));
}
