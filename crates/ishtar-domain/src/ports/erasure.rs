//! The erasure cascade (use case `crate::erasure`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{CoupleId, OwnerId, PersonaId};

/// How many rows of each kind an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Dating-doc versions (heart files) of the owner.
    pub docs: u64,
    /// The owner's personas, deleted (freeing their cap slots); couples shared with others
    /// are kept as history on a tombstone persona named from the erasure's tag.
    pub personas: u64,
    /// Stored profile vectors keyed by the owner's docs and hearts.
    pub embeddings: u64,
    /// Registered agent endpoints of the owner.
    pub endpoints: u64,
    /// Queued callback deliveries to the owner or to the owner's endpoints.
    pub notifications: u64,
    /// Contact-reveal consents the owner gave.
    pub consents: u64,
    /// Invites minted for the owner.
    pub invites: u64,
    /// Identity checks, their stored webhooks and the owner's sign-in bindings, together.
    pub identity_records: u64,
    /// Unpaid report orders deleted; paid ones stay for accounting, unlinked from the owner
    /// (not counted here).
    pub orders: u64,
    /// Turns they wrote, every status.
    pub turns: u64,
    /// Board posts of their personas.
    pub board_posts: u64,
    /// The matchmaker's gambits and notifications-board lines of their couples.
    pub venue_lines: u64,
    /// Safety reports about removed rows.
    pub reports: u64,
    /// Live couples with another owner, ended (the partner is told).
    pub couples_ended: u64,
    /// Couples between two of their own personas, deleted.
    pub couples_removed: u64,
}

impl Erased {
    /// `(name, count)` for every kind, in a fixed order.
    pub fn as_pairs(&self) -> [(&'static str, u64); 15] {
        [
            ("docs", self.docs),
            ("personas", self.personas),
            ("embeddings", self.embeddings),
            ("endpoints", self.endpoints),
            ("notifications", self.notifications),
            ("consents", self.consents),
            ("invites", self.invites),
            ("identityRecords", self.identity_records),
            ("orders", self.orders),
            ("turns", self.turns),
            ("boardPosts", self.board_posts),
            ("venueLines", self.venue_lines),
            ("reports", self.reports),
            ("couplesEnded", self.couples_ended),
            ("couplesRemoved", self.couples_removed),
        ]
    }

    /// The counts as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.as_pairs()
                .iter()
                .map(|(k, n)| ((*k).to_owned(), serde_json::Value::from(*n)))
                .collect(),
        )
    }
}

/// A couple the erasure ended, and the other side's persona (whose agents are told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedCouple {
    /// The couple moved to `ended`.
    pub couple: CoupleId,
    /// The other owner's persona in it, whose agents get the `couple.ended` notice.
    pub partner: PersonaId,
}

/// What the store did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasedOwner {
    /// How many rows of each kind were removed.
    pub counts: Erased,
    /// Couples with other owners that were ended, one entry per couple.
    pub ended: Vec<EndedCouple>,
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
    ) -> Result<Option<ErasedOwner>, StoreError>;
}
