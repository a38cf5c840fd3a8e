//! Escalation (docs/rules.md#couples-tiers-and-reveal; docs/identity.md): the human's path
//! from a courting couple to a revealed contact.
//!
//! 1. Both owners consent (`intro-consent`); the couple becomes `committed` and an
//!    `intro_ready` event is recorded.
//! 2. Each agent fetches its *own* owner's one-time invite and relays `/claim?token=…`.
//! 3. The human signs in (Privy) and claims the invite: the owner becomes
//!    `profile_claimed` and an identity check (Didit) starts.
//! 4. Didit's signed webhook says `Approved`: the owner becomes `identity_verified` (the
//!    operator's Didit workflow requires 18+; see docs/identity.md).
//! 5. When both owners are `identity_verified` and both consented, either side may read
//!    the other's `contactRef`, verbatim.
//!
//! Invites carry 256 random bits (`inv_` + base64url), are looked up by SHA-256 hash only,
//! and are kept sealed (by the store) so that asking again while unused returns the same
//! invite instead of minting a pile of them. As the reference says, an `Approved` result
//! sets age-over-18 and verifies the owner; only a decision that itself shows a minor
//! (`age_over_18 == Some(false)`) is recorded as declined instead and grants nothing.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::error::{ProviderError, StoreError};
use crate::model::{CoupleId, CoupleState, CoupleView, OwnerId, Tier};
use crate::notify::Notifier;
use crate::ports::{
    AuthVerifier, Clock, CoupleStore, EscalationStore, Event, IdentityApplied, IdentityEffect,
    IdentityEvent, IdentityProvider, IdentitySession, IdentityUpdate, Ids, InviteClaim,
    InviteIssued, LoginError, OwnerStore, Recipient, RevealSide, WebhookError,
};

/// Every invite token starts with this.
pub const INVITE_PREFIX: &str = "inv_";

/// `vendor_data` we send to the identity provider: `ishtar:owner:<id>`.
pub const VENDOR_PREFIX: &str = "ishtar:owner:";

/// The only webhook type the venue acts on.
pub const STATUS_UPDATED: &str = "status.updated";

/// Why an escalation call failed.
#[derive(Debug, thiserror::Error)]
pub enum EscalationError {
    /// The consent route's 404.
    #[error("no such couple")]
    NoSuchCouple,
    /// The invite/status/contact routes' 404: no couple, or a side without an owner.
    #[error("couple/owners not found")]
    CoupleOwnersNotFound,
    /// The caller's owner is neither side of this couple.
    #[error("owner not in this couple")]
    NotInCouple,
    /// The couple is `ended`: no invites, consent or reveal (docs/rules.md#couples-tiers-and-reveal).
    #[error("couple has ended")]
    CoupleEnded,
    /// The invite token is unknown or was claimed already.
    #[error("invalid or used invite")]
    InvalidInvite,
    /// The sign-in token did not verify; the adapter's short reason.
    #[error("privy verification failed: {0}")]
    LoginFailed(LoginError),
    /// The invite's owner is bound to another sign-in already.
    #[error("owner already claimed by another sign-in")]
    OtherAccount,
    /// The owner is still `agent_represented`: claim the invite before an identity check.
    #[error("owner must claim a profile before identity check")]
    NotClaimed,
    /// The owner named does not exist.
    #[error("no such owner")]
    NoSuchOwner,
    /// The identity provider is unconfigured or failing.
    #[error("identity check unavailable: {0}")]
    IdentityUnavailable(SessionNotStarted),
    /// A webhook failed its signature or freshness check.
    #[error("webhook rejected: {0}")]
    WebhookRejected(WebhookError),
    /// Contact is asked for before both owners are `identity_verified` and consented.
    #[error("reveal not ready")]
    RevealNotReady,
    #[error(transparent)]
    /// The caller's credentials failed.
    Auth(#[from] AuthError),
    #[error(transparent)]
    /// The store failed.
    Store(#[from] StoreError),
}

/// Why an identity session did not start. The text is the note the owner is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionNotStarted {
    /// The identity provider has no API key or workflow set.
    #[error("identity verification is not configured")]
    NotConfigured,
    /// The provider could not be reached, timed out, or failed.
    #[error("identity provider unavailable; try again later")]
    Unavailable,
    /// The provider refused, or answered something unreadable.
    #[error("identity provider refused to start a check")]
    Refused,
}

impl From<&ProviderError> for SessionNotStarted {
    fn from(e: &ProviderError) -> Self {
        match e {
            ProviderError::Unconfigured(_) => Self::NotConfigured,
            ProviderError::Unavailable { .. } => Self::Unavailable,
            ProviderError::Rejected { .. } | ProviderError::Malformed { .. } => Self::Refused,
        }
    }
}

/// The caller's own invite for a couple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnInvite {
    /// The owner the invite is for (the caller).
    pub owner: OwnerId,
    /// `None` once claimed: an owner gets one invite per couple.
    pub token: Option<String>,
}

/// A claimed invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The owner the invite was issued to, now bound to this sign-in.
    pub owner: OwnerId,
    /// The owner's tier after the claim (at least `profile_claimed`).
    pub tier: Tier,
    /// Where the human completes the identity check; `None` when it did not start.
    pub identity_url: Option<String>,
    /// Why the identity check did not start.
    pub identity_note: Option<String>,
}

/// How a verified webhook was acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAck {
    /// Acted on (or a retry of something acted on).
    Done,
    /// Not a `status.updated` event: acknowledged, nothing done.
    Ignored(String),
    /// No session of ours and no claimed owner in `vendor_data`.
    NoMatch,
}

/// Where a couple stands in the reveal flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealStatus {
    /// The couple asked about.
    pub couple: CoupleId,
    /// Both owners, persona `a`'s first.
    pub sides: Vec<RevealSide>,
    /// Whether contact may be revealed now (see [`reveal_ready`]).
    pub reveal_ready: bool,
}

/// The ports escalation needs.
pub struct EscalationPorts {
    /// Invites, consents and identity sessions.
    pub store: Arc<dyn EscalationStore>,
    /// The couples and their personas' owners.
    pub couples: Arc<dyn CoupleStore>,
    /// Owners: tiers and private contact.
    pub owners: Arc<dyn OwnerStore>,
    /// Verifies the human's sign-in token (Privy) when an invite is claimed.
    pub login: Arc<dyn AuthVerifier>,
    /// Starts identity checks (Didit) and verifies their webhooks.
    pub identity: Arc<dyn IdentityProvider>,
    /// Tells the agents' endpoints what changed.
    pub notifier: Arc<Notifier>,
    /// The current time.
    pub clock: Arc<dyn Clock>,
    /// Fresh secret bytes for invite tokens.
    pub ids: Arc<dyn Ids>,
}

/// Escalation use cases.
pub struct Escalation {
    p: EscalationPorts,
}

/// Makes an invite token from 32 secret random bytes: `inv_` + unpadded base64url.
pub fn invite_from_bytes(bytes: &[u8; 32]) -> String {
    crate::auth::secret_token(INVITE_PREFIX, bytes)
}

/// The `vendor_data` for an owner.
pub fn vendor_data(owner: OwnerId) -> String {
    format!("{VENDOR_PREFIX}{}", owner.0)
}

/// The owner a `vendor_data` names, if it is one of ours.
pub fn vendor_owner(vendor_data: Option<&str>) -> Option<OwnerId> {
    vendor_data?
        .strip_prefix(VENDOR_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(OwnerId)
}

/// What a verified `status.updated` result grants. `Approved` verifies (the reference:
/// "age-over-18 is set, and the owner becomes identity_verified"; the operator's Didit
/// workflow refuses anyone under 18), unless the decision itself shows a minor: that is
/// declined. `Declined` revokes; anything else is only recorded.
pub fn effect_of(event: &IdentityEvent) -> IdentityEffect {
    match event.status.as_str() {
        APPROVED if shows_a_minor(event) => IdentityEffect::Revoke,
        APPROVED => IdentityEffect::Verify,
        DECLINED => IdentityEffect::Revoke,
        _ => IdentityEffect::Record,
    }
}

/// Didit's result statuses the venue acts on.
const APPROVED: &str = "Approved";
const DECLINED: &str = "Declined";

/// Whether the decision's document shows someone under 18.
fn shows_a_minor(event: &IdentityEvent) -> bool {
    event.age_over_18 == Some(false)
}

/// The binding gate: both owners `identity_verified`, both consented, and the couple
/// committed (a couple that ended before both consented never reveals).
pub fn reveal_ready(state: CoupleState, sides: &[RevealSide]) -> bool {
    matches!(state, CoupleState::Committed | CoupleState::Brokered)
        && sides.len() == 2
        && sides
            .iter()
            .all(|s| s.consented && s.tier == Tier::IdentityVerified)
}

impl Escalation {
    /// Builds the escalation use cases over their ports.
    pub fn new(p: EscalationPorts) -> Self {
        Self { p }
    }

    async fn couple(
        &self,
        couple: CoupleId,
        missing: fn() -> EscalationError,
    ) -> Result<CoupleView, EscalationError> {
        self.p.couples.couple(couple).await?.ok_or_else(missing)
    }

    /// The caller's couple with both owners, for the owner-scoped escalation routes.
    async fn member_view(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<(OwnerId, OwnerId, CoupleView), EscalationError> {
        let owner = auth::token_owner(&*self.p.owners, bearer).await?;
        let view = self
            .couple(couple, || EscalationError::CoupleOwnersNotFound)
            .await?;
        let (_, partner) = view.sides(owner).ok_or(EscalationError::NotInCouple)?;
        let partner = partner.owner.ok_or(EscalationError::CoupleOwnersNotFound)?;
        Ok((owner, partner, view))
    }

    /// `POST /api/couples/:id/intro-consent`: idempotent per owner per couple; the second
    /// owner's consent commits the couple. Returns whether both have consented.
    ///
    /// # Errors
    /// [`EscalationError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple, owner.id = %owner))]
    pub async fn consent(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        bearer: Option<&str>,
    ) -> Result<bool, EscalationError> {
        auth::authorize(&*self.p.owners, owner, bearer).await?;
        let view = self
            .couple(couple, || EscalationError::NoSuchCouple)
            .await?;
        let (_, partner) = view.sides(owner).ok_or(EscalationError::NotInCouple)?;
        if view.state == CoupleState::Ended {
            return Err(EscalationError::CoupleEnded);
        }
        let out = self
            .p
            .store
            .record_consent(couple, owner, partner.owner, self.p.clock.now())
            .await?;
        if out.committed_now {
            let event = Event::IntroReady {
                couple,
                steps: crate::next_steps::after_intro_ready(couple),
            };
            // The commitment stands even if the notification cannot be queued.
            if let Err(e) = self
                .p
                .notifier
                .notify(&[view.a.persona, view.b.persona], event, None)
                .await
            {
                tracing::error!(error = %e, "could not queue an intro notification");
            }
            // Both owners may have been verified before they consented.
            self.announce_reveal(&view, CoupleState::Committed).await;
        }
        Ok(out.both)
    }

    /// Tells both sides `reveal.ready` when `view` (in `state`) passes the reveal gate.
    /// Best effort: a failure is logged, the reveal itself is decided on every read.
    async fn announce_reveal(&self, view: &CoupleView, state: CoupleState) {
        let (Some(a), Some(b)) = (view.a.owner, view.b.owner) else {
            return;
        };
        let sides = match self.p.store.reveal_sides(view.id, [a, b]).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, couple.id = %view.id, "could not check the reveal gate");
                return;
            }
        };
        if !reveal_ready(state, &sides) {
            return;
        }
        let now = self.p.clock.now();
        let events = [view.a.persona, view.b.persona]
            .into_iter()
            .map(|p| {
                let event = Event::RevealReady {
                    couple: view.id,
                    persona: p,
                    steps: crate::next_steps::after_reveal_ready(view.id),
                };
                self.p.notifier.event(Recipient::Persona(p), &event, now)
            })
            .collect();
        self.p.notifier.publish_logged(events).await;
    }

    /// After `owner` became identity_verified: `identity.verified` to its agents, and
    /// `reveal.ready` for each of its committed couples that now passes the gate.
    async fn announce_verified(&self, owner: OwnerId, tier: Tier) {
        let event = Event::IdentityVerified {
            owner,
            tier,
            steps: crate::next_steps::after_identity_verified(),
        };
        let event = self
            .p
            .notifier
            .event(Recipient::Owner(owner), &event, self.p.clock.now());
        self.p.notifier.publish_logged(vec![event]).await;
        let couples = match self.p.couples.owner_overview(owner).await {
            Ok(Some(o)) => o.couples,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, owner.id = %owner, "could not read the owner's couples");
                return;
            }
        };
        for c in couples {
            let state = CoupleState::parse(&c.state);
            if !matches!(state, Some(CoupleState::Committed | CoupleState::Brokered)) {
                continue;
            }
            match self.p.couples.couple(c.id).await {
                Ok(Some(view)) => self.announce_reveal(&view, view.state).await,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, couple.id = %c.id, "could not read a couple"),
            }
        }
    }

    /// `POST /api/escalations/:coupleId/invite`: the caller's own one-time invite.
    ///
    /// # Errors
    /// [`EscalationError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn invite(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<OwnInvite, EscalationError> {
        let (owner, _, view) = self.member_view(couple, bearer).await?;
        if view.state == CoupleState::Ended {
            return Err(EscalationError::CoupleEnded);
        }
        let token = invite_from_bytes(&self.p.ids.secret_bytes());
        let hash = auth::token_hash(&token);
        let issued = self
            .p
            .store
            .issue_invite(couple, owner, token, hash, self.p.clock.now())
            .await?;
        Ok(OwnInvite {
            owner,
            token: match issued {
                InviteIssued::Usable(t) => Some(t),
                InviteIssued::Claimed => None,
            },
        })
    }

    /// `POST /api/escalations/claim`: verifies the sign-in first, then consumes the invite
    /// and starts the identity check. A failed check never consumes an invite.
    ///
    /// # Errors
    /// [`EscalationError`].
    #[tracing::instrument(skip_all)]
    pub async fn claim(&self, invite: &str, login_token: &str) -> Result<Claimed, EscalationError> {
        let now = self.p.clock.now();
        let login = self
            .p
            .login
            .verify(login_token, now)
            .await
            .map_err(EscalationError::LoginFailed)?;
        let claim = self
            .p
            .store
            .claim_invite(auth::token_hash(invite.trim()), login.user_id, now)
            .await?;
        let (owner, tier) = match claim {
            InviteClaim::Claimed { owner, tier } => (owner, tier),
            InviteClaim::Unknown => return Err(EscalationError::InvalidInvite),
            InviteClaim::OtherAccount => return Err(EscalationError::OtherAccount),
        };
        let (identity_url, identity_note, check) = if tier == Tier::IdentityVerified {
            (
                None,
                Some("identity already verified".to_owned()),
                "already_verified",
            )
        } else {
            match self.start_session(owner).await {
                Ok(s) => (Some(s.url), None, "started"),
                Err(note) => (None, Some(note.to_string()), "not_started"),
            }
        };
        // The owner's agents learn that their human is here (never the sign-in itself).
        let event = Event::InviteClaimed {
            owner,
            tier,
            identity_check: check,
            steps: crate::next_steps::after_invite_claimed(),
        };
        let event = self
            .p
            .notifier
            .event(Recipient::Owner(owner), &event, self.p.clock.now());
        self.p.notifier.publish_logged(vec![event]).await;
        Ok(Claimed {
            owner,
            tier,
            identity_url,
            identity_note,
        })
    }

    /// Starts a session and remembers it. The note says why it did not start.
    async fn start_session(&self, owner: OwnerId) -> Result<IdentitySession, SessionNotStarted> {
        let session = self
            .p
            .identity
            .create_session(vendor_data(owner))
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "identity session not started");
                SessionNotStarted::from(&e)
            })?;
        // If this record is lost, the webhook still finds the owner by `vendor_data`.
        if let Err(e) = self
            .p
            .store
            .record_identity_session(owner, session.session_id.clone(), self.p.clock.now())
            .await
        {
            tracing::error!(error = %e, "could not record an identity session");
        }
        Ok(session)
    }

    /// `POST /api/identity/session`: restarts the identity check of a claimed owner.
    /// Another owner's id is refused before anything is looked up, so an unknown id and a
    /// foreign one get the same 403 (existence does not leak).
    ///
    /// # Errors
    /// [`EscalationError`].
    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    pub async fn restart_identity(
        &self,
        owner: OwnerId,
        bearer: Option<&str>,
    ) -> Result<IdentitySession, EscalationError> {
        let caller = auth::token_owner(&*self.p.owners, bearer).await?;
        if caller != owner {
            return Err(AuthError::NotYourOwner.into());
        }
        let tier = self
            .p
            .store
            .owner_tier(owner)
            .await?
            .ok_or(EscalationError::NoSuchOwner)?;
        if tier == Tier::AgentRepresented {
            return Err(EscalationError::NotClaimed);
        }
        self.start_session(owner)
            .await
            .map_err(EscalationError::IdentityUnavailable)
    }

    /// `POST /api/identity/webhook/didit`: the signature and timestamp are checked on the
    /// exact raw body before anything is parsed; only `status.updated` is acted on.
    ///
    /// # Errors
    /// [`EscalationError::WebhookRejected`] with the check's reason; store errors (the
    /// provider then retries).
    #[tracing::instrument(skip_all)]
    pub async fn webhook(
        &self,
        raw_body: &[u8],
        signature: Option<String>,
        timestamp: Option<String>,
    ) -> Result<WebhookAck, EscalationError> {
        let now = self.p.clock.now();
        let event = self
            .p
            .identity
            .verify_webhook(raw_body, signature, timestamp, now)
            .map_err(|reason| {
                tracing::warn!(%reason, "identity webhook rejected");
                EscalationError::WebhookRejected(reason)
            })?;
        if event.webhook_type != STATUS_UPDATED {
            return Ok(WebhookAck::Ignored(event.webhook_type));
        }
        let effect = effect_of(&event);
        // An approval for a minor is applied as a decline (not verified, age-over-18
        // false). Didit's own status is kept on the record, so that a genuine `Declined`
        // later is still a delivery of its own (the status is part of idempotency).
        if event.status == APPROVED && shows_a_minor(&event) {
            tracing::warn!("approved identity check whose document shows a minor: declined");
        }
        let update = IdentityUpdate {
            vendor_owner: vendor_owner(event.vendor_data.as_deref()),
            session_id: event.session_id,
            webhook_type: event.webhook_type,
            status: event.status,
            age_over_18: event.age_over_18,
            effect,
        };
        Ok(
            match self.p.store.apply_identity_event(update, now).await? {
                IdentityApplied::Applied { owner, tier } => {
                    tracing::info!(owner.id = %owner, tier = %tier, "identity result applied");
                    if effect == IdentityEffect::Verify && tier == Tier::IdentityVerified {
                        self.announce_verified(owner, tier).await;
                    }
                    WebhookAck::Done
                }
                IdentityApplied::Duplicate => WebhookAck::Done,
                IdentityApplied::NoMatch => WebhookAck::NoMatch,
            },
        )
    }

    /// `GET /api/escalations/:coupleId/status`, for an owner of the couple.
    ///
    /// # Errors
    /// [`EscalationError`].
    pub async fn status(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<(OwnerId, RevealStatus), EscalationError> {
        let (owner, partner, view) = self.member_view(couple, bearer).await?;
        let (a, b) = (view.a.owner, view.b.owner);
        let order = match (a, b) {
            (Some(a), Some(b)) => [a, b],
            _ => [owner, partner],
        };
        let found = self.p.store.reveal_sides(couple, order).await?;
        let sides: Vec<RevealSide> = order
            .iter()
            .filter_map(|o| found.iter().find(|s| s.owner == *o).copied())
            .collect();
        if sides.len() != 2 {
            return Err(EscalationError::CoupleOwnersNotFound);
        }
        let ready = reveal_ready(view.state, &sides);
        Ok((
            owner,
            RevealStatus {
                couple,
                sides,
                reveal_ready: ready,
            },
        ))
    }

    /// `GET /api/escalations/:coupleId/contact`: the other owner's `contactRef`, verbatim,
    /// only when the reveal is ready.
    ///
    /// # Errors
    /// [`EscalationError::RevealNotReady`], and those of [`status`](Self::status).
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn contact(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<Option<String>, EscalationError> {
        let (owner, status) = self.status(couple, bearer).await?;
        if !status.reveal_ready {
            return Err(EscalationError::RevealNotReady);
        }
        let partner = status
            .sides
            .iter()
            .find(|s| s.owner != owner)
            .ok_or(EscalationError::CoupleOwnersNotFound)?
            .owner;
        tracing::info!(owner.id = %owner, partner.id = %partner, "contact revealed");
        Ok(self.p.store.contact_ref(partner).await?)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use crate::model::{CoupleMember, PersonaId};
    use crate::ports::{
        ConsentRecorded, MockAuthVerifier, MockCallbackClient, MockClock, MockCoupleStore,
        MockEscalationStore, MockIdentityProvider, MockIds, MockOutbox, MockOwnerStore,
        VerifiedLogin,
    };
    use time::macros::datetime;

    struct Mocks {
        store: MockEscalationStore,
        couples: MockCoupleStore,
        owners: MockOwnerStore,
        login: MockAuthVerifier,
        identity: MockIdentityProvider,
        outbox: MockOutbox,
    }

    /// Words the facts these tests look at.
    struct Facts;

    impl crate::ports::EventWording for Facts {
        fn body(&self, e: &Event, _: time::OffsetDateTime) -> serde_json::Value {
            match e {
                Event::InviteClaimed { identity_check, .. } => {
                    serde_json::json!({"type": e.kind(), "identityCheck": identity_check})
                }
                Event::RevealReady { couple, .. } => {
                    serde_json::json!({"type": e.kind(), "coupleId": couple.0})
                }
                _ => serde_json::json!({"type": e.kind()}),
            }
        }
    }

    impl Mocks {
        fn new() -> Self {
            Self {
                store: MockEscalationStore::new(),
                couples: MockCoupleStore::new(),
                owners: MockOwnerStore::new(),
                login: MockAuthVerifier::new(),
                identity: MockIdentityProvider::new(),
                outbox: MockOutbox::new(),
            }
        }

        fn build(self) -> Escalation {
            let mut clock = MockClock::new();
            clock
                .expect_now()
                .returning(|| datetime!(2026-11-23 12:00 UTC));
            let clock: Arc<dyn Clock> = Arc::new(clock);
            let mut ids = MockIds::new();
            ids.expect_secret_bytes().returning(|| [9u8; 32]);
            Escalation::new(EscalationPorts {
                store: Arc::new(self.store),
                couples: Arc::new(self.couples),
                owners: Arc::new(self.owners),
                login: Arc::new(self.login),
                identity: Arc::new(self.identity),
                notifier: Arc::new(
                    Notifier::new(
                        Arc::new(self.outbox),
                        Arc::new(MockCallbackClient::new()),
                        clock.clone(),
                    )
                    .with_wording(Arc::new(Facts)),
                ),
                clock,
                ids: Arc::new(ids),
            })
        }

        /// Token `ish_1` is owner 1, `ish_2` owner 2, `ish_3` owner 3; couple 7 is 1 + 2.
        fn with_couple(mut self, state: CoupleState) -> Self {
            self.owners.expect_owner_by_token().returning(|h| {
                Ok((1..=3)
                    .find(|n| auth::token_hash(&format!("ish_{n}")) == h)
                    .map(OwnerId))
            });
            self.couples.expect_couple().returning(move |id| {
                Ok((id == CoupleId(7)).then(|| CoupleView {
                    id,
                    state,
                    a: CoupleMember {
                        persona: PersonaId(10),
                        owner: Some(OwnerId(1)),
                        handle: "ada".into(),
                    },
                    b: CoupleMember {
                        persona: PersonaId(20),
                        owner: Some(OwnerId(2)),
                        handle: "bo".into(),
                    },
                }))
            });
            self
        }
    }

    fn event(status: &str, age: Option<bool>) -> IdentityEvent {
        IdentityEvent {
            webhook_type: STATUS_UPDATED.into(),
            session_id: "s-1".into(),
            status: status.into(),
            vendor_data: Some(vendor_data(OwnerId(1))),
            age_over_18: age,
        }
    }

    #[test]
    fn escalation_approved_verifies_unless_the_document_shows_a_minor() {
        assert_eq!(
            effect_of(&event("Approved", Some(true))),
            IdentityEffect::Verify
        );
        // The reference: an Approved result sets age-over-18 and verifies; the workflow
        // (18+) is what refused minors. A decision without a document age still verifies.
        assert_eq!(effect_of(&event("Approved", None)), IdentityEffect::Verify);
        // A decision that shows a minor is declined, whatever the status says.
        assert_eq!(
            effect_of(&event("Approved", Some(false))),
            IdentityEffect::Revoke
        );
        assert_eq!(
            effect_of(&event("Declined", Some(true))),
            IdentityEffect::Revoke
        );
        for s in [
            "In Review",
            "Not Started",
            "Abandoned",
            "approved",
            "Expired",
        ] {
            assert_eq!(effect_of(&event(s, Some(true))), IdentityEffect::Record);
        }
    }

    #[test]
    fn escalation_invites_carry_256_bits_and_vendor_data_round_trips() {
        let t = invite_from_bytes(&[1u8; 32]);
        assert!(t.starts_with("inv_") && t.len() == 4 + 43);
        assert_ne!(t, invite_from_bytes(&[2u8; 32]));
        assert_eq!(
            vendor_owner(Some(&vendor_data(OwnerId(42)))),
            Some(OwnerId(42))
        );
        for bad in [
            "42",
            "ishtar:owner:",
            "ishtar:owner:-1",
            "ishtar:owner:x",
            "",
        ] {
            assert_eq!(vendor_owner(Some(bad)), None, "{bad}");
        }
        assert_eq!(vendor_owner(None), None);
    }

    #[test]
    fn escalation_reveal_needs_both_verified_both_consented_and_a_commitment() {
        let side = |owner, tier, consented| RevealSide {
            owner: OwnerId(owner),
            tier,
            consented,
        };
        let v = Tier::IdentityVerified;
        let both = [side(1, v, true), side(2, v, true)];
        assert!(reveal_ready(CoupleState::Committed, &both));
        assert!(reveal_ready(CoupleState::Brokered, &both));
        assert!(!reveal_ready(CoupleState::Ended, &both));
        assert!(!reveal_ready(CoupleState::Courting, &both));
        assert!(!reveal_ready(
            CoupleState::Committed,
            &[side(1, v, true), side(2, v, false)]
        ));
        assert!(!reveal_ready(
            CoupleState::Committed,
            &[side(1, v, true), side(2, Tier::ProfileClaimed, true)]
        ));
        assert!(!reveal_ready(CoupleState::Committed, &both[..1]));
    }

    #[tokio::test]
    async fn escalation_a_failed_sign_in_never_consumes_an_invite() {
        let mut m = Mocks::new();
        m.login
            .expect_verify()
            .returning(|_, _| Err(LoginError::Invalid("bad signature".into())));
        m.store.expect_claim_invite().never();
        let e = m.build().claim("inv_x", "jwt").await.unwrap_err();
        assert!(
            matches!(e, EscalationError::LoginFailed(LoginError::Invalid(r)) if r == "bad signature")
        );
    }

    #[tokio::test]
    async fn escalation_a_claim_without_identity_provider_still_succeeds_with_a_note() {
        let mut m = Mocks::new();
        m.login.expect_verify().returning(|_, _| {
            Ok(VerifiedLogin {
                user_id: "did:privy:abc".into(),
            })
        });
        m.store
            .expect_claim_invite()
            .withf(|h, u, _| *h == auth::token_hash("inv_x") && u == "did:privy:abc")
            .returning(|_, _, _| {
                Ok(InviteClaim::Claimed {
                    owner: OwnerId(1),
                    tier: Tier::ProfileClaimed,
                })
            });
        m.identity.expect_create_session().returning(|_| {
            Err(ProviderError::unconfigured(
                "identity provider not configured",
            ))
        });
        m.store.expect_record_identity_session().never();
        // The owner's agents hear that their human claimed the invite.
        m.outbox
            .expect_publish()
            .withf(|events, _| {
                matches!(events.as_slice(), [e] if e.to == crate::ports::Recipient::Owner(OwnerId(1))
                    && e.kind == "invite.claimed"
                    && e.body["identityCheck"] == "not_started"
                    && e.body["type"] == "invite.claimed")
            })
            .times(1)
            .returning(|_, _| Ok(1));
        let c = m.build().claim("inv_x", "jwt").await.unwrap();
        assert_eq!(c.identity_url, None);
        assert_eq!(
            c.identity_note.as_deref(),
            Some("identity verification is not configured")
        );
        assert_eq!(c.tier, Tier::ProfileClaimed);
    }

    #[tokio::test]
    async fn escalation_consent_checks_the_owner_before_the_couple() {
        let mut m = Mocks::new().with_couple(CoupleState::Courting);
        m.store.expect_record_consent().never();
        let esc = m.build();
        // Another owner's token.
        assert!(matches!(
            esc.consent(CoupleId(7), OwnerId(1), Some("ish_2")).await,
            Err(EscalationError::Auth(AuthError::NotYourOwner))
        ));
        assert!(matches!(
            esc.consent(CoupleId(7), OwnerId(1), None).await,
            Err(EscalationError::Auth(AuthError::TokenRequired))
        ));
        assert!(matches!(
            esc.consent(CoupleId(8), OwnerId(1), Some("ish_1")).await,
            Err(EscalationError::NoSuchCouple)
        ));
        assert!(matches!(
            esc.consent(CoupleId(7), OwnerId(3), Some("ish_3")).await,
            Err(EscalationError::NotInCouple)
        ));
    }

    #[tokio::test]
    async fn escalation_the_second_consent_commits_and_notifies_both() {
        let mut m = Mocks::new().with_couple(CoupleState::Courting);
        m.store
            .expect_record_consent()
            .withf(|c, o, p, _| *c == CoupleId(7) && *o == OwnerId(2) && *p == Some(OwnerId(1)))
            .returning(|_, _, _, _| {
                Ok(ConsentRecorded {
                    both: true,
                    committed_now: true,
                })
            });
        m.outbox
            .expect_enqueue()
            .withf(|p, kind, _, _| {
                p == &vec![PersonaId(10), PersonaId(20)] && kind == "intro.ready"
            })
            .times(1)
            .returning(|_, _, _, _| Ok(2));
        // Both were verified before they consented: the reveal is ready at once.
        m.store.expect_reveal_sides().returning(|_, owners| {
            Ok(owners
                .iter()
                .map(|o| RevealSide {
                    owner: *o,
                    tier: Tier::IdentityVerified,
                    consented: true,
                })
                .collect())
        });
        m.outbox
            .expect_publish()
            .withf(|events, _| {
                events.len() == 2
                    && events
                        .iter()
                        .all(|e| e.kind == "reveal.ready" && e.body["coupleId"] == 7)
            })
            .times(1)
            .returning(|_, _| Ok(2));
        let both = m
            .build()
            .consent(CoupleId(7), OwnerId(2), Some("ish_2"))
            .await
            .unwrap();
        assert!(both);
    }

    #[tokio::test]
    async fn escalation_contact_is_refused_until_ready_and_then_is_the_partners() {
        let mut m = Mocks::new().with_couple(CoupleState::Committed);
        m.store.expect_reveal_sides().returning(|_, owners| {
            Ok(owners
                .iter()
                .map(|o| RevealSide {
                    owner: *o,
                    tier: if o.0 == 1 {
                        Tier::IdentityVerified
                    } else {
                        Tier::ProfileClaimed
                    },
                    consented: true,
                })
                .collect())
        });
        m.store.expect_contact_ref().never();
        let esc = m.build();
        assert!(matches!(
            esc.contact(CoupleId(7), Some("ish_1")).await,
            Err(EscalationError::RevealNotReady)
        ));
        assert!(matches!(
            esc.contact(CoupleId(7), Some("ish_3")).await,
            Err(EscalationError::NotInCouple)
        ));

        let mut m = Mocks::new().with_couple(CoupleState::Committed);
        m.store.expect_reveal_sides().returning(|_, owners| {
            Ok(owners
                .iter()
                .map(|o| RevealSide {
                    owner: *o,
                    tier: Tier::IdentityVerified,
                    consented: true,
                })
                .collect())
        });
        m.store
            .expect_contact_ref()
            .withf(|o| *o == OwnerId(2))
            .returning(|_| Ok(Some("tg:@bo".into())));
        let got = m.build().contact(CoupleId(7), Some("ish_1")).await.unwrap();
        assert_eq!(got.as_deref(), Some("tg:@bo"));
    }

    #[tokio::test]
    async fn escalation_webhooks_other_than_status_updated_are_only_acknowledged() {
        let mut m = Mocks::new();
        m.identity.expect_verify_webhook().returning(|_, _, _, _| {
            Ok(IdentityEvent {
                webhook_type: "data.updated".into(),
                ..event("Approved", Some(true))
            })
        });
        m.store.expect_apply_identity_event().never();
        let ack = m.build().webhook(b"{}", None, None).await.unwrap();
        assert_eq!(ack, WebhookAck::Ignored("data.updated".into()));
    }

    #[tokio::test]
    async fn escalation_an_approved_event_without_an_age_promotes() {
        let mut m = Mocks::new();
        m.identity
            .expect_verify_webhook()
            .returning(|_, _, _, _| Ok(event("Approved", None)));
        m.store
            .expect_apply_identity_event()
            .withf(|u, _| {
                u.effect == IdentityEffect::Verify
                    && u.status == "Approved"
                    && u.vendor_owner == Some(OwnerId(1))
            })
            .returning(|_, _| {
                Ok(IdentityApplied::Applied {
                    owner: OwnerId(1),
                    tier: Tier::IdentityVerified,
                })
            });
        // identity.verified to the owner; its committed couple's other side is not
        // verified yet, so no reveal.ready.
        m.outbox
            .expect_publish()
            .withf(|events, _| {
                matches!(events.as_slice(), [e] if e.kind == "identity.verified"
                    && e.to == crate::ports::Recipient::Owner(OwnerId(1)))
            })
            .times(1)
            .returning(|_, _| Ok(1));
        m.couples.expect_owner_overview().returning(|o| {
            Ok(Some(crate::model::OwnerOverview {
                owner_id: o,
                tier: Tier::IdentityVerified,
                doc_version: Some(1),
                personas: Vec::new(),
                endpoints: Vec::new(),
                couples: vec![crate::model::CoupleSummary {
                    id: CoupleId(7),
                    state: "committed".into(),
                    persona: PersonaId(10),
                    partner_handle: "bo".into(),
                    created_at: datetime!(2026-11-23 12:00 UTC),
                }],
            }))
        });
        m.store.expect_reveal_sides().returning(|_, owners| {
            Ok(owners
                .iter()
                .map(|o| RevealSide {
                    owner: *o,
                    tier: if o.0 == 1 {
                        Tier::IdentityVerified
                    } else {
                        Tier::ProfileClaimed
                    },
                    consented: true,
                })
                .collect())
        });
        let m = m.with_couple(CoupleState::Committed);
        assert_eq!(
            m.build().webhook(b"{}", None, None).await.unwrap(),
            WebhookAck::Done
        );
    }

    #[tokio::test]
    async fn escalation_an_approved_minor_is_recorded_as_declined() {
        let mut m = Mocks::new();
        m.identity
            .expect_verify_webhook()
            .returning(|_, _, _, _| Ok(event("Approved", Some(false))));
        m.store
            .expect_apply_identity_event()
            .withf(|u, _| {
                u.effect == IdentityEffect::Revoke
                    && u.status == "Approved"
                    && u.age_over_18 == Some(false)
            })
            .times(1)
            .returning(|_, _| {
                Ok(IdentityApplied::Applied {
                    owner: OwnerId(1),
                    tier: Tier::ProfileClaimed,
                })
            });
        assert_eq!(
            m.build().webhook(b"{}", None, None).await.unwrap(),
            WebhookAck::Done
        );
    }

    #[tokio::test]
    async fn escalation_a_rejected_webhook_touches_nothing() {
        let mut m = Mocks::new();
        m.identity
            .expect_verify_webhook()
            .returning(|_, _, _, _| Err(WebhookError::StaleTimestamp));
        m.store.expect_apply_identity_event().never();
        let e = m.build().webhook(b"{}", None, None).await.unwrap_err();
        assert!(matches!(
            e,
            EscalationError::WebhookRejected(WebhookError::StaleTimestamp)
        ));
    }

    #[tokio::test]
    async fn escalation_identity_restart_needs_a_claimed_own_owner() {
        let mut m = Mocks::new().with_couple(CoupleState::Courting);
        m.store.expect_owner_tier().returning(|o| {
            Ok(match o.0 {
                1 => Some(Tier::AgentRepresented),
                2 => Some(Tier::ProfileClaimed),
                _ => None,
            })
        });
        m.identity.expect_create_session().returning(|v| {
            assert_eq!(v, "ishtar:owner:2");
            Ok(IdentitySession {
                session_id: "s-2".into(),
                url: "https://verify.example/s-2".into(),
            })
        });
        m.store
            .expect_record_identity_session()
            .returning(|_, _, _| Ok(()));
        let esc = m.build();
        assert!(matches!(
            esc.restart_identity(OwnerId(1), Some("ish_1")).await,
            Err(EscalationError::NotClaimed)
        ));
        // An unknown owner and another's owner: the same refusal.
        assert!(matches!(
            esc.restart_identity(OwnerId(99), Some("ish_1")).await,
            Err(EscalationError::Auth(AuthError::NotYourOwner))
        ));
        assert!(matches!(
            esc.restart_identity(OwnerId(2), Some("ish_1")).await,
            Err(EscalationError::Auth(AuthError::NotYourOwner))
        ));
        let s = esc
            .restart_identity(OwnerId(2), Some("ish_2"))
            .await
            .unwrap();
        assert_eq!(s.session_id, "s-2");
    }
}
