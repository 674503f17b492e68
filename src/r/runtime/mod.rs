//! The R thread, split by concern:
//! - `startup`: starting R on its own thread and loading the R side;
//! - `console`: R's console output, captured per job;
//! - `job_loop`: waiting for jobs and running each one, in named steps;
//! - `job_state`: how the R side reports a job's failure and warnings;
//! - `restore`: putting interpreter-wide state back after a job;
//! - `workspaces`: the named, persistent environments.
//!
//! This file holds what they share: the [`Engine`] (the R thread's state)
//! and small R helpers. Everything here runs on the R thread: functions
//! that touch R take the [`RToken`], and the R objects the engine keeps
//! ([`Sexp`]) borrow it, so none can leave the thread.

mod console;
mod job_loop;
mod job_state;
mod restore;
mod startup;
mod workspaces;

use std::os::raw::{c_char, c_int};
use std::sync::Arc;

use libR_sys::*;

use super::control::Control;
use super::ffi;
use super::token::{Escape, ProtectScope, RToken, Sexp};
use super::{EngineConfig, EngineError, RError};

pub(crate) use startup::spawn;

/// Share of the reply cap that console output may use; the rest is the
/// value's.
const OUTPUT_SHARE: usize = 4;

/// Symbols the job loop uses, installed once (symbols are never collected).
struct Symbols<'t> {
    eval: Sexp<'t>,
    call: Sexp<'t>,
    env_info: Sexp<'t>,
    restore: Sexp<'t>,
    random_seed: Sexp<'t>,
    options: Sexp<'t>,
}

/// State of the R thread. Holds R objects, so it never leaves the thread.
struct Engine<'t> {
    token: &'t RToken,
    config: EngineConfig,
    control: Arc<Control>,
    /// The locked environment holding the R side (`r/`), preserved for the
    /// life of the thread.
    catalog: Sexp<'t>,
    symbols: Symbols<'t>,
    state: job_state::JobState<'t>,
    baseline: Option<restore::Baseline<'t>>,
    workspaces: workspaces::Workspaces<'t>,
}

impl Engine<'_> {
    /// The bytes a job's value may take as JSON: the reply cap less the
    /// console's share.
    fn value_budget(&self) -> usize {
        self.config.max_reply_bytes - self.config.max_reply_bytes / OUTPUT_SHARE
    }
}

/// A length-1 character vector, unprotected (the text must hold no NUL).
/// Inside [`RToken::run_toplevel`]: allocation may jump.
fn scalar_string<'r>(token: &'r RToken, text: &str) -> Sexp<'r> {
    let mut scope = ProtectScope::new(token);
    // SAFETY: on the R thread (token); pointer and length describe `text`,
    // which R copies; the CHARSXP is protected while the vector is made.
    unsafe {
        let element = scope.protect_raw(Rf_mkCharLenCE(
            text.as_ptr().cast::<c_char>(),
            c_int::try_from(text.len()).unwrap_or(c_int::MAX),
            cetype_t::CE_UTF8,
        ));
        token.sexp(Rf_ScalarString(element.raw()))
    }
}

/// `NULL` or a length-1 integer for the R side's seed argument, unprotected.
/// Inside [`RToken::run_toplevel`]: allocation may jump.
fn seed_value(token: &RToken, seed: Option<i32>) -> Sexp<'_> {
    // SAFETY: on the R thread (token); both are valid R objects.
    unsafe {
        match seed {
            Some(seed) if seed != c_int::MIN => token.sexp(Rf_ScalarInteger(seed)),
            _ => token.sexp(R_NilValue),
        }
    }
}

/// How an evaluation in R's own top-level context reports an error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorPrinting {
    /// R prints the error to the console (captured with the job's output).
    Printed,
    /// Not printed (the R side's handlers record it instead).
    Silent,
}

/// Evaluates `call` in `env` inside R's own top-level context
/// (`R_tryEval`): `None` when R raised an error. The value is unprotected.
fn try_eval<'r>(
    token: &'r RToken,
    call: Sexp<'r>,
    env: Sexp<'r>,
    printing: ErrorPrinting,
) -> Option<Sexp<'r>> {
    let mut failed: c_int = 0;
    // SAFETY: on the R thread (token); `call` and `env` are valid objects
    // the caller keeps protected. R_tryEval catches every R jump itself and
    // returns a null pointer when it caught one.
    let value = unsafe {
        match printing {
            ErrorPrinting::Printed => R_tryEval(call.raw(), env.raw(), &mut failed),
            ErrorPrinting::Silent => R_tryEvalSilent(call.raw(), env.raw(), &mut failed),
        }
    };
    if failed != 0 || value.is_null() {
        return None;
    }
    // SAFETY: R returned this object.
    Some(unsafe { token.sexp(value) })
}

/// R's last error text, without the `Error:` prefix R adds.
fn last_error_message(_token: &RToken) -> String {
    // SAFETY: on the R thread (token); R_curErrorBuf returns R's static,
    // NUL-terminated error buffer.
    let raw = unsafe { std::ffi::CStr::from_ptr(ffi::R_curErrorBuf()) };
    let text = raw.to_string_lossy();
    let text = text.trim();
    let text = text
        .strip_prefix("Error in ")
        .and_then(|rest| rest.split_once(" : ").map(|(_, message)| message))
        .or_else(|| text.strip_prefix("Error: "))
        .unwrap_or(text);
    text.trim().to_string()
}

/// The job error for a block that R jumped out of or that panicked.
fn escape_error(token: &RToken, escape: Escape) -> EngineError {
    match escape {
        Escape::Jumped => {
            let message = last_error_message(token);
            if message.contains("vector memory") || message.contains("cannot allocate") {
                EngineError::R(RError {
                    message,
                    call: None,
                    warnings: Vec::new(),
                    stdout: String::new(),
                    stderr: String::new(),
                })
            } else if message.is_empty() {
                EngineError::Cancelled
            } else {
                EngineError::Internal(format!("R stopped unexpectedly: {message}"))
            }
        }
        Escape::Panicked(message) => {
            log::error!("panic on the R thread, caught: {message}");
            EngineError::Internal("a bug in the engine stopped this job; it has been logged".into())
        }
    }
}

#[cfg(test)]
mod tests;
