//! Owners and their versioned dating docs.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{HeartFileSaved, LatestHeart, NewHeartFile, OwnerId};
use crate::ports::ChaperoneEntry;

/// Owners and their versioned dating docs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OwnerStore: Send + Sync {
    /// Creates an owner (tier `agent_represented`) holding `token_hash`, with `heart` as
    /// version 1. One transaction.
    ///
    /// `log` is the chaperone's verdict on the doc's prose: the version is stored
    /// `allowed`, `held` or `denied` with its reason, and the log line is written with the
    /// new version's id as its target, in the same transaction.
    async fn create_owner(
        &self,
        token_hash: Vec<u8>,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError>;

    /// Adds the next version of `owner`'s dating doc. MUST number versions without gaps or
    /// duplicates under concurrent calls.
    /// # Errors
    /// [`StoreError::NotFound`] when the owner does not exist.
    /// `log` as for [`OwnerStore::create_owner`].
    async fn add_heart_version(
        &self,
        owner: OwnerId,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError>;

    /// The owner whose token hashes to `token_hash`, if any.
    async fn owner_by_token(&self, token_hash: Vec<u8>) -> Result<Option<OwnerId>, StoreError>;

    /// The owner whose token hashes to `token_hash`, with its latest dating doc, in one
    /// read (the persona door needs both).
    async fn owner_with_latest_heart(
        &self,
        token_hash: Vec<u8>,
    ) -> Result<Option<(OwnerId, Option<LatestHeart>)>, StoreError>;
}
