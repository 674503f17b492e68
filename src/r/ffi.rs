//! Declarations libR-sys 0.7 lacks (from `Rinterface.h`, `Rembedded.h` and
//! `Rinternals.h`), all exported by Debian's `libR.so`.
//!
//! Only this module and its siblings in `src/r/` name these symbols; the rest
//! of the crate never sees them.

#![allow(non_upper_case_globals, dead_code)]
// SEXP points at R's opaque SEXPREC; R only ever hands the pointer back.
#![allow(improper_ctypes)]

use libR_sys::SEXP;
use std::os::raw::{c_char, c_int, c_void};

/// `ptr_R_WriteConsoleEx`'s type: text, length, 0 = stdout / 1 = stderr.
pub type WriteConsoleEx = Option<unsafe extern "C" fn(*const c_char, c_int, c_int)>;

extern "C" {
    /// 0 stops R from installing its SIGINT/SIGSEGV/SIGPIPE handlers, which
    /// would otherwise take over signals in our tokio process.
    pub static mut R_SignalHandlers: c_int;
    pub static mut R_Interactive: c_int;
    pub static mut ptr_R_WriteConsole: Option<unsafe extern "C" fn(*const c_char, c_int)>;
    pub static mut ptr_R_WriteConsoleEx: WriteConsoleEx;
    pub static mut R_Outputfile: *mut c_void;
    pub static mut R_Consolefile: *mut c_void;
    /// Where the C stack starts and which way it grows: set for the R thread
    /// itself, because R's defaults describe the main thread's stack.
    pub static mut R_CStackStart: usize;
    pub static mut R_CStackDir: c_int;
    /// How often (µs) `Sys.sleep` and friends wake to check for interrupts.
    pub static mut R_wait_usec: c_int;
    /// Non-API, exported: the last error message R formatted.
    pub fn R_curErrorBuf() -> *const c_char;
    /// A function in R 4.2's shared library (a macro only inside R itself).
    pub fn TYPEOF(x: SEXP) -> c_int;
}

#[cfg(test)]
extern "C" {
    /// Non-API, exported: the protect stack's height. Only the tests read
    /// it, to check that the engine leaves the stack as it found it.
    pub static R_PPStackTop: c_int;
}
