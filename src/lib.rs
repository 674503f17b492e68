//! rmcp-server: an MCP server for statistical analysis in R, with R embedded
//! in this process.
//!
//! Map (see ARCHITECTURE.md): `config` (typed settings from flags and env),
//! `r` (the embedded R engine, the only `unsafe` code), `http` (the warp
//! server: `/health`, later `/mcp`). The binary's `main.rs` parses the command
//! line and runs one of these.

#![deny(unsafe_code)]

pub mod config;
pub mod http;
#[allow(unsafe_code)]
pub mod r;
pub mod tools;
