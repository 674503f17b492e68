//! The load generator behind `benches/mcp_http.rs`: a tiny blocking HTTP/1.1
//! client, MCP sessions over it, closed-loop load at a given concurrency,
//! server processes (start, cold start, memory, SIGTERM), the assembled
//! server served in the bench's process, and the R floor.
//!
//! Loopback only: it talks to servers the bench started on 127.0.0.1, and
//! every run is bounded in calls and time.

#![allow(dead_code)]

pub mod floor;
pub mod http;
pub mod mcp;
pub mod process;
pub mod report;
pub mod run;
pub mod serve;
