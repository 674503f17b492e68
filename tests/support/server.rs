//! The real server over HTTP on 127.0.0.1:0 in this process, assembled by
//! the library's builder (`rmcp_server::server`) exactly as the binary
//! assembles it; a test changes only what the builder and `HttpConfig` let
//! it change (providers left out or added, limits). It needs no other helper
//! module.

#![allow(dead_code)]

use std::sync::Arc;

use rmcp_server::config::{HttpConfig, Secret};
use rmcp_server::http::{self, AppState};
use rmcp_server::r::RHandle;
use rmcp_server::server::{Server, Settings};
use rmcp_server::tools::ToolProvider;
use rmcp_server::vfs::VfsConfig;
use rmcp_server::worker::WorkerConfig;
use tokio::sync::oneshot;

/// The binary's default settings with `workers` for free-form R: the file
/// sandbox on the working directory (read-only), the catalog, no fixtures.
pub fn settings(workers: WorkerConfig) -> Settings {
    Settings {
        vfs: VfsConfig::working_directory(),
        workers,
        conformance_fixtures: false,
        request_state_key: None,
        node_id: None,
        tasks: Default::default(),
    }
}

/// A running server.
pub struct TestServer {
    pub url: String,
    pub base: String,
    pub state: AppState,
    /// What was assembled (the catalog, free-form R), for tests that look
    /// inside.
    pub server: Server,
    shutdown: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Serves `server` with `configure` applied to a loopback config.
    pub async fn serve(server: Server, configure: impl FnOnce(&mut HttpConfig)) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let mut config = HttpConfig::local(address);
        configure(&mut config);
        let state = server.http_state(config);
        let (sender, receiver) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve(listener, state.clone(), async move {
            let _ = receiver.await;
        }));
        TestServer {
            url: format!("http://{address}/mcp"),
            base: format!("http://{address}"),
            state,
            server,
            shutdown: Some(sender),
            task: Some(task),
        }
    }

    /// The conformance fixtures server (plus `extra` tools; `engine` shows
    /// in `/health`) with `configure` applied to a loopback config.
    pub async fn start(
        engine: Option<RHandle>,
        extra: Option<Arc<dyn ToolProvider>>,
        configure: impl FnOnce(&mut HttpConfig),
    ) -> TestServer {
        let mut builder = Server::builder(Settings::fixtures());
        if let Some(engine) = engine {
            builder = builder.engine(engine);
        }
        if let Some(extra) = extra {
            builder = builder.tools(extra);
        }
        TestServer::serve(builder.build().expect("server builds"), configure).await
    }

    /// The conformance fixtures server whose input-required rounds are
    /// sealed with `key` (`RMCP_REQUEST_STATE_KEY`), as replicas that share
    /// it are.
    pub async fn fixtures_keyed(key: &str) -> TestServer {
        let settings = Settings {
            request_state_key: Some(Secret(key.to_string())),
            node_id: None,
            ..Settings::fixtures()
        };
        let server = Server::builder(settings).build().expect("server builds");
        TestServer::serve(server, |_| {}).await
    }

    /// The server as shipped without free-form R (no worker starts): the
    /// catalog on `engine`, prompts and resources.
    pub async fn catalog(engine: RHandle) -> TestServer {
        let server = Server::builder(settings(WorkerConfig::default()))
            .engine(engine)
            .without_free_form_r()
            .build()
            .expect("server builds");
        TestServer::serve(server, |_| {}).await
    }

    /// Signals shutdown (like SIGTERM).
    pub fn begin_shutdown(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.begin_shutdown();
        self.server.shutdown_workers();
    }
}
