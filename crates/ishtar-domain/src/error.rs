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
///
/// `reason` is a short text fit for logs (it is part of [`Display`](std::fmt::Display));
/// the underlying error, when there is one (a transport or decoding error), is kept as the
/// [`source`](StdError::source) so the boundary logs the whole chain. Build one with
/// [`ProviderError::unavailable`], [`ProviderError::malformed`] or
/// [`ProviderError::rejected`], and attach a cause with [`ProviderError::with_source`].
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered, and the answer was a refusal.
    #[error("rejected: {reason}")]
    Rejected {
        /// Why, in a few words.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The provider could not be reached, timed out, or failed.
    #[error("unavailable: {reason}")]
    Unavailable {
        /// Why, in a few words (`timeout`, `status 503`, …).
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The adapter is not configured for this call (no key, no URL, no secret): retrying
    /// does not help until the operator sets it.
    #[error("unavailable: {0}")]
    Unconfigured(String),
    /// The provider answered something we cannot read.
    #[error("malformed answer: {reason}")]
    Malformed {
        /// What was wrong with the answer.
        reason: String,
        /// The underlying error, if any (a decoding error).
        #[source]
        source: Option<BoxError>,
    },
}

impl ProviderError {
    /// [`ProviderError::Rejected`] without a cause.
    pub fn rejected(reason: impl Into<String>) -> Self {
        Self::Rejected {
            reason: reason.into(),
            source: None,
        }
    }

    /// [`ProviderError::Unavailable`] without a cause.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            source: None,
        }
    }

    /// [`ProviderError::Unconfigured`].
    pub fn unconfigured(reason: impl Into<String>) -> Self {
        Self::Unconfigured(reason.into())
    }

    /// [`ProviderError::Malformed`] without a cause.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed {
            reason: reason.into(),
            source: None,
        }
    }

    /// Keeps `cause` as this error's [`source`](StdError::source) (a no-op for
    /// [`ProviderError::Unconfigured`], which has none).
    #[must_use]
    pub fn with_source(mut self, cause: impl Into<BoxError>) -> Self {
        match &mut self {
            Self::Rejected { source, .. }
            | Self::Unavailable { source, .. }
            | Self::Malformed { source, .. } => *source = Some(cause.into()),
            Self::Unconfigured(_) => {}
        }
        self
    }

    /// The short reason, as [`Display`](std::fmt::Display) shows it after the kind.
    pub fn reason(&self) -> &str {
        match self {
            Self::Rejected { reason, .. }
            | Self::Unavailable { reason, .. }
            | Self::Malformed { reason, .. }
            | Self::Unconfigured(reason) => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_the_kind_and_the_reason_only() {
        let io = std::io::Error::other("connection reset");
        let e = ProviderError::unavailable("timeout").with_source(io);
        assert_eq!(e.to_string(), "unavailable: timeout");
        assert_eq!(
            ProviderError::rejected("quota").to_string(),
            "rejected: quota"
        );
        assert_eq!(
            ProviderError::malformed("not json").to_string(),
            "malformed answer: not json"
        );
        assert_eq!(
            ProviderError::unconfigured("no api key").to_string(),
            "unavailable: no api key"
        );
    }

    #[test]
    fn the_cause_is_kept_as_the_source() {
        let io = std::io::Error::other("connection reset");
        let e = ProviderError::malformed("bad body").with_source(io);
        let source = e.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection reset"));
        assert!(ProviderError::unavailable("down").source().is_none());
        assert_eq!(e.reason(), "bad body");
    }
}
