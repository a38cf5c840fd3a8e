//! Couples and their courtship (use case `crate::courtship`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{
    CoupleId, CoupleState, CoupleView, NewTurn, OwnerId, OwnerOverview, PersonaId, TurnId,
    TurnStatus,
};

/// Couples and their courtship.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CoupleStore: Send + Sync {
    /// The couple with both members; `None` when no couple has that id.
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
    ) -> Result<Option<CoupleFacts>, StoreError>;
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
    ) -> Result<Vec<CoupleTurn>, StoreError>;
}

/// A turn as a member of its couple sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleTurn {
    /// The turn's id (the `since` cursor of [`CoupleStore::couple_turns`]).
    pub id: TurnId,
    /// The author's handle at the time, or `matchmaker`.
    pub author: String,
    /// `None` for the matchmaker (and for an author since erased).
    pub author_persona: Option<PersonaId>,
    /// The text as cleaned (the viewer's own held or blocked turns included).
    pub body: String,
    /// `published`, or `held` / `blocked` for the viewer's own turns.
    pub status: TurnStatus,
    /// The chaperone's reason (`allowed` for a published turn).
    pub reason: String,
    /// When it was written.
    pub created_at: time::OffsetDateTime,
}

/// A dating-doc version as the store reads it for a partner's profile: the version and
/// its `heart` (never the contact pointer).
#[derive(Debug, Clone, PartialEq)]
pub struct DocHeart {
    /// The dating-doc version number (1-based, per owner).
    pub version: i32,
    /// The doc's free-form `heart`.
    pub heart: serde_json::Value,
}

/// What the store adds to a [`crate::model::CoupleView`] for `GET /api/couples/:id`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoupleFacts {
    /// The matchmaker's cosine similarity (`None` for an adjacency pair).
    pub similarity: Option<f32>,
    /// When the beat formed the couple.
    pub created_at: time::OffsetDateTime,
    /// The owners who consented to the introduction.
    pub consented: Vec<OwnerId>,
    /// The newest turn the viewer may see.
    pub last_turn: Option<CoupleTurn>,
    /// The partner owner's latest allowed dating-doc version.
    pub partner_doc: Option<DocHeart>,
    /// The partner persona's own heart, while it is admitted.
    pub partner_heart: Option<serde_json::Value>,
}
