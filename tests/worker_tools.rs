//! Free-form R through the whole MCP path: an assistant runs its own R code
//! in its session's sandboxed worker, keeps objects between calls, looks at
//! them with the introspection tools, calls catalog tools back from R, and
//! never sees another session's workspace.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
    pub mod workers;
}

use rmcp_server::worker::WorkerConfig;
use serde_json::json;
use support::workers::{call, client, run_r, start, start_with, test_config, text, value};

/// An assistant stores a model in one call and uses it in the next: the
/// workspace lives as long as the MCP session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_persists_across_calls() {
    let harness = start(test_config("persist")).await;
    let client = client(&harness).await;
    let first = run_r(&client, "fit <- lm(mpg ~ wt, data = mtcars); result <- 1").await;
    assert_eq!(value(&first), json!(1), "{first}");
    let second = run_r(&client, "result <- unname(round(coef(fit)[2], 3))").await;
    assert_eq!(value(&second), json!(-5.344));
}

/// Two sessions each get their own workspace: one cannot see the other's
/// objects, even by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_isolated() {
    let harness = start(test_config("isolation")).await;
    let alice = client(&harness).await;
    let bob = client(&harness).await;
    value(&run_r(&alice, "secret_of_alice <- 42; result <- TRUE").await);
    let seen = run_r(&bob, "result <- exists('secret_of_alice')").await;
    assert_eq!(value(&seen), json!(false));
    let listed = call(&bob, "list_r_objects", json!({})).await;
    assert!(!listed.to_string().contains("secret_of_alice"), "{listed}");
    let listed = call(&alice, "list_r_objects", json!({})).await;
    assert!(listed.to_string().contains("secret_of_alice"), "{listed}");
}

/// The introspection tools see the caller's live objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_sees_the_callers_objects() {
    let harness = start(test_config("introspect")).await;
    let client = client(&harness).await;
    value(&run_r(&client, "df <- head(mtcars, 7); v <- 1:10; result <- NULL").await);
    let listed = call(&client, "list_r_objects", json!({"sort_by": "size"})).await;
    let names = object_names(&listed);
    assert!(names.contains(&"df") && names.contains(&"v"), "{listed}");
    let inspected = call(
        &client,
        "inspect_r_object",
        json!({"object_name": "df", "max_preview_rows": 3}),
    )
    .await;
    let object = &inspected["structuredContent"];
    assert_eq!(object["exists"], json!(true), "{inspected}");
    assert_eq!(object["dim"], json!([7, 11]));
    assert_eq!(object["preview"]["mpg"], json!([21, 21, 22.8]));
    let missing = call(&client, "inspect_r_object", json!({"object_name": "nope"})).await;
    assert_eq!(missing["structuredContent"]["exists"], json!(false));
    let info = call(&client, "get_r_session_info", json!({})).await;
    assert!(
        info["structuredContent"]["r_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("R version"),
        "{info}"
    );
    let packages = call(&client, "list_r_packages", json!({"package_name": "stats"})).await;
    assert_eq!(
        packages["structuredContent"]["installed"],
        json!(true),
        "{packages}"
    );
}

/// R code calls the linear_model catalog tool through rmcp_call() once a
/// callback session allows it, and is refused tools it was not given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_calls_linear_model_back() {
    let harness = start(test_config("callback")).await;
    let client = client(&harness).await;
    let code = "fit <- rmcp_call('linear_model', list(data = mtcars[, c('mpg', 'wt')], formula = 'mpg ~ wt')); result <- round(fit$coefficients$wt, 3)";
    let before = run_r(&client, code).await;
    assert_eq!(
        before["structuredContent"]["success"],
        json!(false),
        "{before}"
    );
    assert!(text(&before).contains("setup_r_bidirectional"), "{before}");
    let setup = call(
        &client,
        "setup_r_bidirectional",
        json!({"allowed_tools": ["linear_model"]}),
    )
    .await;
    assert_eq!(
        setup["structuredContent"]["success"],
        json!(true),
        "{setup}"
    );
    let after = run_r(&client, code).await;
    assert_eq!(value(&after), json!(-5.344));
    let refused = run_r(
        &client,
        "rmcp_call('t_test', list(data = list(x = c(1, 2, 3)), variable = 'x'))",
    )
    .await;
    assert!(text(&refused).contains("not allowed"), "{refused}");
    let listed = call(&client, "list_callback_sessions", json!({})).await;
    assert_eq!(listed["structuredContent"]["count"], json!(1), "{listed}");
}

/// Code that will not stop is killed at its deadline plus the grace period;
/// the client is told the workspace was reset, and the next call runs on a
/// fresh worker. Code that stops at the interrupt keeps its workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_will_not_stop_is_replaced() {
    // A grace period that a loaded CI machine still meets for the
    // interruptible loop below (1 s was seen missed once).
    let config = WorkerConfig {
        kill_grace: std::time::Duration::from_secs(3),
        ..test_config("replace")
    };
    let harness = start(config).await;
    let client = client(&harness).await;

    // Interrupts suspended: nothing inside R can stop this, only the kill.
    // A worker starved of CPU (it runs at a lower priority) may meet its
    // deadline before it has entered suspendInterrupts; that attempt ends
    // interrupted with the workspace intact, and the next one is tried.
    let mut killed = false;
    for _attempt in 0..3 {
        value(&run_r(&client, "kept <- 1; result <- kept").await);
        let started = std::time::Instant::now();
        let stuck = execute(&client, "suspendInterrupts(repeat {})").await;
        let elapsed = started.elapsed();
        assert_eq!(stuck["isError"], json!(true), "{stuck}");
        assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
        if text(&stuck).contains("workspace was reset") {
            killed = true;
            break;
        }
        assert!(text(&stuck).contains("workspace is intact"), "{stuck}");
    }
    assert!(killed, "the unstoppable code was never killed");
    let after = run_r(&client, "result <- exists('kept')").await;
    assert_eq!(value(&after), json!(false));

    // `while (TRUE)` inside `tryCatch(interrupt = )` swallows the first
    // interrupt; the engine keeps interrupting, and whether one lands
    // outside the handler before the grace period ends is a race. Either
    // way the call ends in time with the matching outcome.
    value(&run_r(&client, "kept <- 3; result <- kept").await);
    let started = std::time::Instant::now();
    let swallowed = execute(
        &client,
        "repeat tryCatch(while (TRUE) {}, interrupt = function(i) NULL)",
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(swallowed["isError"], json!(true), "{swallowed}");
    assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
    let reset = text(&swallowed).contains("workspace was reset");
    assert!(
        reset || text(&swallowed).contains("workspace is intact"),
        "{swallowed}"
    );
    let after = run_r(&client, "result <- exists('kept')").await;
    assert_eq!(value(&after), json!(!reset));

    // An interruptible loop stops at its deadline and keeps the workspace.
    value(&run_r(&client, "kept <- 2; result <- kept").await);
    let slow = execute(&client, "while (TRUE) {}").await;
    assert!(text(&slow).contains("workspace is intact"), "{slow}");
    assert_eq!(value(&run_r(&client, "result <- kept").await), json!(2));
}

/// Code that does not parse is answered with R's own message and where it
/// stopped, runs nothing, and leaves the workspace as it was; the next call
/// reports the objects it creates and the packages it attaches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_that_does_not_parse_runs_nothing() {
    let harness = start(test_config("parse")).await;
    let client = client(&harness).await;
    value(&run_r(&client, "kept <- 1; result <- kept").await);
    let broken = run_r(&client, "kept <- 99\nx <- (2 +\n y y").await;
    let answer = &broken["structuredContent"];
    assert_eq!(answer["success"], json!(false), "{broken}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("the R code does not parse: line 3:") && error.contains("unexpected"),
        "{broken}"
    );
    let next = run_r(
        &client,
        "library(splines); made <- 2; result <- kept + made",
    )
    .await;
    assert_eq!(value(&next), json!(3), "{next}");
    assert_eq!(
        next["structuredContent"]["packages_loaded"],
        json!(["splines"]),
        "{next}"
    );
    let listed = call(&client, "list_r_objects", json!({})).await;
    let names = object_names(&listed);
    assert!(
        names.contains(&"kept") && names.contains(&"made") && !names.contains(&"x"),
        "{listed}"
    );
}

/// The object names a `list_r_objects` result lists.
fn object_names(listed: &serde_json::Value) -> Vec<&str> {
    listed["structuredContent"]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect()
}

/// `execute_r_analysis` of `code` with a 1 s time limit.
async fn execute(client: &support::client::Client, code: &str) -> serde_json::Value {
    call(
        client,
        "execute_r_analysis",
        json!({"r_code": code, "description": "time limit", "timeout_seconds": 1}),
    )
    .await
}

/// Ending the session (DELETE /mcp) stops its worker and removes its folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_the_session_frees_its_worker() {
    let harness = start(test_config("end")).await;
    let client = client(&harness).await;
    value(&run_r(&client, "result <- 1").await);
    let session = client.session.clone().expect("session id");
    let worker = harness
        .free
        .sessions()
        .session_workspace(&session)
        .and_then(|workspace| workspace.worker())
        .expect("a worker");
    let (pid, dir) = (worker.pid, worker.dir.clone());
    drop(worker);
    let response = client
        .http
        .delete(&client.url)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .expect("delete");
    assert!(response.status().is_success(), "{}", response.status());
    support::client::eventually("the worker exits", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists() && !dir.exists()
    })
    .await;
}

/// A worker idle past its TTL is freed; the session's next call says its
/// workspace was reset and runs on a new worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_workers_are_freed() {
    let mut config = test_config("idle");
    config.idle_ttl = std::time::Duration::from_millis(500);
    let harness = start(config).await;
    let client = client(&harness).await;
    value(&run_r(&client, "old <- 1; result <- 1").await);
    support::client::eventually("the idle worker is freed", || {
        harness.free.sessions().live_workers() == 0
    })
    .await;
    let next = run_r(&client, "result <- exists('old')").await;
    assert_eq!(value(&next), json!(false));
    assert!(text(&next).contains("idle"), "{next}");
}

/// The tools that take a workspace handle: the reference's input schema
/// plus exactly one optional property, `workspace`, a string mirrored into
/// the `Mcp-Param-Workspace` header (SEP-2243). Clients of the reference
/// never send it, so the schemas stay drop-in compatible.
const TAKE_A_WORKSPACE: [&str; 7] = [
    "execute_r_analysis",
    "approve_r_package",
    "approve_operation",
    "list_r_objects",
    "inspect_r_object",
    "get_r_session_info",
    "list_r_packages",
];

/// `schema` less the documented `workspace` property, which must be
/// optional, a string, and declare its header.
fn without_workspace(name: &str, mut schema: serde_json::Value) -> serde_json::Value {
    if !TAKE_A_WORKSPACE.contains(&name) {
        return schema;
    }
    let property = schema["properties"]
        .as_object_mut()
        .and_then(|properties| properties.remove("workspace"))
        .unwrap_or_else(|| panic!("{name} declares no workspace"));
    assert_eq!(property["type"], "string", "{name}");
    assert_eq!(property["x-mcp-header"], "Workspace", "{name}");
    assert!(property["description"].as_str().is_some(), "{name}");
    assert_eq!(property.as_object().map(|p| p.len()), Some(3), "{name}");
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    assert!(
        !required.contains(&serde_json::json!("workspace")),
        "{name}"
    );
    schema
}

/// The twelve tools are declared with the reference's input schemas (seven
/// of them plus the optional `workspace` handle, and nothing else).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_match_the_reference() {
    use rmcp_server::tools::ToolProvider;
    let harness = start(test_config("schemas")).await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/tools.json");
    let reference: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("tests/reference/tools.json"))
            .expect("json");
    let tools = harness.free.tools();
    assert_eq!(tools.len(), 12);
    for tool in tools {
        let expected = reference
            .iter()
            .find(|t| t["name"] == tool.name.as_ref())
            .unwrap_or_else(|| panic!("{} is not a reference tool", tool.name));
        assert_eq!(
            without_workspace(
                &tool.name,
                serde_json::Value::Object((*tool.input_schema).clone())
            ),
            expected["inputSchema"],
            "{}",
            tool.name
        );
        assert!(tool.description.as_deref().unwrap_or("").len() > 40);
    }
}

/// An analyst approves writes to one folder for their session: that
/// session's R and the file tools may then write there, while another
/// session's may not (the server as shipped, where the file sandbox and the
/// workers share the roots and the grant).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_folder_is_writable_by_its_session_only() {
    let root = std::env::temp_dir().join(format!("rmcp-test-grants-{}", std::process::id()));
    let granted = root.join("granted");
    std::fs::create_dir_all(&granted).expect("folder");
    let mut settings = support::server::settings(test_config("grants"));
    settings.vfs.read_roots = vec![root.clone()];
    let harness = start_with(settings).await;
    let owner = client(&harness).await;
    let other = client(&harness).await;
    let write = |name: &str| {
        format!(
            "writeLines('x', '{}'); result <- TRUE",
            granted.join(name).display()
        )
    };

    let early = run_r(&owner, &write("early.txt")).await;
    assert_eq!(
        early["structuredContent"]["success"],
        json!(false),
        "{early}"
    );
    let approved = call(
        &owner,
        "approve_operation",
        json!({"operation_type": "file_operations", "specific_operation": "write",
               "directory": granted.to_string_lossy()}),
    )
    .await;
    assert_eq!(
        approved["structuredContent"]["success"],
        json!(true),
        "{approved}"
    );
    let from_r = run_r(&owner, &write("from-r.txt")).await;
    assert_eq!(value(&from_r), json!(true));
    let from_tool = call(
        &owner,
        "write_csv",
        json!({"data": {"x": [1, 2]}, "file_path": "granted/a.csv"}),
    )
    .await;
    assert_eq!(from_tool["isError"], json!(false), "{from_tool}");

    let refused = run_r(&other, &write("other.txt")).await;
    assert_eq!(
        refused["structuredContent"]["success"],
        json!(false),
        "{refused}"
    );
    let refused_tool = call(
        &other,
        "write_csv",
        json!({"data": {"x": [1]}, "file_path": "granted/b.csv"}),
    )
    .await;
    assert_eq!(refused_tool["isError"], json!(true), "{refused_tool}");

    let mut written: Vec<String> = std::fs::read_dir(&granted)
        .expect("granted folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["a.csv", "from-r.txt"]);
    drop(harness);
    let _ = std::fs::remove_dir_all(&root);
}

/// `RMCP_R_TIMEOUT` caps free-form R: code without `timeout_seconds` stops
/// at the ceiling (not the 60 s default), and a longer `timeout_seconds` is
/// lowered to it, which the answer says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_r_timeout_caps_free_form_r() {
    let ceiling = std::time::Duration::from_secs(2);
    let config = WorkerConfig {
        default_timeout: ceiling,
        max_timeout: ceiling,
        ..test_config("ceiling")
    };
    let harness = start(config).await;
    let client = client(&harness).await;
    for arguments in [
        json!({"r_code": "Sys.sleep(30)", "description": "no limit given"}),
        json!({"r_code": "Sys.sleep(30)", "description": "a long limit", "timeout_seconds": 120}),
    ] {
        let started = std::time::Instant::now();
        let stopped = call(&client, "execute_r_analysis", arguments.clone()).await;
        let elapsed = started.elapsed();
        assert_eq!(stopped["isError"], json!(true), "{stopped}");
        assert!(
            elapsed < std::time::Duration::from_secs(10),
            "{arguments}: ran {elapsed:?} under a 2 s ceiling"
        );
        assert!(text(&stopped).contains("time limit of 2 s"), "{stopped}");
        if arguments.get("timeout_seconds").is_some() {
            assert!(
                text(&stopped).contains("above this server's limit"),
                "{stopped}"
            );
        }
    }
}
