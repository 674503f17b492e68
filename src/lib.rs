//! rmcp-server: an MCP server for statistical analysis in R, with R embedded
//! in this process.
//!
//! Map (see ARCHITECTURE.md): `config` (typed settings from flags and env),
//! `r` (the embedded R engine, the only module with FFI), `mcp` (the protocol:
//! JSON-RPC, sessions, dispatch, validation; knows no R and no HTTP),
//! `tools` (the providers of tools, prompts and resources; knows no HTTP),
//! `http` (the warp server: `/mcp`, legacy SSE, `/health`, `/metrics`,
//! gzip answers whose large part is deflated once),
//! `stdio` (the stdio transport), `metrics` (Prometheus), `vfs` (the
//! file sandbox every path goes through; knows no R, no MCP, no HTTP),
//! `worker` (sandboxed R processes, one per session; knows no MCP and no
//! HTTP) and `freeform` (the free-form R tools served by those workers;
//! knows no MCP and no HTTP), `ids` (the unguessable ids clients keep,
//! prefixed with the replica's node id). `server` assembles them into the server,
//! once, for the binary, the tests and the benches.
//! The binary's `main.rs` parses the command line, starts R and the async
//! runtime, and runs one of the transports on the assembled server.

pub mod config;
pub mod engines;
pub mod freeform;
pub mod http;
pub mod ids;
pub mod mcp;
pub mod metrics;
pub mod r;
pub mod server;
pub mod stdio;
pub mod tools;
pub mod vfs;
pub mod worker;
