//! The assembled server served in the bench's own process on a free
//! loopback port, with no rate limit (a bench sends faster than a client
//! may), as the binary would serve it; stopped like SIGTERM stops it.

use std::net::SocketAddr;

use rmcp_server::config::HttpConfig;
use rmcp_server::http;
use rmcp_server::server::Server;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server listening on 127.0.0.1.
pub struct InProcess {
    pub address: SocketAddr,
    /// `http://<address>/mcp`.
    pub url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl InProcess {
    /// Serves `server` (in the current tokio runtime).
    pub async fn start(server: &Server) -> InProcess {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let mut config = HttpConfig::local(address);
        config.rate_limit = None;
        let state = server.http_state(config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        InProcess {
            address,
            url: format!("http://{address}/mcp"),
            stop,
            task,
        }
    }

    /// Stops serving and waits until the server has drained.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
