//! Personas: the admission door ([`PersonaStore`]) and the lifecycle — edit, withdraw,
//! resubmit ([`PersonaLifecycleStore`]; use case `crate::personas`).

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{CapOutcome, NewPersona, OwnerId, PersonaId, PersonaStatus};
use crate::ports::{ChaperoneEntry, EndedCouple};

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

/// A stored persona, as the lifecycle reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaRecord {
    /// The persona.
    pub id: PersonaId,
    /// `None` for an erased owner's tombstone.
    pub owner: Option<OwnerId>,
    /// Its public handle (unique; a revision never changes it).
    pub handle: String,
    /// The model name its agent declared (free text, sanitised).
    pub model: String,
    /// Its heart as stored: a JSON object, or a string.
    pub heart: Value,
    /// A red-team persona, matched only with other red-team personas.
    pub redteam: bool,
    /// Where its human lives (wire name of [`HomeMarket`](crate::model::HomeMarket)).
    pub home_market: String,
    /// Where it dates (wire name of [`ActiveMarket`](crate::model::ActiveMarket)).
    pub active_market: String,
    /// Where it stands at the admission door.
    pub status: PersonaStatus,
}

/// What a revision does with the persona's cap place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// An admitted persona keeps its place.
    Keep,
    /// An admitted persona gives its place back.
    Free,
    /// A pending persona takes a free place if there is one (and is then admitted).
    Take,
    /// No place is held or asked for.
    None,
}

/// A persona's new text and settings, screened (allowed or held: a denied revision never
/// reaches the store).
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The persona being revised.
    pub id: PersonaId,
    /// The owner asking; the revision applies only to a persona of this owner.
    pub owner: OwnerId,
    /// The statuses the persona may be in for the revision to apply.
    pub from: Vec<PersonaStatus>,
    /// The new model, heart and markets. Its handle is not written: a persona keeps its own.
    pub persona: NewPersona,
    /// The chaperone allowed the text (else it held it).
    pub allowed: bool,
    /// The persona's reason when it is not admitted (the verdict's).
    pub reason: String,
    /// The chaperone's log line, targeting the persona; `None` when the text was not
    /// screened again (unchanged).
    pub log: Option<ChaperoneEntry>,
    /// The venue's cap (setting `cap`), for a [`Slot::Take`].
    pub cap: u32,
    /// When the revision is written (its `updated_at`, the log line's time).
    pub at: OffsetDateTime,
}

/// What a withdrawal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    /// The persona's status before (`retired` when it was withdrawn already).
    pub was: PersonaStatus,
    /// The couples it ended, each with the other side's persona.
    pub ended: Vec<EndedCouple>,
}

/// Where the lifecycle reads and writes personas. Each method is one transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PersonaLifecycleStore: Send + Sync {
    /// The persona with this id.
    async fn persona(&self, id: PersonaId) -> Result<Option<PersonaRecord>, StoreError>;

    /// The persona whose handle equals `handle` regardless of case (as the handle's unique
    /// index compares them).
    async fn persona_by_handle(&self, handle: String) -> Result<Option<PersonaRecord>, StoreError>;

    /// Applies `rev` if the persona is still `rev.owner`'s and in one of `rev.from` (read
    /// under its row lock): its new text and settings, the status and cap place of
    /// [`revised`](crate::personas::revised), and the log line. The `capacity` row is
    /// locked after the persona's, and a place is taken only while `admitted < rev.cap`.
    /// Returns the status stored, `None` when nothing was revised.
    async fn revise(&self, rev: Revision) -> Result<Option<PersonaStatus>, StoreError>;

    /// Retires `owner`'s persona `id`: ends its `courting` and `committed` couples (ended
    /// by `owner`), sets it `retired`, and frees its cap place if it held one, all at once.
    /// A retired persona is left as it is. `None` when `owner` has no persona `id`.
    async fn retire(
        &self,
        id: PersonaId,
        owner: OwnerId,
        at: OffsetDateTime,
    ) -> Result<Option<Retired>, StoreError>;
}
