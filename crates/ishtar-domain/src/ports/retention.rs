//! The retention purge (use case `crate::retention`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;

/// How many rows of each kind a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Rows of the operator's `events` table recorded before the cutoff.
    pub events: u64,
    /// Chaperone log lines (verdicts) older than the cutoff.
    pub chaperone_log: u64,
    /// Daily geo-denial counts of days before the cutoff's UTC day.
    pub geo_denials: u64,
    /// Callback deliveries delivered or given up on before the cutoff (queued ones stay).
    pub notifications: u64,
    /// Unclaimed invites minted before the cutoff (claimed ones stay).
    pub invites: u64,
    /// Unpaid orders created before the cutoff (an order with a receipt stays).
    pub orders: u64,
    /// Beat records that finished before the cutoff.
    pub beats: u64,
    /// Owners' feed events (and any delivery of them still queued).
    pub owner_events: u64,
}

impl Purged {
    /// `(name, count)` for every kind, in a fixed order.
    pub fn as_pairs(&self) -> [(&'static str, u64); 8] {
        [
            ("events", self.events),
            ("chaperoneLog", self.chaperone_log),
            ("geoDenials", self.geo_denials),
            ("notifications", self.notifications),
            ("invites", self.invites),
            ("orders", self.orders),
            ("beats", self.beats),
            ("ownerEvents", self.owner_events),
        ]
    }

    /// All rows the purge deleted, every kind together.
    pub fn total(&self) -> u64 {
        self.as_pairs().iter().map(|(_, n)| n).sum()
    }
}

/// The retention purge.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes operational rows older than `cutoff` (see `retention.rs` for the list), in
    /// one transaction. Receipts and the buyback ledger are never touched.
    async fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, StoreError>;
}
