//! What the next-step guide reads (use case `crate::next_steps`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{OwnerId, PersonaId};

/// Where one of an owner's personas stands for matching, as `GET /api/owners/me` explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaStanding {
    /// The owner's persona this standing is about.
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
