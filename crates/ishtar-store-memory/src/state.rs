//! The venue's tables, as the Postgres migrations define them, and the row-level helpers
//! several ports share.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use time::{Date, OffsetDateTime};

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    ActiveMarket, CoupleState, EndpointStatus, HomeMarket, PersonaStatus, Tier, TurnStatus,
};
use ishtar_domain::ports::{BeatRecord, ChaperoneEntry};
use ishtar_domain::states::OrderState;

/// A table with a `BIGSERIAL` key: ids from 1, monotonic, never reused.
#[derive(Debug)]
pub(crate) struct Table<R> {
    pub rows: BTreeMap<i64, R>,
    last: i64,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            last: 0,
        }
    }
}

impl<R> Table<R> {
    /// The next id of the table's sequence (`nextval`).
    pub fn next_id(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// Inserts `row` under the next id; returns the id.
    pub fn insert(&mut self, row: R) -> i64 {
        let id = self.next_id();
        self.rows.insert(id, row);
        id
    }

    /// Inserts `row` under an id drawn earlier (`reserve_couple_ids`).
    pub fn insert_at(&mut self, id: i64, row: R) {
        self.last = self.last.max(id);
        self.rows.insert(id, row);
    }

    pub fn get(&self, id: i64) -> Option<&R> {
        self.rows.get(&id)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut R> {
        self.rows.get_mut(&id)
    }

    pub fn contains(&self, id: i64) -> bool {
        self.rows.contains_key(&id)
    }

    /// Deletes the rows `keep` refuses; returns their ids, ascending.
    pub fn delete_where(&mut self, mut gone: impl FnMut(i64, &R) -> bool) -> Vec<i64> {
        let ids: Vec<i64> = self
            .rows
            .iter()
            .filter(|(id, r)| gone(**id, r))
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            self.rows.remove(id);
        }
        ids
    }
}

/// `owners`.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub tier: Tier,
    pub token_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
}

/// `heart_files`: one version of an owner's dating doc.
#[derive(Debug, Clone)]
pub(crate) struct HeartFile {
    pub owner: i64,
    pub version: i32,
    pub home_market: HomeMarket,
    pub active_market: ActiveMarket,
    /// Sealed at rest in Postgres; here only the contact reads see it.
    pub contact_ref: Option<String>,
    pub heart: Value,
    pub heart_hash: String,
    /// `allowed`, `held` or `denied`.
    pub status: &'static str,
    pub reason: String,
}

/// `personas`.
#[derive(Debug, Clone)]
pub(crate) struct Persona {
    pub owner: Option<i64>,
    pub handle: String,
    pub model: String,
    pub heart: Value,
    pub heart_hash: String,
    pub redteam: bool,
    pub home_market: String,
    pub active_market: String,
    pub status: PersonaStatus,
    pub reason: String,
    pub created_at: OffsetDateTime,
    pub admitted_at: Option<OffsetDateTime>,
}

/// `agent_endpoints`.
#[derive(Debug, Clone)]
pub(crate) struct AgentEndpoint {
    pub owner: Option<i64>,
    pub persona: Option<i64>,
    pub runtime: String,
    pub callback_url: Option<String>,
    pub callback_secret: Option<String>,
    pub key_address: Option<String>,
    pub challenge_nonce: Option<String>,
    pub status: EndpointStatus,
    pub verified_via: Option<String>,
}

/// `couples`.
#[derive(Debug, Clone)]
pub(crate) struct Couple {
    pub a: i64,
    pub b: i64,
    pub state: CoupleState,
    pub created_at: OffsetDateTime,
    pub similarity: Option<f32>,
    pub ended_at: Option<OffsetDateTime>,
    pub ended_by: Option<i64>,
}

impl Couple {
    /// Whether the couple keeps its personas paired ([`CoupleState::pairs`]): they are
    /// taken.
    pub fn in_play(&self) -> bool {
        self.state.pairs()
    }

    pub fn has(&self, persona: i64) -> bool {
        self.a == persona || self.b == persona
    }
}

/// `turns`.
#[derive(Debug, Clone)]
pub(crate) struct Turn {
    pub couple: i64,
    pub author_persona: Option<i64>,
    pub author: String,
    pub body: String,
    pub status: TurnStatus,
    pub reason: String,
    pub created_at: OffsetDateTime,
}

/// `board_posts` (every post stored is `published`).
#[derive(Debug, Clone)]
pub(crate) struct Post {
    pub board: String,
    pub persona: Option<i64>,
    pub couple: Option<i64>,
    pub handle: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// `reports` (status `open`).
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub target_type: &'static str,
    pub target_id: i64,
}

/// `chaperone_log`.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub surface: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    pub verdict: &'static str,
    pub reason: String,
    pub created_at: OffsetDateTime,
}

/// `events` (the operator's log).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: String,
    pub data: Value,
    pub created_at: OffsetDateTime,
}

/// `owner_events` (an owner's feed).
#[derive(Debug, Clone)]
pub(crate) struct FeedEvent {
    pub owner: i64,
    pub about: Option<i64>,
    pub payload: Value,
    pub created_at: OffsetDateTime,
}

/// `notifications`.
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub endpoint: i64,
    pub owner: Option<i64>,
    pub event: Option<i64>,
    pub payload: Value,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub failed_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub claim_token: Option<i64>,
    pub claimed_until: Option<OffsetDateTime>,
}

impl Notification {
    /// Neither delivered nor given up.
    pub fn open(&self) -> bool {
        self.delivered_at.is_none() && self.failed_at.is_none()
    }
}

/// `notification_endpoints`: a failing endpoint's state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndpointHealth {
    pub failures: i32,
    pub paused_until: OffsetDateTime,
}

/// `orders`.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub owner: Option<i64>,
    pub couple: Option<i64>,
    pub amount: i64,
    pub status: OrderState,
    pub reason: Option<String>,
    pub report: Option<String>,
    pub created_at: OffsetDateTime,
}

/// `receipts`.
#[derive(Debug, Clone)]
pub(crate) struct Receipt {
    pub order_id: String,
    pub payer: String,
    pub transaction: String,
    pub network: String,
    pub amount: i64,
    pub auth_nonce: String,
}

/// `buyback_ledger`.
#[derive(Debug, Clone)]
pub(crate) struct Buyback {
    pub receipt: i64,
    pub amount: i64,
}

/// `invites`.
#[derive(Debug, Clone)]
pub(crate) struct Invite {
    pub couple: i64,
    pub owner: i64,
    pub token_hash: Vec<u8>,
    /// Kept while unused (sealed in Postgres), wiped on claim.
    pub token: Option<String>,
    pub created_at: OffsetDateTime,
    pub claimed_at: Option<OffsetDateTime>,
}

/// `identity_checks`, keyed by session id.
#[derive(Debug, Clone)]
pub(crate) struct IdentityCheck {
    pub owner: i64,
    pub status: String,
    pub verified: bool,
    pub age_over_18: Option<bool>,
    pub updated_at: OffsetDateTime,
}

/// `(session, webhook type, status, effect)`: an identity result applied once.
pub(crate) type WebhookKey = (String, String, String, &'static str);

/// Every table of the venue.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub owners: Table<Owner>,
    pub hearts: Table<HeartFile>,
    pub personas: Table<Persona>,
    /// `personas_handle_key`: `lower(handle)` → persona id.
    pub handles: HashMap<String, i64>,
    /// `capacity.admitted`.
    pub admitted: i64,
    pub endpoints: Table<AgentEndpoint>,
    pub couples: Table<Couple>,
    pub turns: Table<Turn>,
    pub posts: Table<Post>,
    pub reports: Table<Report>,
    pub log: Table<LogLine>,
    pub events: Table<Event>,
    pub feed: Table<FeedEvent>,
    pub notifications: Table<Notification>,
    pub claim_tokens: i64,
    pub health: BTreeMap<i64, EndpointHealth>,
    /// `settings`: key → (value, updated_at).
    pub settings: BTreeMap<String, (String, OffsetDateTime)>,
    pub geo: BTreeMap<(Date, String), i64>,
    /// `embeddings`: (key, model) → vector.
    pub embeddings: BTreeMap<(String, String), Vec<f32>>,
    /// `beats`, in insertion order.
    pub beats: Vec<BeatRecord>,
    pub orders: BTreeMap<String, Order>,
    pub receipts: Table<Receipt>,
    pub buybacks: Table<Buyback>,
    /// `intro_consents`: (couple, owner).
    pub consents: BTreeMap<(i64, i64), OffsetDateTime>,
    pub invites: Table<Invite>,
    /// `owner_logins`: owner → login user.
    pub logins: BTreeMap<i64, String>,
    pub checks: BTreeMap<String, IdentityCheck>,
    pub webhooks: BTreeMap<WebhookKey, OffsetDateTime>,
}

/// The key of the handles' unique index: Postgres's `lower(handle)`, which lower-cases
/// each character on its own (no final-sigma rule, unlike `str::to_lowercase`).
pub(crate) fn handle_key(handle: &str) -> String {
    handle.chars().flat_map(char::to_lowercase).collect()
}

/// A dating-doc version's status for the chaperone's verdict in `log`.
pub(crate) fn doc_status(log: &ChaperoneEntry) -> &'static str {
    match log.verdict {
        "allow" => "allowed",
        "deny" => "denied",
        _ => "held",
    }
}

/// What a write naming a row that does not exist fails with (a foreign key in Postgres).
pub(crate) fn missing(what: &'static str) -> StoreError {
    StoreError::unavailable(format!("foreign key violation: no such {what}"))
}

impl State {
    /// Appends a chaperone log line, its target replaced by `target` when given.
    pub fn record_log(&mut self, log: &ChaperoneEntry, target: Option<i64>) {
        self.log.insert(LogLine {
            surface: log.surface.as_str(),
            target_type: log.target_type,
            target_id: target.or(log.target_id),
            verdict: log.verdict,
            reason: log.reason.clone(),
            created_at: log.at,
        });
    }

    /// Appends to the operator's `events`.
    pub fn record_event(&mut self, kind: &str, data: Value, at: OffsetDateTime) {
        self.events.insert(Event {
            kind: kind.to_owned(),
            data,
            created_at: at,
        });
    }

    /// The newest dating-doc version of `owner`, of any status.
    pub fn latest_heart(&self, owner: i64) -> Option<(i64, &HeartFile)> {
        self.hearts
            .rows
            .iter()
            .filter(|(_, h)| h.owner == owner)
            .max_by_key(|(_, h)| h.version)
            .map(|(id, h)| (*id, h))
    }

    /// The newest `allowed` dating-doc version of `owner`.
    pub fn latest_allowed_heart(&self, owner: i64) -> Option<&HeartFile> {
        self.hearts
            .rows
            .values()
            .filter(|h| h.owner == owner && h.status == "allowed")
            .max_by_key(|h| h.version)
    }

    /// Whether `owner` has a verified (active) agent endpoint.
    pub fn has_active_endpoint(&self, owner: i64) -> bool {
        self.endpoints
            .rows
            .values()
            .any(|e| e.owner == Some(owner) && e.status == EndpointStatus::Active)
    }

    /// Whether `persona` is in a `courting`, `committed` or `brokered` couple.
    pub fn in_couple(&self, persona: i64) -> bool {
        self.couples
            .rows
            .values()
            .any(|c| c.in_play() && c.has(persona))
    }

    /// Gives one cap place back (never below zero).
    pub fn free_place(&mut self) {
        self.admitted = (self.admitted - 1).max(0);
    }

    /// Takes a cap place if fewer than `cap` are taken.
    pub fn take_place(&mut self, cap: u32) -> bool {
        if self.admitted < i64::from(cap) {
            self.admitted += 1;
            true
        } else {
            false
        }
    }
}
