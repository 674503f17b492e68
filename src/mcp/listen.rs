//! `subscriptions/listen` (protocol 2026-07-28): the stateless revision's
//! channel for notifications that belong to no request (a list changed, a
//! subscribed resource was updated). It replaces the older revisions' GET
//! stream and `resources/subscribe`.
//!
//! The server acknowledges with `notifications/subscriptions/acknowledged`
//! (the filter it honours) before anything else, and tags every message of
//! the subscription with `_meta["io.modelcontextprotocol/subscriptionId"]`,
//! the listen request's id. Only the notification types the client asked
//! for go out. The tools and prompts never change while the server runs, so
//! only resource notifications are honoured.
//!
//! It owns the filter and the tagging; the transport owns the stream and
//! keeps the [`Listening`] for as long as the client listens.

use std::sync::Arc;

use rmcp::model::{ErrorData, RequestId};
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use super::dispatch::invalid_params;
use super::jsonrpc;
use super::modern::META_SUBSCRIPTION_ID;
use super::session::{Lifetime, Session};
use super::stream::{MessageSink, Outbound};
use super::McpServer;

/// What a subscription honours.
#[derive(Debug, Clone, Default)]
struct Filter {
    resources_list_changed: bool,
    resource_subscriptions: Vec<String>,
}

/// Filters and tags the notifications of one subscription.
struct ListenSink {
    id: Value,
    filter: Filter,
    outbound: Outbound,
}

impl MessageSink for ListenSink {
    fn send(&self, mut message: Value) -> bool {
        let wanted = match message.get("method").and_then(Value::as_str) {
            Some("notifications/resources/list_changed") => self.filter.resources_list_changed,
            // The session only holds the URIs the client listed.
            Some("notifications/resources/updated") => true,
            _ => false,
        };
        if !wanted {
            return true;
        }
        tag(&mut message, &self.id);
        self.outbound.send(message)
    }

    fn connected(&self) -> bool {
        self.outbound.connected()
    }
}

/// Puts the subscription id into a notification's `params._meta`.
fn tag(message: &mut Value, id: &Value) {
    if let Some(object) = message.as_object_mut() {
        let params = object
            .entry("params")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(params) = params.as_object_mut() {
            let meta = params
                .entry("_meta")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert(META_SUBSCRIPTION_ID.into(), id.clone());
            }
        }
    }
}

/// An open subscription: notifications reach the transport's sink while
/// this is alive.
pub struct Listening {
    _session: Arc<Session>,
    _sink: Outbound,
    id: Value,
}

impl Listening {
    /// The `subscriptions/listen` response that ends the subscription.
    pub fn closing_response(&self, request: &RequestId) -> Value {
        jsonrpc::response(
            request,
            json!({"resultType": "complete", "_meta": {META_SUBSCRIPTION_ID: self.id}}),
        )
    }
}

impl McpServer {
    /// Opens the subscription asked for by a `subscriptions/listen` request
    /// `id` with `params`: sends its acknowledgement on `outbound` and
    /// registers for the notifications it honours. Closing `parent` (or
    /// dropping the [`Listening`]) ends it.
    pub fn listen(
        &self,
        id: &RequestId,
        params: &Map<String, Value>,
        outbound: Outbound,
        parent: &CancellationToken,
    ) -> Result<Listening, ErrorData> {
        let requested = params
            .get("notifications")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                invalid_params("\"notifications\" must be an object (the subscription filter)")
            })?;
        let filter = Filter {
            resources_list_changed: requested.get("resourcesListChanged") == Some(&json!(true)),
            resource_subscriptions: requested
                .get("resourceSubscriptions")
                .and_then(Value::as_array)
                .map(|uris| {
                    uris.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let subscription = serde_json::to_value(id).unwrap_or(Value::Null);
        let mut honoured = Map::new();
        if filter.resources_list_changed {
            honoured.insert("resourcesListChanged".into(), json!(true));
        }
        if !filter.resource_subscriptions.is_empty() {
            honoured.insert(
                "resourceSubscriptions".into(),
                json!(filter.resource_subscriptions),
            );
        }
        let session = Arc::new(Session::new(
            format!("listen-{}", jsonrpc::id_key(id)),
            Lifetime::Independent,
            parent,
        ));
        for uri in &filter.resource_subscriptions {
            session.subscribe(uri);
        }
        let mut acknowledgement = jsonrpc::notification(
            "notifications/subscriptions/acknowledged",
            json!({"notifications": honoured}),
        );
        tag(&mut acknowledgement, &subscription);
        outbound.send(acknowledgement);
        let sink: Outbound = Arc::new(ListenSink {
            id: subscription.clone(),
            filter,
            outbound,
        });
        self.inner.notifier.register(&session, &sink);
        Ok(Listening {
            _session: session,
            _sink: sink,
            id: subscription,
        })
    }
}
