//! R's interrupt flag, shared by the watchdog and callers (which raise it,
//! `control`) and the R thread (which clears it around each job,
//! `runtime`), so neither of those modules imports the other.

use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicI32, Ordering};

use libR_sys::R_interrupts_pending;

use super::token::RToken;

/// Sets R's interrupt flag. Safe to call from any thread: R reads the flag
/// (a plain `int`) at its next check on the R thread.
pub(crate) fn request_interrupt() {
    // SAFETY: `R_interrupts_pending` is a static int in libR.so, valid for the
    // life of the process; it is accessed atomically here, and R only reads
    // it or resets it to 0 on its own thread.
    unsafe {
        AtomicI32::from_ptr(addr_of_mut!(R_interrupts_pending)).store(1, Ordering::SeqCst);
    }
}

/// Clears R's interrupt flag, on the R thread between jobs.
pub(crate) fn clear_interrupt(_token: &RToken) {
    // SAFETY: as in `request_interrupt`.
    unsafe {
        AtomicI32::from_ptr(addr_of_mut!(R_interrupts_pending)).store(0, Ordering::SeqCst);
    }
}
