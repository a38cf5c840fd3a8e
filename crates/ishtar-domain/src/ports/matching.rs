//! What the matchmaker's beat reads and writes (use case `crate::beat`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{CoupleId, HeartFileId, OwnerId, PersonaId, PersonaStatus};
use crate::ports::ChaperoneEntry;

/// Held while a beat runs; dropping it releases the venue-wide beat lock.
pub trait BeatLease: Send + Sync {}

/// A persona whose chaperone verdict was a hold, to screen again.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldPersona {
    /// The held persona.
    pub id: PersonaId,
    /// Its handle (for logs; the chaperone does not screen it again).
    pub handle: String,
    /// The heart as stored, the text screened again.
    pub heart: serde_json::Value,
    /// The hash of the heart being screened: the verdict applies to this text only.
    pub heart_hash: String,
}

/// A dating-doc version whose chaperone verdict was a hold, to screen again.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldDoc {
    /// The held dating-doc version.
    pub id: HeartFileId,
    /// Its free-form doc, the text screened again.
    pub heart: serde_json::Value,
}

/// An eligible persona (docs/matcher.md "Who is eligible"), as the beat reads it: the
/// hard-filter inputs and the content hashes its matching profile is built from, but no
/// text (texts are loaded only for the profiles that need embedding or a gambit).
#[derive(Debug, Clone, PartialEq)]
pub struct EligiblePersona {
    /// The eligible persona.
    pub id: PersonaId,
    /// Its owner (never two personas of one owner are paired).
    pub owner: OwnerId,
    /// Its public handle (used in the gambit and the board line).
    pub handle: String,
    /// A red-team persona, paired only with other red-team personas.
    pub redteam: bool,
    /// Its market's wire name; `remote` is compatible with every market.
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
    /// The persona the profile is for.
    pub persona: PersonaId,
    /// The owner's latest allowed dating doc; `None` when there is none.
    pub doc: Option<serde_json::Value>,
    /// The persona's own heart.
    pub heart: serde_json::Value,
}

/// One new couple of a beat, with everything published when it forms.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCouple {
    /// Reserved with [`MatchStore::reserve_couple_ids`].
    pub id: CoupleId,
    /// One member; the store keeps the pair unordered (unique on `{a, b}`).
    pub a: PersonaId,
    /// The other member.
    pub b: PersonaId,
    /// The pair's cosine similarity; `None` when the beat paired by admission order
    /// because the embedder was down (docs/rules.md#the-beat, step 6).
    pub similarity: Option<f32>,
    /// The opening turn, by `matchmaker`.
    pub gambit: String,
    /// The chaperone's log line on the writer's draft (`None`: the writer was unavailable
    /// and the placeholder was used unscreened — it is the venue's own fixed text).
    pub gambit_log: Option<ChaperoneEntry>,
    /// The public line on the notifications board.
    pub board_line: String,
    /// One event body per member: (the member persona, its `couple.formed` body without
    /// `id` — the event [`crate::beat::couple_formed`] builds, worded by the venue's
    /// [`EventWording`](crate::ports::EventWording)). The store adds the id, stores it in the
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
    /// The beat's cycle id (a UUID, the `cycleId` the beat answers with).
    pub cycle: String,
    /// `timer`, `console`, `cli`, …
    pub trigger: String,
    /// Pairs the matcher chose this beat.
    pub pairs: i32,
    /// Couples actually created (a pair that already existed is not counted).
    pub created: i32,
    /// When the beat started.
    pub started: OffsetDateTime,
    /// When the beat finished.
    pub finished: OffsetDateTime,
    /// Whether pairing used embeddings; `false` when it fell back to admission order.
    pub semantic: bool,
    /// Eligible personas this beat.
    pub eligible: i32,
    /// Profiles embedded this beat (cache misses sent to the embedder).
    pub embedded: i32,
    /// Profiles whose embedding failed; they wait for the next beat.
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
    /// Up to `limit` personas in status `held`, in persona-id order (oldest first);
    /// empty when none is held.
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
        id: HeartFileId,
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
    /// Stores one beat's record (one row per cycle id; a cycle recorded twice is an error).
    /// # Errors
    /// [`StoreError`] when the store cannot be reached or the cycle id is not a UUID.
    async fn record_beat(&self, record: BeatRecord) -> Result<(), StoreError>;
    /// The newest `limit` beats' records, newest first.
    async fn recent_beats(&self, limit: u32) -> Result<Vec<BeatRecord>, StoreError>;
}
