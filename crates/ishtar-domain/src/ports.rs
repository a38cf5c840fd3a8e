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
    BoardPost, CapOutcome, CourtshipTurn, Endpoint, EndpointId, HeartFileSaved, LatestHeart,
    NewEndpoint, NewHeartFile, NewPersona, NewReport, OwnerId, PersonaId, PersonaStatus,
};

/// Owners and their versioned dating docs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OwnerStore: Send + Sync {
    /// Creates an owner (tier `agent_represented`) holding `token_hash`, with `heart` as
    /// version 1. One transaction.
    async fn create_owner(
        &self,
        token_hash: Vec<u8>,
        heart: NewHeartFile,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError>;

    /// Adds the next version of `owner`'s dating doc. MUST number versions without gaps or
    /// duplicates under concurrent calls.
    /// # Errors
    /// [`StoreError::NotFound`] when the owner does not exist.
    async fn add_heart_version(
        &self,
        owner: OwnerId,
        heart: NewHeartFile,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError>;

    /// The owner whose token hashes to `token_hash`, if any.
    async fn owner_by_token(&self, token_hash: Vec<u8>) -> Result<Option<OwnerId>, StoreError>;

    /// The owner's latest dating doc, if the owner exists.
    async fn latest_heart(&self, owner: OwnerId) -> Result<Option<LatestHeart>, StoreError>;
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
    /// Stores a persona with its status after the chaperone (`pending`, `held` or `denied`)
    /// and the chaperone's reason.
    /// # Errors
    /// [`StoreError::Conflict`]`("handle")` when the handle is taken (case-insensitive).
    async fn insert_persona(
        &self,
        persona: NewPersona,
        status: PersonaStatus,
        reason: String,
        at: OffsetDateTime,
    ) -> Result<PersonaId, StoreError>;

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
    /// The newest `limit` published courtship turns, newest first.
    async fn courtship_turns(&self, limit: u32) -> Result<Vec<CourtshipTurn>, StoreError>;
    /// The newest `limit` published posts of `board`, newest first.
    async fn board_posts(&self, board: String, limit: u32) -> Result<Vec<BoardPost>, StoreError>;
}

/// Safety reports.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn file_report(&self, report: NewReport, at: OffsetDateTime) -> Result<(), StoreError>;
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
/// design.md §5 at connect time (resolve, refuse non-public addresses unless allowed, pin
/// the checked address), bound time and response size, and follow no redirects.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CallbackClient: Send + Sync {
    /// POSTs `{"challenge": nonce}` and returns the `echo` the agent answered.
    async fn challenge(&self, url: &str, nonce: &str) -> Result<String, ProviderError>;
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
