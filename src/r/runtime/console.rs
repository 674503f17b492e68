//! R's console, redirected: everything R prints during a job lands in
//! per-job buffers (capped at the job's share of the reply cap) instead of
//! the process's standard streams.

use std::cell::RefCell;
use std::os::raw::{c_char, c_int};

/// Console text of the current job, filled by R's console callback.
struct Console {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cap: usize,
    dropped: usize,
}

thread_local! {
    static CONSOLE: RefCell<Console> = const {
        RefCell::new(Console { stdout: Vec::new(), stderr: Vec::new(), cap: 1 << 20, dropped: 0 })
    };
}

/// `ptr_R_WriteConsoleEx`: R calls it on the R thread for all console text.
pub(super) unsafe extern "C" fn write_console(buffer: *const c_char, len: c_int, stream: c_int) {
    let Ok(len) = usize::try_from(len) else {
        return;
    };
    if buffer.is_null() {
        return;
    }
    // SAFETY: R passes `len` readable bytes at `buffer`.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), len) };
    // Nothing here may unwind into R's C frames.
    let _ = std::panic::catch_unwind(|| {
        CONSOLE.with(|console| {
            if let Ok(mut console) = console.try_borrow_mut() {
                let room = console
                    .cap
                    .saturating_sub(console.stdout.len() + console.stderr.len());
                let kept = bytes.len().min(room);
                console.dropped += bytes.len() - kept;
                let target = if stream == 0 {
                    &mut console.stdout
                } else {
                    &mut console.stderr
                };
                target.extend_from_slice(&bytes[..kept]);
            }
        });
    });
}

/// Empties the buffers for a new job that may print up to `cap` bytes.
pub(super) fn start_capture(cap: usize) {
    CONSOLE.with(|console| {
        let mut console = console.borrow_mut();
        console.cap = cap;
        console.stdout.clear();
        console.stderr.clear();
        console.dropped = 0;
    });
}

/// Takes the job's console text, with a marker when some was dropped.
pub(super) fn take_console() -> (String, String) {
    CONSOLE.with(|console| {
        let mut console = console.borrow_mut();
        let mut stdout = String::from_utf8_lossy(&std::mem::take(&mut console.stdout)).into_owned();
        let stderr = String::from_utf8_lossy(&std::mem::take(&mut console.stderr)).into_owned();
        if console.dropped > 0 {
            stdout.push_str(&format!(
                "\n[output truncated: {} more bytes not shown]\n",
                console.dropped
            ));
            console.dropped = 0;
        }
        (stdout, stderr)
    })
}
