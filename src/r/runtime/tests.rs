//! The protect guard against a running R: whatever way a block ends
//! (normally, by an R error, by a panic), R's protect stack is back where
//! it was, and so it is after every kind of job.

use std::sync::OnceLock;
use std::time::Duration;

use libR_sys::*;
use serde_json::json;

use super::super::ffi;
use super::super::token::{Escape, ProtectScope, RToken};
use super::super::{EngineConfig, Job, Message, RHandle};

/// The engine of this test binary (R starts once per process).
fn engine() -> &'static RHandle {
    static ENGINE: OnceLock<RHandle> = OnceLock::new();
    ENGINE.get_or_init(|| RHandle::start(EngineConfig::default()).expect("R starts"))
}

/// Runs `probe` on the R thread, between jobs, and returns what it returns.
fn on_r_thread<T: Send + 'static>(probe: impl FnOnce(&RToken) -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    let message = Message::Probe(Box::new(move |token| {
        let _ = sender.send(probe(token));
    }));
    engine()
        .inner
        .sender
        .send(message)
        .expect("the R thread runs");
    receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the probe ran")
}

/// How many objects R's protect stack holds.
fn protect_stack_height(_token: &RToken) -> usize {
    // SAFETY: on the R thread (token): a plain read of R's global.
    let height = unsafe { std::ptr::addr_of!(ffi::R_PPStackTop).read() };
    usize::try_from(height).expect("a height")
}

/// Protects three fresh vectors in `scope`.
fn protect_three<'r>(token: &'r RToken, scope: &mut ProtectScope<'r>) {
    for _ in 0..3 {
        // SAFETY: on the R thread inside `run_toplevel`.
        let fresh = unsafe { token.sexp(Rf_allocVector(SEXPTYPE::REALSXP, 10)) };
        scope.protect(fresh);
    }
}

/// Raises an R error, which jumps to the innermost top-level context.
fn raise_r_error(_token: &RToken) {
    // SAFETY: on the R thread inside `run_toplevel`; the message has no
    // format directives.
    unsafe { Rf_error(c"boom".as_ptr()) };
}

#[test]
fn a_scope_unprotects_what_it_protected_however_its_block_ends() {
    let heights = on_r_thread(|token| {
        let before = protect_stack_height(token);
        // R_ToplevelExec protects a few objects of its own.
        let normal = token.run_toplevel(|token| {
            let entry = protect_stack_height(token);
            let mut scope = ProtectScope::new(token);
            protect_three(token, &mut scope);
            protect_stack_height(token) - entry
        });
        let after_normal = protect_stack_height(token);
        // R drops the protections itself when it jumps to the context, and
        // the scope's Drop never runs: nothing is unprotected twice.
        let r_error = token.run_toplevel(|token| {
            let mut scope = ProtectScope::new(token);
            protect_three(token, &mut scope);
            raise_r_error(token);
        });
        let after_r_error = protect_stack_height(token);
        let panicked = token.run_toplevel(|token| {
            let mut scope = ProtectScope::new(token);
            protect_three(token, &mut scope);
            panic!("a bug");
        });
        let after_panic = protect_stack_height(token);
        (
            before,
            normal.ok(),
            after_normal,
            matches!(r_error, Err(Escape::Jumped)),
            after_r_error,
            matches!(panicked, Err(Escape::Panicked(_))),
            after_panic,
        )
    });
    let (before, inside, after_normal, jumped, after_r_error, panicked, after_panic) = heights;
    assert_eq!(inside, Some(3));
    assert_eq!(after_normal, before);
    assert!(jumped);
    assert_eq!(after_r_error, before);
    assert!(panicked);
    assert_eq!(after_panic, before);
}

#[test]
fn an_outer_scope_survives_an_r_error_in_an_inner_context() {
    let (before, outer, after_inner, after) = on_r_thread(|token| {
        let before = protect_stack_height(token);
        let inside = token.run_toplevel(|token| {
            let entry = protect_stack_height(token);
            let mut outer = ProtectScope::new(token);
            protect_three(token, &mut outer);
            let outer_height = protect_stack_height(token) - entry;
            let inner = token.run_toplevel(|token| {
                let mut inner = ProtectScope::new(token);
                protect_three(token, &mut inner);
                raise_r_error(token);
            });
            assert!(matches!(inner, Err(Escape::Jumped)));
            // Protecting in the outer scope from inside an inner context is
            // refused: a jump there would drop it behind the scope's back.
            let misuse = token.run_toplevel(|_| protect_three(token, &mut outer));
            assert!(matches!(misuse, Err(Escape::Panicked(_))), "{misuse:?}");
            (outer_height, protect_stack_height(token) - entry)
        });
        let (outer, after_inner) = inside.expect("the outer block completes");
        (before, outer, after_inner, protect_stack_height(token))
    });
    assert_eq!(outer, 3);
    assert_eq!(after_inner, 3);
    assert_eq!(after, before);
}

#[test]
fn jobs_leave_the_protect_stack_as_they_found_it() {
    let before = on_r_thread(protect_stack_height);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let engine = engine();
        let jobs = [
            Job::eval("x <- rnorm(10); summary(x)"),
            Job::eval("stop('boom')"),
            Job::eval("1 +"),
            Job::eval("warning('w'); 1").with_seed(7),
            Job::eval("y <- 1").in_env("probe"),
            Job::new(super::super::Task::DescribeEnv {
                env: "probe".into(),
            }),
            Job::call(
                "rmcp_engine_echo",
                json!({"x": [1, 2, 3], "t": {"a": [1, 2]}}),
            )
            .with_tables(["t"]),
            Job::call("rmcp_engine_echo", json!({"t": {"a": [1, 2], "b": [1]}})).with_tables(["t"]),
            Job::eval("rmcp_fmt(c(1.5, NA, 1e-10), 3L)"),
            Job::eval("x <- numeric(1e6); 1").with_timeout(Duration::from_secs(30)),
            Job::new(super::super::Task::DropEnv {
                env: "probe".into(),
            }),
        ];
        for job in jobs {
            let _ = engine.eval(job).await;
        }
    });
    assert_eq!(on_r_thread(protect_stack_height), before);
}
