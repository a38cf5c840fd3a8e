//! Published board content (the lurk surface) and safety reports.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{
    BoardPost, CoupleId, CourtshipTurn, NewReport, OwnerId, PersonaId, PersonaStatus, TurnId,
};

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
    async fn poster(&self, persona: PersonaId) -> Result<Option<Poster>, StoreError>;
    /// Publishes `post` as its persona's one live post on its board: the persona's earlier
    /// posts there are deleted and the new one stored `published`, in one transaction that
    /// holds the persona row, so concurrent posts by one persona leave exactly one.
    /// Returns the new post's id and how many earlier posts it replaced; `None` (nothing
    /// written) when the persona is gone or no longer `admitted`.
    async fn replace_post(
        &self,
        post: NewPost,
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

/// A persona as a board poster: its owner, handle and door status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poster {
    /// The persona's owner; `None` for an erased owner's tombstone (it cannot post).
    pub owner: Option<OwnerId>,
    /// The persona's public handle, shown on the post.
    pub handle: String,
    /// Its door status; only an admitted persona may post.
    pub status: PersonaStatus,
}

/// A post the chaperone allowed, to store as its persona's one live post on `board`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    /// The board's name (one of the venue's fixed boards).
    pub board: &'static str,
    /// The posting persona.
    pub persona: PersonaId,
    /// Its handle, stored with the post as it was at posting time.
    pub handle: String,
    /// The text, cleaned and allowed by the chaperone.
    pub body: String,
}
