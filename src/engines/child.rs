//! Engine mode: `rmcp engine ...`, a catalog engine process of the pool.
//!
//! It is the free-form worker's process (`worker::child`) with the
//! `--catalog-engine` flavour: the same start-up order (channel, death
//! signal, folder, rlimits and landlock, the embedded R from `crate::r`
//! loading the same `r/` sources, seccomp, then `ready`), the same frames,
//! and requests of [`crate::worker::protocol::Op::Job`] run as engine jobs
//! (`rmcp_run_tool` for a catalog tool, with the tool's seed). It differs
//! in two ways: it keeps the server's CPU priority (it serves the catalog
//! beside the server's R thread, not a session's experiments), and it
//! preloads the packages the server's R preloads.

use std::process::ExitCode;

use crate::config::WorkerArgs;

/// Runs engine mode; returns when the server closes the channel.
pub fn run(args: &WorkerArgs) -> ExitCode {
    let mut args = args.clone();
    args.catalog_engine = true;
    crate::worker::child::run(&args)
}
