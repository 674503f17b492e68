//! The conformance suite's fixtures of the Tasks extension (SEP-2663),
//! served only under `--conformance-fixtures`: a sync tool (`greet`), tools
//! that run as tasks (`slow_compute`, which settles to cancelled when
//! cancelled; `failing_job`, a tool error; `protocol_error_job`, a panic
//! that fails the task), tools whose task asks the client through
//! `tasks/update` (`confirm_delete`, `multi_input`), and
//! `test_tool_with_task`, which gathers a name in an input-required round
//! (SEP-2322) and then runs as a task.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{CallToolResult, MetaObject, Tool};
use serde_json::{json, Map, Value};

use super::fixtures_modern::{elicitation, failure, field, text};
use super::input;
use crate::tools::{CallContext, TaskSupport, ToolProvider, TASK_SUPPORT_META};

/// The Tasks fixtures.
#[derive(Default)]
pub struct TaskFixtures;

impl TaskFixtures {
    pub fn new() -> Arc<TaskFixtures> {
        Arc::new(TaskFixtures)
    }
}

/// (name, description, task support, input schema).
fn declarations() -> Vec<(&'static str, &'static str, TaskSupport, Value)> {
    let none = json!({"type": "object", "properties": {}});
    vec![
        (
            "greet",
            "Greets {name} at once (never a task)",
            TaskSupport::Forbidden,
            json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
        ),
        (
            "slow_compute",
            "Sleeps {seconds} seconds, then reports {label}",
            TaskSupport::Optional,
            json!({"type": "object", "properties": {
                "seconds": {"type": "number", "minimum": 0},
                "label": {"type": "string"}}, "required": ["seconds"]}),
        ),
        (
            "failing_job",
            "Reports a tool error after about a second (tasks only)",
            TaskSupport::Required,
            none.clone(),
        ),
        (
            "protocol_error_job",
            "Fails with a protocol error (a panic) after a short delay",
            TaskSupport::Optional,
            none.clone(),
        ),
        (
            "confirm_delete",
            "Asks the user to confirm deleting {filename} (one elicitation)",
            TaskSupport::Optional,
            json!({"type": "object", "properties": {"filename": {"type": "string"}}, "required": ["filename"]}),
        ),
        (
            "multi_input",
            "Asks two questions at once (two elicitations)",
            TaskSupport::Optional,
            none.clone(),
        ),
        (
            "test_tool_with_task",
            "Asks the user's name in an input-required round, then greets them as a task",
            TaskSupport::Required,
            none,
        ),
    ]
}

/// Sleeps `duration`; `false` when the call was cancelled first.
async fn sleep(context: &CallContext, duration: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(duration) => true,
        () = context.cancel.cancelled() => false,
    }
}

async fn ask(context: &CallContext, params: Value) -> Result<Value, String> {
    let Some(client) = &context.client else {
        return Err("no client to ask".into());
    };
    client
        .request("elicitation/create", params)
        .await
        .map_err(|error| format!("no answer from the client: {error}"))
}

async fn run(name: &str, arguments: Value, context: CallContext) -> CallToolResult {
    match name {
        "greet" => text(format!(
            "Hello, {}!",
            arguments["name"].as_str().unwrap_or("")
        )),
        "slow_compute" => {
            let seconds = arguments["seconds"]
                .as_f64()
                .unwrap_or(0.0)
                .clamp(0.0, 3600.0);
            let label = arguments["label"].as_str().unwrap_or("");
            if seconds > 0.0 && !sleep(&context, Duration::from_secs_f64(seconds)).await {
                return failure(format!("slow_compute {label} cancelled"));
            }
            text(format!("slow_compute {label} done after {seconds} s"))
        }
        "failing_job" => {
            sleep(&context, Duration::from_secs(1)).await;
            failure("failing_job failed, as it always does")
        }
        "protocol_error_job" => {
            sleep(&context, Duration::from_millis(200)).await;
            // The fixture's point: a failure outside the tool's result.
            #[allow(clippy::panic)]
            {
                panic!("protocol_error_job: an internal failure")
            }
        }
        "confirm_delete" => {
            let filename = arguments["filename"].as_str().unwrap_or("");
            let question = elicitation(&format!("Delete {filename}?"), "confirm", "boolean");
            match ask(&context, question).await {
                Ok(answer) if answer["action"] == "accept" => text(format!("deleted {filename}")),
                Ok(_) => text(format!("kept {filename}")),
                Err(error) => failure(error),
            }
        }
        "multi_input" => {
            let (first, second) = futures::join!(
                ask(
                    &context,
                    elicitation("What is your name?", "name", "string")
                ),
                ask(&context, elicitation("Confirm?", "confirm", "boolean")),
            );
            match (first, second) {
                (Ok(first), Ok(second)) => text(format!(
                    "got {} and {}",
                    field(&first, "name"),
                    field(&second, "name")
                )),
                (Err(error), _) | (_, Err(error)) => failure(error),
            }
        }
        "test_tool_with_task" => {
            let answer = match input::ask(
                Some("user_name"),
                "elicitation/create",
                elicitation("What is your name?", "name", "string"),
            ) {
                Some(Ok(answer)) => answer,
                Some(Err(error)) => return failure(format!("no name yet: {error}")),
                None => return failure("this tool asks through an input-required round: call it with protocol 2026-07-28"),
            };
            let name = field(&answer, "name");
            if !sleep(&context, Duration::from_millis(300)).await {
                return failure("cancelled");
            }
            text(format!("Hello, {name}! (from a task)"))
        }
        other => failure(format!("unknown tool {other}")),
    }
}

impl ToolProvider for TaskFixtures {
    fn tools(&self) -> Vec<Tool> {
        declarations()
            .into_iter()
            .map(|(name, description, support, schema)| {
                let schema = match schema {
                    Value::Object(schema) => schema,
                    _ => Map::new(),
                };
                let mut meta = Map::new();
                meta.insert(TASK_SUPPORT_META.into(), json!(support.as_str()));
                Tool::new(name, description, Arc::new(schema)).with_meta(MetaObject(meta))
            })
            .collect()
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments: Value,
        context: CallContext,
    ) -> Option<BoxFuture<'a, CallToolResult>> {
        if !declarations().iter().any(|(listed, ..)| *listed == name) {
            return None;
        }
        Some(Box::pin(run(name, arguments, context)))
    }
}
