//! The catalog through the whole MCP path: a client lists the tools over
//! Streamable HTTP and calls them, getting R's numbers, images and clear
//! errors, exactly as an assistant wired to the server would.

mod support {
    pub mod client;
    pub mod data;
    pub mod engine;
    pub mod server;
}

use serde_json::{json, Value};
use support::client::Client;
use support::data::mtcars;
use support::engine;
use support::server::TestServer;

async fn server() -> TestServer {
    TestServer::catalog(engine::engine()).await
}

/// tools/list advertises the 42 analysis tools with input and output
/// schemas and read-only annotations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_are_listed_with_schemas() {
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let listed = client.request("tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().expect("tools");
    let linear = tools
        .iter()
        .find(|t| t["name"] == "linear_model")
        .expect("linear_model listed");
    assert_eq!(
        linear["inputSchema"]["required"],
        json!(["data", "formula"])
    );
    assert_eq!(linear["outputSchema"]["type"], "object");
    assert_eq!(linear["annotations"]["readOnlyHint"], true);
    let catalog_tools = tools
        .iter()
        .filter(|t| t["_meta"]["rmcp/category"].is_string())
        .count();
    assert_eq!(catalog_tools, 42);

    // The first page is served from a cache: it stays the same and equals a
    // page built for the call (a cursor of "0" bypasses the cache).
    let again = client.request("tools/list", json!({})).await;
    let fresh = client.request("tools/list", json!({"cursor": "0"})).await;
    assert_eq!(again["result"], listed["result"]);
    assert_eq!(fresh["result"], listed["result"]);
    assert_eq!(again["id"], json!(client.next_id() - 2));
}

/// linear_model over HTTP gives R's coefficients (lm(mpg ~ wt, mtcars):
/// 37.285, -5.344) in structuredContent and a readable summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linear_model_over_http_matches_r() {
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let reply = client
        .request(
            "tools/call",
            json!({"name": "linear_model", "arguments": {"data": mtcars(), "formula": "mpg ~ wt"}}),
        )
        .await;
    let result = &reply["result"];
    assert_eq!(result["isError"], false, "{reply}");
    let coefficients = &result["structuredContent"]["coefficients"];
    assert!((coefficients["(Intercept)"].as_f64().unwrap() - 37.285).abs() < 1e-3);
    assert!((coefficients["wt"].as_f64().unwrap() - -5.344).abs() < 1e-3);
    assert_eq!(result["structuredContent"]["n_obs"], 32);
    assert_eq!(result["content"][0]["type"], "text");
}

/// A plot comes back as an image block of the requested size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scatter_plot_returns_a_png() {
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let reply = client
        .request(
            "tools/call",
            json!({"name": "scatter_plot", "arguments": {"data": mtcars(), "x": "wt", "y": "mpg", "width": 400, "height": 300}}),
        )
        .await;
    let content = reply["result"]["content"].as_array().expect("content");
    let image = content
        .iter()
        .find(|c| c["type"] == "image")
        .expect("an image block");
    assert_eq!(image["mimeType"], "image/png");
    assert!(image["data"]
        .as_str()
        .is_some_and(|d| d.starts_with("iVBORw0KGgo")));
    assert!(reply["result"]["structuredContent"]
        .get("image_data")
        .is_none());
}

/// Bad arguments are isError results naming the problem: schema violations
/// before R runs, and R-side problems (a missing column) with the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_tool_errors() {
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let unknown_field = client
        .request(
            "tools/call",
            json!({"name": "t_test", "arguments": {"data": mtcars(), "variable": "mpg", "bogus": 1}}),
        )
        .await;
    assert_eq!(unknown_field["result"]["isError"], true, "{unknown_field}");
    assert!(unknown_field["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("bogus"));
    let missing_column = client
        .request(
            "tools/call",
            json!({"name": "t_test", "arguments": {"data": mtcars(), "variable": "nope"}}),
        )
        .await;
    assert_eq!(missing_column["result"]["isError"], true);
    let text = missing_column["result"]["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("variable") && text.contains("nope"), "{text}");
    assert!(
        !text.contains("/usr/") && !text.contains("Traceback"),
        "{text}"
    );
    // The server is healthy afterwards.
    let health: Value = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "healthy");
}

/// A client that sends a progressToken hears progress while R works and a
/// final notification before the result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_reported_for_tool_calls() {
    let server = server().await;
    let mut client = Client::new(&server.url);
    client.initialize(json!({})).await;
    let messages = client
        .request_sse(
            "tools/call",
            json!({
                "name": "summary_stats",
                "arguments": {"data": mtcars()},
                "_meta": {"progressToken": "p-1"},
            }),
        )
        .await;
    let progress: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    let last = progress
        .last()
        .expect("at least the final progress notification");
    assert_eq!(last["params"]["progressToken"], "p-1");
    assert_eq!(last["params"]["progress"], last["params"]["total"]);
    let result = messages
        .iter()
        .find(|m| m.get("result").is_some())
        .expect("the result");
    assert_eq!(result["result"]["isError"], false);
}
