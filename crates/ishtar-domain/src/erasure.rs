//! Erasure (design.md §5, overview "Data, retention, and erasure"): deleting an owner
//! cascades to everything that is theirs, in one transaction.
//!
//! Removed: the owner, their dating docs (every version, with the contact pointer), their
//! personas, the embedding vectors of their hearts, their agent endpoints and queued
//! notifications, consents, invites and identity records, the chaperone verdicts and
//! reports about their personas, and orders that never got a receipt.
//!
//! Kept, anonymised: published courtship turns they wrote (the author becomes
//! [`ERASED_AUTHOR`], the author persona is cleared) — a courtship is two people's record,
//! and the partner's side stays readable. Their couples stay as history, each pointing at a
//! tombstone persona with no owner, no doc and a random handle; a live couple is ended so
//! the partner is free again. Every whole-word mention of their handles in turns, board
//! posts and the partner's notifications becomes [`ERASED_AUTHOR`].
//!
//! Kept for accounting: receipts and the buyback ledger; an order with a receipt loses its
//! owner, couple and report text, and its id (which embeds the owner id) is rewritten.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::console::kinds;
use crate::error::StoreError;
use crate::model::OwnerId;
use crate::ports::{Clock, ConsoleStore, ErasureStore, Ids, OwnerStore};

/// What stands where an erased author's handle was.
pub const ERASED_AUTHOR: &str = "[erased]";

/// How many rows of each kind an erasure removed or rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub docs: u64,
    pub personas: u64,
    pub embeddings: u64,
    pub endpoints: u64,
    pub notifications: u64,
    pub consents: u64,
    pub invites: u64,
    pub identity_records: u64,
    pub orders: u64,
    pub turns_anonymised: u64,
    pub turns_deleted: u64,
    pub couples_ended: u64,
}

impl Erased {
    /// `(name, count)` for every kind, in a fixed order.
    pub fn as_pairs(&self) -> [(&'static str, u64); 12] {
        [
            ("docs", self.docs),
            ("personas", self.personas),
            ("embeddings", self.embeddings),
            ("endpoints", self.endpoints),
            ("notifications", self.notifications),
            ("consents", self.consents),
            ("invites", self.invites),
            ("identityRecords", self.identity_records),
            ("orders", self.orders),
            ("turnsAnonymised", self.turns_anonymised),
            ("turnsDeleted", self.turns_deleted),
            ("couplesEnded", self.couples_ended),
        ]
    }

    /// The counts as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.as_pairs()
                .iter()
                .map(|(k, n)| ((*k).to_owned(), serde_json::Value::from(*n)))
                .collect(),
        )
    }
}

/// Why an erasure failed.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error("no such owner")]
    NoSuchOwner,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The erasure use case.
pub struct Erasure {
    store: Arc<dyn ErasureStore>,
    owners: Arc<dyn OwnerStore>,
    events: Arc<dyn ConsoleStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
}

impl Erasure {
    pub fn new(
        store: Arc<dyn ErasureStore>,
        owners: Arc<dyn OwnerStore>,
        events: Arc<dyn ConsoleStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Ids>,
    ) -> Self {
        Self {
            store,
            owners,
            events,
            clock,
            ids,
        }
    }

    /// `DELETE /api/owners/me`: erases the owner the bearer token belongs to.
    ///
    /// # Errors
    /// [`ErasureError::Auth`] without a valid owner token.
    pub async fn erase_me(&self, bearer: Option<&str>) -> Result<(OwnerId, Erased), ErasureError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        Ok((owner, self.erase(owner).await?))
    }

    /// Erases `owner` (the operator's `ishtar erase --owner N`).
    ///
    /// # Errors
    /// [`ErasureError::NoSuchOwner`]; store errors (nothing is removed then).
    #[tracing::instrument(skip(self))]
    pub async fn erase(&self, owner: OwnerId) -> Result<Erased, ErasureError> {
        // Tombstone handles carry random bytes, never anything derived from the owner.
        let tag: String = self.ids.secret_bytes()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let now = self.clock.now();
        let erased = self
            .store
            .erase_owner(owner, tag, now)
            .await?
            .ok_or(ErasureError::NoSuchOwner)?;
        // Counts only: the event must not name the owner it is about.
        if let Err(e) = self
            .events
            .record_event(kinds::OWNER_ERASED.to_owned(), erased.to_json(), now)
            .await
        {
            tracing::error!(error = %e, "could not record an erasure event");
        }
        tracing::info!("owner erased");
        Ok(erased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockConsoleStore, MockErasureStore, MockIds, MockOwnerStore};
    use time::macros::datetime;

    fn erasure(
        store: MockErasureStore,
        owners: MockOwnerStore,
        events: MockConsoleStore,
    ) -> Erasure {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-11-23 12:00 UTC));
        let mut ids = MockIds::new();
        ids.expect_secret_bytes().returning(|| [0xab; 32]);
        Erasure::new(
            Arc::new(store),
            Arc::new(owners),
            Arc::new(events),
            Arc::new(clock),
            Arc::new(ids),
        )
    }

    #[tokio::test]
    async fn the_token_names_who_is_erased_and_the_event_does_not() {
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_by_token()
            .returning(|_| Ok(Some(OwnerId(42))));
        let mut store = MockErasureStore::new();
        store
            .expect_erase_owner()
            .withf(|o, tag, _| *o == OwnerId(42) && tag == "abababababab")
            .times(1)
            .returning(|_, _, _| {
                Ok(Some(Erased {
                    personas: 1,
                    ..Erased::default()
                }))
            });
        let mut events = MockConsoleStore::new();
        events
            .expect_record_event()
            .withf(|kind, data, _| {
                kind == "owner_erased" && data["personas"] == 1 && !data.to_string().contains("42")
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (owner, erased) = erasure(store, owners, events)
            .erase_me(Some("ish_token"))
            .await
            .expect("erased");
        assert_eq!((owner, erased.personas), (OwnerId(42), 1));
    }

    #[tokio::test]
    async fn no_token_no_erasure_and_an_unknown_owner_is_reported() {
        let mut store = MockErasureStore::new();
        store.expect_erase_owner().returning(|_, _, _| Ok(None));
        let e = erasure(store, MockOwnerStore::new(), MockConsoleStore::new());
        assert!(matches!(
            e.erase_me(None).await,
            Err(ErasureError::Auth(AuthError::TokenRequired))
        ));
        assert!(matches!(
            e.erase(OwnerId(9)).await,
            Err(ErasureError::NoSuchOwner)
        ));
    }
}
