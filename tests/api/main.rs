//! Black-box tests: the real app on a loopback port, its own Postgres database per test,
//! fake agents on loopback. One binary, modules by area.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod admission;
mod boards;
mod browser;
mod console;
mod erasure;
mod errors;
mod escalation;
mod geo;
mod health;
mod hardening;
mod helpers;
mod intake;
mod matchmaker;
mod notifications;
mod matching;
mod payments;
mod ratelimit;
mod report;
mod safety;
mod verify;
