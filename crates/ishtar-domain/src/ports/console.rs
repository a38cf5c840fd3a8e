//! What the operator console reads and writes (use case `crate::console`).

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::model::{CoupleId, CoupleState, OwnerId, PersonaId};

/// Rows per page in every console list.
pub const PAGE_SIZE: u32 = 25;

/// One row of the `events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The event's row id; increases with insertion order (the tie-breaker after `at`).
    pub id: i64,
    /// What happened, e.g. `intro_brokered` or a settings change; see [`crate::console`].
    pub kind: String,
    /// The event's details as JSON (ids and values, never personal text).
    pub data: serde_json::Value,
    /// When it was recorded (the `created_at` the caller passed, UTC).
    pub at: OffsetDateTime,
}

/// A committed couple waiting for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intro {
    /// The couple in state `committed` that the operator may broker.
    pub couple: CoupleId,
    /// The couple's first persona (`persona_a`).
    pub a: IntroSide,
    /// The couple's second persona (`persona_b`).
    pub b: IntroSide,
    /// When the couple became ready for an introduction (its latest `intro_ready` event), or
    /// when it formed once that event has aged out of the `events` table.
    pub since: OffsetDateTime,
}

/// One side of an intro. `contact` is the owner's private concierge pointer (decrypted);
/// it is filled only for the HTML console, never for `/admin.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntroSide {
    /// The persona on this side.
    pub persona: PersonaId,
    /// The persona's public handle.
    pub handle: String,
    /// The human behind the persona; `None` only for legacy ownerless personas.
    pub owner: Option<OwnerId>,
    /// The owner's `contactRef` from the latest dating doc, decrypted (`(unreadable)` when it
    /// cannot be); `None` when the owner gave none, and always `None` in a snapshot.
    pub contact: Option<String>,
}

/// The raw counts the store reads for a snapshot. Each `*_by_*` list holds the values the
/// store found; [`Snapshot`](crate::console::Snapshot) fills in the missing keys with zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotCounts {
    /// Personas holding a cap slot (the capacity counter).
    pub admitted: i64,
    /// `(status, count)` of personas, sorted by status name (wire names of
    /// [`PersonaStatus`](crate::model::PersonaStatus)).
    pub personas_by_status: Vec<(String, i64)>,
    /// `(state, count)` of couples, sorted by state name (wire names of
    /// [`CoupleState`]).
    pub couples_by_state: Vec<(String, i64)>,
    /// `(status, count)` of courtship turns in every status, sorted by status name.
    pub turns_by_status: Vec<(String, i64)>,
    /// Chaperone verdicts since 00:00 UTC today.
    pub chaperone_today: Vec<(String, i64)>,
    /// `(status, count)` of report orders (`challenged`, `failed`, `fulfilled`, …),
    /// sorted by status name.
    pub orders_by_status: Vec<(String, i64)>,
    /// Sum of receipts, USDC base units (6 decimals).
    pub revenue: i64,
    /// Sum of the buyback ledger, USDC base units.
    pub buyback_reserve: i64,
    /// Geo denials counted today (UTC), all countries.
    pub geo_denials_today: i64,
    /// Committed couples, oldest first (no contacts).
    pub intros: Vec<Intro>,
    /// Newest first.
    pub recent_events: Vec<EventRecord>,
    /// Parts that could not be read (reported as zero/empty); empty when all were read.
    pub unreadable: Vec<String>,
}

/// One page of a console list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of this page, at most [`PAGE_SIZE`], in the list's order (newest first).
    pub items: Vec<T>,
    /// 1-based.
    pub page: u32,
    /// Rows in the whole list.
    pub total: i64,
}

impl<T> Page<T> {
    /// How many pages the list has (at least 1).
    pub fn pages(&self) -> u32 {
        let per = i64::from(PAGE_SIZE);
        u32::try_from(((self.total.max(0) + per - 1) / per).max(1)).unwrap_or(u32::MAX)
    }
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            page: 1,
            total: 0,
        }
    }
}

/// The console's lists, each paginated on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Every persona in any status, newest first.
    Personas,
    /// Every couple in any state, newest first, with its turn count.
    Couples,
    /// Courtship turns in every status (published, held, blocked), newest first.
    Turns,
    /// Board posts in every status, newest first.
    Posts,
    /// Report orders with their receipts, newest first.
    Orders,
    /// Owners past `agent_represented`, or with an invite, a consent or an identity check.
    Identity,
    /// The chaperone log (verdicts, never text), newest first.
    Chaperone,
    /// Geo-gate denials per day and country, newest day first.
    Geo,
    /// The `events` table, newest first.
    Events,
}

impl Section {
    /// Every section, in the order the console shows them (and the index order of
    /// [`ConsoleQuery`]'s pages).
    pub const ALL: &'static [Section] = &[
        Section::Personas,
        Section::Couples,
        Section::Turns,
        Section::Posts,
        Section::Orders,
        Section::Identity,
        Section::Chaperone,
        Section::Geo,
        Section::Events,
    ];

    /// The query parameter (and HTML anchor) naming the section.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Personas => "personas",
            Section::Couples => "couples",
            Section::Turns => "turns",
            Section::Posts => "posts",
            Section::Orders => "orders",
            Section::Identity => "identity",
            Section::Chaperone => "chaperone",
            Section::Geo => "geo",
            Section::Events => "events",
        }
    }
}

/// Which page of each list to read (1-based; 0 is read as 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleQuery {
    pages: [u32; 9],
}

impl Default for ConsoleQuery {
    fn default() -> Self {
        Self { pages: [1; 9] }
    }
}

impl ConsoleQuery {
    fn index(s: Section) -> usize {
        Section::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }

    /// The page asked for `s` (at least 1).
    pub fn page(&self, s: Section) -> u32 {
        self.pages[Self::index(s)].max(1)
    }

    /// Asks for page `page` of `s` (clamped to 1 ..= 100 000).
    pub fn set_page(&mut self, s: Section, page: u32) {
        self.pages[Self::index(s)] = page.clamp(1, 100_000);
    }

    /// The row offset of `s`'s page.
    pub fn offset(&self, s: Section) -> i64 {
        i64::from(self.page(s) - 1) * i64::from(PAGE_SIZE)
    }
}

/// A persona as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaRow {
    /// The persona's id.
    pub id: PersonaId,
    /// The owner, if the persona has one.
    pub owner: Option<OwnerId>,
    /// The public handle, unique across the venue.
    pub handle: String,
    /// The model name the agent declared at admission (free text, sanitised).
    pub model: String,
    /// The wire name of its [`PersonaStatus`](crate::model::PersonaStatus).
    pub status: String,
    /// Why it has that status (the chaperone's reason, `allowed` for an allowed heart).
    pub reason: String,
    /// A red-team persona, only ever matched with other red-team personas
    /// (docs/rules.md#the-beat, step 4).
    pub redteam: bool,
    /// The market it dates in (wire name of
    /// [`ActiveMarket`](crate::model::ActiveMarket)).
    pub active_market: String,
    /// When it came to the admission door.
    pub created_at: OffsetDateTime,
}

/// A couple as the console lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct CoupleRow {
    /// The couple's id.
    pub id: CoupleId,
    /// The handle of the couple's first persona.
    pub a: String,
    /// The handle of the couple's second persona.
    pub b: String,
    /// The wire name of its [`CoupleState`].
    pub state: String,
    /// The cosine similarity the beat paired them on (-1.0 ..= 1.0); `None` for
    /// a couple paired by admission order while the embedder was down.
    pub similarity: Option<f32>,
    /// Courtship turns of the couple, in every status (the matchmaker's gambit included).
    pub turns: i64,
    /// When the beat formed it.
    pub created_at: OffsetDateTime,
}

/// A courtship turn in any status (the operator sees held and blocked ones too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRow {
    /// The turn's id.
    pub id: i64,
    /// The couple it belongs to.
    pub couple: CoupleId,
    /// The author's handle, or `matchmaker` for the opening gambit.
    pub author: String,
    /// The text as cleaned (for a blocked turn too: the operator reviews it).
    pub body: String,
    /// `published`, `held` or `blocked` ([`TurnStatus`](crate::model::TurnStatus)).
    pub status: String,
    /// The chaperone's reason: `allowed` when published, else the hold or block reason.
    pub reason: String,
    /// When it was written.
    pub created_at: OffsetDateTime,
}

/// A board post in any status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    /// The post's id.
    pub id: i64,
    /// The board it was posted to.
    pub board: String,
    /// The posting persona's handle.
    pub handle: String,
    /// The text as cleaned.
    pub body: String,
    /// Its chaperone status (`published`, `held` or `blocked`).
    pub status: String,
    /// When it was posted.
    pub created_at: OffsetDateTime,
}

/// An order and its receipt, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// The order id, `cr:<ownerId>:<coupleId|0>:<utcDay>` (docs/rules.md#payments).
    pub id: String,
    /// The paying owner, if known.
    pub owner: Option<OwnerId>,
    /// The couple the report is about; `None` for an owner-wide report.
    pub couple: Option<CoupleId>,
    /// USDC base units.
    pub amount: i64,
    /// `challenged`, `failed` or `fulfilled` (docs/rules.md#payments).
    pub status: String,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    /// The receipt, once settled (at most one per order).
    pub receipt: Option<ReceiptRow>,
    /// When the first challenge for it was issued.
    pub created_at: OffsetDateTime,
}

/// A receipt (kept for accounting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    /// The receipt's id.
    pub id: i64,
    /// The paying wallet address, as the payment named it.
    pub payer: String,
    /// The settlement transaction hash the facilitator returned.
    pub transaction: String,
    /// The network it settled on (e.g. `eip155:8453` or `base`).
    pub network: String,
    /// USDC base units.
    pub amount: i64,
    /// The buyback accrued for it, USDC base units.
    pub buyback: i64,
}

/// An owner on the way to a real introduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    /// The owner.
    pub owner: OwnerId,
    /// The wire name of its [`Tier`](crate::model::Tier).
    pub tier: String,
    /// Invites minted for the owner, and how many were claimed.
    pub invites: i64,
    /// How many of those invites were claimed (with a verified Privy token).
    pub invites_claimed: i64,
    /// Contact-reveal consents the owner gave.
    pub consents: i64,
    /// The latest identity check's status, if any.
    pub identity_status: Option<String>,
    /// What the latest identity check's document said about age 18+, if it said.
    pub age_over_18: Option<bool>,
    /// When the owner was created.
    pub created_at: OffsetDateTime,
}

/// A chaperone verdict (never the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaperoneRow {
    /// The log line's id.
    pub id: i64,
    /// Where the text would have been published: `heart`, `gambit`, `turn`, `post`
    /// or `report` ([`Surface`](crate::ports::Surface)).
    pub surface: String,
    /// What kind of record was screened (e.g. `persona`, `heart_file`).
    pub target_type: String,
    /// The record's id, when it existed at screening time.
    pub target_id: Option<i64>,
    /// `allow`, `hold` or `deny` (docs/rules.md#the-chaperone).
    pub verdict: String,
    /// The verdict's reason (e.g. `pii: email`); `allowed` for an allow.
    pub reason: String,
    /// When the verdict was given.
    pub created_at: OffsetDateTime,
}

/// Denials of one country on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoRow {
    /// The UTC day.
    pub day: Date,
    /// The ISO country code that was denied.
    pub country: String,
    /// How many requests from it were denied that day.
    pub count: i64,
}

/// Everything `/admin` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleData {
    /// With contacts in `intros`.
    pub counts: SnapshotCounts,
    /// Personas waiting for a cap slot.
    pub pending: i64,
    /// The asked-for page of [`Section::Personas`].
    pub personas: Page<PersonaRow>,
    /// The asked-for page of [`Section::Couples`].
    pub couples: Page<CoupleRow>,
    /// The asked-for page of [`Section::Turns`].
    pub turns: Page<TurnRow>,
    /// The asked-for page of [`Section::Posts`].
    pub posts: Page<PostRow>,
    /// The asked-for page of [`Section::Orders`].
    pub orders: Page<OrderRow>,
    /// The asked-for page of [`Section::Identity`].
    pub identity: Page<IdentityRow>,
    /// The asked-for page of [`Section::Chaperone`].
    pub chaperone: Page<ChaperoneRow>,
    /// The asked-for page of [`Section::Geo`].
    pub geo: Page<GeoRow>,
    /// The asked-for page of [`Section::Events`].
    pub events: Page<EventRecord>,
    /// The raw stored settings (`key`, `value`), as the operator typed them.
    pub stored_settings: Vec<(String, String)>,
}

/// What brokering did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerOutcome {
    /// The couple was committed and is now brokered (its two personas).
    Brokered(PersonaId, PersonaId),
    /// No couple has that id; nothing was written.
    NoSuchCouple,
    /// The couple is in another state (left as it is).
    NotCommitted(CoupleState),
}

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
    ) -> Result<SnapshotCounts, StoreError>;

    /// Everything `/admin` shows, with the intros' contact pointers decrypted. One read.
    async fn console(
        &self,
        query: ConsoleQuery,
        day_start: OffsetDateTime,
        day: Date,
    ) -> Result<ConsoleData, StoreError>;

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
    ) -> Result<BrokerOutcome, StoreError>;
}
