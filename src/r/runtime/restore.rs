//! Putting interpreter-wide state back after a job: the RNG state always,
//! and everything else (options, graphics devices, globals, the search
//! path, the working directory) only when a cheap comparison with the
//! baseline taken at start-up sees a change; R's `rmcp_engine_restore()`
//! then does the actual restoring.

use std::os::raw::c_int;

use libR_sys::*;

use super::super::ffi::TYPEOF;
use super::super::token::{ProtectScope, RToken, Sexp};
use super::{last_error_message, try_eval, Engine, ErrorPrinting};

/// R's type code of a pairlist node.
const LISTSXP: c_int = 2;

/// Interpreter-wide state as it was after start-up. After each job the engine
/// compares against it cheaply, and asks R to restore only on a difference.
pub(super) struct Baseline<'t> {
    /// The values of `.Options` entries, in order (a preserved list, so none
    /// is collected and its address reused). R updates the `.Options`
    /// pairlist in place, so a changed option shows as a different value
    /// pointer: comparing pointers costs nanoseconds where `identical()` on
    /// the options costs ~0.1 ms.
    options: Sexp<'t>,
    option_tags: Vec<Sexp<'t>>,
    globals: usize,
    search_path: usize,
    working_dir: Option<std::path::PathBuf>,
}

impl<'t> Engine<'t> {
    /// Takes the baseline the after-job checks compare against. Inside
    /// [`RToken::run_toplevel`].
    pub(super) fn record_baseline(&mut self) {
        let token = self.token;
        let mut scope = ProtectScope::new(token);
        // SAFETY: on the R thread (token); walks the `.Options` pairlist and
        // copies its values into a list that is protected while filled, then
        // preserved until the next baseline replaces it.
        let (options, option_tags) = unsafe {
            let current = Rf_findVarInFrame(R_BaseEnv, self.symbols.options.raw());
            let mut option_tags = Vec::new();
            let mut node = current;
            while TYPEOF(node) == LISTSXP {
                option_tags.push(token.sexp(TAG(node)));
                node = CDR(node);
            }
            let options = scope.protect_raw(Rf_allocVector(
                SEXPTYPE::VECSXP,
                option_tags.len() as R_xlen_t,
            ));
            let mut node = current;
            for index in 0..option_tags.len() {
                SET_VECTOR_ELT(options.raw(), index as R_xlen_t, CAR(node));
                node = CDR(node);
            }
            R_PreserveObject(options.raw());
            (options, option_tags)
        };
        if let Some(old) = self.baseline.take() {
            // SAFETY: on the R thread; the old copy was preserved when made
            // and is released exactly once.
            unsafe { R_ReleaseObject(old.options.raw()) };
        }
        self.baseline = Some(Baseline {
            options,
            option_tags,
            globals: self.global_count(),
            search_path: search_path_length(token),
            working_dir: std::env::current_dir().ok(),
        });
    }

    /// Variables in the global environment, not counting the RNG state.
    /// Inside [`RToken::run_toplevel`].
    fn global_count(&self) -> usize {
        // SAFETY: on the R thread (self.token); lists the global
        // environment's names (an allocation, which may jump) and looks one
        // up.
        unsafe {
            let names = R_lsInternal3(R_GlobalEnv, Rboolean::TRUE, Rboolean::FALSE);
            let count = usize::try_from(Rf_xlength(names)).unwrap_or(0);
            let has_seed =
                R_existsVarInFrame(R_GlobalEnv, self.symbols.random_seed.raw()) == Rboolean::TRUE;
            count - usize::from(has_seed && count > 0)
        }
    }

    /// The `.Random.seed` binding before a job (`R_UnboundValue` when there
    /// is none), for [`Engine::restore_state`]; the caller protects it.
    pub(super) fn saved_seed(&self) -> Sexp<'t> {
        // SAFETY: on the R thread (self.token); a lookup in a frame.
        unsafe {
            self.token.sexp(Rf_findVarInFrame(
                R_GlobalEnv,
                self.symbols.random_seed.raw(),
            ))
        }
    }

    /// After a job: puts the RNG state back, and has R restore everything
    /// else when a cheap check sees a change. Inside
    /// [`RToken::run_toplevel`]; `saved_seed` is [`Engine::saved_seed`]'s,
    /// kept protected by the job.
    ///
    /// `full` also counts global variables (a few microseconds): needed
    /// after evaluating code, not after the R side's own functions, which
    /// never assign globals.
    pub(super) fn restore_state(&mut self, saved_seed: Sexp<'_>, full: bool) {
        let token = self.token;
        let seed_symbol = self.symbols.random_seed.raw();
        // SAFETY: on the R thread (token); puts back or removes one binding
        // of the global environment.
        unsafe {
            if Rf_findVarInFrame(R_GlobalEnv, seed_symbol) != saved_seed.raw() {
                if saved_seed.raw() == R_UnboundValue {
                    R_removeVarFromFrame(seed_symbol, R_GlobalEnv);
                } else {
                    Rf_defineVar(seed_symbol, saved_seed.raw(), R_GlobalEnv);
                }
            }
        }
        let Some(baseline) = &self.baseline else {
            return;
        };
        // SAFETY: on the R thread (token); reads `.Options` and counts
        // devices.
        let changed = unsafe {
            options_changed(
                token,
                Rf_findVarInFrame(R_BaseEnv, self.symbols.options.raw()),
                baseline,
            ) || Rf_NumDevices() > 1
        } || (full && self.global_count() != baseline.globals)
            || search_path_length(token) != baseline.search_path
            || std::env::current_dir().ok() != baseline.working_dir;
        if changed {
            self.restore_from_baseline();
        }
    }

    /// Has R's `rmcp_engine_restore()` undo what the job changed, then
    /// takes a new baseline.
    fn restore_from_baseline(&mut self) {
        let token = self.token;
        {
            let mut scope = ProtectScope::new(token);
            // SAFETY: on the R thread (token); a one-element call of a symbol.
            let call = unsafe { scope.protect_raw(Rf_lang1(self.symbols.restore.raw())) };
            if try_eval(token, call, self.catalog, ErrorPrinting::Printed).is_none() {
                log::error!(
                    "restoring R's state after a job failed: {}",
                    last_error_message(token)
                );
            }
        }
        self.record_baseline();
    }
}

/// Whether the `.Options` pairlist differs from the baseline: an option
/// added, removed or given a new value.
///
/// # Safety
/// `current` is the `.Options` pairlist.
unsafe fn options_changed(_token: &RToken, current: SEXP, baseline: &Baseline<'_>) -> bool {
    // SAFETY: on the R thread (token); walks a pairlist and reads a
    // preserved list, allocating nothing.
    unsafe {
        let mut node = current;
        for (index, tag) in baseline.option_tags.iter().enumerate() {
            if TYPEOF(node) != LISTSXP
                || TAG(node) != tag.raw()
                || CAR(node) != VECTOR_ELT(baseline.options.raw(), index as R_xlen_t)
            {
                return true;
            }
            node = CDR(node);
        }
        TYPEOF(node) == LISTSXP
    }
}

/// Environments between the global and the empty environment (the search
/// path, as `length(search())` counts it).
fn search_path_length(_token: &RToken) -> usize {
    // SAFETY: on the R thread (token); walking parent environments reads
    // R's memory only.
    unsafe {
        let mut count = 0;
        let mut env = R_GlobalEnv;
        while env != R_EmptyEnv && count < 10_000 {
            count += 1;
            env = ENCLOS(env);
        }
        count
    }
}
