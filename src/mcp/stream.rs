//! Where the server's messages go: the [`MessageSink`] a request handler
//! writes to, and the [`StreamHub`] of one session, which numbers every
//! message of each stream so a client that lost its connection can resume
//! with `Last-Event-ID` (Streamable HTTP) and get what it missed.
//!
//! Stream 0 is the session's standalone stream (HTTP `GET`, or the legacy SSE
//! connection); each request answered as an event stream gets its own. The
//! hub knows no HTTP: a subscriber is a channel of [`StreamEvent`]s that the
//! transport formats.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

/// Where a request handler sends notifications and requests for the client
/// (and, for event streams, the final response).
pub trait MessageSink: Send + Sync {
    /// Sends one JSON-RPC message; `false` when it certainly cannot arrive.
    fn send(&self, message: Value) -> bool;
    /// Ends the current connection of this stream early (the client resumes
    /// it); a no-op for transports without resumable streams.
    fn suspend(&self) {}
    /// Whether a message sent now can reach the client.
    fn connected(&self) -> bool {
        true
    }
    /// Where messages that belong to no request (resource notifications)
    /// go for the rest of the session, when that is not this sink (a
    /// request's own event stream); `None` means this sink itself.
    fn session_sink(&self) -> Option<Outbound> {
        None
    }
}

/// A shared sink.
pub type Outbound = Arc<dyn MessageSink>;

/// A sink that forwards to a channel (stdio's writer).
pub struct ChannelSink(pub mpsc::UnboundedSender<Value>);

impl MessageSink for ChannelSink {
    fn send(&self, message: Value) -> bool {
        self.0.send(message).is_ok()
    }
}

/// A sink that drops everything (notifications nobody can receive).
pub struct NullSink;

impl MessageSink for NullSink {
    fn send(&self, _message: Value) -> bool {
        false
    }
    fn connected(&self) -> bool {
        false
    }
}

/// What a stream's subscriber receives.
#[derive(Debug, Clone)]
pub enum StreamEvent {
    /// A message with its event id (`<stream>-<sequence>`).
    Message { id: String, data: Arc<str> },
    /// Nothing to send; keeps proxies from closing an idle connection.
    KeepAlive,
}

/// Events kept per stream for resumption.
const MAX_EVENTS_KEPT: usize = 512;
/// How long a finished stream stays resumable.
const FINISHED_RETENTION: Duration = Duration::from_secs(300);
/// At most this many finished streams, and this many bytes of their
/// messages, are kept per session (the oldest go first; the newest stays even
/// when it alone is larger). Without a bound a busy session would hold every
/// answer of the last five minutes: at a thousand calls a second, gigabytes.
const FINISHED_KEPT: usize = 64;
const FINISHED_BYTES: usize = 4 << 20;

struct StreamLog {
    events: VecDeque<(u64, Arc<str>)>,
    next_sequence: u64,
    subscriber: Option<mpsc::UnboundedSender<StreamEvent>>,
    finished_at: Option<Instant>,
}

impl StreamLog {
    fn new() -> StreamLog {
        StreamLog {
            events: VecDeque::new(),
            next_sequence: 1,
            subscriber: None,
            finished_at: None,
        }
    }
}

/// The resumable streams of one session.
pub struct StreamHub {
    streams: Mutex<Streams>,
    next_stream: AtomicU64,
}

#[derive(Default)]
struct Streams {
    logs: HashMap<u64, StreamLog>,
    /// Finished streams still kept, oldest first, with their messages' size.
    finished: VecDeque<(u64, usize)>,
    finished_bytes: usize,
}

impl Streams {
    /// Forgets the oldest finished streams past [`FINISHED_KEPT`] or
    /// [`FINISHED_BYTES`], always keeping the newest.
    fn bound_finished(&mut self) {
        while self.finished.len() > 1
            && (self.finished.len() > FINISHED_KEPT || self.finished_bytes > FINISHED_BYTES)
        {
            if let Some((stream, bytes)) = self.finished.pop_front() {
                self.finished_bytes -= bytes;
                self.logs.remove(&stream);
            }
        }
    }
}

impl Default for StreamHub {
    fn default() -> Self {
        let mut streams = Streams::default();
        streams.logs.insert(0, StreamLog::new());
        StreamHub {
            streams: Mutex::new(streams),
            next_stream: AtomicU64::new(1),
        }
    }
}

/// A parsed `Last-Event-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId {
    pub stream: u64,
    pub sequence: u64,
}

impl EventId {
    pub fn parse(text: &str) -> Option<EventId> {
        let (stream, sequence) = text.trim().split_once('-')?;
        Some(EventId {
            stream: stream.parse().ok()?,
            sequence: sequence.parse().ok()?,
        })
    }

    pub fn render(&self) -> String {
        format!("{}-{}", self.stream, self.sequence)
    }
}

impl StreamHub {
    fn lock(&self) -> MutexGuard<'_, Streams> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a new stream for one request.
    pub fn open(&self) -> u64 {
        let stream = self.next_stream.fetch_add(1, Ordering::Relaxed);
        self.lock().logs.insert(stream, StreamLog::new());
        stream
    }

    /// Appends a message to `stream` and delivers it to the subscriber.
    pub fn push(&self, stream: u64, message: &Value) -> bool {
        let data: Arc<str> = Arc::from(message.to_string());
        let mut streams = self.lock();
        let Some(log) = streams.logs.get_mut(&stream) else {
            return false;
        };
        let sequence = log.next_sequence;
        log.next_sequence += 1;
        log.events.push_back((sequence, Arc::clone(&data)));
        while log.events.len() > MAX_EVENTS_KEPT {
            log.events.pop_front();
        }
        let id = EventId { stream, sequence }.render();
        let delivered = match &log.subscriber {
            Some(subscriber) => subscriber.send(StreamEvent::Message { id, data }).is_ok(),
            None => false,
        };
        if !delivered {
            log.subscriber = None;
        }
        // Request streams keep messages for a later resume even when nobody
        // listens now; the standalone stream only promises live delivery.
        delivered || stream != 0
    }

    /// Whether `stream` has a live subscriber.
    pub fn has_subscriber(&self, stream: u64) -> bool {
        self.lock()
            .logs
            .get(&stream)
            .and_then(|log| log.subscriber.as_ref())
            .is_some_and(|subscriber| !subscriber.is_closed())
    }

    /// Drops the subscriber of `stream` (its connection ends; the log stays).
    pub fn detach(&self, stream: u64) {
        if let Some(log) = self.lock().logs.get_mut(&stream) {
            log.subscriber = None;
        }
    }

    /// Marks `stream` complete: its subscriber's connection ends once it has
    /// the last message, and it stays resumable for a while (among the
    /// session's most recent finished streams).
    pub fn finish(&self, stream: u64) {
        let mut streams = self.lock();
        let Some(log) = streams.logs.get_mut(&stream) else {
            return;
        };
        if log.finished_at.is_some() {
            return;
        }
        log.subscriber = None;
        log.finished_at = Some(Instant::now());
        let bytes = log.events.iter().map(|(_, data)| data.len()).sum();
        streams.finished.push_back((stream, bytes));
        streams.finished_bytes += bytes;
        streams.bound_finished();
    }

    /// Forgets `stream` at once: its answer went out whole in a plain HTTP
    /// body, which has nothing to resume.
    pub fn discard(&self, stream: u64) {
        let mut streams = self.lock();
        if streams.logs.remove(&stream).is_some() {
            if let Some(at) = streams.finished.iter().position(|(s, _)| *s == stream) {
                if let Some((_, bytes)) = streams.finished.remove(at) {
                    streams.finished_bytes -= bytes;
                }
            }
        }
    }

    /// Attaches `subscriber` to `stream`, first replaying the events after
    /// `after` (a resume). Returns the last sequence number sent so far, or
    /// `None` when the stream is unknown. A finished stream gets its replay
    /// and then ends.
    pub fn attach(
        &self,
        stream: u64,
        after: Option<u64>,
        subscriber: mpsc::UnboundedSender<StreamEvent>,
    ) -> Option<u64> {
        let mut streams = self.lock();
        let log = streams.logs.get_mut(&stream)?;
        if let Some(after) = after {
            for (sequence, data) in log.events.iter().filter(|(s, _)| *s > after) {
                let id = EventId {
                    stream,
                    sequence: *sequence,
                }
                .render();
                let _ = subscriber.send(StreamEvent::Message {
                    id,
                    data: Arc::clone(data),
                });
            }
        }
        let last = log.next_sequence - 1;
        if log.finished_at.is_none() {
            log.subscriber = Some(subscriber);
        }
        Some(last)
    }

    /// Sends a keep-alive to every subscriber and forgets the gone ones and
    /// finished streams past their retention. Returns whether the standalone
    /// stream still has a subscriber.
    pub fn maintain(&self) -> bool {
        let mut streams = self.lock();
        let Streams {
            logs,
            finished,
            finished_bytes,
        } = &mut *streams;
        logs.retain(|_, log| {
            if let Some(subscriber) = &log.subscriber {
                if subscriber.send(StreamEvent::KeepAlive).is_err() {
                    log.subscriber = None;
                }
            }
            log.finished_at
                .is_none_or(|finished| finished.elapsed() < FINISHED_RETENTION)
        });
        finished.retain(|(stream, bytes)| {
            let kept = logs.contains_key(stream);
            if !kept {
                *finished_bytes -= bytes;
            }
            kept
        });
        logs.get(&0).is_some_and(|log| log.subscriber.is_some())
    }

    /// Ends every connection (the session is closing).
    pub fn close_all(&self) {
        for log in self.lock().logs.values_mut() {
            log.subscriber = None;
        }
    }

    /// Ends the standalone stream's connection (server shutdown).
    pub fn close_standalone(&self) {
        self.detach(0);
    }
}

/// A sink writing into one stream of a hub.
pub struct HubSink {
    pub hub: Arc<StreamHub>,
    pub stream: u64,
}

impl MessageSink for HubSink {
    fn send(&self, message: Value) -> bool {
        self.hub.push(self.stream, &message)
    }
    fn suspend(&self) {
        if self.stream != 0 {
            self.hub.detach(self.stream);
        }
    }
    fn connected(&self) -> bool {
        self.stream != 0 || self.hub.has_subscriber(0)
    }
    fn session_sink(&self) -> Option<Outbound> {
        Some(Arc::new(HubSink {
            hub: Arc::clone(&self.hub),
            stream: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_resumed_stream_replays_what_was_missed() {
        let hub = StreamHub::default();
        let stream = hub.open();
        let (first, mut first_rx) = mpsc::unbounded_channel();
        assert_eq!(hub.attach(stream, None, first), Some(0));
        hub.push(stream, &json!({"n": 1}));
        hub.detach(stream);
        hub.push(stream, &json!({"n": 2}));
        hub.finish(stream);
        assert!(matches!(
            first_rx.try_recv(),
            Ok(StreamEvent::Message { .. })
        ));
        let (second, mut second_rx) = mpsc::unbounded_channel();
        hub.attach(stream, Some(1), second);
        match second_rx.try_recv() {
            Ok(StreamEvent::Message { id, data }) => {
                assert_eq!(id, format!("{stream}-2"));
                assert_eq!(&*data, r#"{"n":2}"#);
            }
            other => panic!("expected the missed message, got {other:?}"),
        }
        // finished: the connection ends after the replay
        assert!(second_rx.try_recv().is_err());
    }

    /// A session keeps only its most recent finished streams, by count and
    /// by size, and always the newest; a discarded stream is gone at once.
    #[test]
    fn finished_streams_are_kept_within_bounds() {
        let hub = StreamHub::default();
        let finished = |message: Value| {
            let stream = hub.open();
            hub.push(stream, &message);
            hub.finish(stream);
            stream
        };
        let streams: Vec<u64> = (0..FINISHED_KEPT + 10)
            .map(|n| finished(json!({"n": n})))
            .collect();
        let resumable = |stream: u64| {
            let (sender, _receiver) = mpsc::unbounded_channel();
            hub.attach(stream, Some(0), sender).is_some()
        };
        assert!(!resumable(streams[9]), "the oldest are forgotten");
        assert!(streams[10..].iter().all(|s| resumable(*s)));

        let big = "x".repeat(FINISHED_BYTES / 4);
        let large: Vec<u64> = (0..4).map(|_| finished(json!({"text": big}))).collect();
        assert!(!resumable(large[0]), "over the byte budget");
        assert!(large[1..].iter().all(|s| resumable(*s)));
        assert!(hub.lock().finished_bytes <= FINISHED_BYTES);

        let huge = finished(json!({"text": "x".repeat(FINISHED_BYTES * 2)}));
        assert!(resumable(huge), "the newest stays, however large");
        assert_eq!(hub.lock().finished.len(), 1);

        hub.discard(huge);
        assert!(!resumable(huge));
        assert_eq!(hub.lock().finished_bytes, 0);
        let running = hub.open();
        hub.push(running, &json!({"n": 1}));
        assert!(
            resumable(running),
            "unfinished streams are not bounded here"
        );
    }

    #[test]
    fn event_ids_round_trip() {
        let id = EventId {
            stream: 3,
            sequence: 14,
        };
        assert_eq!(EventId::parse(&id.render()), Some(id));
        assert_eq!(EventId::parse("nonsense"), None);
    }
}
