//! Test-only helpers shared by the store tests and the black-box tests.
//!
//! - [`TestDatabase`]: a fresh database per test, cloned from a template migrated once
//!   (`CREATE DATABASE … TEMPLATE …` takes milliseconds), dropped when the test ends.
//! - [`FakeAgent`]: an agent's callback server on a loopback port we bound ourselves.

#![expect(
    clippy::unwrap_used,
    reason = "test support: failing loudly is the point"
)]

mod agent;
mod database;

pub use agent::{AgentBehaviour, FakeAgent, Received};
pub use database::{TestDatabase, admin_url};
