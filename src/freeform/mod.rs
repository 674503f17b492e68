//! [`FreeFormR`]: the [`ToolProvider`] of the twelve free-form tools:
//! execute_r_analysis (`execute`), the package allowlist and approvals
//! (`flexible`), the live-workspace introspection tools (`inspect`) and the
//! callback tools (`callbacks`, with `runner` running catalog tools for R's
//! `rmcp_call()`). Their declarations live in
//! `src/tools/{flexible_r, introspection, bidirectional}/`.
//!
//! Layout:
//! - `session`: which worker serves which R workspace, which workspace is
//!   each MCP session's own, and what a workspace approved (packages,
//!   directories, callback sessions).
//! - `approvals`: the records of what a workspace approved (packages,
//!   operations, folders) and its callback sessions.
//! - `workspaces`: why a `workspace` handle is refused (unknown, another
//!   credential's, expired), worded for the model.
//! - `shared`: the state every handler shares and the [`Handler`] signature.
//! - `execute`, `flexible`, `inspect`, `callbacks`: the handlers, each
//!   listing its tools in a `HANDLERS` table that this provider dispatches
//!   from (no hand-written match on names, and no module imports this one).
//!
//! Everything that runs user-written R goes to the sandboxed worker of the
//! calling session's workspace, or of the one its `workspace` handle names (`crate::worker`); nothing here evaluates it in the
//! server's R. Free-form R is refused with a clear error while the sandbox
//! is incomplete, unless the server was started with `--allow-weak-sandbox`.
//! It knows no MCP and no HTTP.
//!
//! [`Handler`]: shared::Handler

mod approvals;
mod callbacks;
mod execute;
mod flexible;
mod inspect;
mod runner;
pub mod session;
mod shared;
mod stateless;
mod workspaces;

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, Tool};
use serde_json::{json, Map, Value};

use self::runner::CallbackRunner;
use self::session::Sessions;
use self::shared::{error, Handler, Shared};
use crate::tools::result_store::ResultStore;
use crate::tools::{CallContext, ToolProvider};
use crate::vfs::Vfs;
use crate::worker::allowlist::Allowlist;
use crate::worker::Pool;

/// Every handler table, one per handler module.
const HANDLER_TABLES: [&[(&str, Handler)]; 4] = [
    execute::HANDLERS,
    flexible::HANDLERS,
    inspect::HANDLERS,
    callbacks::HANDLERS,
];

/// The free-form R tools.
pub struct FreeFormR {
    shared: Shared,
    tools: Vec<Tool>,
    /// Each listed tool's handler; a listed tool without one answers that
    /// this is a server bug (the unit tests keep that from happening).
    handlers: HashMap<String, Handler>,
}

/// Why the provider could not be built (a bug in a declaration).
#[derive(Debug, thiserror::Error)]
pub enum FreeFormError {
    #[error("a free-form tool declaration is invalid: {0}")]
    Declaration(#[from] serde_json::Error),
}

/// The handler of a listed tool that no table names.
fn unimplemented<'a>(
    _shared: &'a Shared,
    tool: &'a str,
    _arguments: Map<String, Value>,
    _context: CallContext,
) -> BoxFuture<'a, CallToolResult> {
    Box::pin(async move {
        error(
            tool,
            "this tool has no implementation; this is a server bug",
        )
    })
}

/// The handler each table names for `name`.
fn handler_of(name: &str) -> Option<Handler> {
    HANDLER_TABLES
        .iter()
        .flat_map(|table| table.iter())
        .find(|(listed, _)| *listed == name)
        .map(|(_, handler)| *handler)
}

impl FreeFormR {
    /// The provider over `pool`'s workers; callbacks from R reach the
    /// `catalog`'s tools; large results go to `results`, directory grants
    /// through `vfs`; workspace handles start with `node_id` (the
    /// replica's `RMCP_NODE_ID`). Starts the idle-worker sweeper (call
    /// inside a tokio runtime).
    pub fn new(
        pool: Arc<Pool>,
        catalog: Arc<dyn ToolProvider>,
        results: Option<Arc<ResultStore>>,
        vfs: Option<Arc<Vfs>>,
        node_id: Option<String>,
    ) -> Result<Arc<FreeFormR>, FreeFormError> {
        let tools = crate::tools::flexible_r::definitions()?;
        let handlers = tools
            .iter()
            .map(|tool| {
                let handler = handler_of(&tool.name).unwrap_or(unimplemented as Handler);
                (tool.name.to_string(), handler)
            })
            .collect();
        let allowlist = Allowlist::load()?;
        let provider = Arc::new(FreeFormR {
            shared: Shared {
                sessions: Sessions::new(pool, node_id),
                runner: Arc::new(CallbackRunner::new(catalog)),
                allowlist,
                results,
                vfs,
            },
            tools,
            handlers,
        });
        spawn_sweeper(Arc::downgrade(&provider));
        Ok(provider)
    }

    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.shared.sessions
    }

    /// Frees what session `id` holds (its own workspace with its worker,
    /// approvals and callback sessions); wire it to the session store's end
    /// hook.
    pub fn session_ended(&self, id: &str) {
        self.shared.sessions.end(id);
        if let Some(vfs) = &self.shared.vfs {
            vfs.forget_session(id);
        }
    }

    /// A 2026-07-28 request's session `id` ended: its workspace is detached
    /// and lives on under its handle (until idle past the TTL); the
    /// session's file grants go.
    pub fn request_ended(&self, id: &str) {
        self.shared.sessions.detach(id);
        if let Some(vfs) = &self.shared.vfs {
            vfs.forget_session(id);
        }
    }

    /// Stops every session's worker and the pool (server shutdown).
    pub fn shutdown(&self) {
        self.shared.sessions.end_all();
        self.shared.sessions.pool().close();
    }

    /// The sandbox as `/health` shows it.
    pub fn health(&self) -> Value {
        let pool = self.shared.sessions.pool();
        let config = pool.config();
        let report = pool.last_report();
        let free_form = match &report {
            None => "starting".to_string(),
            Some(report) if report.is_complete() => "enabled".to_string(),
            Some(_) if config.allow_weak_sandbox => "enabled (weak sandbox accepted)".to_string(),
            Some(_) => "disabled: sandbox incomplete (see layers)".to_string(),
        };
        json!({
            "free_form_r": free_form,
            "allow_weak_sandbox": config.allow_weak_sandbox,
            "layers": report.as_ref().map(|report| json!({
                "env_scrubbed": report.env_scrubbed,
                "rlimits": report.rlimits,
                "parent_death_signal": report.parent_death_signal,
                "no_new_privs": report.no_new_privs,
                "landlock": report.landlock,
                "landlock_abi": report.landlock_abi,
                "seccomp": report.seccomp,
            })),
            "errors": report.map(|report| report.errors).unwrap_or_default(),
            "workers": pool.health(),
            "sessions_with_workers": self.shared.sessions.live_workers(),
            "workspaces": self.shared.sessions.workspaces(),
            "limits": {
                "memory_mb": config.memory_mb,
                "cpu_seconds": config.cpu_seconds,
                "idle_ttl_seconds": config.idle_ttl.as_secs(),
                "max_workers": config.max_workers,
            },
        })
    }
}

/// Frees workers idle past the TTL, until the provider is dropped.
fn spawn_sweeper(provider: Weak<FreeFormR>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        loop {
            let period = match provider.upgrade() {
                Some(provider) => {
                    let ttl = provider.shared.sessions.pool().config().idle_ttl;
                    (ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(30))
                }
                None => return,
            };
            tokio::time::sleep(period).await;
            let Some(provider) = provider.upgrade() else {
                return;
            };
            let freed = provider.shared.sessions.sweep();
            if freed > 0 {
                log::info!("freed {freed} idle R workers");
            }
        }
    });
}

impl ToolProvider for FreeFormR {
    fn tools(&self) -> Vec<Tool> {
        self.tools.clone()
    }

    fn end_session(&self, session_id: &str) {
        self.session_ended(session_id);
    }

    fn end_request(&self, session_id: &str) {
        self.request_ended(session_id);
    }

    fn stateless_note(&self, name: &str) -> Option<&'static str> {
        stateless::note(name)
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        let handler = *self.handlers.get(name)?;
        Some(Box::pin(async move {
            let Value::Object(arguments) = arguments else {
                return error(name, "arguments must be a JSON object");
            };
            handler(&self.shared, name, arguments, context).await
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every declared free-form tool has exactly one handler, and every
    /// handler serves a declared tool.
    #[test]
    fn each_declared_tool_has_one_handler() {
        let tools = crate::tools::flexible_r::definitions().expect("declarations");
        let declared: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        for name in &declared {
            let count = HANDLER_TABLES
                .iter()
                .flat_map(|table| table.iter())
                .filter(|(listed, _)| listed == name)
                .count();
            assert_eq!(count, 1, "{name} has {count} handlers");
        }
        for (listed, _) in HANDLER_TABLES.iter().flat_map(|table| table.iter()) {
            assert!(
                declared.contains(listed),
                "{listed} is handled but not declared"
            );
        }
        assert_eq!(declared.len(), 12);
    }
}
