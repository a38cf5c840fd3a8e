//! Notifications: the durable outbox and owners' feeds ([`Outbox`]), and calls to agents'
//! callback URLs ([`CallbackClient`]). Use case `crate::notify`; adapters
//! `ishtar-store-postgres` and `ishtar-callbacks`.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{ProviderError, StoreError};
use crate::model::{CoupleId, OwnerId, PersonaId, Tier, TurnId};
use crate::ports::Step;

/// Calls to an agent's callback URL. Implementations MUST apply the callback rules of
/// docs/rules.md#callback-urls at connect time (resolve, refuse non-public addresses unless
/// allowed, pin the checked address), bound time and response size, and follow no redirects.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CallbackClient: Send + Sync {
    /// POSTs `{"challenge": nonce}` and returns the `echo` the agent answered.
    async fn challenge(&self, url: &str, nonce: &str) -> Result<String, ProviderError>;
    /// POSTs a signed notification body; any 2xx is delivered.
    async fn deliver(
        &self,
        url: &str,
        body: Vec<u8>,
        signature: String,
    ) -> Result<(), ProviderError>;
}

/// The durable notification outbox and the public notifications board.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues one notification per active, callback-bearing endpoint of each persona (its
    /// own endpoints and its owner's); returns how many were queued.
    async fn enqueue(
        &self,
        personas: Vec<PersonaId>,
        kind: &'static str,
        payload: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError>;
    /// Posts a venue line on `board`; `couple` names the couple the line is about, so an
    /// erasure finds it by id (docs/erasure.md).
    async fn post_board(
        &self,
        board: String,
        handle: String,
        body: String,
        couple: Option<CoupleId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Claims due notifications for delivery (docs/notifications.md): at most `req.limit`,
    /// at most `req.per_endpoint` in flight per endpoint (1 while the endpoint is failing),
    /// none for a paused endpoint, each under a fresh claim token leased until
    /// `req.lease_until`. Claims are serialised across instances, and a notification
    /// whose lease has not run out is never claimed again.
    async fn claim_due(
        &self,
        req: ClaimRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Marks a claimed notification delivered and resets its endpoint's failure count.
    /// Returns false (and changes nothing) when `claim` no longer holds the notification.
    async fn mark_delivered(&self, claim: Claim, at: OffsetDateTime) -> Result<bool, StoreError>;
    /// Reschedules a claimed notification after a failed attempt, and pauses its endpoint
    /// (never shortening a pause already recorded). False when `claim` no longer holds it.
    async fn mark_retry(
        &self,
        claim: Claim,
        attempts: i32,
        next: OffsetDateTime,
        error: String,
        pause: EndpointPause,
    ) -> Result<bool, StoreError>;
    /// Gives a claimed notification up after its last attempt, and pauses its endpoint.
    /// False when `claim` no longer holds it.
    async fn mark_failed(
        &self,
        claim: Claim,
        attempts: i32,
        error: String,
        at: OffsetDateTime,
        pause: EndpointPause,
    ) -> Result<bool, StoreError>;
    /// Gives a claim back unattempted (too little of its lease was left to start a POST).
    /// False when `claim` no longer holds it.
    async fn release(&self, claim: Claim) -> Result<bool, StoreError>;
    /// Stores each event in its recipient owner's feed under a fresh id (added to the body
    /// as `id`) and queues one notification with that same body per active,
    /// callback-bearing endpoint of the owner, in one transaction. Ids are assigned in
    /// commit order, so a feed read with `id > since` never skips an event committed
    /// later. Events for ownerless personas are dropped. Returns the notifications queued.
    async fn publish(&self, events: Vec<NewEvent>, at: OffsetDateTime)
    -> Result<usize, StoreError>;
    /// `owner`'s stored event bodies with `id > since`, oldest first, at most `limit`.
    async fn owner_events(
        &self,
        owner: OwnerId,
        since: i64,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>, StoreError>;
}

/// Whose feed an event goes to: a persona's owner, or an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The persona's owner (an ownerless persona gets nothing: it cannot court).
    Persona(PersonaId),
    /// The owner directly.
    Owner(OwnerId),
}

/// Every event kind the venue sends (docs/notifications.md "Events").
pub mod kinds {
    /// A beat paired the owner's persona (step 7 of docs/rules.md#the-beat): to each member's
    /// owner, with the partner's handle and public profile, the fit and the gambit.
    pub const COUPLE_FORMED: &str = "couple.formed";
    /// A courtship turn was published: to the partner's owner, not the author's.
    pub const TURN_PUBLISHED: &str = "turn.published";
    /// A couple ended, by either side or by an erasure: to both owners (`{"coupleId"}`).
    pub const COUPLE_ENDED: &str = "couple.ended";
    /// Both owners consented to an introduction and the couple is `committed`.
    pub const INTRO_READY: &str = "intro.ready";
    /// The operator brokered the committed couple's introduction.
    pub const INTRO_BROKERED: &str = "intro.brokered";
    /// A beat admitted a `pending` persona into a freed or raised cap slot.
    pub const PERSONA_ADMITTED: &str = "persona.admitted";
    /// A beat screened a held persona again and the chaperone denied it (with the reason).
    pub const PERSONA_DENIED: &str = "persona.denied";
    /// An approved identity result made the owner `identity_verified`.
    pub const IDENTITY_VERIFIED: &str = "identity.verified";
    /// The couple passes the reveal gate (both verified, both consented, committed): each side
    /// may now read the other's `contactRef` (docs/rules.md#couples-tiers-and-reveal).
    pub const REVEAL_READY: &str = "reveal.ready";
    /// The owner's human claimed its invite with a verified sign-in (tier `profile_claimed`).
    pub const INVITE_CLAIMED: &str = "invite.claimed";
}

/// What happened, as the venue tells an owner's agents: one variant per event kind
/// ([`kinds`]), with the ids, the public text and the next steps the body
/// carries. [`EventWording`] turns it into the stored (and delivered) body.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `couple.formed`: to one member's owner, about its partner.
    CoupleFormed {
        /// The couple that just formed.
        couple: CoupleId,
        /// The member's own persona.
        persona: PersonaId,
        /// The partner's public handle.
        partner: String,
        /// The partner's public profile.
        partner_profile: String,
        /// The pair's similarity (`None`: paired by adjacency).
        fit: Option<f32>,
        /// The opening turn, as published.
        gambit: String,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `turn.published`: to the partner of a turn's author.
    TurnPublished {
        /// The couple.
        couple: CoupleId,
        /// The recipient's persona.
        persona: PersonaId,
        /// The published turn.
        turn: TurnId,
        /// The author's handle.
        author: String,
        /// The turn's text.
        body: String,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `couple.ended`: to both members' owners.
    CoupleEnded {
        /// The couple.
        couple: CoupleId,
        /// What to do next (none: the body has no next steps).
        steps: Vec<Step>,
    },
    /// `intro.ready`: both owners consented; the couple is committed.
    IntroReady {
        /// The couple.
        couple: CoupleId,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `intro.brokered`: the operator brokered the couple's introduction.
    IntroBrokered {
        /// The couple.
        couple: CoupleId,
    },
    /// `persona.admitted`: a beat admitted a pending persona.
    PersonaAdmitted {
        /// The persona.
        persona: PersonaId,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `persona.denied`: a beat screened a held persona again and denied it.
    PersonaDenied {
        /// The persona.
        persona: PersonaId,
        /// Its handle.
        handle: String,
        /// The chaperone's reason.
        reason: String,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `identity.verified`: the owner is identity-verified.
    IdentityVerified {
        /// The owner.
        owner: OwnerId,
        /// Its tier now.
        tier: Tier,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `reveal.ready`: the couple passes the reveal gate.
    RevealReady {
        /// The couple.
        couple: CoupleId,
        /// The recipient's persona.
        persona: PersonaId,
        /// What to do next.
        steps: Vec<Step>,
    },
    /// `invite.claimed`: the owner's human claimed its invite.
    InviteClaimed {
        /// The owner.
        owner: OwnerId,
        /// Its tier now.
        tier: Tier,
        /// Whether an identity session was started (`started`, `not_started`,
        /// `already_verified`).
        identity_check: &'static str,
        /// What to do next.
        steps: Vec<Step>,
    },
}

impl Event {
    /// The event's type as agents see it ([`kinds`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CoupleFormed { .. } => kinds::COUPLE_FORMED,
            Event::TurnPublished { .. } => kinds::TURN_PUBLISHED,
            Event::CoupleEnded { .. } => kinds::COUPLE_ENDED,
            Event::IntroReady { .. } => kinds::INTRO_READY,
            Event::IntroBrokered { .. } => kinds::INTRO_BROKERED,
            Event::PersonaAdmitted { .. } => kinds::PERSONA_ADMITTED,
            Event::PersonaDenied { .. } => kinds::PERSONA_DENIED,
            Event::IdentityVerified { .. } => kinds::IDENTITY_VERIFIED,
            Event::RevealReady { .. } => kinds::REVEAL_READY,
            Event::InviteClaimed { .. } => kinds::INVITE_CLAIMED,
        }
    }
}

/// Words an [`Event`] as the body owners' agents receive and poll, but its `id` (the store
/// adds that when it stores the event). The adapter is `ishtar-wire`'s `JsonEvents`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventWording: Send + Sync {
    /// The body of `event`, created at `at`.
    fn body(&self, event: &Event, at: OffsetDateTime) -> serde_json::Value;
}

/// The plainest [`EventWording`]: the event's `type`, nothing else. The wording of a
/// [`Notifier`](crate::notify::Notifier) built without one — the use cases' unit tests,
/// which check the typed [`Event`] itself; the venue words its events with `ishtar-wire`'s
/// `JsonEvents`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypeOnly;

impl EventWording for TypeOnly {
    fn body(&self, event: &Event, _at: OffsetDateTime) -> serde_json::Value {
        serde_json::json!({ "type": event.kind() })
    }
}

/// One event for one owner's feed (and its callback endpoints).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Whose feed receives it.
    pub to: Recipient,
    /// The event's type as agents see it (e.g. `couple.formed`, `turn.published`).
    pub kind: &'static str,
    /// The body but its `id` ([`EventWording::body`]).
    pub body: serde_json::Value,
    /// The other owner whose words the body quotes (a partner's profile, a turn's author):
    /// erasing that owner deletes the event (docs/erasure.md).
    pub about: Option<OwnerId>,
}

/// One claim of one notification: only the holder of `token` may mark it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The notification.
    pub id: i64,
    /// Unique to this claim; a later claim of the same notification gets another.
    pub token: i64,
}

/// A notification claimed for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The claim this delivery holds; marking it delivered or failed needs its token.
    pub claim: Claim,
    /// Until when the claim is ours; after that another instance may claim it again.
    pub claimed_until: OffsetDateTime,
    /// The agent endpoint it goes to.
    pub endpoint_id: i64,
    /// The endpoint's consecutive failed deliveries when this was claimed.
    pub endpoint_failures: i32,
    /// The endpoint's callback URL, POSTed under the callback URL rules
    /// (docs/rules.md#callback-urls).
    pub url: String,
    /// The endpoint's callback secret, decrypted, that the payload is signed with.
    pub secret: Vec<u8>,
    /// The JSON body to POST.
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: i32,
}

/// What [`Outbox::claim_due`] may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The most notifications claimed by this call.
    pub limit: u32,
    /// The most notifications in flight to one endpoint, counting live claims of any
    /// instance (a failing endpoint gets 1: a probe).
    pub per_endpoint: u32,
    /// The claims' lease.
    pub lease_until: OffsetDateTime,
}

/// A failing endpoint's pause, recorded with each failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointPause {
    /// Consecutive failures, this one included.
    pub failures: i32,
    /// Nothing is sent to the endpoint before this.
    pub until: OffsetDateTime,
}
