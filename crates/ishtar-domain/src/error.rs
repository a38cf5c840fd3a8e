//! Errors shared by the ports. Adapters translate their driver errors into these at the edge.

use std::error::Error as StdError;

/// A boxed cause, kept for logging; never shown to clients.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a store port can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write (the adapter names which one).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The store could not be reached or failed; the cause is logged at the boundary.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
}

impl StoreError {
    /// Wraps any error as [`StoreError::Unavailable`].
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        Self::Unavailable(e.into())
    }
}

/// What an outbound provider port (guard, callback, facilitator, …) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered, and the answer was a refusal.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The provider could not be reached, timed out, or failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something we cannot read.
    #[error("malformed answer: {0}")]
    Malformed(String),
}
