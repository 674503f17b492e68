//! Prompts and resources as a client sees them, over Streamable HTTP (the
//! server in this process) and over stdio (`rmcp start` as a child
//! process): the five workflow prompts with argument completion, the tool
//! catalog, the environment report (no paths, no secrets), the sandbox's
//! folders as `file://` resources, example datasets by URI, and
//! notifications when a subscribed file is written.

mod support {
    pub mod client;
    pub mod engine;
    pub mod server;
    pub mod stdio;
}

use std::path::PathBuf;

use rmcp_server::server::{Server, Settings};
use rmcp_server::vfs::VfsConfig;
use rmcp_server::worker::WorkerConfig;
use serde_json::{json, Value};
use support::client::{wait_for_event, Client};
use support::engine;
use support::server::TestServer;
use support::stdio::StdioServer;

/// A temporary folder with `data/sales.csv` and a writable `out/`.
struct Folder {
    path: PathBuf,
}

impl Folder {
    fn new() -> Folder {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("random");
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("rmcp-resources-{name}"));
        std::fs::create_dir_all(path.join("data")).expect("data");
        std::fs::create_dir_all(path.join("out")).expect("out");
        std::fs::write(path.join("data/sales.csv"), "month,sales\n1,10\n2,12\n").expect("csv");
        std::fs::write(path.join("data/notes.sh"), "echo hidden").expect("script");
        Folder { path }
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The server as shipped, without free-form R, on 127.0.0.1:0: the catalog,
/// prompts and resources on a sandbox rooted at `folder` (`out/` writable).
async fn start_http(folder: &Folder) -> TestServer {
    let settings = Settings {
        vfs: VfsConfig {
            enabled: true,
            read_roots: vec![folder.path.clone()],
            writable_roots: vec![folder.path.join("out")],
            max_bytes: 1024 * 1024,
        },
        workers: WorkerConfig::default(),
        conformance_fixtures: false,
        request_state_key: None,
        node_id: None,
        tasks: Default::default(),
    };
    let server = Server::builder(settings)
        .engine(engine::engine())
        .without_free_form_r()
        .build()
        .expect("server builds");
    TestServer::serve(server, |_| {}).await
}

fn text_of_resource(reply: &Value) -> String {
    reply["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("text contents: {reply}"))
        .to_string()
}

/// Over HTTP: the prompts list, render with their arguments, refuse missing
/// ones and complete argument values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_over_http() {
    let folder = Folder::new();
    let server = start_http(&folder).await;
    let url = server.url.clone();
    let mut client = Client::new(&url);
    let init = client.initialize(json!({})).await;
    assert!(init["capabilities"]["prompts"].is_object());
    let listed = client.request("prompts/list", json!({})).await;
    let names: Vec<&str> = listed["result"]["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "model_diagnostic_workflow",
            "panel_regression",
            "regression_diagnostics",
            "statistical_workflow",
            "time_series_forecast"
        ]
    );
    let prompt = client
        .request(
            "prompts/get",
            json!({"name": "time_series_forecast", "arguments": {
                "variable_name": "passengers", "dataset_description": "monthly airline passengers",
                "periods_ahead": "24", "frequency": "monthly"}}),
        )
        .await;
    let text = prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .expect("text");
    assert!(
        text.contains("passengers") && text.contains("forecast_periods 24"),
        "{text}"
    );
    assert!(text.contains("frequency 12"), "{text}");
    let missing = client
        .request(
            "prompts/get",
            json!({"name": "panel_regression", "arguments": {"target": "y"}}),
        )
        .await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    assert!(missing["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("predictors")));
    let completion = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "panel_regression"},
                   "argument": {"name": "model_type", "value": "r"}}),
        )
        .await;
    assert_eq!(
        completion["result"]["completion"]["values"],
        json!(["random"])
    );
}

/// Over HTTP: the catalog, the environment report, the sandbox folder, a
/// file in it, an example dataset by URI; escapes are refused; a subscribed
/// file written by write_csv is announced on the GET stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_over_http() {
    let folder = Folder::new();
    let server = start_http(&folder).await;
    let url = server.url.clone();
    let mut client = Client::new(&url);
    let init = client.initialize(json!({})).await;
    assert_eq!(init["capabilities"]["resources"]["subscribe"], true);
    assert_eq!(init["capabilities"]["resources"]["listChanged"], true);
    let root = format!("file://{}/", folder.name());

    let listed = client.request("resources/list", json!({})).await;
    let uris: Vec<&str> = listed["result"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect();
    assert!(
        uris.contains(&"rmcp://catalog") && uris.contains(&"rmcp://env"),
        "{uris:?}"
    );
    assert!(uris.contains(&root.as_str()), "{uris:?}");
    assert!(uris.contains(&"file://out/"), "the writable root: {uris:?}");
    let templates = client.request("resources/templates/list", json!({})).await;
    let templates: Vec<&str> = templates["result"]["resourceTemplates"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| t["uriTemplate"].as_str())
        .collect();
    assert!(
        templates.contains(&"rmcp://dataset/{name}"),
        "{templates:?}"
    );
    assert!(templates.contains(&"rmcp://data/{id}"), "{templates:?}");

    let catalog = text_of_resource(
        &client
            .request("resources/read", json!({"uri": "rmcp://catalog"}))
            .await,
    );
    let listed = client.request("tools/list", json!({})).await;
    let count = listed["result"]["tools"].as_array().map_or(0, Vec::len);
    assert!(catalog.contains(&format!("{count} tools in")), "{catalog}");
    assert!(
        catalog.contains("## fileops") && catalog.contains("**read_csv**"),
        "{catalog}"
    );

    let env = text_of_resource(
        &client
            .request("resources/read", json!({"uri": "rmcp://env"}))
            .await,
    );
    let report: Value = serde_json::from_str(&env).expect("JSON");
    assert!(report["r"]["version"]
        .as_str()
        .is_some_and(|v| v.starts_with('4')));
    assert!(report["packages"]["loaded"]["stats"].is_string());
    assert_eq!(report["files"]["enabled"], true);
    for secret in [
        folder.path.to_string_lossy().into_owned(),
        std::env::current_dir()
            .expect("cwd")
            .to_string_lossy()
            .into_owned(),
        std::env::var("HOME").unwrap_or_else(|_| "/root".into()),
        "R_HOME".into(),
        "PATH".into(),
    ] {
        assert!(!env.contains(&secret), "the report shows {secret}");
    }

    let listing = text_of_resource(
        &client
            .request("resources/read", json!({"uri": format!("{root}data/")}))
            .await,
    );
    let listing: Value = serde_json::from_str(&listing).expect("JSON");
    let entries = listing["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "only readable files: {listing}");
    assert_eq!(entries[0]["name"], "sales.csv");
    assert_eq!(entries[0]["uri"], format!("{root}data/sales.csv"));
    let csv = client
        .request(
            "resources/read",
            json!({"uri": format!("{root}data/sales.csv")}),
        )
        .await;
    assert_eq!(text_of_resource(&csv), "month,sales\n1,10\n2,12\n");
    assert_eq!(csv["result"]["contents"][0]["mimeType"], "text/csv");
    for escape in [
        format!("{root}../"),
        format!("{root}data/../../"),
        format!("{root}data/notes.sh"),
        "file://nowhere/x.csv".to_string(),
    ] {
        let refused = client
            .request("resources/read", json!({"uri": escape}))
            .await;
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(refused["error"].is_object(), "{escape}: {refused}");
        assert!(
            !message.contains(&*std::env::temp_dir().to_string_lossy()),
            "{escape}: {message}"
        );
    }

    let dataset = text_of_resource(
        &client
            .request(
                "resources/read",
                json!({"uri": "rmcp://dataset/economics?size=medium&add_noise=yes"}),
            )
            .await,
    );
    let dataset: Value = serde_json::from_str(&dataset).expect("JSON");
    assert_eq!(dataset["metadata"]["rows"], 100);
    assert_eq!(dataset["metadata"]["has_noise"], true);
    assert!(dataset.get("_formatting").is_none());
    let unknown = client
        .request("resources/read", json!({"uri": "rmcp://dataset/weather"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32002, "{unknown}");

    // Subscribe to the output folder, open the GET stream, write a file.
    let subscribed = client
        .request("resources/subscribe", json!({"uri": "file://out/"}))
        .await;
    assert_eq!(subscribed["result"], json!({}));
    let mut stream = client
        .http
        .get(&url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", client.session.clone().expect("session"))
        .send()
        .await
        .expect("get");
    assert_eq!(stream.status(), 200);
    let written = client
        .request(
            "tools/call",
            json!({"name": "write_csv", "arguments": {"data": {"x": [1, 2]}, "file_path": "out/result.csv"}}),
        )
        .await;
    assert_eq!(written["result"]["isError"], false, "{written}");
    let mut buffer = String::new();
    let note = wait_for_event(&mut stream, &mut buffer, |m| {
        m["method"] == "notifications/resources/updated"
    })
    .await;
    assert_eq!(note["params"]["uri"], "file://out/");
    let read_back = client
        .request("resources/read", json!({"uri": "file://out/result.csv"}))
        .await;
    assert!(text_of_resource(&read_back).contains("\"x\""));
}

/// `rmcp start` in `folder`, with `out/` writable, initialized.
fn start_stdio(folder: &Folder) -> StdioServer {
    let mut server = StdioServer::start(|command| {
        command
            .arg("--vfs-writable")
            .arg(folder.path.join("out"))
            .current_dir(&folder.path)
            .env("RMCP_LOG_LEVEL", "warn")
            .env_remove("RMCP_VFS_ENABLED");
    });
    let init = server.initialize(json!({}));
    assert_eq!(
        init["result"]["capabilities"]["resources"]["subscribe"],
        true
    );
    server
}

/// Over stdio (where a desktop client runs it): the same prompts and
/// resources, files relative to the working folder, and an update
/// notification when a subscribed file is written.
#[test]
fn prompts_and_resources_over_stdio() {
    let folder = Folder::new();
    let mut server = start_stdio(&folder);
    let (prompts, _) = server.request("prompts/list", json!({}));
    assert_eq!(
        prompts["result"]["prompts"].as_array().map(Vec::len),
        Some(5)
    );
    let (prompt, _) = server.request(
        "prompts/get",
        json!({"name": "statistical_workflow", "arguments": {"dataset_name": "sales", "analysis_goals": "what drives sales"}}),
    );
    let text = prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .expect("text");
    assert!(text.contains("what drives sales"), "{text}");

    let (listed, _) = server.request("resources/list", json!({}));
    let uris: Vec<String> = listed["result"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["uri"].as_str().map(str::to_string))
        .collect();
    let root = format!("file://{}/", folder.name());
    assert!(uris.contains(&root), "the working folder: {uris:?}");
    assert!(uris.contains(&"rmcp://catalog".to_string()));
    let (catalog, _) = server.request("resources/read", json!({"uri": "rmcp://catalog"}));
    assert!(text_of_resource(&catalog).contains("**write_excel**"));
    let (csv, _) = server.request(
        "resources/read",
        json!({"uri": format!("{root}data/sales.csv")}),
    );
    assert!(text_of_resource(&csv).starts_with("month,sales"));

    let (read, _) = server.request(
        "tools/call",
        json!({"name": "read_csv", "arguments": {"file_path": "data/sales.csv"}}),
    );
    assert_eq!(
        read["result"]["structuredContent"]["data"]["sales"],
        json!([10, 12])
    );

    let uri = format!("{root}out/summary.json");
    let (subscribed, _) = server.request("resources/subscribe", json!({"uri": uri}));
    assert_eq!(subscribed["result"], json!({}));
    let (written, notes) = server.request(
        "tools/call",
        json!({"name": "write_json", "arguments": {"data": {"x": [1]}, "file_path": "out/summary.json"}}),
    );
    assert_eq!(written["result"]["isError"], false, "{written}");
    assert!(
        notes
            .iter()
            .any(|n| n["method"] == "notifications/resources/updated" && n["params"]["uri"] == uri),
        "{notes:?}"
    );
    let (refused, _) = server.request(
        "tools/call",
        json!({"name": "write_json", "arguments": {"data": {"x": [1]}, "file_path": "data/x.json"}}),
    );
    assert_eq!(refused["result"]["isError"], true);
    server.finish();
}
