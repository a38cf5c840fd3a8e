//! Erasure (docs/rules.md#erasure, overview "Data, retention, and erasure"): deleting an owner
//! removes everything that is theirs, in one short transaction, and nothing that is
//! anybody else's. The rules, and why, are in `docs/erasure.md`; in short:
//!
//! - **Found by id, never by text.** Every row is reached from the owner id: their personas
//!   (`personas.owner_id`), the couples of those personas (`couples.persona_a|b`), and the
//!   rows of those (turns by `author_persona_id`, board posts by `persona_id`, venue lines by
//!   `couple_id`, reports and chaperone verdicts by `(target_type, target_id)`). No statement
//!   searches or rewrites text, so a handle that is a common word (`sea`) leaves every
//!   other owner's text byte-identical. Each lookup uses an index: the cost grows with the
//!   owner's rows, not with the tables.
//! - **Removed:** the owner, every version of their dating doc (with the contact pointer),
//!   their personas (freeing their cap slots), the cached vectors of every profile key their
//!   content makes ([`crate::profile::key`]), their agent endpoints and queued
//!   notifications, consents, invites, sign-in binding, identity checks, unpaid orders, and
//!   events that name them (`ownerId`, `owners`).
//! - **Their own text goes:** every turn they wrote (published or not) and every board post
//!   of theirs is deleted, not anonymised.
//! - **The venue's text about them goes:** the matchmaker's gambit turns in their couples
//!   (`author_persona_id IS NULL`, author `matchmaker`) and the notifications-board lines of
//!   their couples (`board_posts.couple_id`) are deleted — nothing is rewritten.
//! - **Reports and verdicts about removed rows go** (their personas, their turns and posts,
//!   the venue lines, and couples removed outright); reports about a couple that stays are
//!   kept — they were filed by someone else.
//! - **The partner's side stays, untouched:** a couple with another owner stays as history,
//!   pointing at a tombstone persona (no owner, no doc, a random handle), with the partner's
//!   turns, orders, paid reports, consents and notifications as they were. A couple
//!   still `courting` or `committed` is ended, and the partner's agents get `couple.ended`
//!   (`{"coupleId"}`, the same event as `POST /api/couples/:id/end`). A couple between two
//!   personas of the erased owner is deleted.
//! - **Kept for accounting:** receipts and the buyback ledger. A paid order loses its
//!   owner, couple and report text, and its id (which embeds the owner id) becomes
//!   `erased:<receiptId>`.
//!
//! The `couple.ended` notifications are queued right after the transaction commits (the
//! partner's endpoints are unchanged by it), through the same [`Notifier`] as every other
//! event.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::console::kinds;
use crate::error::StoreError;
use crate::model::OwnerId;
use crate::notify::Notifier;
use crate::ports::{
    Clock, ConsoleStore, Erased, ErasedOwner, ErasureStore, Event, Ids, OwnerStore,
};

/// Why an erasure failed.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// No owner with that id (already erased, or never existed); nothing was removed.
    #[error("no such owner")]
    NoSuchOwner,
    /// `DELETE /api/owners/me` without a valid owner token → 401.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed; the transaction rolled back, so nothing was removed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The erasure use case.
pub struct Erasure {
    store: Arc<dyn ErasureStore>,
    owners: Arc<dyn OwnerStore>,
    events: Arc<dyn ConsoleStore>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
}

impl Erasure {
    /// The erasure use case over its ports: `store` runs the cascade in one transaction,
    /// `owners` resolves the bearer token, `events` records `owner_erased` (counts only),
    /// `notifier` tells partners their couples ended, `ids` draws the tombstone handles' random
    /// tag.
    pub fn new(
        store: Arc<dyn ErasureStore>,
        owners: Arc<dyn OwnerStore>,
        events: Arc<dyn ConsoleStore>,
        notifier: Arc<Notifier>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Ids>,
    ) -> Self {
        Self {
            store,
            owners,
            events,
            notifier,
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

    /// Erases `owner` (the operator's `ishtar erase --owner N`), then tells the partner of
    /// every couple it ended.
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
        let ErasedOwner { counts, ended } = self
            .store
            .erase_owner(owner, tag, now)
            .await?
            .ok_or(ErasureError::NoSuchOwner)?;
        // The erasure stands even if a notification cannot be queued; it is logged. No
        // board line: the ending is the partner's news, not the venue's.
        for e in &ended {
            let event = Event::CoupleEnded {
                couple: e.couple,
                steps: Vec::new(),
            };
            if let Err(err) = self.notifier.notify(&[e.partner], event, None).await {
                tracing::error!(error = %err, couple.id = %e.couple, "could not queue an end notification");
            }
        }
        // Counts only: the event must not name the owner it is about.
        if let Err(e) = self
            .events
            .record_event(kinds::OWNER_ERASED.to_owned(), counts.to_json(), now)
            .await
        {
            tracing::error!(error = %e, "could not record an erasure event");
        }
        tracing::info!("owner erased");
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CoupleId, PersonaId};
    use crate::ports::EndedCouple;
    use crate::ports::{
        EventWording, MockCallbackClient, MockClock, MockConsoleStore, MockErasureStore,
        MockEventWording, MockIds, MockOutbox, MockOwnerStore, TypeOnly,
    };
    use time::macros::datetime;

    fn erasure(
        store: MockErasureStore,
        owners: MockOwnerStore,
        events: MockConsoleStore,
        outbox: MockOutbox,
        wording: impl EventWording + 'static,
    ) -> Erasure {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-11-23 12:00 UTC));
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let mut ids = MockIds::new();
        ids.expect_secret_bytes().returning(|| [0xab; 32]);
        let notifier = Arc::new(
            Notifier::new(
                Arc::new(outbox),
                Arc::new(MockCallbackClient::new()),
                clock.clone(),
            )
            .with_wording(Arc::new(wording)),
        );
        Erasure::new(
            Arc::new(store),
            Arc::new(owners),
            Arc::new(events),
            notifier,
            clock,
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
                Ok(Some(ErasedOwner {
                    counts: Erased {
                        personas: 1,
                        ..Erased::default()
                    },
                    ended: Vec::new(),
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
        let (owner, erased) = erasure(store, owners, events, MockOutbox::new(), TypeOnly)
            .erase_me(Some("ish_token"))
            .await
            .expect("erased");
        assert_eq!((owner, erased.personas), (OwnerId(42), 1));
    }

    #[tokio::test]
    async fn each_partner_hears_couple_ended_for_its_couple_and_nothing_goes_on_a_board() {
        let mut store = MockErasureStore::new();
        store.expect_erase_owner().returning(|_, _, _| {
            Ok(Some(ErasedOwner {
                counts: Erased {
                    couples_ended: 2,
                    ..Erased::default()
                },
                ended: vec![
                    EndedCouple {
                        couple: CoupleId(7),
                        partner: PersonaId(70),
                    },
                    EndedCouple {
                        couple: CoupleId(8),
                        partner: PersonaId(80),
                    },
                ],
            }))
        });
        let mut outbox = MockOutbox::new();
        let mut wording = MockEventWording::new();
        for (couple, partner) in [(7, 70), (8, 80)] {
            // `couple.ended` for the couple, with no next steps.
            wording
                .expect_body()
                .withf(move |e, _| {
                    *e == Event::CoupleEnded {
                        couple: CoupleId(couple),
                        steps: Vec::new(),
                    }
                })
                .times(1)
                .returning(move |_, _| serde_json::json!({ "coupleId": couple }));
            outbox
                .expect_enqueue()
                .withf(move |personas, kind, payload, _| {
                    personas == &[PersonaId(partner)]
                        && kind == "couple.ended"
                        && payload["coupleId"] == couple
                })
                .times(1)
                // The first partner's queue fails: the second is still told.
                .returning(move |_, _, _, _| {
                    if couple == 7 {
                        Err(StoreError::unavailable("down"))
                    } else {
                        Ok(1)
                    }
                });
        }
        outbox.expect_post_board().never();
        let mut events = MockConsoleStore::new();
        events.expect_record_event().returning(|_, _, _| Ok(()));
        let erased = erasure(store, MockOwnerStore::new(), events, outbox, wording)
            .erase(OwnerId(3))
            .await
            .expect("erased");
        assert_eq!(erased.couples_ended, 2);
    }

    #[tokio::test]
    async fn no_token_no_erasure_and_an_unknown_owner_is_reported() {
        let mut store = MockErasureStore::new();
        store.expect_erase_owner().returning(|_, _, _| Ok(None));
        let e = erasure(
            store,
            MockOwnerStore::new(),
            MockConsoleStore::new(),
            MockOutbox::new(),
            TypeOnly,
        );
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
