//! Proof of being on the R thread, R objects tied to that proof, the guard
//! that keeps them protected, and the one place R's longjmps are caught.
//!
//! - [`RToken`] is zero-sized and `!Send`; only the R thread's loop creates
//!   one (and R's `.Call` routines, which R itself calls on its thread).
//!   Every function that touches R takes `&RToken`.
//! - [`Sexp<'r>`] is an R object borrowed from the token, as PyO3's
//!   `Bound<'py, T>` is from `Python<'py>`: it cannot outlive the token or
//!   leave its thread (it is `!Send` too). It is only a pointer: whether
//!   R's garbage collector may take the object is [`ProtectScope`]'s
//!   business.
//! - [`ProtectScope`] replaces counted `Rf_protect` / `Rf_unprotect(n)`
//!   pairs: it protects objects and its `Drop` unprotects exactly those.
//! - [`RToken::run_toplevel`] runs a closure inside `R_ToplevelExec`: an R
//!   error (or an allocation failure past `R_MAX_VSIZE`) longjmps back to
//!   that C frame instead of unwinding through Rust, and a Rust panic is
//!   caught before it reaches C. Code run there must not rely on
//!   destructors running if R jumps: it may only leak memory, never leave
//!   shared state half-updated. The closure gets a token of its own, whose
//!   objects cannot leave the closure (as PyO3's `Python::with_gil`): a
//!   job's R objects end with the job. Objects kept longer (the engine's
//!   environments, preserved) are made with the R thread's token.
//!
//! How a [`ProtectScope`] stays balanced when R jumps. Every R context (the
//! one `run_toplevel` opens, each `R_tryEval`, R's evaluator's own) records
//! the protect stack's height when it begins, and a longjmp to it puts that
//! height back. The jump abandons the Rust frames it crosses without running
//! their destructors. So:
//! - a scope made inside the code R jumps out of never runs its `Drop`: R
//!   has already dropped its protections, and nothing is unprotected twice
//!   (the scopes of `.Call` routines, which R's evaluator calls, are such);
//! - a scope made outside the context R jumps to still has all its
//!   protections on the stack (it made them before the context began), and
//!   its `Drop` unprotects exactly those.
//!
//! The one unbalanced pattern is a scope protecting *inside* a context
//! deeper than the one it was made in: a jump would drop that protection
//! while the scope still counts it. [`ProtectScope::protect`] refuses it:
//! each scope records the [`RToken::run_toplevel`] depth it was made at,
//! and panics (a panic the enclosing trampoline catches) at any other. Rust
//! code enters R's own contexts (`R_tryEval`) only through calls that
//! return, so no Rust scope protects inside those. A Rust panic unwinds
//! normally: every scope's `Drop` runs, innermost first. The engine's tests
//! (`runtime/tests.rs`) check all of this against R's protect stack.

use std::any::Any;
use std::cell::Cell;
use std::marker::PhantomData;
use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use libR_sys::{R_ToplevelExec, Rboolean, Rf_protect, Rf_unprotect, SEXP};

/// Proof that the holder runs on the R thread, with R initialised.
pub(crate) struct RToken {
    /// `*mut ()` makes the token `!Send` and `!Sync`.
    _not_send: PhantomData<*mut ()>,
}

/// An R object, usable while the token it was made with is borrowed.
///
/// Holding one says "this is an R object, and we are on the R thread"; it
/// does not keep the object alive (see [`ProtectScope`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sexp<'r> {
    raw: SEXP,
    _token: PhantomData<&'r RToken>,
}

impl<'r> Sexp<'r> {
    /// The pointer, for R's C API.
    pub(crate) fn raw(self) -> SEXP {
        self.raw
    }
}

impl std::fmt::Debug for Sexp<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sexp({:p})", self.raw)
    }
}

/// Why a block run by [`RToken::run_toplevel`] did not complete.
#[derive(Debug)]
pub(crate) enum Escape {
    /// R jumped out (an R error, an interrupt outside a handler, OOM).
    Jumped,
    /// Rust code panicked; the message is kept for the log.
    Panicked(String),
}

thread_local! {
    /// How many [`RToken::run_toplevel`] calls are running on this thread.
    static TOPLEVEL_DEPTH: Cell<u32> = const { Cell::new(0) };
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

    /// `raw` as an R object tied to this token.
    ///
    /// # Safety
    /// `raw` is a valid R object (what an R API function returned, or one
    /// reachable from such), not yet collected.
    pub(crate) unsafe fn sexp(&self, raw: SEXP) -> Sexp<'_> {
        Sexp {
            raw,
            _token: PhantomData,
        }
    }

    /// Runs `body` as an R top-level context, so that neither an R longjmp
    /// nor a Rust panic crosses the other language's frames. `body` gets a
    /// token whose objects cannot outlive it.
    pub(crate) fn run_toplevel<T, F>(&self, body: F) -> Result<T, Escape>
    where
        F: FnOnce(&RToken) -> T,
    {
        struct Frame<F, T> {
            body: Option<F>,
            result: Option<std::thread::Result<T>>,
        }

        unsafe extern "C" fn trampoline<F: FnOnce(&RToken) -> T, T>(data: *mut c_void) {
            // SAFETY: `data` is the `Frame` that `run_toplevel` passed to
            // R_ToplevelExec below; it outlives this call and nothing else
            // accesses it meanwhile.
            let frame = unsafe { &mut *data.cast::<Frame<F, T>>() };
            if let Some(body) = frame.body.take() {
                // On the R thread (`run_toplevel` holds a token).
                let token = RToken {
                    _not_send: PhantomData,
                };
                frame.result = Some(catch_unwind(AssertUnwindSafe(|| body(&token))));
            }
        }

        let mut frame = Frame::<F, T> {
            body: Some(body),
            result: None,
        };
        let depth = TOPLEVEL_DEPTH.get();
        TOPLEVEL_DEPTH.set(depth + 1);
        // SAFETY: we are on the R thread (we hold the token). R_ToplevelExec
        // sets up a top-level context so that any R jump inside `trampoline`
        // ends at this call; the frame pointer is valid for its duration.
        let completed = unsafe {
            R_ToplevelExec(
                Some(trampoline::<F, T>),
                (&mut frame as *mut Frame<F, T>).cast::<c_void>(),
            )
        };
        TOPLEVEL_DEPTH.set(depth);
        match frame.result {
            Some(Ok(value)) if completed == Rboolean::TRUE => Ok(value),
            Some(Ok(_)) | None => Err(Escape::Jumped),
            Some(Err(panic)) => Err(Escape::Panicked(panic_message(&panic))),
        }
    }
}

/// Objects kept safe from R's garbage collector until the scope ends: its
/// `Drop` unprotects what it protected, in one `Rf_unprotect`.
///
/// Scopes nest like the stack they manage: one made after another ends
/// before it (as locals do; never `drop` an outer scope early). See the
/// module's doc for how a scope stays balanced when R jumps.
pub(crate) struct ProtectScope<'r> {
    count: c_int,
    /// The [`RToken::run_toplevel`] depth the scope was made at.
    depth: u32,
    _token: PhantomData<&'r RToken>,
}

impl<'r> ProtectScope<'r> {
    pub(crate) fn new(_token: &'r RToken) -> ProtectScope<'r> {
        ProtectScope {
            count: 0,
            depth: TOPLEVEL_DEPTH.get(),
            _token: PhantomData,
        }
    }

    /// Protects `x` until the scope ends.
    ///
    /// # Panics
    /// Inside a [`RToken::run_toplevel`] nested deeper (or shallower) than
    /// the one the scope was made in: an R jump there would drop the
    /// protection without the scope knowing.
    pub(crate) fn protect(&mut self, x: Sexp<'r>) -> Sexp<'r> {
        assert_eq!(
            self.depth,
            TOPLEVEL_DEPTH.get(),
            "a protect scope used inside another R top-level context"
        );
        // SAFETY: on the R thread (the scope borrows the token); `x` is a
        // valid object. Rf_protect fails only on protect-stack overflow,
        // which jumps to the enclosing top-level context like any R error.
        unsafe { Rf_protect(x.raw) };
        self.count += 1;
        x
    }

    /// Protects a pointer R just returned.
    ///
    /// # Safety
    /// As [`RToken::sexp`]: `raw` is a valid R object.
    pub(crate) unsafe fn protect_raw(&mut self, raw: SEXP) -> Sexp<'r> {
        self.protect(Sexp {
            raw,
            _token: PhantomData,
        })
    }
}

impl Drop for ProtectScope<'_> {
    fn drop(&mut self) {
        if self.count > 0 {
            // SAFETY: on the R thread; the top `count` entries of the protect
            // stack are this scope's (scopes nest, and a jump that would have
            // dropped some of them also skips this destructor, see the module
            // doc), so unprotecting them cannot fail.
            unsafe { Rf_unprotect(self.count) };
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
