//! The server assembled from its settings, in one place: the binary, the
//! tests and the benches all build it here.
//!
//! A [`Builder`] turns [`Settings`] and the running engine into a [`Server`]:
//! the file sandbox (`vfs`), the statistics catalog on it, free-form R over a
//! warm pool of sandboxed workers (allowed the sandbox's roots, and folders
//! granted to a session inside them), the analysis prompts, the server's
//! resources and the result store, the metrics registry, and the protocol
//! server over all of them. With `conformance_fixtures` it holds the
//! conformance suite's fixtures instead, so the suite sees exactly the tools
//! it expects. [`Server::http_state`] wires the parts a transport must know
//! about (the end-of-session hook that frees a session's worker and write
//! grants, the sandbox in `/health`).
//!
//! It does not start R or the async runtime, bind a socket, read the
//! environment or handle signals: `main.rs` does those, in the order its
//! comments give.

use std::sync::Arc;

use crate::config::{Config, HttpConfig, Secret, StdioConfig};
use crate::engines::EnginePool;
use crate::freeform::{FreeFormError, FreeFormR};
use crate::http::AppState;
use crate::mcp::fixtures::Fixtures;
use crate::mcp::fixtures_modern::ModernFixtures;
use crate::mcp::fixtures_tasks::TaskFixtures;
use crate::mcp::input::StateKey;
use crate::mcp::tasks::TaskLimits;
use crate::mcp::{McpServer, ServerOptions};
use crate::metrics::{Metrics, MetricsError};
use crate::r::RHandle;
use crate::tools::catalog::{Catalog, CatalogError};
use crate::tools::prompts::AnalysisPrompts;
use crate::tools::resources::ServerResources;
use crate::tools::ToolProvider;
use crate::vfs::{Vfs, VfsConfig};
use crate::worker::{Pool, WorkerConfig};

/// What the server is built from: the settings `serve-http` and `start`
/// share.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file sandbox: roots, writable roots, size limit. Free-form R's
    /// workers get the same roots.
    pub vfs: VfsConfig,
    /// The pool of sandboxed R workers for free-form R.
    pub workers: WorkerConfig,
    /// Serve the conformance suite's fixtures instead of the catalog.
    pub conformance_fixtures: bool,
    /// The key that seals `requestState` of input-required results, shared
    /// by every replica; `None` draws a random key for this process.
    pub request_state_key: Option<Secret>,
    /// This replica's name (`RMCP_NODE_ID`): ids a client keeps across
    /// requests (sessions, tasks, workspace handles) start with it, so a
    /// proxy can route them back here. `None` on a single server.
    pub node_id: Option<String>,
    /// The bounds of the task store (`RMCP_TASK_*`).
    pub tasks: TaskLimits,
}

impl From<&Config> for Settings {
    fn from(config: &Config) -> Settings {
        Settings {
            vfs: config.vfs.clone(),
            workers: config.workers.clone(),
            conformance_fixtures: config.conformance_fixtures,
            request_state_key: config.request_state_key.clone(),
            node_id: config.http.node_id.clone(),
            tasks: config.tasks.clone(),
        }
    }
}

impl From<&StdioConfig> for Settings {
    fn from(config: &StdioConfig) -> Settings {
        Settings {
            vfs: config.vfs.clone(),
            workers: config.workers.clone(),
            conformance_fixtures: config.conformance_fixtures,
            request_state_key: config.request_state_key.clone(),
            node_id: None,
            tasks: config.tasks.clone(),
        }
    }
}

impl Settings {
    /// The conformance fixtures alone (no R needed).
    pub fn fixtures() -> Settings {
        Settings {
            vfs: VfsConfig::working_directory(),
            workers: WorkerConfig::default(),
            conformance_fixtures: true,
            request_state_key: None,
            node_id: None,
            tasks: TaskLimits::default(),
        }
    }
}

/// Why the server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The catalog and free-form R need the R engine, and none was given.
    #[error("the tool catalog needs the R engine")]
    NoEngine,
    /// A root of the file sandbox could not be resolved.
    #[error("setting up the file sandbox")]
    Vfs(#[source] std::io::Error),
    /// A catalog tool's declaration is invalid.
    #[error("loading the tool catalog")]
    Catalog(#[source] CatalogError),
    /// A free-form tool's declaration or the package allowlist is invalid.
    #[error("declaring the free-form R tools")]
    FreeForm(#[source] FreeFormError),
    /// The metrics registry refused a metric.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
}

/// Collects what to build; [`Server::builder`] starts one.
pub struct Builder {
    settings: Settings,
    /// The server's R: runs the catalog, and shows in `/health`.
    engine: Option<RHandle>,
    /// Whether free-form R (and its pool of workers) is built; a test that
    /// needs only the catalog leaves it out and starts no worker.
    free_form_r: bool,
    /// Providers added after the built-in ones (tests' own tools).
    tools: Vec<Arc<dyn ToolProvider>>,
}

impl Builder {
    /// The engine the catalog runs on.
    pub fn engine(mut self, engine: RHandle) -> Builder {
        self.engine = Some(engine);
        self
    }

    /// Leaves out free-form R: no worker pool, no free-form tools.
    pub fn without_free_form_r(mut self) -> Builder {
        self.free_form_r = false;
        self
    }

    /// Adds a tool provider after the built-in ones (the first provider
    /// wins a name clash).
    pub fn tools(mut self, provider: Arc<dyn ToolProvider>) -> Builder {
        self.tools.push(provider);
        self
    }

    /// Builds the providers and the protocol server. Call inside a tokio
    /// runtime when free-form R is built: its pool starts filling at once.
    pub fn build(self) -> Result<Server, ServerError> {
        let metrics = Arc::new(Metrics::new()?);
        let mut options = ServerOptions::default();
        if let Some(key) = &self.settings.request_state_key {
            options.request_state_key = StateKey::new(key.0.as_bytes());
        }
        options.node_id = self.settings.node_id.clone();
        options.tasks = self.settings.tasks.clone();
        let version = options.version.clone();
        let mut builder = McpServer::builder(options);
        let mut catalog = None;
        let mut engines = None;
        let mut free_form = None;
        if self.settings.conformance_fixtures {
            let fixtures = Fixtures::new();
            let modern = ModernFixtures::new();
            builder = builder
                .tools(fixtures.clone())
                .prompts(fixtures.clone())
                .resources(fixtures)
                .tools(modern.clone())
                .prompts(modern)
                .tools(TaskFixtures::new());
        } else {
            let engine = self.engine.clone().ok_or(ServerError::NoEngine)?;
            let vfs = Arc::new(Vfs::new(&self.settings.vfs).map_err(ServerError::Vfs)?);
            let pool = EnginePool::start(engine.clone(), &self.settings.workers, vfs.staging_dir());
            let statistics = Arc::new(
                Catalog::with_vfs(pool.clone(), Arc::clone(&vfs)).map_err(ServerError::Catalog)?,
            );
            engines = Some(pool);
            let mut tools: Vec<Arc<dyn ToolProvider>> = vec![statistics.clone()];
            if self.free_form_r {
                let free = free_form_r(&self.settings, &statistics, Arc::clone(&vfs))?;
                tools.push(free.clone());
                free_form = Some(free);
            }
            let resources = ServerResources::new(engine, vfs, tools.clone(), version);
            builder = builder
                .resources(statistics.results())
                .resources(Arc::new(resources))
                .prompts(Arc::new(AnalysisPrompts::new()));
            for provider in tools {
                builder = builder.tools(provider);
            }
            catalog = Some(statistics);
        }
        for provider in self.tools {
            builder = builder.tools(provider);
        }
        Ok(Server {
            mcp: builder.build(metrics),
            engine: self.engine,
            engines,
            catalog,
            free_form,
        })
    }
}

/// The free-form R tools over a warm pool of sandboxed workers; callbacks
/// from R reach `catalog`. Workers may read the file sandbox's roots and
/// write its writable ones (plus directories a session is granted inside
/// its roots).
fn free_form_r(
    settings: &Settings,
    catalog: &Arc<Catalog>,
    vfs: Arc<Vfs>,
) -> Result<Arc<FreeFormR>, ServerError> {
    let mut workers = settings.workers.clone();
    if settings.vfs.enabled {
        workers.read_roots = settings.vfs.read_roots.clone();
        workers.write_roots = settings.vfs.writable_roots.clone();
        workers.grantable_roots = settings.vfs.read_roots.clone();
    }
    let pool = Pool::start(workers);
    FreeFormR::new(
        pool,
        catalog.clone(),
        Some(catalog.results()),
        Some(vfs),
        settings.node_id.clone(),
    )
    .map_err(ServerError::FreeForm)
}

/// The assembled server: the protocol server a transport serves, and the
/// parts the binary and the tests reach into.
pub struct Server {
    /// The protocol server over every provider.
    pub mcp: McpServer,
    /// The server's R, for `/health`.
    pub engine: Option<RHandle>,
    /// The engines the catalog runs on (the server's R, plus engine
    /// processes when `RMCP_R_ENGINES` > 1); absent with the fixtures.
    pub engines: Option<EnginePool>,
    /// The statistics catalog (absent with the conformance fixtures).
    pub catalog: Option<Arc<Catalog>>,
    /// Free-form R (absent with the fixtures, or when left out).
    pub free_form: Option<Arc<FreeFormR>>,
}

impl Server {
    /// A builder of the server `settings` describe (free-form R included).
    pub fn builder(settings: Settings) -> Builder {
        Builder {
            settings,
            engine: None,
            free_form_r: true,
            tools: Vec::new(),
        }
    }

    /// The HTTP transport's state on `config`: the end of a session frees
    /// its worker and write grants, and `/health` shows the workers'
    /// sandbox.
    pub fn http_state(&self, config: HttpConfig) -> AppState {
        let state = AppState::new(self.mcp.clone(), self.engine.clone(), config);
        // An older revision's tasks belong to their session and end with it.
        let tasks = Arc::clone(self.mcp.tasks());
        state
            .sessions
            .on_session_end(Arc::new(move |id: &str| tasks.end_session(id)));
        if let Some(free_form) = &self.free_form {
            let hook = Arc::clone(free_form);
            state
                .sessions
                .on_session_end(Arc::new(move |id: &str| hook.session_ended(id)));
            let health = Arc::clone(free_form);
            state.report_sandbox(Arc::new(move || health.health()));
        }
        if let Some(engines) = &self.engines {
            state.report_engines(engines.clone());
        }
        state
    }

    /// Stops free-form R's workers and the engine processes (after the
    /// transport stopped).
    pub fn shutdown_workers(&self) {
        if let Some(free_form) = &self.free_form {
            free_form.shutdown();
        }
        if let Some(engines) = &self.engines {
            engines.shutdown();
        }
    }
}
