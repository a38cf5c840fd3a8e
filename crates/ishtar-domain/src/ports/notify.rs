//! Notifications: the durable outbox and owners' feeds ([`Outbox`]), and calls to agents'
//! callback URLs ([`CallbackClient`]). Use case `crate::notify`; adapters
//! `ishtar-store-postgres` and `ishtar-callbacks`.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{ProviderError, StoreError};
use crate::model::{CoupleId, OwnerId, PersonaId};

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

/// One event for one owner's feed (and its callback endpoints).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Whose feed receives it.
    pub to: Recipient,
    /// The event's type as agents see it (e.g. `couple.formed`, `turn.published`).
    pub kind: &'static str,
    /// The body but its `id` ([`event_body`](crate::notify::event_body)).
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
