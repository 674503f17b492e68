//! Host calls: R code calling back into Rust through
//! `rmcp_host_call(name, args)` (defined in `r/common/engine.R`).
//!
//! The engine's user sets one [`HostHandler`] in its config; it runs on the R
//! thread, in the middle of the job that called it, so it must not wait for
//! anything that needs the R thread. A sandboxed worker uses it to forward
//! `rmcp_call("linear_model", ...)` to the server over its channel.
//!
//! Registration: the `.Call` routines (this one, `rmcp_same_object`, and
//! `rmcp_format_g` from `format`) in R's "(embedding)" DLL entry, made once
//! at start-up.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libR_sys::*;
use serde_json::Value;

use super::convert;
use super::token::{ProtectScope, RToken};
use super::HostHandler;

thread_local! {
    /// The handler, set on the R thread at start-up.
    static HANDLER: RefCell<Option<HostHandler>> = const { RefCell::new(None) };
}

/// A routine of two SEXP arguments returning a SEXP, as R's `.Call` calls it.
type Routine2 = unsafe extern "C" fn(SEXP, SEXP) -> SEXP;

/// The registration entry for `.Call(name, a, b)`.
fn call_routine(name: &'static std::ffi::CStr, routine: Routine2) -> R_CallMethodDef {
    R_CallMethodDef {
        name: name.as_ptr(),
        fun: Some(
            // SAFETY: R calls registered routines with the declared number of
            // SEXP arguments (2, below); the cast only erases the signature,
            // as R's own registration macros do.
            unsafe {
                std::mem::transmute::<Routine2, unsafe extern "C" fn() -> *mut std::os::raw::c_void>(
                    routine,
                )
            },
        ),
        numArgs: 2,
    }
}

/// `.Call("rmcp_same_object", a, b)`: whether `a` and `b` are one R object
/// (not merely equal values), as a logical scalar.
unsafe extern "C" fn same_object(a: SEXP, b: SEXP) -> SEXP {
    // SAFETY: R calls this on the R thread, inside a job, with two arguments;
    // only their addresses are compared.
    unsafe { Rf_ScalarLogical(std::os::raw::c_int::from(a == b)) }
}

/// Registers the `.Call` routines (`rmcp_host_call`, `rmcp_format_g`,
/// `rmcp_same_object`) and keeps `handler` for the first.
pub(crate) fn install(token: &RToken, handler: Option<HostHandler>) {
    HANDLER.with(|slot| *slot.borrow_mut() = handler);
    let routines = [
        call_routine(c"rmcp_host_call", host_call),
        call_routine(c"rmcp_format_g", super::format::format_g_routine),
        call_routine(c"rmcp_same_object", same_object),
        R_CallMethodDef {
            name: std::ptr::null(),
            fun: None,
            numArgs: 0,
        },
    ];
    let _ = token.run_toplevel(|_| {
        // SAFETY: on the R thread; R copies the routine table.
        unsafe {
            let info = R_getEmbeddingDllInfo();
            R_registerRoutines(
                info,
                std::ptr::null(),
                routines.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
            );
        }
    });
}

/// The `.Call` routine: `list(TRUE, value)` or `list(FALSE, message)`; the R
/// wrapper turns the latter into an R error (raising one here would jump
/// over Rust frames).
unsafe extern "C" fn host_call(name: SEXP, args: SEXP) -> SEXP {
    // SAFETY: R calls this routine on the R thread during a job.
    let token = unsafe { RToken::new() };
    // SAFETY: R passes valid objects, which it keeps alive for the call.
    let (name, args) = unsafe { (token.sexp(name), token.sexp(args)) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let name = match convert::from_r(&token, name, 4096) {
            Ok(Value::String(name)) => name,
            _ => return Err("rmcp_host_call: name must be one string".to_string()),
        };
        let args = convert::from_r(&token, args, 64 << 20)
            .map_err(|e| format!("rmcp_host_call: arguments too large ({} bytes)", e.bytes))?;
        let handler = HANDLER.with(|slot| slot.borrow().clone());
        match handler {
            Some(handler) => (handler.0)(&name, args),
            None => Err("host calls are not available in this engine".to_string()),
        }
    }));
    let outcome = outcome.unwrap_or_else(|_| Err("the host call failed unexpectedly".into()));
    let (ok, value) = match outcome {
        Ok(value) => (true, value),
        Err(message) => (false, Value::String(message)),
    };
    let mut scope = ProtectScope::new(&token);
    // SAFETY: on the R thread; the two-element list is protected (in
    // `scope`) while its elements are allocated; an allocation failure jumps
    // to R's handler, skipping `scope`'s Drop (R resets the protect stack
    // there, see `token`) and leaking at most `value`.
    unsafe {
        let result = scope.protect_raw(Rf_allocVector(SEXPTYPE::VECSXP, 2)).raw();
        SET_VECTOR_ELT(result, 0, Rf_ScalarLogical(i32::from(ok)));
        let converted = if convert::check_input(&value).is_ok() {
            convert::to_r(&token, &value, &[]).map_or(R_NilValue, |x| x.raw())
        } else {
            R_NilValue
        };
        SET_VECTOR_ELT(result, 1, converted);
        result
    }
}
