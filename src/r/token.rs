//! Proof of being on the R thread, and the one place R's longjmps are caught.
//!
//! [`RToken`] is zero-sized and `!Send`; only the R thread's loop creates
//! one, and every function that touches R takes `&RToken`, so R cannot be
//! reached from another thread without `unsafe` code in this module.
//!
//! [`RToken::protect`] runs a closure inside `R_ToplevelExec`: an R error
//! (or an allocation failure past `R_MAX_VSIZE`) longjmps back to that C
//! frame instead of unwinding through Rust, and a Rust panic is caught before
//! it reaches C. Code run there must not rely on destructors running if R
//! jumps: it may only leak memory, never leave shared state half-updated.

use std::any::Any;
use std::marker::PhantomData;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libR_sys::{R_ToplevelExec, Rboolean};

/// Proof that the holder runs on the R thread, inside the job loop.
pub(crate) struct RToken {
    /// `*mut ()` makes the token `!Send` and `!Sync`.
    _not_send: PhantomData<*mut ()>,
}

/// Why a protected block did not complete.
#[derive(Debug)]
pub(crate) enum Escape {
    /// R jumped out (an R error, an interrupt outside a handler, OOM).
    Jumped,
    /// Rust code panicked; the message is kept for the log.
    Panicked(String),
}

impl RToken {
    /// # Safety
    /// Call only on the thread that initialised R, once R is initialised,
    /// and never let the token leave that thread (it cannot: it is `!Send`).
    pub(crate) unsafe fn new() -> RToken {
        RToken {
            _not_send: PhantomData,
        }
    }

    /// Runs `body` so that neither an R longjmp nor a Rust panic crosses the
    /// other language's frames.
    pub(crate) fn protect<T, F>(&self, body: F) -> Result<T, Escape>
    where
        F: FnOnce() -> T,
    {
        struct Frame<F, T> {
            body: Option<F>,
            result: Option<std::thread::Result<T>>,
        }

        unsafe extern "C" fn trampoline<F: FnOnce() -> T, T>(data: *mut c_void) {
            // SAFETY: `data` is the `Frame` that `protect` passed to
            // R_ToplevelExec below; it outlives this call and nothing else
            // accesses it meanwhile.
            let frame = unsafe { &mut *data.cast::<Frame<F, T>>() };
            if let Some(body) = frame.body.take() {
                frame.result = Some(catch_unwind(AssertUnwindSafe(body)));
            }
        }

        let mut frame = Frame::<F, T> {
            body: Some(body),
            result: None,
        };
        // SAFETY: we are on the R thread (we hold the token). R_ToplevelExec
        // sets up a top-level context so that any R jump inside `trampoline`
        // ends at this call; the frame pointer is valid for its duration.
        let completed = unsafe {
            R_ToplevelExec(
                Some(trampoline::<F, T>),
                (&mut frame as *mut Frame<F, T>).cast::<c_void>(),
            )
        };
        match frame.result {
            Some(Ok(value)) if completed == Rboolean::TRUE => Ok(value),
            Some(Ok(_)) | None => Err(Escape::Jumped),
            Some(Err(panic)) => Err(Escape::Panicked(panic_message(&panic))),
        }
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_string()
    }
}
