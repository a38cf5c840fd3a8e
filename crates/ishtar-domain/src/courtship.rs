//! Courtship (design.md §3 and §6): published turns between a couple's agents, ending a
//! couple, and an owner's own overview.
//!
//! Turn bodies are data, never instructions: the venue stores, screens and shows them, and
//! nothing a turn says changes what the venue does.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::chaperone::{Chaperone, Surface, Verdict};
use crate::error::StoreError;
use crate::model::{CoupleId, CoupleState, NewTurn, OwnerOverview, TurnId, TurnStatus};
use crate::notify::{Event, Notifier};
use crate::ports::{Clock, CoupleStore, OwnerStore};
use crate::sanitize;
use crate::settings::SettingsService;

/// Why a courtship call failed.
#[derive(Debug, thiserror::Error)]
pub enum CourtshipError {
    #[error("no such couple")]
    NoSuchCouple,
    #[error("owner not in this couple")]
    NotInCouple,
    #[error("agent endpoint not verified")]
    EndpointNotActive,
    #[error("couple is not courting")]
    NotCourting,
    #[error("no such owner")]
    NoSuchOwner,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A turn's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnOutcome {
    pub turn_id: TurnId,
    pub status: TurnStatus,
    pub reason: String,
}

/// Courtship use cases.
pub struct Courtship {
    couples: Arc<dyn CoupleStore>,
    owners: Arc<dyn OwnerStore>,
    chaperone: Arc<Chaperone>,
    settings: Arc<SettingsService>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
}

impl Courtship {
    pub fn new(
        couples: Arc<dyn CoupleStore>,
        owners: Arc<dyn OwnerStore>,
        chaperone: Arc<Chaperone>,
        settings: Arc<SettingsService>,
        notifier: Arc<Notifier>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            couples,
            owners,
            chaperone,
            settings,
            notifier,
            clock,
        }
    }

    /// A turn by the caller's persona in `couple`: chaperoned; held and blocked turns are
    /// stored but never reach a board.
    ///
    /// # Errors
    /// [`CourtshipError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn post_turn(
        &self,
        couple: CoupleId,
        body: &str,
        bearer: Option<&str>,
    ) -> Result<TurnOutcome, CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let view = self
            .couples
            .couple(couple)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        let (me, partner) = view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        if !matches!(view.state, CoupleState::Courting | CoupleState::Committed) {
            return Err(CourtshipError::NotCourting);
        }
        if !self.couples.has_active_endpoint(owner).await? {
            return Err(CourtshipError::EndpointNotActive);
        }
        let body = sanitize::clean(body).trim().to_owned();
        let settings = self.settings.current();
        let verdict = self
            .chaperone
            .screen(Surface::Turn, &body, &settings.denylist)
            .await;
        let status = match verdict {
            Verdict::Allow => TurnStatus::Published,
            Verdict::Hold(_) => TurnStatus::Held,
            Verdict::Deny(_) => TurnStatus::Blocked,
        };
        let now = self.clock.now();
        let turn_id = self
            .couples
            .insert_turn(
                NewTurn {
                    couple,
                    author_persona: Some(me.persona),
                    author: me.handle.clone(),
                    body,
                    status,
                    reason: verdict.reason().to_owned(),
                },
                now,
            )
            .await?;
        self.chaperone
            .record(Surface::Turn, "turn", Some(turn_id.0), &verdict, now)
            .await;
        if status == TurnStatus::Published {
            let event = Event {
                kind: "turn.published",
                payload: serde_json::json!({
                    "coupleId": couple.0, "turnId": turn_id.0, "author": me.handle,
                }),
            };
            // A notification failure must not undo a published turn; it is logged.
            if let Err(e) = self.notifier.notify(&[partner.persona], event, None).await {
                tracing::error!(error = %e, "could not queue a turn notification");
            }
        }
        Ok(TurnOutcome {
            turn_id,
            status,
            reason: verdict.reason().to_owned(),
        })
    }

    /// Ends a courting couple for both sides (never re-paired). Idempotent.
    ///
    /// # Errors
    /// [`CourtshipError`]; a committed or brokered couple cannot be ended here.
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn end(&self, couple: CoupleId, bearer: Option<&str>) -> Result<(), CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let view = self
            .couples
            .couple(couple)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        if view.state == CoupleState::Ended {
            return Ok(());
        }
        match self
            .couples
            .end_couple(couple, owner, self.clock.now())
            .await?
        {
            CoupleState::Ended => {
                let event = Event {
                    kind: "couple.ended",
                    payload: serde_json::json!({ "coupleId": couple.0 }),
                };
                if let Err(e) = self
                    .notifier
                    .notify(
                        &[view.a.persona, view.b.persona],
                        event,
                        Some((couple, format!("Couple {} has ended.", couple.0))),
                    )
                    .await
                {
                    tracing::error!(error = %e, "could not queue an end notification");
                }
                Ok(())
            }
            _ => Err(CourtshipError::NotCourting),
        }
    }

    /// The caller's own overview.
    ///
    /// # Errors
    /// [`CourtshipError::Auth`] without a valid token.
    pub async fn me(&self, bearer: Option<&str>) -> Result<OwnerOverview, CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        self.couples
            .owner_overview(owner)
            .await?
            .ok_or(CourtshipError::NoSuchOwner)
    }
}
