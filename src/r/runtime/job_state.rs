//! `engine.R`'s `rmcp_engine_state` environment, where the R side's calling
//! handlers record how a job failed and which warnings it raised; the job
//! loop resets it before a job and reads it after.

use libR_sys::*;
use serde_json::Value;

use super::super::convert;
use super::super::ffi::TYPEOF;
use super::super::token::{RToken, Sexp};
use super::{last_error_message, EngineError, RError};

/// R's type code of an environment.
const ENVSXP: i32 = 4;

/// The state environment and the symbols of its fields.
pub(super) struct JobState<'t> {
    env: Sexp<'t>,
    status: Sexp<'t>,
    message: Sexp<'t>,
    call: Sexp<'t>,
    warnings: Sexp<'t>,
    line: Sexp<'t>,
    column: Sexp<'t>,
}

impl<'t> JobState<'t> {
    /// Finds the environment in the (locked) catalog. Inside
    /// [`RToken::run_toplevel`].
    pub(super) fn find(token: &'t RToken, catalog: Sexp<'t>) -> Result<Self, EngineError> {
        // SAFETY: on the R thread (token); symbols are never collected, and
        // the environment is bound in the catalog, which is preserved.
        unsafe {
            let symbol = |name: &std::ffi::CStr| token.sexp(Rf_install(name.as_ptr()));
            let env = token.sexp(Rf_findVarInFrame(
                catalog.raw(),
                symbol(c"rmcp_engine_state").raw(),
            ));
            if TYPEOF(env.raw()) != ENVSXP {
                return Err(EngineError::Startup(
                    "r/common/engine.R defines no rmcp_engine_state environment".into(),
                ));
            }
            Ok(JobState {
                env,
                status: symbol(c"status"),
                message: symbol(c"message"),
                call: symbol(c"call"),
                warnings: symbol(c"warnings"),
                line: symbol(c"line"),
                column: symbol(c"column"),
            })
        }
    }

    /// Sets every field back to `NULL` (only those a job set: most are).
    /// Inside [`RToken::run_toplevel`].
    pub(super) fn reset(&self, _token: &RToken) {
        for symbol in [
            self.status,
            self.message,
            self.call,
            self.warnings,
            self.line,
            self.column,
        ] {
            // SAFETY: on the R thread (token); defineVar on our own unlocked
            // environment, which may allocate a binding (a jump is caught by
            // the enclosing top-level context).
            unsafe {
                if Rf_findVarInFrame(self.env.raw(), symbol.raw()) != R_NilValue {
                    Rf_defineVar(symbol.raw(), R_NilValue, self.env.raw());
                }
            }
        }
    }

    /// A field as JSON (`Null` when unset).
    fn field(&self, token: &RToken, symbol: Sexp<'t>) -> Value {
        // SAFETY: on the R thread (token); the field's value is reachable
        // from the environment while it is read.
        let value = unsafe { Rf_findVarInFrame(self.env.raw(), symbol.raw()) };
        // SAFETY: comparing with R's unbound marker reads a global.
        if value == unsafe { R_UnboundValue } {
            return Value::Null;
        }
        // SAFETY: R returned this object, bound in the environment.
        let value = unsafe { token.sexp(value) };
        convert::from_r(token, value, 1 << 20).unwrap_or(Value::Null)
    }

    /// The warnings the job raised, in order.
    pub(super) fn warnings(&self, token: &RToken) -> Vec<String> {
        match self.field(token, self.warnings) {
            Value::String(one) => vec![one],
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The error of a job that R reported as failed.
    pub(super) fn failure(&self, token: &RToken, warnings: Vec<String>) -> EngineError {
        let text = |symbol| match self.field(token, symbol) {
            Value::String(text) => Some(text),
            _ => None,
        };
        let number = |symbol| {
            self.field(token, symbol)
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
        };
        match text(self.status).as_deref() {
            Some("error") => EngineError::R(RError {
                message: text(self.message).unwrap_or_else(|| "unknown R error".into()),
                call: text(self.call),
                warnings,
                stdout: String::new(),
                stderr: String::new(),
            }),
            Some("parse_error") => EngineError::Parse {
                message: text(self.message).unwrap_or_default(),
                line: number(self.line),
                column: number(self.column),
            },
            Some(_) => EngineError::Cancelled,
            None => {
                // Failed before the handlers were in place: an interrupt
                // (empty message) or an error R raised itself.
                let message = last_error_message(token);
                if message.is_empty() {
                    EngineError::Cancelled
                } else {
                    EngineError::R(RError {
                        message,
                        call: None,
                        warnings,
                        stdout: String::new(),
                        stderr: String::new(),
                    })
                }
            }
        }
    }
}
