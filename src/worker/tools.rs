//! [`FreeFormR`]: the [`ToolProvider`] of the twelve free-form tools —
//! execute_r_analysis, the package allowlist and approvals (`flexible`),
//! the live-workspace introspection tools (`inspect`) and the callback tools
//! (`callbacks`). Their declarations live in `src/tools/{flexible_r,
//! introspection, bidirectional}/`.
//!
//! Everything that runs user-written R goes to the calling session's
//! sandboxed worker (`session`); nothing here evaluates it in the server's
//! R. Free-form R is refused with a clear error while the sandbox is
//! incomplete, unless the server was started with `--allow-weak-sandbox`.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::{json, Map, Value};

use super::callbacks::CallbackRunner;
use super::flexible::Allowlist;
use super::pool::Pool;
use super::session::Sessions;
use crate::tools::result_store::ResultStore;
use crate::tools::{CallContext, ToolProvider};
use crate::vfs::Vfs;

/// The free-form R tools.
pub struct FreeFormR {
    pub(super) sessions: Arc<Sessions>,
    pub(super) runner: Arc<CallbackRunner>,
    pub(super) allowlist: Allowlist,
    /// Where results too large to inline go (the catalog's store, served as
    /// `rmcp://data/<id>`).
    pub(super) results: Option<Arc<ResultStore>>,
    /// The file sandbox: approve_operation's directory grants go through it
    /// (so the file tools honour them) before a worker gets them.
    pub(super) vfs: Option<Arc<Vfs>>,
    tools: Vec<Tool>,
    by_name: HashMap<String, usize>,
}

/// Why the provider could not be built (a bug in a declaration).
#[derive(Debug, thiserror::Error)]
pub enum FreeFormError {
    #[error("a free-form tool declaration is invalid: {0}")]
    Declaration(#[from] serde_json::Error),
}

impl FreeFormR {
    /// The provider over `pool`'s workers; callbacks from R reach the
    /// `catalog`'s tools; large results go to `results`, directory grants
    /// through `vfs`. Starts the idle-worker sweeper (call inside a tokio
    /// runtime).
    pub fn new(
        pool: Arc<Pool>,
        catalog: Arc<dyn ToolProvider>,
        results: Option<Arc<ResultStore>>,
        vfs: Option<Arc<Vfs>>,
    ) -> Result<Arc<FreeFormR>, FreeFormError> {
        let tools = crate::tools::flexible_r::definitions()?;
        let by_name = tools
            .iter()
            .enumerate()
            .map(|(index, tool)| (tool.name.to_string(), index))
            .collect();
        let allowlist = Allowlist::load()?;
        let provider = Arc::new(FreeFormR {
            sessions: Sessions::new(pool),
            runner: Arc::new(CallbackRunner::new(catalog)),
            allowlist,
            results,
            vfs,
            tools,
            by_name,
        });
        spawn_sweeper(Arc::downgrade(&provider));
        Ok(provider)
    }

    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.sessions
    }

    /// Frees what session `id` holds (its worker and workspace, approvals,
    /// callback sessions); wire it to the session store's end hook.
    pub fn session_ended(&self, id: &str) {
        self.sessions.end(id);
        if let Some(vfs) = &self.vfs {
            vfs.forget_session(id);
        }
    }

    /// Stops every session's worker and the pool (server shutdown).
    pub fn shutdown(&self) {
        self.sessions.end_all();
        self.sessions.pool().close();
    }

    /// `Err` with the client-facing reason while free-form R must not run:
    /// no worker can start, or the sandbox is incomplete and weak sandboxes
    /// are not accepted.
    pub(super) async fn gate(&self) -> Result<(), String> {
        let pool = self.sessions.pool();
        let config = pool.config();
        let report = pool.sandbox_report(config.spawn_timeout).await;
        let Some(report) = report else {
            return Err(format!(
                "free-form R is unavailable: no sandboxed R worker could be started ({}); the catalog tools still work",
                pool.last_error().unwrap_or_else(|| "no report yet".into())
            ));
        };
        if report.is_complete() || config.allow_weak_sandbox {
            return Ok(());
        }
        Err(format!(
            "free-form R is disabled: the R sandbox is incomplete on this host ({}); the operator can start the server with --allow-weak-sandbox to accept a weaker sandbox. The catalog tools still work",
            report.missing_layers().join(", "),
        ))
    }

    /// The sandbox as `/health` shows it.
    pub fn health(&self) -> Value {
        let pool = self.sessions.pool();
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
            "sessions_with_workers": self.sessions.live_workers(),
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
                    let ttl = provider.sessions.pool().config().idle_ttl;
                    (ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(30))
                }
                None => return,
            };
            tokio::time::sleep(period).await;
            let Some(provider) = provider.upgrade() else {
                return;
            };
            let freed = provider.sessions.sweep();
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

    fn stateless_note(&self, name: &str) -> Option<&'static str> {
        crate::tools::flexible_r::stateless::note(name)
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        self.by_name.get(name)?;
        Some(Box::pin(async move {
            let Value::Object(arguments) = arguments else {
                return error(name, "arguments must be a JSON object");
            };
            match name {
                "execute_r_analysis" => self.execute(arguments, context).await,
                "list_allowed_r_packages" => self.list_allowed_packages(&arguments),
                "approve_r_package" => self.approve_package(&arguments, &context),
                "approve_operation" => self.approve_operation(&arguments, &context).await,
                "list_r_objects" | "inspect_r_object" | "get_r_session_info"
                | "list_r_packages" => self.introspect(name, arguments, context).await,
                "setup_r_bidirectional" => self.setup_bidirectional(&arguments, &context),
                "create_r_callback_session" => self.create_callback_session(&arguments, &context),
                "handle_r_callback" => self.handle_callback(&arguments, context).await,
                "list_callback_sessions" => self.list_callback_sessions(&context),
                _ => error(
                    name,
                    "this tool has no implementation; this is a server bug",
                ),
            }
        }))
    }
}

/// An `isError` result: `<tool>: <message>`.
pub(super) fn error(tool: &str, message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{tool}: {message}"))])
}

/// A successful result: `text` for people, `structured` for programs.
pub(super) fn success(text: String, structured: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}

/// A string argument.
pub(super) fn text_arg<'a>(arguments: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    arguments.get(name).and_then(Value::as_str)
}

/// A boolean argument with its default.
pub(super) fn flag(arguments: &Map<String, Value>, name: &str, default: bool) -> bool {
    arguments
        .get(name)
        .and_then(Value::as_bool)
        .unwrap_or(default)
}
