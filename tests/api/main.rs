//! Black-box tests: the real app on a loopback port, its own Postgres database per test
//! (none for `memory.rs`: the in-memory store),
//! fake agents on loopback. One binary, modules by area.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod admission;
mod agent_docs;
mod boards;
mod browser;
mod console;
mod couples;
mod erasure;
mod errors;
mod escalation;
mod events;
mod geo;
mod hardening;
mod health;
mod helpers;
mod intake;
mod matching;
mod matchmaker;
mod mcp;
mod memory;
mod notifications;
mod openapi;
mod payments;
mod personas;
mod ratelimit;
mod readme;
mod report;
mod review;
mod safety;
mod sdk;
mod shell;
mod swap;
mod verify;
