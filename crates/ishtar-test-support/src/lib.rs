//! Test-only helpers shared by the store tests and the black-box tests.
//!
//! - [`TestDatabase`]: a fresh database per test, cloned from a template migrated once
//!   (`CREATE DATABASE … TEMPLATE …` takes milliseconds), dropped when the test ends.
//! - Everything in `ishtar-test-kit`, re-exported: the fake provider servers
//!   ([`FakeAgent`], [`FakeDidit`], [`FakeFacilitator`], [`FakeGateway`], [`LoopbackServer`]),
//!   [`PrivyKey`], and the in-process port doubles ([`FixedClock`], [`SequentialIds`],
//!   [`ScriptedGuard`], [`ScriptedWriter`], [`ScriptedEmbedder`]). Crates that need no
//!   Postgres should depend on `ishtar-test-kit` directly.

#![expect(
    clippy::unwrap_used,
    reason = "test support: failing loudly is the point"
)]

mod database;

pub use database::{TestDatabase, admin_url};
pub use ishtar_test_kit::*;
