//! Test-only helpers shared by the store tests and the black-box tests.
//!
//! - [`TestDatabase`]: a fresh database per test, cloned from a template migrated once
//!   (`CREATE DATABASE … TEMPLATE …` takes milliseconds), dropped when the test ends.
//! - [`FakeAgent`]: an agent's callback server on a loopback port we bound ourselves.
//! - [`PrivyKey`]: plays Privy (ES256 access tokens from a generated P-256 key).
//! - [`FakeDidit`]: Didit's session API on loopback; [`didit_signature`] signs webhooks.
//! - [`FakeFacilitator`]: an x402 facilitator speaking the v1 `/verify` and `/settle` formats.

#![expect(
    clippy::unwrap_used,
    reason = "test support: failing loudly is the point"
)]

mod agent;
mod database;
mod didit;
mod facilitator;
mod privy;
mod server;

pub use agent::{AgentBehaviour, FakeAgent, Received};
pub use database::{TestDatabase, admin_url};
pub use didit::{DiditBehaviour, DiditSession, FakeDidit, didit_signature};
pub use facilitator::{FAKE_TX, FacilitatorMode, FakeFacilitator};
pub use privy::{PrivyKey, access_claims};
pub use server::LoopbackServer;
