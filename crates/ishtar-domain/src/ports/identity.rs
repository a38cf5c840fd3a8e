//! Identity and escalation: sign-in ([`AuthVerifier`], adapter `ishtar-privy`), identity and
//! age checks ([`IdentityProvider`], adapter `ishtar-didit`), and the store side of intro
//! consent, one-time invites and the reveal gate ([`EscalationStore`]; use case
//! `crate::escalation`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{ProviderError, StoreError};
use crate::model::{CoupleId, OwnerId, Tier};

/// A verified Privy user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    /// Privy's user id (the token's `sub`, a `did:privy:…`).
    pub user_id: String,
}

/// Why a sign-in token was refused. The text is the short reason the caller is told
/// (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// No verification key or app id is set: no token can verify.
    #[error("{0}")]
    Unconfigured(&'static str),
    /// The token failed a check: signature, algorithm, expiry, issuer, audience, claims.
    #[error("{0}")]
    Invalid(String),
}

/// Verifies a human's sign-in token (Privy access token: ES256 JWT).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuthVerifier: Send + Sync {
    /// # Errors
    /// [`LoginError::Invalid`] with a short reason (bad signature, expired, wrong
    /// audience…); [`LoginError::Unconfigured`] when no token can verify.
    async fn verify(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedLogin, LoginError>;
}

/// A started identity-verification session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySession {
    /// The provider's (Didit's) session id; webhooks name the session by it.
    pub session_id: String,
    /// Where the human completes the check.
    pub url: String,
}

/// A verified identity webhook, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityEvent {
    /// `status.updated`, `data.updated`, …
    pub webhook_type: String,
    /// The provider's session id the event is about.
    pub session_id: String,
    /// `Approved`, `Declined`, `In Review`, …
    pub status: String,
    /// What we sent as `vendor_data` when creating the session (our owner reference).
    pub vendor_data: Option<String>,
    /// From the decision, when present: whether the document shows an adult.
    pub age_over_18: Option<bool>,
}

/// Why an identity webhook was refused. Every check runs before the body is parsed; the
/// text is the short reason the sender is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No webhook secret is set: every webhook is refused (fail closed).
    #[error("webhook secret not configured")]
    Unconfigured,
    /// No signature header.
    #[error("missing signature")]
    MissingSignature,
    /// No timestamp header, or not a number.
    #[error("missing timestamp")]
    MissingTimestamp,
    /// The timestamp is outside the allowed window.
    #[error("stale timestamp")]
    StaleTimestamp,
    /// The body is larger than any real delivery.
    #[error("body too large")]
    TooLarge,
    /// The signature does not match the exact raw body.
    #[error("bad signature")]
    BadSignature,
    /// Authentic, but not a body we can read.
    #[error("malformed body")]
    MalformedBody,
}

/// Identity and age verification (Didit).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Creates a verification session tied to `vendor_data` (our owner reference).
    /// # Errors
    /// [`ProviderError::Unconfigured`] when no API key or workflow is set; `Unavailable`,
    /// `Rejected` or `Malformed` as the provider answered.
    async fn create_session(&self, vendor_data: String) -> Result<IdentitySession, ProviderError>;

    /// Checks a webhook: HMAC-SHA256 of the exact raw body, timestamp within ±300 s,
    /// constant-time compare, and only then parses the body.
    /// # Errors
    /// The [`WebhookError`] of the first check that failed.
    fn verify_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<String>,
        timestamp: Option<String>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, WebhookError>;
}

/// One owner's place in a couple's reveal flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealSide {
    /// The owner on this side of the couple.
    pub owner: OwnerId,
    /// The owner's tier; reveal needs `identity_verified` on both sides
    /// (docs/rules.md#couples-tiers-and-reveal).
    pub tier: Tier,
    /// Whether this owner consented to the introduction for this couple.
    pub consented: bool,
}

/// What recording a consent did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentRecorded {
    /// Both owners of the couple have consented (now or before).
    pub both: bool,
    /// This call moved the couple `courting → committed` (and recorded `intro_ready`).
    pub committed_now: bool,
}

/// An owner's invite for a couple, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteIssued {
    /// An unused invite: the token to relay (the fresh one, or the one issued before).
    Usable(String),
    /// The owner's invite for this couple was claimed; no other is issued.
    Claimed,
}

/// The outcome of consuming an invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteClaim {
    /// Consumed: the owner it was for, and the owner's tier afterwards.
    Claimed {
        /// The owner the invite was issued to.
        owner: OwnerId,
        /// The owner's tier after the claim (at least `profile_claimed`).
        tier: Tier,
    },
    /// No unused invite has this hash (unknown, or used already).
    Unknown,
    /// The owner is already bound to another sign-in; nothing was consumed.
    OtherAccount,
}

/// What an identity result does to the owner, decided by the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityEffect {
    /// `Approved` (and no document showing a minor): the check is verified, age-over-18
    /// set, and the owner `identity_verified`.
    Verify,
    /// `Declined`, or `Approved` for a document showing a minor: the check is not (or no
    /// longer) verified.
    Revoke,
    /// Anything else: the status is recorded, nothing is granted.
    Record,
}

/// A verified `status.updated` webhook, reduced to what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityUpdate {
    /// The provider's session id.
    pub session_id: String,
    /// The owner named by `vendor_data`, when it is one of ours.
    pub vendor_owner: Option<OwnerId>,
    /// The webhook's type (`status.updated`, `data.updated`, …).
    pub webhook_type: String,
    /// The provider's status as sent (`Approved`, `Declined`, `In Review`, …).
    pub status: String,
    /// Whether the document shows an adult, when the decision said.
    pub age_over_18: Option<bool>,
    /// What the domain decided the update does to the owner.
    pub effect: IdentityEffect,
}

/// What applying an identity update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityApplied {
    /// Applied; the owner's tier afterwards.
    Applied {
        /// The owner the update was applied to.
        owner: OwnerId,
        /// The owner's tier after the update.
        tier: Tier,
    },
    /// This (session, type, status) was applied before: nothing changed.
    Duplicate,
    /// No session of ours, and no claimed owner in `vendor_data`.
    NoMatch,
}

/// Consent, invites, identity checks and the reveal gate. Each method is one transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EscalationStore: Send + Sync {
    /// The owner's tier; `None` when the owner does not exist.
    async fn owner_tier(&self, owner: OwnerId) -> Result<Option<Tier>, StoreError>;

    /// Records `owner`'s consent for `couple` (idempotent). When `partner` has consented
    /// too and the couple is `courting`, it becomes `committed` and an `intro_ready` event
    /// is recorded — once, even under concurrent calls (the couple row is locked).
    async fn record_consent(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        partner: Option<OwnerId>,
        at: OffsetDateTime,
    ) -> Result<ConsentRecorded, StoreError>;

    /// Tier and consent of each of `owners` (owners that do not exist are left out).
    async fn reveal_sides(
        &self,
        couple: CoupleId,
        owners: [OwnerId; 2],
    ) -> Result<Vec<RevealSide>, StoreError>;

    /// The owner's invite for the couple. With none yet, stores `token` (hash for lookup,
    /// the token itself sealed) and returns it; with an unused one, returns that one's
    /// token; with a claimed one, [`InviteIssued::Claimed`]. One per owner per couple.
    async fn issue_invite(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        token: String,
        token_hash: Vec<u8>,
        at: OffsetDateTime,
    ) -> Result<InviteIssued, StoreError>;

    /// Consumes the unused invite with `token_hash` atomically (of concurrent callers,
    /// exactly one gets `Claimed`), binds the owner to `login_user`, and moves the owner
    /// `agent_represented → profile_claimed` (never down).
    async fn claim_invite(
        &self,
        token_hash: Vec<u8>,
        login_user: String,
        at: OffsetDateTime,
    ) -> Result<InviteClaim, StoreError>;

    /// Remembers an identity session started for `owner` (idempotent per session).
    async fn record_identity_session(
        &self,
        owner: OwnerId,
        session_id: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Applies a verified identity result, once per (session, type, status).
    async fn apply_identity_event(
        &self,
        update: IdentityUpdate,
        at: OffsetDateTime,
    ) -> Result<IdentityApplied, StoreError>;

    /// The owner's `contactRef` from the latest dating-doc version, decrypted.
    async fn contact_ref(&self, owner: OwnerId) -> Result<Option<String>, StoreError>;
}
