//! The venue's own machinery as ports: time, randomness, live settings, the health probe,
//! and where long work runs.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{ProviderError, StoreError};

/// Raw live settings (validated by the domain before they are written).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Every stored `(key, value)`, sorted by key; keys never set are absent (the domain
    /// applies defaults).
    async fn all(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Sets `key` to `value`, inserting or replacing it (an upsert, so repeating it is
    /// harmless). The caller validated both.
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// A real round-trip to the store, for `/health`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// Runs `SELECT 1` (or the adapter's equivalent) against the store.
    /// # Errors
    /// [`StoreError`] when the store cannot be reached or answered.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The time, as a port so rules are deterministic in tests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current time (UTC).
    fn now(&self) -> OffsetDateTime;
}

/// Randomness, as a port so tests can fix it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Ids: Send + Sync {
    /// 32 bytes from a cryptographically secure generator.
    fn secret_bytes(&self) -> [u8; 32];
    /// A fresh random UUID, hyphenated.
    fn uuid(&self) -> String;
}

/// A boxed future, as [`Offload`] returns.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Runs long work away from the workers that answer requests: a whole beat on the
/// background runtime, and its CPU-heavy parts (the matcher's kNN, at scale seconds of it)
/// on a blocking pool. The binary's adapter uses the main Tokio runtime and its blocking
/// pool; [`crate::offload::Inline`] runs everything in place. Use [`crate::offload::run`]
/// and [`crate::offload::spawn`].
pub trait Offload: Send + Sync {
    /// Runs `job` to completion on a blocking pool; the future resolves when it is done.
    /// # Errors
    /// The job panicked or could not be started.
    fn run_blocking(
        &self,
        job: Box<dyn FnOnce() + Send + 'static>,
    ) -> BoxFuture<'static, Result<(), ProviderError>>;

    /// Runs `task` to completion on the background runtime (never a request worker); the
    /// returned future resolves when it is done, wherever it is awaited.
    /// # Errors
    /// The task panicked or could not be started.
    fn spawn(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, Result<(), ProviderError>>;
}
