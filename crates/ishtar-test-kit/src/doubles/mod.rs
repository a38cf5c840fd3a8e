//! In-process doubles of the domain ports, for use-case and adapter tests that want real
//! behaviour without a provider: deterministic, inspectable, and settable mid-test.
//!
//! Hold them in an `Arc`, hand a clone to the code under test as `Arc<dyn Port>`, and keep
//! your own clone to steer the double and read what it saw.

mod clock;
mod embedder;
mod guard;
mod ids;
mod writer;

pub use clock::FixedClock;
pub use embedder::{LOCAL_DIMENSIONS, ScriptedEmbedder};
pub use guard::{GuardRule, ScriptedGuard};
pub use ids::SequentialIds;
pub use writer::{ScriptedWriter, WriterCall, WriterCallKind};

use std::sync::Arc;

use ishtar_domain::ProviderError;

/// Makes the error a failing double returns, once per call (`ProviderError` is not `Clone`).
pub type ErrorFactory = Arc<dyn Fn() -> ProviderError + Send + Sync>;

/// The error [`ScriptedWriter::fail`] and [`ScriptedEmbedder::fail`] return.
fn provider_down() -> ProviderError {
    ProviderError::unavailable("scripted provider is down")
}
