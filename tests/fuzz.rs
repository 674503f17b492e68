//! Fuzzing (proptest) of what clients control: the bytes and headers of
//! `POST /mcp` against a real server (every request gets an HTTP answer with
//! a JSON-RPC error body where one is due, the connection is never dropped,
//! the server stays healthy, and both of its R engines, the in-process R
//! and an `rmcp engine` process, still compute R's answer), the JSON-RPC
//! classifier and the method dispatcher directly (many more cases per second), and JSON ⇄ R
//! conversion through the real embedded R (arbitrary values come back as the
//! documented mapping says, losslessly where it promises to; bad input is a
//! typed error). No case files are written (`failure_persistence: None`).

mod support {
    pub mod engine;
    pub mod server;
}

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rmcp::model::ErrorCode;
use rmcp_server::engines::{EnginePool, EngineState};
use rmcp_server::mcp::jsonrpc::{self, Message};
use rmcp_server::mcp::session::{Lifetime, SessionStore};
use rmcp_server::mcp::stream::NullSink;
use rmcp_server::mcp::McpServer;
use rmcp_server::r::{EngineError, Job};
use rmcp_server::server::Server;
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Map, Number, Value};
use support::engine;
use support::server::{settings, TestServer};
use tokio_util::sync::CancellationToken;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    }
}

/// Runs `strategy` through `test` and fails with proptest's minimal case.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(config(cases));
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{failure}");
    }
}

/// The runtime the in-process servers and async checks run on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

// ---------------------------------------------------------------------------
// Strategies: JSON values and JSON-RPC-shaped messages.

/// Object keys: plain, arbitrary (no NUL), empty.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_]{1,6}",
        2 => "[^\u{0}]{1,8}",
        1 => Just(String::new()),
    ]
}

/// Numbers at the edges of R's integer and double ranges and in between.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-1000i64..1000).prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![
            i64::from(i32::MIN),
            i64::from(i32::MIN) + 1,
            i64::from(i32::MAX),
            i64::from(i32::MAX) + 1,
            i64::MIN,
            i64::MAX,
            9_007_199_254_740_993,
        ])
        .prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop::sample::select(vec![
            -0.0,
            0.5,
            1e308,
            -1e308,
            5e-324,
            2.2250738585072014e-308,
            9.0e15,
            9.0e15 + 2.0,
            1e16,
            -4.5,
            3.0,
        ])
        .prop_map(Value::from),
    ]
}

/// Strings with any characters but NUL (which R cannot hold).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        "[^\u{0}]{0,16}",
        prop::sample::select(vec![
            "NA",
            "TRUE",
            "NULL",
            "",
            "é",
            "😀",
            "\u{ffff}",
            "a\"b\\c\n"
        ])
        .prop_map(str::to_string),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => number(),
        2 => text().prop_map(Value::String),
    ]
}

/// Arrays of one scalar kind (with nulls): R's atomic vectors.
fn homogeneous_array() -> impl Strategy<Value = Value> {
    let with_nulls = |item: BoxedStrategy<Value>| {
        prop::collection::vec(prop_oneof![4 => item, 1 => Just(Value::Null)], 0..10)
            .prop_map(Value::Array)
    };
    prop_oneof![
        with_nulls(any::<bool>().prop_map(Value::Bool).boxed()),
        with_nulls(number().boxed()),
        with_nulls((-50i64..50).prop_map(Value::from).boxed()),
        with_nulls(text().prop_map(Value::String).boxed()),
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![4 => scalar(), 1 => homogeneous_array()];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
];

const TOOLS: &[&str] = &[
    "summary_stats",
    "linear_model",
    "t_test",
    "frequency_table",
    "validate_formula",
    "build_formula",
    "load_example",
    "nope",
];

/// JSON-RPC ids: valid (strings, integers of any size and sign) and not.
fn id() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        6 => any::<i64>().prop_map(|id| Some(json!(id))),
        1 => any::<u64>().prop_map(|id| Some(json!(id))),
        1 => prop::sample::select(vec![json!(i64::MIN), json!(u64::MAX), json!(-1), json!(0)])
            .prop_map(Some),
        4 => "[a-z0-9-]{0,12}".prop_map(|id| Some(json!(id))),
        1 => prop::sample::select(vec![
            Value::Null,
            json!(1.5),
            json!(1e300),
            json!(true),
            json!([1]),
            json!({"id": 1}),
        ])
        .prop_map(Some),
    ]
}

/// Params with the members the methods look at, sometimes well-typed.
fn params() -> impl Strategy<Value = Option<Value>> {
    let members = (
        prop::option::of(prop_oneof![
            prop::sample::select(TOOLS.to_vec()).prop_map(|t| json!(t)),
            json_value()
        ]),
        prop::option::of(prop_oneof![
            json_value(),
            Just(json!({"data": {"x": [1, 2, 3, 4]}})),
            Just(json!({"data": {"x": [1, 2, 3, 4], "y": [2, 4, 5, 9]}, "formula": "y ~ x"})),
        ]),
        prop::option::of(prop_oneof![
            prop::sample::select(vec![
                "rmcp://data/x",
                "file:///etc/passwd",
                "test://nope",
                ""
            ])
            .prop_map(|u| json!(u)),
            json_value()
        ]),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["0", "1", "-1", "99999999999999999999", "x"])
                .prop_map(|c| json!(c)),
            json_value()
        ]),
        prop::option::of(json_value()),
        prop::option::of(prop_oneof![
            Just(json!("2025-11-25")),
            Just(json!("1999-01-01")),
            json_value()
        ]),
    )
        .prop_map(|(name, arguments, uri, cursor, extra, version)| {
            let mut params = Map::new();
            let fields = [
                ("name", name),
                ("arguments", arguments),
                ("uri", uri),
                ("cursor", cursor),
                ("level", extra.clone()),
                ("ref", extra.clone()),
                ("argument", extra.clone()),
                ("requestId", extra.clone()),
                ("_meta", extra),
                ("protocolVersion", version),
            ];
            for (field, value) in fields {
                if let Some(value) = value {
                    params.insert(field.to_string(), value);
                }
            }
            Value::Object(params)
        });
    prop_oneof![
        2 => Just(None),
        8 => members.prop_map(Some),
        1 => json_value().prop_map(Some),
    ]
}

/// One JSON-RPC-shaped message: usually close to valid, often not.
fn message() -> impl Strategy<Value = Value> {
    let method = prop_oneof![
        12 => prop::sample::select(METHODS.to_vec()).prop_map(|m| Some(json!(m))),
        1 => "[a-z/]{0,12}".prop_map(|m| Some(json!(m))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ];
    let version = prop_oneof![
        16 => Just(Some(json!("2.0"))),
        1 => prop::sample::select(vec![json!("1.0"), json!(2.0), Value::Null, json!(" 2.0")])
            .prop_map(Some),
        1 => Just(None),
    ];
    let outcome = prop_oneof![
        12 => Just(None),
        1 => json_value().prop_map(|v| Some(("result", v))),
        1 => json_value().prop_map(|v| Some(("error", v))),
    ];
    (version, id(), method, params(), outcome).prop_map(|(version, id, method, params, outcome)| {
        let mut message = Map::new();
        let fields = [
            ("jsonrpc", version),
            ("id", id),
            ("method", method),
            ("params", params),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                message.insert(field.to_string(), value);
            }
        }
        if let Some((field, value)) = outcome {
            message.insert(field.to_string(), value);
        }
        Value::Object(message)
    })
}

/// Bodies: messages, batches, arbitrary JSON, nesting past serde's limit.
fn body_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => message(),
        1 => prop::collection::vec(message(), 0..4).prop_map(Value::Array),
        1 => json_value(),
        1 => (100usize..200).prop_map(|depth| {
            let mut value = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
            for _ in 0..depth {
                value = json!([value]);
            }
            value
        }),
    ]
}

// ---------------------------------------------------------------------------
// The JSON-RPC classifier, against a model of the rules it documents.

/// What `classify` should make of `value`: the kind of message, or the
/// error code (and whether the rejection still carries the id).
#[derive(Debug, PartialEq)]
enum Classified {
    Request,
    Notification,
    Response,
    Rejected(i32, bool),
}

/// Ids are strings or integers the SDK's `RequestId` holds (i64); a larger
/// integer is refused like a non-integer (-32600, answered with a null id).
fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64()
}

fn model_classify(value: &Value) -> Classified {
    let Value::Object(object) = value else {
        return Classified::Rejected(-32600, false);
    };
    let id = object.get("id");
    if id.is_some_and(|id| !valid_id(id)) {
        return Classified::Rejected(-32600, false);
    }
    let has_id = id.is_some();
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Classified::Rejected(-32600, has_id);
    }
    if let Some(method) = object.get("method") {
        if !method.is_string() {
            return Classified::Rejected(-32600, has_id);
        }
        return match object.get("params") {
            None | Some(Value::Null) | Some(Value::Object(_)) if has_id => Classified::Request,
            None | Some(Value::Null) | Some(Value::Object(_)) => Classified::Notification,
            Some(_) => Classified::Rejected(-32602, has_id),
        };
    }
    if !has_id {
        return Classified::Rejected(-32600, false);
    }
    if object.contains_key("result") || object.contains_key("error") {
        Classified::Response
    } else {
        Classified::Rejected(-32600, true)
    }
}

fn classified(value: Value) -> Classified {
    match jsonrpc::classify(value) {
        Ok(Message::Request(_)) => Classified::Request,
        Ok(Message::Notification(_)) => Classified::Notification,
        Ok(Message::Response(_)) => Classified::Response,
        Err(rejected) => Classified::Rejected(rejected.error.code.0, rejected.id.is_some()),
    }
}

/// The classifier sorts every JSON value exactly as the JSON-RPC rules
/// say (request, notification, response, or the standard error code,
/// keeping the id when it was usable), and a request keeps its method, id
/// and params.
#[test]
fn the_classifier_follows_the_json_rpc_rules() {
    check(3000, body_value(), |value| {
        let expected = model_classify(&value);
        let actual = classified(value.clone());
        prop_assert_eq!(&actual, &expected, "{}", value);
        if let Ok(Message::Request(request)) = jsonrpc::classify(value.clone()) {
            prop_assert_eq!(Some(&json!(request.method)), value.get("method"));
            let id = serde_json::to_value(&request.id).ok();
            prop_assert_eq!(id.as_ref(), value.get("id"));
            match value.get("params") {
                Some(Value::Object(params)) => prop_assert_eq!(&request.params, params),
                _ => prop_assert!(request.params.is_empty()),
            }
        }
        Ok(())
    });
}

/// Arbitrary bytes are decoded or refused with -32700, never a panic; valid
/// JSON text decodes to the same value serde_json reads.
#[test]
fn the_decoder_refuses_any_bytes_with_a_parse_error() {
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        (message(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(message, at, byte)| {
            let mut bytes = message.to_string().into_bytes();
            let index = at.index(bytes.len());
            bytes[index] = byte;
            bytes
        }),
        (message(), any::<prop::sample::Index>()).prop_map(|(message, at)| {
            let bytes = message.to_string().into_bytes();
            let end = at.index(bytes.len());
            bytes[..end].to_vec()
        }),
    ];
    check(3000, bytes, |bytes| {
        match (
            jsonrpc::decode(&bytes),
            serde_json::from_slice::<Value>(&bytes),
        ) {
            (Ok(decoded), Ok(read)) => prop_assert_eq!(decoded, read),
            (Err(rejected), Err(_)) => {
                prop_assert_eq!(rejected.error.code, ErrorCode::PARSE_ERROR);
                prop_assert!(rejected.id.is_none());
            }
            (decoded, read) => prop_assert!(false, "decode {decoded:?} vs serde {read:?}"),
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// The dispatcher, called directly with classified messages.

/// Codes a protocol error may carry: JSON-RPC's, resource not found, and
/// protocol 2026-07-28's header mismatch, missing client capability and
/// unsupported protocol version.
const ERROR_CODES: &[i64] = &[
    -32700, -32600, -32601, -32602, -32603, -32002, -32020, -32021, -32022,
];

/// Checks one JSON-RPC response to request `id`.
fn check_response(response: &Value, id: Option<&Value>) -> Result<(), TestCaseError> {
    prop_assert_eq!(&response["jsonrpc"], &json!("2.0"), "{}", response);
    if let Some(id) = id {
        prop_assert_eq!(&response["id"], id, "{}", response);
    }
    let result = response.get("result");
    let error = response.get("error");
    prop_assert!(
        result.is_some() != error.is_some(),
        "one of result and error: {}",
        response
    );
    if let Some(error) = error {
        let code = error["code"].as_i64();
        prop_assert!(
            code.is_some_and(|code| ERROR_CODES.contains(&code)),
            "{}",
            response
        );
        prop_assert!(error["message"].is_string(), "{}", response);
    }
    Ok(())
}

/// R engines of the fuzzed servers: the in-process R and one engine process.
const ENGINES: usize = 2;

/// The server as shipped without free-form R (the real catalog, prompts
/// and resources on a pool of [`ENGINES`] R engines: the embedded R and
/// `rmcp engine` processes of the built binary), as the fuzzed servers use
/// it. Call inside the runtime: the engine processes start at once.
fn shipped_server() -> Server {
    let workers = WorkerConfig {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_rmcp")),
        engines: ENGINES,
        memory_mb: 1024,
        kill_grace: Duration::from_secs(1),
        log_level: "warn".into(),
        base_dir: std::env::temp_dir().join(format!("rmcp-fuzz-engines-{}", std::process::id())),
        ..WorkerConfig::default()
    };
    Server::builder(settings(workers))
        .engine(engine::engine())
        .without_free_form_r()
        .build()
        .expect("server builds")
}

/// The protocol server of [`shipped_server`], no transport, and what to
/// shut down afterwards.
fn protocol_server() -> (McpServer, Server) {
    let _runtime = runtime().enter();
    let server = shipped_server();
    (server.mcp.clone(), server)
}

/// Waits (bounded: the engine process starts its own R, under load) until
/// every engine of `pool` is idle.
async fn engines_idle(pool: &EnginePool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let health = pool.health();
        if health.engines.len() == ENGINES
            && health.engines.iter().all(|e| e.state == EngineState::Idle)
        {
            return;
        }
        assert!(Instant::now() < deadline, "engines not idle: {health:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every classified message, in an initialized or a fresh session, gets
/// exactly one well-formed response when it is a request (same id, result
/// xor error with a standard code; tools/call results carry content and
/// isError) and none otherwise; nothing panics.
#[test]
fn the_dispatcher_answers_every_request_once() {
    let (server, shipped) = protocol_server();
    let store = SessionStore::new(100_000, Duration::from_secs(3600), CancellationToken::new());
    let ready = store.create(Lifetime::Independent).expect("session");
    let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
    let handshake = jsonrpc::classify(initialize).expect("initialize");
    let reply = runtime().block_on(server.handle(&ready, handshake, Arc::new(NullSink)));
    assert!(reply.is_some_and(|reply| reply.get("result").is_some()));
    check(1500, (message(), any::<bool>()), |(value, initialized)| {
        let Ok(message) = jsonrpc::classify(value.clone()) else {
            return Ok(());
        };
        let session = if initialized {
            Arc::clone(&ready)
        } else {
            store.create(Lifetime::Independent).expect("session")
        };
        let is_request = matches!(message, Message::Request(_));
        let is_call = message.method() == Some("tools/call");
        let response = runtime().block_on(async {
            tokio::time::timeout(
                Duration::from_secs(60),
                server.handle(&session, message, Arc::new(NullSink)),
            )
            .await
        });
        let Ok(response) = response else {
            return Err(TestCaseError::fail(format!("no answer in 60 s to {value}")));
        };
        if !initialized {
            store.remove(&session.id);
        }
        prop_assert_eq!(response.is_some(), is_request, "{}", value);
        if let Some(response) = response {
            check_response(&response, value.get("id"))?;
            if let (true, Some(result)) = (is_call, response.get("result")) {
                prop_assert!(result["content"].is_array(), "{}", response);
                prop_assert!(result["isError"].is_boolean(), "{}", response);
            }
        }
        Ok(())
    });
    shipped.shutdown_workers();
}

// ---------------------------------------------------------------------------
// POST /mcp over real HTTP.

/// The fuzzed server: the server as shipped without free-form R, on
/// loopback.
async fn start_server() -> TestServer {
    // Fuzzed initialize requests open sessions; never evict the fuzzer's own.
    TestServer::serve(shipped_server(), |config| config.max_sessions = 100_000).await
}

/// Which session a fuzzed request names.
#[derive(Debug, Clone)]
enum SessionHeader {
    None,
    Valid,
    Ended,
    Bogus(String),
}

/// One fuzzed request: body and headers.
#[derive(Debug, Clone)]
struct HttpCase {
    body: Vec<u8>,
    content_type: Option<&'static str>,
    accept: Option<&'static str>,
    version: Option<String>,
    session: SessionHeader,
}

fn http_case() -> impl Strategy<Value = HttpCase> {
    let body = prop_oneof![
        10 => body_value().prop_map(|value| value.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => (message(), any::<prop::sample::Index>()).prop_map(|(message, at)| {
            let bytes = message.to_string().into_bytes();
            bytes[..at.index(bytes.len())].to_vec()
        }),
    ];
    let content_type = prop_oneof![
        8 => Just(Some("application/json")),
        1 => prop::sample::select(vec![
            Some("application/json; charset=utf-8"),
            Some("APPLICATION/JSON"),
            Some("text/plain"),
            Some("multipart/form-data; boundary=x"),
            None,
        ]),
    ];
    let accept = prop_oneof![
        8 => prop::sample::select(vec![
            Some("application/json, text/event-stream"),
            Some("application/json"),
            Some("text/event-stream"),
        ]),
        2 => prop::sample::select(vec![
            Some("*/*"),
            Some("text/html"),
            Some("application/xml;q=0.9"),
            None,
        ]),
    ];
    let version = prop_oneof![
        8 => Just(Some("2025-11-25".to_string())),
        1 => Just(None),
        1 => prop::sample::select(vec!["2024-11-05", "2099-01-01", "", " 2025-06-18 "])
            .prop_map(|v| Some(v.to_string())),
        1 => "[ -~]{0,24}".prop_map(Some),
    ];
    let session = prop_oneof![
        8 => Just(SessionHeader::Valid),
        2 => Just(SessionHeader::None),
        1 => Just(SessionHeader::Ended),
        1 => "[!-~]{0,40}".prop_map(SessionHeader::Bogus),
    ];
    (body, content_type, accept, version, session).prop_map(
        |(body, content_type, accept, version, session)| HttpCase {
            body,
            content_type,
            accept,
            version,
            session,
        },
    )
}

/// Session ids the fuzzer holds: one live, one ended.
struct Sessions {
    live: String,
    ended: String,
}

async fn open_session(http: &reqwest::Client, url: &str) -> String {
    let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize.to_string())
        .send()
        .await
        .expect("initialize");
    assert_eq!(response.status(), 200);
    response.headers()["mcp-session-id"]
        .to_str()
        .expect("ascii")
        .to_string()
}

/// The JSON messages of an event stream, or why it is not one.
fn stream_messages(body: &str) -> Result<Vec<Value>, String> {
    let mut messages = Vec::new();
    for event in body.split("\n\n").filter(|event| !event.trim().is_empty()) {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .collect();
        let data = data.join("\n");
        if data.is_empty() {
            continue;
        }
        let message =
            serde_json::from_str(&data).map_err(|error| format!("event data {data:?}: {error}"))?;
        messages.push(message);
    }
    Ok(messages)
}

/// Sends one fuzzed request and checks the answer.
async fn http_round(
    server: &TestServer,
    http: &reqwest::Client,
    sessions: &Sessions,
    case: &HttpCase,
) -> Result<(), TestCaseError> {
    let mut request = http.post(&server.url).body(case.body.clone());
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(accept) = case.accept {
        request = request.header("accept", accept);
    }
    if let Some(version) = &case.version {
        request = request.header("mcp-protocol-version", version.as_str());
    }
    let session = match &case.session {
        SessionHeader::None => None,
        SessionHeader::Valid => Some(sessions.live.as_str()),
        SessionHeader::Ended => Some(sessions.ended.as_str()),
        SessionHeader::Bogus(id) => Some(id.as_str()),
    };
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request
        .send()
        .await
        .map_err(|error| TestCaseError::fail(format!("no HTTP response: {error:?}")))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = tokio::time::timeout(Duration::from_secs(60), response.text())
        .await
        .map_err(|_| TestCaseError::fail("the body did not end in 60 s"))?
        .map_err(|error| TestCaseError::fail(format!("the body broke off: {error:?}")))?;
    prop_assert!(
        [200, 202, 400, 404, 406, 415].contains(&status),
        "status {}: {}",
        status,
        body
    );

    // What the transport promises before it looks at the message.
    let accept = case.accept.unwrap_or("*/*");
    let lower = accept.to_ascii_lowercase();
    let acceptable = accept.contains("*/*")
        || lower.contains("application/json")
        || lower.contains("text/event-stream");
    let decoded = serde_json::from_slice::<Value>(&case.body);
    let classification = decoded.as_ref().ok().map(model_classify);
    if !acceptable {
        prop_assert_eq!(status, 406);
    } else if case
        .content_type
        .is_some_and(|t| !t.to_ascii_lowercase().starts_with("application/json"))
    {
        prop_assert_eq!(status, 415);
    } else if decoded.is_err() {
        prop_assert_eq!(status, 400);
    } else if let Some(Classified::Rejected(code, _)) = &classification {
        prop_assert_eq!(status, 400);
        prop_assert_eq!(
            serde_json::from_str::<Value>(&body)
                .ok()
                .map(|b| b["error"]["code"].clone()),
            Some(json!(code))
        );
    }

    if status == 202 {
        prop_assert!(body.is_empty(), "202 with a body: {}", body);
        prop_assert!(
            matches!(
                classification,
                Some(Classified::Notification | Classified::Response)
            ),
            "202 for a request"
        );
        return Ok(());
    }
    let request_id = match classification {
        Some(Classified::Request) => decoded.as_ref().ok().and_then(|v| v.get("id")).cloned(),
        _ => None,
    };
    if content_type.starts_with("text/event-stream") {
        prop_assert_eq!(status, 200);
        let messages = stream_messages(&body).map_err(TestCaseError::fail)?;
        let responses: Vec<&Value> = messages
            .iter()
            .filter(|m| m.get("result").is_some() || m.get("error").is_some())
            .collect();
        prop_assert_eq!(responses.len(), 1, "{}", body);
        prop_assert!(messages
            .last()
            .is_some_and(|last| std::ptr::eq(last, responses[0])));
        check_response(responses[0], request_id.as_ref())?;
    } else {
        prop_assert!(
            content_type.starts_with("application/json"),
            "content-type {:?}: {}",
            content_type,
            body
        );
        let reply: Value = serde_json::from_str(&body)
            .map_err(|error| TestCaseError::fail(format!("body is not JSON ({error}): {body}")))?;
        if status == 200 {
            check_response(&reply, request_id.as_ref())?;
        } else {
            check_response(&reply, None)?;
            prop_assert!(reply.get("error").is_some(), "{}", reply);
        }
    }
    Ok(())
}

/// Arbitrary bodies and odd headers on POST /mcp, with and without a
/// session, over one keep-alive connection: every request gets an HTTP
/// answer (406, 415 and 400 exactly where the headers or the body call for
/// them), every body is a JSON-RPC message or an event stream of them, and
/// afterwards the server is healthy and computes R's answer.
#[test]
fn post_mcp_answers_any_input_without_dropping_the_connection() {
    let server = runtime().block_on(start_server());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let sessions = runtime().block_on(async {
        let live = open_session(&http, &server.url).await;
        let ended = open_session(&http, &server.url).await;
        let deleted = http
            .delete(&server.url)
            .header("mcp-session-id", &ended)
            .send()
            .await
            .expect("delete");
        assert_eq!(deleted.status(), 200);
        Sessions { live, ended }
    });
    check(600, http_case(), |case| {
        runtime().block_on(http_round(&server, &http, &sessions, &case))
    });

    runtime().block_on(async {
        let health = http
            .get(format!("{}/health", server.base))
            .send()
            .await
            .expect("health");
        assert_eq!(health.status(), 200);
        let health: Value = health.json().await.expect("json");
        assert_eq!(health["status"], "healthy");
        let fresh = reqwest::Client::new();
        let session = open_session(&fresh, &server.url).await;
        // lm(y ~ x) on a straight line y = slope * x + 1: R's slope back.
        let fit = |slope: f64| {
            let (fresh, url, session) = (&fresh, &server.url, &session);
            async move {
                let y: Vec<f64> = (1..=5).map(|x| slope * f64::from(x) + 1.0).collect();
                let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                    "name": "linear_model", "arguments": {
                        "data": {"x": [1, 2, 3, 4, 5], "y": y}, "formula": "y ~ x"}}});
                let reply: Value = fresh
                    .post(url)
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .header("mcp-session-id", session)
                    .body(call.to_string())
                    .send()
                    .await
                    .expect("call")
                    .json()
                    .await
                    .expect("json");
                reply["result"]["structuredContent"]["coefficients"]["x"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no slope in {reply}"))
            }
        };
        let slope = fit(2.0).await;
        assert!((slope - 2.0).abs() < 1e-9, "{slope}");
        assert!(server.state.sessions.len() >= 2);

        // The engine process survived the fuzzing too: with the in-process
        // R busy, the same call runs there and gives the same answer.
        let pool = server
            .server
            .engines
            .clone()
            .expect("the catalog's engines");
        engines_idle(&pool).await;
        let health = pool.health();
        assert!(
            health.engines.iter().all(|engine| engine.restarts == 0),
            "an engine process was replaced while fuzzing: {health:?}"
        );
        let before = health.engines[1].jobs;
        let busy = pool.clone();
        let sleeper =
            tokio::spawn(async move { busy.eval(Job::eval("Sys.sleep(3); 'slept'")).await });
        let deadline = Instant::now() + Duration::from_secs(30);
        while pool.health().engines[0].state != EngineState::Busy {
            assert!(Instant::now() < deadline, "engine 0 never took the sleep");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let slope = fit(3.0).await;
        assert!((slope - 3.0).abs() < 1e-9, "{slope}");
        assert_eq!(pool.health().engines[1].jobs, before + 1, "engine 1 ran it");
        let slept = sleeper.await.expect("sleeper").expect("the sleep");
        assert_eq!(slept.value, json!("slept"));
    });
}

// ---------------------------------------------------------------------------
// JSON ⇄ R through the real engine.

/// R vector kinds, as `src/r/convert.rs` documents them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Logical,
    Integer,
    Real,
    Character,
    List,
}

fn r_integer(number: &Number) -> Option<i32> {
    number
        .as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .filter(|&i| i != i32::MIN)
}

/// The R vector an array becomes, by the documented rule stated over the
/// set of kinds present (not as the converter folds it): nested values or
/// incompatible kinds make a list, integers with reals make reals, all
/// `null` makes logical `NA`s.
fn kind_of(items: &[Value]) -> Kind {
    if items.iter().any(|item| item.is_array() || item.is_object()) {
        return Kind::List;
    }
    let has = |test: fn(&Value) -> bool| items.iter().any(test);
    let logical = has(Value::is_boolean);
    let text = has(Value::is_string);
    let integer = has(|v| v.as_number().is_some_and(|n| r_integer(n).is_some()));
    let real = has(|v| v.as_number().is_some_and(|n| r_integer(n).is_none()));
    match (logical, integer || real, text) {
        (false, false, false) => Kind::Null,
        (true, false, false) => Kind::Logical,
        (false, true, false) if real => Kind::Real,
        (false, true, false) => Kind::Integer,
        (false, false, true) => Kind::Character,
        _ => Kind::List,
    }
}

/// A double as it comes back: non-finite → null, whole numbers below 9e15
/// as integers, the rest as themselves.
fn real(value: f64) -> Value {
    if !value.is_finite() {
        Value::Null
    } else if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Value::from(value as i64)
    } else {
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// One element of an atomic vector of `kind`, as it comes back.
fn element(kind: Kind, item: &Value) -> Value {
    match (kind, item) {
        (_, Value::Null) => Value::Null,
        (Kind::Logical, Value::Bool(b)) => Value::Bool(*b),
        (Kind::Integer, Value::Number(n)) => r_integer(n).map_or(Value::Null, Value::from),
        (Kind::Real, Value::Number(n)) => real(n.as_f64().unwrap_or(f64::NAN)),
        (Kind::Character, Value::String(s)) => Value::String(s.clone()),
        (kind, item) => panic!("model: {item} in a {kind:?} vector"),
    }
}

fn atomic(kind: Kind, items: &[Value]) -> Value {
    if items.len() == 1 {
        element(kind, &items[0])
    } else {
        Value::Array(items.iter().map(|item| element(kind, item)).collect())
    }
}

/// An object as it comes back: a named list, unnamed members named by
/// their position.
fn named(members: &Map<String, Value>, convert: impl Fn(&Value) -> Value) -> Value {
    let mut out = Map::new();
    for (index, (name, item)) in members.iter().enumerate() {
        let name = if name.is_empty() {
            (index + 1).to_string()
        } else {
            name.clone()
        };
        out.insert(name, convert(item));
    }
    Value::Object(out)
}

/// The documented mapping, JSON → R → JSON.
fn expected(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Object(members) => named(members, expected),
        Value::Array(items) if items.is_empty() => json!([]),
        Value::Array(items) => match kind_of(items) {
            Kind::List => Value::Array(items.iter().map(expected).collect()),
            kind => atomic(kind, items),
        },
        scalar => atomic(
            kind_of(std::slice::from_ref(scalar)),
            std::slice::from_ref(scalar),
        ),
    }
}

/// A data-frame column as it comes back: always an array; mixed columns
/// become text.
fn expected_column(items: &[Value]) -> Value {
    let kind = kind_of(items);
    if kind != Kind::List {
        return Value::Array(items.iter().map(|item| element(kind, item)).collect());
    }
    Value::Array(
        items
            .iter()
            .map(|item| match item {
                Value::Null => Value::Null,
                Value::String(s) => Value::String(s.clone()),
                Value::Bool(true) => json!("TRUE"),
                Value::Bool(false) => json!("FALSE"),
                other => Value::String(other.to_string()),
            })
            .collect(),
    )
}

/// Where the documented mapping is lossless: no length-1 arrays (R has no
/// scalars; they come back unboxed) and no empty member names.
fn lossless(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.len() != 1 && items.iter().all(lossless),
        Value::Object(members) => members
            .iter()
            .all(|(name, item)| !name.is_empty() && lossless(item)),
        _ => true,
    }
}

/// Equal as JSON, numbers compared as doubles.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (a, b) => a == b,
    }
}

fn echo(value: &Value, tables: &[&str]) -> Result<Value, EngineError> {
    let job = Job::call("rmcp_engine_echo", value.clone())
        .with_tables(tables.iter().copied())
        .with_timeout(Duration::from_secs(30));
    engine::run(job).map(|reply| reply.value)
}

/// Arbitrary JSON values (huge and tiny numbers, any text but NUL, nested
/// arrays and objects) go through R and come back exactly as the
/// documented mapping says, and unchanged wherever it is lossless.
#[test]
fn json_values_round_trip_through_r_as_documented() {
    check(256, json_value(), |value| {
        let back = echo(&value, &[])
            .map_err(|error| TestCaseError::fail(format!("{value}: {error:?}")))?;
        let model = expected(&value);
        prop_assert_eq!(&back, &model, "input {}", value);
        if lossless(&value) {
            prop_assert!(
                same(&back, &value),
                "lossless input {} came back {}",
                value,
                back
            );
        }
        Ok(())
    });
    // The engine is still sound after it all.
    assert_eq!(engine::eval("sum(1:10)").expect("eval").value, json!(55));
}

/// A column-wise table (columns of scalars, sometimes ragged, sometimes
/// not arrays at all) next to another member.
fn table_case() -> impl Strategy<Value = Value> {
    let column = prop_oneof![
        8 => prop::collection::vec(scalar(), 0..6).prop_map(Value::Array),
        2 => homogeneous_array(),
        1 => scalar(),
        1 => json_value(),
    ];
    (
        prop::collection::vec((key(), column), 0..4),
        json_value(),
    )
        .prop_map(|(columns, other)| {
            json!({"table": Value::Object(columns.into_iter().collect()), "other": other})
        })
}

/// Tables become data frames and come back column-wise (every column an
/// array, mixed columns as text); tables that are not equal-length columns
/// of scalars are refused with a typed InvalidInput naming the problem.
#[test]
fn tables_round_trip_or_are_refused_with_a_typed_error() {
    check(160, table_case(), |value| {
        let columns = value["table"].as_object().expect("columns");
        let mut refusal = None;
        let mut rows = None;
        for (name, column) in columns {
            let Value::Array(items) = column else {
                refusal = Some(format!("column '{name}' of 'table' must be an array"));
                break;
            };
            if items.iter().any(|item| item.is_array() || item.is_object()) {
                refusal = Some(format!(
                    "column '{name}' of 'table' must hold numbers, strings, booleans or nulls"
                ));
                break;
            }
            if *rows.get_or_insert(items.len()) != items.len() {
                refusal = Some("columns of 'table' have different lengths".to_string());
                break;
            }
        }
        match (echo(&value, &["table"]), refusal) {
            (Err(EngineError::InvalidInput(message)), Some(expected)) => {
                prop_assert!(message.contains(&expected), "{} vs {}", message, expected);
            }
            (Ok(back), None) => {
                let table = named(columns, |column| {
                    expected_column(column.as_array().map(Vec::as_slice).unwrap_or(&[]))
                });
                let model = json!({"table": table, "other": expected(&value["other"])});
                prop_assert_eq!(&back, &model, "input {}", value);
            }
            (outcome, refusal) => {
                return Err(TestCaseError::fail(format!(
                    "{value}: got {outcome:?}, expected refusal {refusal:?}"
                )))
            }
        }
        Ok(())
    });
}

/// Nesting up to the documented 100 levels round-trips; deeper input is a
/// typed error naming the limit, and R is unharmed.
#[test]
fn nesting_past_the_limit_is_a_typed_error() {
    let nested = |depth: usize, wrap: fn(Value) -> Value| {
        let mut value = json!([1, 2]);
        for _ in 1..depth {
            value = wrap(value);
        }
        value
    };
    for wrap in [
        (|value| json!([value])) as fn(Value) -> Value,
        |value| json!({ "a": value }),
    ] {
        for depth in [2, 50, 99, 100] {
            let value = nested(depth, wrap);
            assert_eq!(echo(&value, &[]).expect("within the limit"), value);
        }
        for depth in [101, 102, 500] {
            let error = echo(&nested(depth, wrap), &[]).expect_err("too deep");
            assert!(
                matches!(&error, EngineError::InvalidInput(m) if m.contains("nested deeper than 100")),
                "{depth}: {error:?}"
            );
        }
    }
    let nul = echo(&json!({"a": ["x\u{0}y"]}), &[]).expect_err("NUL");
    assert!(matches!(nul, EngineError::InvalidInput(_)), "{nul:?}");
    assert_eq!(engine::eval("1 + 1").expect("eval").value, json!(2));
}
