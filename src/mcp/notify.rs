//! Resource notifications: `notifications/resources/updated` to the
//! sessions subscribed to a URI, `notifications/resources/list_changed` to
//! every session. Sessions register when they initialize, with the sink
//! that reaches them outside any request (stdio's output, HTTP's standalone
//! stream); ended sessions are dropped on the next notification.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::json;

use super::jsonrpc;
use super::session::Session;
use super::stream::{MessageSink, Outbound};
use crate::tools::ResourceListener;

/// Where one session's notifications go.
enum Target {
    /// A sink made for the session (HTTP's standalone stream).
    Owned(Outbound),
    /// The transport's own sink (stdio); held weakly so the transport can
    /// close its output when it ends.
    Borrowed(Weak<dyn MessageSink>),
}

struct Registered {
    session: Weak<Session>,
    target: Target,
}

/// The sessions that get resource notifications.
#[derive(Default)]
pub(super) struct Notifier {
    sessions: Mutex<Vec<Registered>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Notifier {
    /// Registers `session`, reachable through `outbound` (the sink its
    /// initialize request came with).
    pub(super) fn register(&self, session: &Arc<Session>, outbound: &Outbound) {
        let target = match outbound.session_sink() {
            Some(sink) => Target::Owned(sink),
            None => Target::Borrowed(Arc::downgrade(outbound)),
        };
        let mut sessions = lock(&self.sessions);
        sessions.retain(|entry| entry.session.strong_count() > 0);
        sessions.push(Registered {
            session: Arc::downgrade(session),
            target,
        });
    }

    /// Sends `message` to every live session for which `wanted` holds.
    fn send(&self, message: serde_json::Value, wanted: impl Fn(&Session) -> bool) {
        let mut targets: Vec<Outbound> = Vec::new();
        {
            let mut sessions = lock(&self.sessions);
            sessions.retain(|entry| {
                let Some(session) = entry.session.upgrade() else {
                    return false;
                };
                if session.cancel.is_cancelled() {
                    return false;
                }
                let sink = match &entry.target {
                    Target::Owned(sink) => Some(Arc::clone(sink)),
                    Target::Borrowed(sink) => sink.upgrade(),
                };
                let Some(sink) = sink else {
                    return false;
                };
                if wanted(&session) {
                    targets.push(sink);
                }
                true
            });
        }
        for sink in targets {
            sink.send(message.clone());
        }
    }
}

impl ResourceListener for Notifier {
    fn updated(&self, uri: &str) {
        self.send(
            jsonrpc::notification("notifications/resources/updated", json!({"uri": uri})),
            |session| session.is_subscribed(uri),
        );
    }

    fn list_changed(&self) {
        self.send(
            jsonrpc::notification("notifications/resources/list_changed", json!({})),
            |_| true,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::session::Lifetime;
    use crate::mcp::stream::ChannelSink;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn updates_reach_subscribers_and_list_changes_reach_everyone() {
        let root = CancellationToken::new();
        let notifier = Notifier::default();
        let (sender_a, mut inbox_a) = tokio::sync::mpsc::unbounded_channel();
        let (sender_b, mut inbox_b) = tokio::sync::mpsc::unbounded_channel();
        let sink_a: Outbound = Arc::new(ChannelSink(sender_a));
        let sink_b: Outbound = Arc::new(ChannelSink(sender_b));
        let a = Arc::new(Session::new("a", Lifetime::Independent, &root));
        let b = Arc::new(Session::new("b", Lifetime::Independent, &root));
        notifier.register(&a, &sink_a);
        notifier.register(&b, &sink_b);
        a.subscribe("file://data/x.csv");
        notifier.updated("file://data/x.csv");
        notifier.updated("file://data/other.csv");
        let note = inbox_a.try_recv().expect("a is subscribed");
        assert_eq!(note["method"], "notifications/resources/updated");
        assert_eq!(note["params"]["uri"], "file://data/x.csv");
        assert!(inbox_a.try_recv().is_err(), "only subscribed URIs");
        assert!(inbox_b.try_recv().is_err(), "b is not subscribed");
        notifier.list_changed();
        for inbox in [&mut inbox_a, &mut inbox_b] {
            assert_eq!(
                inbox.try_recv().expect("everyone")["method"],
                "notifications/resources/list_changed"
            );
        }
        // An ended session, or a transport that dropped its sink, is
        // forgotten (and its output is not kept open).
        a.close();
        drop(sink_b);
        notifier.list_changed();
        assert!(inbox_a.try_recv().is_err());
        assert!(lock(&notifier.sessions).is_empty());
        assert!(inbox_b.try_recv().is_err());
    }
}
