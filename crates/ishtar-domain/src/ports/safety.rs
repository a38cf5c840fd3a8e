//! Safety: the classifier the chaperone asks ([`Guard`]), the chaperone's log, and the
//! geo gate's daily denial counts.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::error::{ProviderError, StoreError};

/// Where a screened text would be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// A persona's heart at admission, or an owner's dating doc prose.
    Heart,
    /// The matchmaker's opening line for a new couple.
    Gambit,
    /// A courtship turn.
    Turn,
    /// A board post.
    Post,
    /// The prose of the paid compatibility report.
    Report,
}

impl Surface {
    /// The name stored in the chaperone log's `surface` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Heart => "heart",
            Surface::Gambit => "gambit",
            Surface::Turn => "turn",
            Surface::Post => "post",
            Surface::Report => "report",
        }
    }
}

/// One line of the chaperone log: never the text itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaperoneEntry {
    /// Where the text would have been published.
    pub surface: Surface,
    /// What kind of record was screened (`persona`, `heart_file`, `turn`, …).
    pub target_type: &'static str,
    /// The record's id when it already exists; `None` when screened before storing.
    pub target_id: Option<i64>,
    /// `allow`, `hold` or `deny` (docs/rules.md#the-chaperone).
    pub verdict: &'static str,
    /// The verdict's reason (`denylist: <label>`, `pii: <kind>`, …); `allowed` for an allow.
    pub reason: String,
    /// When the verdict was given.
    pub at: OffsetDateTime,
}

/// The chaperone's log: verdicts, never text.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChaperoneLog: Send + Sync {
    /// Appends one line to the chaperone log. Not idempotent: each call adds a row.
    /// # Errors
    /// [`StoreError`] when the store cannot be reached or the insert fails.
    async fn record(&self, entry: ChaperoneEntry) -> Result<(), StoreError>;
}

/// Daily counts of geo denials (no addresses, no request data).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GeoLog: Send + Sync {
    /// Adds one to the denial count of (`day`, `country`), creating the row at 1.
    /// Atomic (an upsert), so concurrent denials are all counted.
    /// # Errors
    /// [`StoreError`] when the store cannot be reached.
    async fn count_denial(&self, day: Date, country: String) -> Result<(), StoreError>;
}

/// What a safety classifier said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardVerdict {
    /// Nothing unsafe found; the chaperone's other checks decide.
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
    /// Classifies `text`.
    /// # Errors
    /// [`ProviderError`] when the classifier fails, times out or answers unreadably; the
    /// chaperone holds the item (`guard_unavailable: <why>`).
    async fn classify(&self, text: &str) -> Result<GuardVerdict, ProviderError>;
}
