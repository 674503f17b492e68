//! The embedded R engine evaluates R code and returns values, errors,
//! warnings and console output, with R's own numbers.

mod support {
    pub mod engine;
}

use rmcp_server::r::{EngineError, Job};
use serde_json::json;
use support::engine::{eval, run};

/// An analyst's first call: R's textbook regression gives R's numbers.
#[test]
fn lm_on_mtcars_matches_r() {
    let reply = eval("unname(coef(lm(mpg ~ wt, mtcars)))").expect("lm runs");
    let coefs = reply.value.as_array().expect("two coefficients");
    assert!(
        (coefs[0].as_f64().unwrap() - 37.285).abs() < 1e-3,
        "{coefs:?}"
    );
    assert!(
        (coefs[1].as_f64().unwrap() - -5.344).abs() < 1e-3,
        "{coefs:?}"
    );
}

/// Named vectors come back as objects keyed by name.
#[test]
fn named_vectors_become_objects() {
    let reply = eval("round(coef(lm(mpg ~ wt, mtcars)), 3)").expect("lm runs");
    assert_eq!(reply.value, json!({"(Intercept)": 37.285, "wt": -5.344}));
}

/// `stop()` comes back as R's message and call, never a panic.
#[test]
fn r_errors_carry_message_and_call() {
    let error = eval("f <- function(x) stop('boom'); f(1)").expect_err("stop fails");
    match error {
        EngineError::R(r) => {
            assert_eq!(r.message, "boom");
            assert_eq!(r.call.as_deref(), Some("f(1)"));
        }
        other => panic!("expected an R error, got {other:?}"),
    }
}

/// Malformed code is a parse error with a line and column.
#[test]
fn parse_errors_have_position() {
    let error = eval("x <- 1\ny <- (2 +\n z z").expect_err("does not parse");
    match error {
        EngineError::Parse {
            line,
            column,
            message,
        } => {
            assert_eq!(line, Some(3), "{message}");
            assert!(column.is_some());
            assert!(message.contains("unexpected"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

/// Warnings are collected in order and the value is still returned.
#[test]
fn warnings_are_captured() {
    let reply = eval("x <- as.integer('a'); warning('w2'); 42").expect("runs");
    assert_eq!(reply.value, json!(42));
    assert_eq!(reply.warnings, vec!["NAs introduced by coercion", "w2"]);
}

/// print, cat, str and message are captured per job, not written to the
/// process's stdout.
#[test]
fn console_output_is_captured() {
    let reply =
        eval("print(1:3); cat('hello\\n'); message('note'); str(list(a = 1)); invisible(NULL)")
            .expect("runs");
    assert!(reply.stdout.contains("[1] 1 2 3"), "{}", reply.stdout);
    assert!(reply.stdout.contains("hello"), "{}", reply.stdout);
    assert!(reply.stdout.contains("List of 1"), "{}", reply.stdout);
    assert_eq!(reply.stderr.trim(), "note");
    assert_eq!(reply.value, json!(null));
}

/// A thousand failing jobs leave the interpreter healthy.
#[test]
fn a_thousand_failures_then_a_normal_job() {
    for i in 0..1000 {
        let error = eval(&format!("stop('failure {i}')")).expect_err("fails");
        assert!(
            matches!(&error, EngineError::R(r) if r.message == format!("failure {i}")),
            "{error:?}"
        );
    }
    assert_eq!(eval("sum(1:100)").expect("runs").value, json!(5050));
}

/// The R side's functions are called by name with JSON arguments.
#[test]
fn calling_an_r_side_function() {
    let reply = run(Job::call("rmcp_engine_env_info", json!(null)))
        .expect_err("env_info needs an environment");
    assert!(matches!(reply, EngineError::R(_)), "{reply:?}");
    let error = run(Job::call("system", json!({}))).expect_err("not part of the R side");
    assert!(
        error.to_string().contains("no R function named 'system'"),
        "{error}"
    );
}

/// Deep recursion is a clean R error, not a crash of the server.
#[test]
fn deep_recursion_is_a_clean_error() {
    let error = eval(
        "options(expressions = 500000); f <- function(n) if (n == 0) 0 else 1 + f(n - 1); f(1e6)",
    )
    .expect_err("too deep");
    assert!(matches!(error, EngineError::R(_)), "{error:?}");
    assert_eq!(eval("1 + 1").expect("runs").value, json!(2));
}
