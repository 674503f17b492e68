//! The stdio transport (`rmcp start`): newline-delimited JSON-RPC messages
//! on stdin and stdout, one session, logs only on stderr. The first request
//! locks the connection's era (`mcp::era`): after `initialize`, the older
//! revisions on that one session; after a request with `_meta` (protocol
//! 2026-07-28), a session per request and `subscriptions/listen` channels.
//!
//! Requests run as tasks, so `notifications/cancelled` and the client's
//! replies to sampling or elicitation are read while a call runs. At end of
//! input or on a signal, calls in flight get the grace period, then are
//! cancelled.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::mcp::era::{Era, EraLock};
use crate::mcp::jsonrpc::{self, Message};
use crate::mcp::session::{Lifetime, Session};
use crate::mcp::stream::{ChannelSink, Outbound};
use crate::mcp::McpServer;

/// Longest accepted line (one message), in bytes.
const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Serves one client on `input`/`output` until end of input or `shutdown`.
pub async fn serve<R, W>(
    mcp: McpServer,
    input: R,
    output: W,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let root = CancellationToken::new();
    let session = Arc::new(Session::new("stdio", Lifetime::Independent, &root));
    let (sender, receiver) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(write_messages(receiver, output));
    let sink: Outbound = Arc::new(ChannelSink(sender));
    let tasks = TaskTracker::new();
    // The first request decides the connection's era (protocol 2026-07-28
    // or an older one); its open subscriptions/listen channels.
    let era = EraLock::default();
    let mut listening = Vec::new();
    let mut reader = BufReader::new(input);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::select! {
            read = reader.read_until(b'\n', &mut line) => read,
            () = &mut shutdown => {
                log::info!("shutdown signal received");
                break;
            }
        };
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                log::error!("cannot read stdin: {error}");
                break;
            }
        }
        if line.len() > MAX_LINE_BYTES {
            let error = jsonrpc::error(jsonrpc::code::INVALID_REQUEST, "message too large");
            sink.send(jsonrpc::error_response(None, &error));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let message = match jsonrpc::decode(&line).and_then(jsonrpc::classify) {
            Ok(message) => message,
            Err(rejected) => {
                sink.send(jsonrpc::error_response(
                    rejected.id.as_ref(),
                    &rejected.error,
                ));
                continue;
            }
        };
        if let Message::Request(request) = &message {
            let request_era = era.decide(request);
            let session = match request_era {
                Era::Legacy => Arc::clone(&session),
                Era::Modern => match mcp.begin_modern_request(&era, request, &root) {
                    Ok(session) => session,
                    Err(error) => {
                        sink.send(jsonrpc::error_response(Some(&request.id), &error));
                        continue;
                    }
                },
            };
            if request_era == Era::Modern && request.method == "subscriptions/listen" {
                match mcp.listen(&request.id, &request.params, Arc::clone(&sink), &root) {
                    Ok(listen) => listening.push((request.id.clone(), listen)),
                    Err(error) => {
                        sink.send(jsonrpc::error_response(Some(&request.id), &error));
                    }
                }
                continue;
            }
            let method = request.method.clone();
            let tool = (method == "tools/call")
                .then(|| {
                    request
                        .params
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .flatten();
            let tracked = (request_era == Era::Modern).then(|| era.track(&request.id, &session));
            let (mcp, sink) = (mcp.clone(), Arc::clone(&sink));
            tasks.spawn(async move {
                let started = Instant::now();
                let response = mcp.handle(&session, message, Arc::clone(&sink)).await;
                let outcome = match &response {
                    Some(response) if response.get("error").is_some() => "error",
                    _ => "ok",
                };
                if let Some(response) = response {
                    sink.send(response);
                }
                let tool = tool.map(|tool| format!(" tool={tool}")).unwrap_or_default();
                log::info!(
                    "stdio {method}{tool} {outcome} {}ms",
                    started.elapsed().as_millis()
                );
                drop(tracked);
            });
        } else if let (true, Message::Notification(notification)) = (era.is_modern(), &message) {
            // Modern requests run on sessions of their own; only a
            // cancellation concerns them.
            if notification.method == "notifications/cancelled" && era.cancel(&notification.params)
            {
                log::info!("request cancelled by the client");
            }
        } else {
            mcp.handle(&session, message, Arc::clone(&sink)).await;
        }
    }
    // Tasks (SEP-2663) answer only to this connection's client, which is
    // gone: stop them.
    mcp.tasks().shutdown();
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        log::warn!("cancelling calls still running after the grace period");
        root.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), tasks.wait()).await;
    }
    for (id, listen) in listening {
        sink.send(listen.closing_response(&id));
    }
    session.close();
    drop(sink);
    let _ = writer.await;
}

/// Writes each message as one line and flushes it.
async fn write_messages<W: AsyncWrite + Unpin>(
    mut receiver: mpsc::UnboundedReceiver<Value>,
    mut output: W,
) {
    while let Some(message) = receiver.recv().await {
        let mut line = message.to_string();
        line.push('\n');
        if let Err(error) = output.write_all(line.as_bytes()).await {
            log::error!("cannot write stdout: {error}");
            return;
        }
        if let Err(error) = output.flush().await {
            log::error!("cannot flush stdout: {error}");
            return;
        }
    }
}
