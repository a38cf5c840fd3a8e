//! Port traits: what the domain needs from the outside world.
//!
//! Store methods are coarse and named after business operations, so each adapter method
//! can be one transaction. Signatures use domain types and domain errors only.
//! Mocks (`Mock*`) are generated for tests and for other crates' tests (feature `mocks`).

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::chaperone::ChaperoneEntry;
use crate::error::{ProviderError, StoreError};
use crate::model::{
    BoardPost, CapOutcome, CoupleId, CoupleState, CoupleView, CourtshipTurn, Endpoint, EndpointId,
    HeartFileSaved, LatestHeart, NewEndpoint, NewHeartFile, NewPersona, NewReport, NewTurn,
    OwnerId, OwnerOverview, PersonaId, PersonaStatus, TurnId,
};
use crate::notify::{Claim, ClaimRequest, Delivery, EndpointPause};

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

/// Agent endpoints and their proofs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Registers a `pending` endpoint with its challenge nonce.
    async fn register_endpoint(
        &self,
        endpoint: NewEndpoint,
        at: OffsetDateTime,
    ) -> Result<EndpointId, StoreError>;

    /// Reads an endpoint.
    async fn endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError>;

    /// Marks an endpoint `active`, recording how (`signature` or `callback`).
    async fn activate_endpoint(
        &self,
        id: EndpointId,
        via: &'static str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}

/// Personas at the admission door.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PersonaStore: Send + Sync {
    /// Stores a persona at the door, in one transaction with its chaperone log line.
    ///
    /// `status` is the chaperone's (`pending`, `held` or `denied`); the persona's reason
    /// and creation time are `log.reason` and `log.at`, and `log.target_id` becomes the new
    /// persona's id. With `cap` (given only for a `pending` persona) it also takes a cap
    /// slot if one is free and stores the persona `admitted`: atomic like
    /// [`PersonaStore::admit_within_cap`], and a refused write takes no slot.
    /// Returns the id and the status stored.
    /// # Errors
    /// [`StoreError::Conflict`]`("handle")` when the handle is taken (case-insensitive).
    async fn insert_persona(
        &self,
        persona: NewPersona,
        status: PersonaStatus,
        log: ChaperoneEntry,
        cap: Option<u32>,
    ) -> Result<(PersonaId, PersonaStatus), StoreError>;

    /// Takes a cap slot for a `pending` persona if one is free.
    /// MUST be atomic: concurrent callers never admit more than `cap` personas in all.
    /// An already admitted persona answers `Admitted` without taking a second slot.
    async fn admit_within_cap(
        &self,
        id: PersonaId,
        cap: u32,
        at: OffsetDateTime,
    ) -> Result<CapOutcome, StoreError>;

    /// `None` when the persona does not exist; `Some(owner)` otherwise.
    async fn persona_owner(&self, id: PersonaId) -> Result<Option<Option<OwnerId>>, StoreError>;
}

/// Published board content (the lurk surface).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BoardStore: Send + Sync {
    /// The newest `limit` published courtship turns with an id below `before` (all, when
    /// `None`), of `couple` only when given; newest (highest id) first.
    async fn courtship_turns(
        &self,
        couple: Option<CoupleId>,
        before: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<CourtshipTurn>, StoreError>;
    /// The newest `limit` published posts of `board` with an id below `before`, newest
    /// (highest id) first.
    async fn board_posts(
        &self,
        board: String,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<BoardPost>, StoreError>;
    /// The persona as a board poster sees it; `None` when it does not exist.
    async fn poster(&self, persona: PersonaId)
    -> Result<Option<crate::boards::Poster>, StoreError>;
    /// Publishes `post` as its persona's one live post on its board: the persona's earlier
    /// posts there are deleted and the new one stored `published`, in one transaction that
    /// holds the persona row, so concurrent posts by one persona leave exactly one.
    /// Returns the new post's id and how many earlier posts it replaced; `None` (nothing
    /// written) when the persona is gone or no longer `admitted`.
    async fn replace_post(
        &self,
        post: crate::boards::NewPost,
        at: OffsetDateTime,
    ) -> Result<Option<(i64, u64)>, StoreError>;
}

/// Safety reports.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores the report if its target exists (any status); `false`, storing nothing,
    /// when there is no such persona, post, turn or couple.
    async fn file_report(&self, report: NewReport, at: OffsetDateTime) -> Result<bool, StoreError>;
}

/// Raw live settings (validated by the domain before they are written).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn all(&self) -> Result<Vec<(String, String)>, StoreError>;
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// The chaperone's log: verdicts, never text.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChaperoneLog: Send + Sync {
    async fn record(&self, entry: ChaperoneEntry) -> Result<(), StoreError>;
}

/// Daily counts of geo denials (no addresses, no request data).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GeoLog: Send + Sync {
    async fn count_denial(&self, day: Date, country: String) -> Result<(), StoreError>;
}

/// A real round-trip to the store, for `/health`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;
}

/// What a safety classifier said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardVerdict {
    Safe,
    /// Unsafe, with the classifier's category codes (e.g. `S1`).
    Unsafe(Vec<String>),
    /// Not sure either way, with the categories it leaned to: the chaperone holds the item
    /// for review (never an allow).
    Unsure(Vec<String>),
}

/// A safety classifier. Implementations MUST bound their own time (a hung classifier is an
/// error, and the chaperone turns every error into a hold).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Guard: Send + Sync {
    async fn classify(&self, text: &str) -> Result<GuardVerdict, ProviderError>;
}

/// Ethereum signature checks (EIP-191 `personal_sign`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ProofVerifier: Send + Sync {
    /// The address (lower-case `0x` hex) of a registered key: an address, or a secp256k1
    /// public key (compressed, uncompressed, or raw 64 bytes).
    /// # Errors
    /// A short message saying why the key is not usable.
    fn key_address(&self, public_key: &str) -> Result<String, String>;

    /// The address (lower-case `0x` hex) that signed `message` with `personal_sign`.
    /// # Errors
    /// A short message saying why the signature is not usable.
    fn recover_personal_sign(&self, message: &str, signature: &str) -> Result<String, String>;
}

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

/// Couples and their courtship.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CoupleStore: Send + Sync {
    async fn couple(&self, id: CoupleId) -> Result<Option<CoupleView>, StoreError>;
    /// True when the owner has at least one verified (active) agent endpoint.
    async fn has_active_endpoint(&self, owner: OwnerId) -> Result<bool, StoreError>;
    /// Stores a turn. Its id MUST be taken while the couple's row is locked, so a couple's
    /// turn ids are committed in order ([`CoupleStore::couple_turns`]).
    async fn insert_turn(&self, turn: NewTurn, at: OffsetDateTime) -> Result<TurnId, StoreError>;
    /// Ends a `courting` couple; returns the state the couple is in afterwards (a couple in
    /// another state is left as it is).
    async fn end_couple(
        &self,
        id: CoupleId,
        by: OwnerId,
        at: OffsetDateTime,
    ) -> Result<CoupleState, StoreError>;
    /// Everything `GET /api/owners/me` shows; `None` when the owner does not exist.
    async fn owner_overview(&self, owner: OwnerId) -> Result<Option<OwnerOverview>, StoreError>;
    /// What `GET /api/couples/:id` adds to [`CoupleStore::couple`], read for `viewer` (a
    /// member persona): fit, creation time, the owners who consented, the newest turn
    /// `viewer` may see, and `partner`'s public texts — the persona's heart while it is
    /// admitted, and its owner's latest *allowed* dating-doc version (`heart` only: never
    /// the contact pointer). `None` when the couple does not exist.
    async fn couple_facts(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        partner: PersonaId,
    ) -> Result<Option<crate::courtship::CoupleFacts>, StoreError>;
    /// Turns of `couple` with an id above `since`, oldest first, at most `limit`: the
    /// published ones and `viewer`'s own in any status. MUST see every turn of the couple
    /// with a lower id than the last it returns (turn ids are taken under the couple's row
    /// lock, [`CoupleStore::insert_turn`]), so a `since` cursor never skips one.
    async fn couple_turns(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        since: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<crate::courtship::CoupleTurn>, StoreError>;
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
    async fn publish(
        &self,
        events: Vec<crate::notify::NewEvent>,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError>;
    /// `owner`'s stored event bodies with `id > since`, oldest first, at most `limit`.
    async fn owner_events(
        &self,
        owner: OwnerId,
        since: i64,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>, StoreError>;
}

/// Where one of an owner's personas stands for matching, as `GET /api/owners/me` explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaStanding {
    pub persona: PersonaId,
    /// When it took a cap slot (`None`: not admitted).
    pub admitted_at: Option<OffsetDateTime>,
    /// In a `courting`, `committed` or `brokered` couple.
    pub in_couple: bool,
    /// Another owner's admitted, unpaired persona with a verified endpoint shares its
    /// active market (or either is `remote`), red-team with red-team: someone it could be
    /// paired with, before the hard filters and fit.
    pub others_in_market: bool,
}

/// What the next-step guide reads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GuideStore: Send + Sync {
    /// Each of the owner's personas' standing, in persona-id order.
    async fn persona_standing(&self, owner: OwnerId) -> Result<Vec<PersonaStanding>, StoreError>;
}

/// The time, as a port so rules are deterministic in tests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// Randomness, as a port so tests can fix it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Ids: Send + Sync {
    /// 32 bytes from a cryptographically secure generator.
    fn secret_bytes(&self) -> [u8; 32];
    /// A fresh random UUID, hyphenated.
    fn uuid(&self) -> String;
}

/// A boxed future, as [`Offload`] returns.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Runs long work away from the workers that answer requests: a whole beat on the
/// background runtime, and its CPU-heavy parts (the matcher's kNN, at scale seconds of it)
/// on a blocking pool. The binary's adapter uses the main Tokio runtime and its blocking
/// pool; [`crate::offload::Inline`] runs everything in place. Use [`crate::offload::run`]
/// and [`crate::offload::spawn`].
pub trait Offload: Send + Sync {
    /// Runs `job` to completion on a blocking pool; the future resolves when it is done.
    /// # Errors
    /// The job panicked or could not be started.
    fn run_blocking(
        &self,
        job: Box<dyn FnOnce() + Send + 'static>,
    ) -> BoxFuture<'static, Result<(), ProviderError>>;

    /// Runs `task` to completion on the background runtime (never a request worker); the
    /// returned future resolves when it is done, wherever it is awaited.
    /// # Errors
    /// The task panicked or could not be started.
    fn spawn(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, Result<(), ProviderError>>;
}

// ---------------------------------------------------------------------------------------
// AI ports (issue: matchmaker). Adapters: `ishtar-ai-local` (no network) and
// `ishtar-ai-gateway` (an OpenAI-compatible gateway).

/// A persona as the writer sees it: its public handle and its heart as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaSketch {
    pub handle: String,
    pub heart_text: String,
}

/// Turns texts into unit-length vectors for semantic matching.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model name, part of the embedding cache key (with the heart hash).
    fn model(&self) -> String;
    /// The vectors' dimension.
    fn dimensions(&self) -> usize;
    /// One L2-normalised vector per text, in order. Implementations batch as they need
    /// and MUST bound their time.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProviderError>;
}

/// Writes the venue's prose: a couple's opening gambit and the paid compatibility report.
/// Whatever it writes is chaperoned before it is published or delivered.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Writer: Send + Sync {
    /// An opening intro for a new couple, written by the matchmaker.
    async fn gambit(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError>;
    /// The compatibility report over a couple's two hearts.
    async fn report(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError>;
}

// ---------------------------------------------------------------------------------------
// Payments (issue: x402). Adapter: `ishtar-x402`.

/// What the venue asks to be paid: one `accepts` entry of the x402 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequirement {
    /// `exact`.
    pub scheme: String,
    /// As the challenge shows it (`eip155:8453`); the adapter also accepts the v1 name.
    pub network: String,
    /// Base units of the asset (USDC: 6 decimals; 5.00 → `5000000`).
    pub amount: u64,
    /// The token contract.
    pub asset: String,
    /// The receiving address.
    pub pay_to: String,
    /// The resource path (`/api/premium/compatibility-report`), as the v1 body shows it.
    pub resource: String,
    /// The resource's full URL (the venue's public URL + the path), as v2 shows it.
    pub resource_url: String,
    pub description: String,
    pub max_timeout_seconds: u64,
}

/// The x402 protocol version a payment speaks, told by the header it came in
/// (`X-PAYMENT`: 1, `PAYMENT-SIGNATURE`: 2). The venue answers in the same version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaymentVersion {
    #[default]
    V1,
    V2,
}

/// A payment header as the client sent it: its (base64) value and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentHeader {
    pub version: PaymentVersion,
    pub value: String,
}

/// The 402 challenge in both versions: the v1 JSON body and the v2 `PAYMENT-REQUIRED`
/// header value.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentChallenge {
    pub body: serde_json::Value,
    pub header: String,
}

/// A payment header that passed the local pre-checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPayment {
    /// The version it was sent in; verify and settle speak it to the facilitator.
    pub version: PaymentVersion,
    /// The payer (`authorization.from`), lower-case hex.
    pub payer: String,
    /// The EIP-3009 nonce (32 bytes hex, lower case): one authorization, one use, whichever
    /// version carried it.
    pub nonce: String,
    /// The decoded payment payload, passed on to the facilitator as-is.
    pub payload: serde_json::Value,
}

/// What a settled payment left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub payer: String,
    /// The on-chain transaction hash.
    pub transaction: String,
    pub network: String,
}

/// Why a payment was not accepted. `reason` is what the agent is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The header could not be decoded or failed a local pre-check; nothing was sent.
    #[error("{0}")]
    Invalid(String),
    /// The facilitator said no (its reason).
    #[error("{0}")]
    Refused(String),
    /// The facilitator is unset, unreachable, slow, or answered garbage.
    #[error("{0}")]
    Unavailable(String),
}

/// x402 verification and settlement through a facilitator.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Facilitator: Send + Sync {
    /// Decodes the base64 payment header (in its version) and runs every local pre-check
    /// (scheme, network, asset, payTo, amount, time window, EIP-712 signature) — no network.
    fn precheck(
        &self,
        header: &PaymentHeader,
        requirement: &PaymentRequirement,
        now: OffsetDateTime,
    ) -> Result<CheckedPayment, PaymentError>;
    /// `POST {facilitator}/verify`, in the payment's version.
    async fn verify(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<(), PaymentError>;
    /// `POST {facilitator}/settle`, in the payment's version. MUST NOT be retried by the
    /// adapter (a retry can charge twice); the domain calls it at most once per order.
    async fn settle(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<Settlement, PaymentError>;
    /// The base64 settlement response header value for `version` (`X-PAYMENT-RESPONSE`
    /// for v1, `PAYMENT-RESPONSE` for v2).
    fn response_header(&self, settlement: &Settlement, version: PaymentVersion) -> String;
    /// The 402 challenge for `requirement` and `order_id`, in both versions.
    fn challenge(&self, requirement: &PaymentRequirement, order_id: &str) -> PaymentChallenge;
}

// ---------------------------------------------------------------------------------------
// Identity (issue: escalation). Adapters: `ishtar-privy`, `ishtar-didit`.

/// A verified Privy user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    /// Privy's user id (the token's `sub`, a `did:privy:…`).
    pub user_id: String,
}

/// Verifies a human's sign-in token (Privy access token: ES256 JWT).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuthVerifier: Send + Sync {
    /// # Errors
    /// A short reason (bad signature, expired, wrong audience, unconfigured…).
    async fn verify(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedLogin, String>;
}

/// A started identity-verification session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySession {
    pub session_id: String,
    /// Where the human completes the check.
    pub url: String,
}

/// A verified identity webhook, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityEvent {
    /// `status.updated`, `data.updated`, …
    pub webhook_type: String,
    pub session_id: String,
    /// `Approved`, `Declined`, `In Review`, …
    pub status: String,
    /// What we sent as `vendor_data` when creating the session (our owner reference).
    pub vendor_data: Option<String>,
    /// From the decision, when present: whether the document shows an adult.
    pub age_over_18: Option<bool>,
}

/// Identity and age verification (Didit).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Creates a verification session tied to `vendor_data` (our owner reference).
    /// `ProviderError::Unavailable("unconfigured")` when no API key/workflow is set.
    async fn create_session(&self, vendor_data: String) -> Result<IdentitySession, ProviderError>;

    /// Checks a webhook: HMAC-SHA256 of the exact raw body, timestamp within ±300 s,
    /// constant-time compare, and only then parses the body.
    /// # Errors
    /// A short reason (`missing signature`, `stale timestamp`, `bad signature`, …).
    fn verify_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<String>,
        timestamp: Option<String>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, String>;
}

/// Held while a beat runs; dropping it releases the venue-wide beat lock.
pub trait BeatLease: Send + Sync {}

/// A persona whose chaperone verdict was a hold, to screen again.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldPersona {
    pub id: PersonaId,
    pub handle: String,
    pub heart: serde_json::Value,
    /// The hash of the heart being screened: the verdict applies to this text only.
    pub heart_hash: String,
}

/// A dating-doc version whose chaperone verdict was a hold, to screen again.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldDoc {
    pub id: crate::model::HeartFileId,
    pub heart: serde_json::Value,
}

/// An eligible persona (docs/matcher.md "Who is eligible"), as the beat reads it: the
/// hard-filter inputs and the content hashes its matching profile is built from, but no
/// text (texts are loaded only for the profiles that need embedding or a gambit).
#[derive(Debug, Clone, PartialEq)]
pub struct EligiblePersona {
    pub id: PersonaId,
    pub owner: OwnerId,
    pub handle: String,
    pub redteam: bool,
    pub active_market: String,
    /// The persona's own `heart.prefs`, when it gave some.
    pub own_prefs: Option<serde_json::Value>,
    /// `heart.prefs` of the owner's latest allowed dating-doc version.
    pub doc_prefs: Option<serde_json::Value>,
    /// `heart_hash` of that doc version (`None`: the owner has no allowed version).
    pub doc_hash: Option<String>,
    /// The persona's own heart hash.
    pub heart_hash: String,
}

/// What a persona's matching profile is made of: its owner's latest allowed dating doc and
/// its own heart.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSource {
    pub persona: PersonaId,
    pub doc: Option<serde_json::Value>,
    pub heart: serde_json::Value,
}

/// One new couple of a beat, with everything published when it forms.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCouple {
    /// Reserved with [`MatchStore::reserve_couple_ids`].
    pub id: CoupleId,
    pub a: PersonaId,
    pub b: PersonaId,
    pub similarity: Option<f32>,
    /// The opening turn, by `matchmaker`.
    pub gambit: String,
    /// The chaperone's log line on the writer's draft (`None`: the writer was unavailable
    /// and the placeholder was used unscreened — it is the venue's own fixed text).
    pub gambit_log: Option<ChaperoneEntry>,
    /// The public line on the notifications board.
    pub board_line: String,
    /// One event body per member: (the member persona, its `couple.formed` body without
    /// `id` — [`crate::beat::couple_formed`]). The store adds the id, stores it in the
    /// member owner's feed as quoting the partner's owner, and queues its deliveries.
    pub events: [(PersonaId, serde_json::Value); 2],
}

/// What writing a beat's couples did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BeatWritten {
    /// The couples created (a pair that already existed is skipped with all its rows).
    pub created: Vec<CoupleId>,
    /// Notifications queued.
    pub queued: usize,
    /// Milliseconds spent writing couples, turns, logs and board lines.
    pub couples_ms: u64,
    /// Milliseconds spent queueing the notifications.
    pub notifications_ms: u64,
}

/// What a beat did, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatRecord {
    pub cycle: String,
    /// `timer`, `console`, `cli`, …
    pub trigger: String,
    pub pairs: i32,
    pub created: i32,
    pub started: OffsetDateTime,
    pub finished: OffsetDateTime,
    pub semantic: bool,
    pub eligible: i32,
    pub embedded: i32,
    pub embed_failed: i32,
    /// Eligible personas left out of this beat's pairing for want of a vector.
    pub skipped: i32,
    /// (stage, milliseconds), in the order the stages ran.
    pub stages: Vec<(String, u64)>,
}

/// What the matchmaker's beat reads and writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MatchStore: Send + Sync {
    /// The venue-wide beat lock (a Postgres advisory lock): `None` when another beat,
    /// in this instance or another, holds it.
    async fn try_lock_beat(&self) -> Result<Option<Box<dyn BeatLease>>, StoreError>;
    async fn held_personas(&self, limit: u32) -> Result<Vec<HeldPersona>, StoreError>;
    /// Moves a held persona to `pending` (allowed on a re-check) or `denied`, only while it
    /// is still held with the heart that was screened (`screened_hash`): an edit made while
    /// the guard was asked is screened on its own. Returns whether it moved.
    async fn resolve_held(
        &self,
        id: PersonaId,
        screened_hash: String,
        status: PersonaStatus,
        reason: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Dating-doc versions whose verdict is a hold, oldest first.
    async fn held_docs(&self, limit: u32) -> Result<Vec<HeldDoc>, StoreError>;
    /// Records a held doc version's new verdict (`allowed` or `denied`) with its log line.
    async fn resolve_held_doc(
        &self,
        id: crate::model::HeartFileId,
        allowed: bool,
        log: ChaperoneEntry,
    ) -> Result<(), StoreError>;
    /// Pending personas, oldest first.
    async fn pending_personas(&self, limit: u32) -> Result<Vec<PersonaId>, StoreError>;
    /// The eligible personas (admitted; an owner with a verified agent endpoint; no
    /// couple in `courting`, `committed` or `brokered`), in persona-id order.
    async fn eligible_personas(&self) -> Result<Vec<EligiblePersona>, StoreError>;
    /// The doc and heart of each of `personas` (missing ones are simply absent).
    async fn profile_sources(
        &self,
        personas: Vec<PersonaId>,
    ) -> Result<Vec<ProfileSource>, StoreError>;
    /// Stored vectors for `keys` under `model` (missing ones are simply absent).
    async fn embeddings(
        &self,
        model: String,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Vec<f32>)>, StoreError>;
    /// Stores vectors by (key, model); a key stored before is left as it is.
    async fn save_embeddings(
        &self,
        model: String,
        rows: Vec<(String, Vec<f32>)>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Every pair that was ever a couple, in any state (`a < b`).
    async fn past_pairs(&self) -> Result<Vec<(PersonaId, PersonaId)>, StoreError>;
    /// `n` fresh couple ids (never reused; unused ones leave gaps).
    async fn reserve_couple_ids(&self, n: usize) -> Result<Vec<CoupleId>, StoreError>;
    /// Writes a beat's couples set-wise, in one transaction: each couple whose unordered
    /// pair is new, with its opening turn, its gambit's log line, its board line and its
    /// members' notifications; a pair that exists already is skipped with all of its rows,
    /// so re-running a beat never duplicates anything.
    async fn write_beat(
        &self,
        cycle: String,
        couples: Vec<NewCouple>,
        at: OffsetDateTime,
    ) -> Result<BeatWritten, StoreError>;
    async fn record_beat(&self, record: BeatRecord) -> Result<(), StoreError>;
    /// The newest `limit` beats' records, newest first.
    async fn recent_beats(&self, limit: u32) -> Result<Vec<BeatRecord>, StoreError>;
}

// ---------------------------------------------------------------------------------------
// Escalation (issue 5): intro consent, one-time invites, identity checks, the reveal gate.
// Use case: `escalation.rs`. Adapter: `ishtar-store-postgres` (`escalation.rs`).

/// One owner's place in a couple's reveal flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealSide {
    pub owner: OwnerId,
    pub tier: crate::model::Tier,
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
        owner: OwnerId,
        tier: crate::model::Tier,
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
    pub session_id: String,
    /// The owner named by `vendor_data`, when it is one of ours.
    pub vendor_owner: Option<OwnerId>,
    pub webhook_type: String,
    pub status: String,
    pub age_over_18: Option<bool>,
    pub effect: IdentityEffect,
}

/// What applying an identity update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityApplied {
    /// Applied; the owner's tier afterwards.
    Applied {
        owner: OwnerId,
        tier: crate::model::Tier,
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
    async fn owner_tier(&self, owner: OwnerId) -> Result<Option<crate::model::Tier>, StoreError>;

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

// ---------------------------------------------------------------------------------------
// Operator console, retention and erasure (issue 6). Use cases: `console.rs`,
// `retention.rs`, `erasure.rs`. Adapter: `ishtar-store-postgres` (`console.rs`).

/// What the operator console reads and writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// The counts of `/admin.json` (`day_start` is 00:00 UTC of `day`). A part that cannot
    /// be read is named in `unreadable` and left empty; only an unreachable store fails.
    async fn snapshot(
        &self,
        day_start: OffsetDateTime,
        day: Date,
        recent_events: u32,
        intros: u32,
    ) -> Result<crate::console::SnapshotCounts, StoreError>;

    /// Everything `/admin` shows, with the intros' contact pointers decrypted. One read.
    async fn console(
        &self,
        query: crate::console::ConsoleQuery,
        day_start: OffsetDateTime,
        day: Date,
    ) -> Result<crate::console::ConsoleData, StoreError>;

    /// Appends to the `events` table.
    async fn record_event(
        &self,
        kind: String,
        data: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// When the newest event of `kind` was recorded.
    async fn last_event_at(&self, kind: String) -> Result<Option<OffsetDateTime>, StoreError>;

    /// `committed → brokered` and an `intro_brokered` event, in one transaction.
    async fn broker(
        &self,
        couple: CoupleId,
        at: OffsetDateTime,
    ) -> Result<crate::console::BrokerOutcome, StoreError>;
}

/// The retention purge.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes operational rows older than `cutoff` (see `retention.rs` for the list), in
    /// one transaction. Receipts and the buyback ledger are never touched.
    async fn purge(&self, cutoff: OffsetDateTime) -> Result<crate::retention::Purged, StoreError>;
}

/// The erasure cascade.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Erases `owner` as `erasure.rs` describes, in one transaction, finding every row by
    /// id; `tag` (random) names the tombstone personas. Returns the counts and the couples
    /// it ended (with the partner to tell); `None` when the owner does not exist.
    async fn erase_owner(
        &self,
        owner: OwnerId,
        tag: String,
        at: OffsetDateTime,
    ) -> Result<Option<crate::erasure::ErasedOwner>, StoreError>;
}
