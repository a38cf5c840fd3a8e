//! Test doubles for Ishtar that need no database: adapter crates and the black-box suite
//! use them without pulling in Postgres (`ishtar-test-support` adds `TestDatabase` on top
//! and re-exports everything here). This crate MUST NOT depend on diesel or
//! `ishtar-store-postgres`; it is a dev-dependency only.
//!
//! Fake provider servers, each on a loopback port we bind ourselves:
//! - [`LoopbackServer`]: the building block; one handler for every path, stopped on drop.
//!   [`closed_port_url`] is its opposite: a loopback URL with nothing listening.
//! - [`FakeAgent`]: an agent's callback server (echoes challenges, or misbehaves as told).
//! - [`FakeDidit`]: Didit's session API; [`didit_signature`] signs webhooks as Didit does.
//! - [`FakeFacilitator`]: an x402 facilitator speaking the v1 and v2 `/verify` and `/settle`.
//! - [`FakeGateway`]: an OpenAI-compatible AI gateway answering from a script of replies.
//!
//! Without a server:
//! - [`PrivyKey`]: plays Privy (ES256 access tokens from a generated P-256 key).
//!
//! In-process doubles of the domain ports (module [`doubles`]):
//! - [`FixedClock`]: a [`Clock`](ishtar_domain::ports::Clock) that stands still until set or advanced.
//! - [`SequentialIds`]: deterministic [`Ids`](ishtar_domain::ports::Ids) (uuids and secret bytes).
//! - [`ScriptedGuard`]: a [`Guard`](ishtar_domain::ports::Guard) answering by rule; records texts.
//! - [`ScriptedWriter`]: a [`Writer`](ishtar_domain::ports::Writer) with canned prose; records calls.
//! - [`ScriptedEmbedder`]: an [`Embedder`](ishtar_domain::ports::Embedder) with vectors hashed
//!   from the text; records calls; can be told to fail.

#![warn(missing_docs)]
#![expect(clippy::unwrap_used, reason = "test kit: failing loudly is the point")]

mod agent;
mod didit;
pub mod doubles;
mod facilitator;
mod gateway;
mod privy;
mod server;

pub use agent::{AgentBehaviour, FakeAgent, Received};
pub use didit::{DiditBehaviour, DiditSession, FakeDidit, didit_signature};
pub use doubles::{
    ErrorFactory, FixedClock, GuardRule, ScriptedEmbedder, ScriptedGuard, ScriptedWriter,
    SequentialIds, WriterCall, WriterCallKind,
};
pub use facilitator::{FAKE_TX, FacilitatorMode, FakeFacilitator};
pub use gateway::{FakeGateway, GatewayReply, GatewayRequest, gateway_chat};
pub use privy::{PrivyKey, access_claims};
pub use server::{LoopbackServer, closed_port_url};
