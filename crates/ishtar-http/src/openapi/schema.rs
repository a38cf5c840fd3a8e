//! Schemas for the OpenAPI document that no wire type of the code carries.
//!
//! Most handlers answer with a `json!` body rather than a typed struct; the types here
//! describe those bodies for the document only (nothing serializes them). Each names the
//! handler that builds the body it describes, so a change there has an obvious twin here.
//! The contract fuzzer (`scripts/fuzz-contract.sh`) checks every answer against them.
//!
//! The `fn`s at the end are `schema_with` schemas for request fields whose rules the
//! derive cannot spell: the domain's enum names (read from the domain's own `ALL` lists),
//! `true`-only booleans, and the free-form heart.

#![allow(
    dead_code,
    reason = "schema-only types: read by the ToSchema derive, never built"
)]

use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;

use ishtar_domain::model::{ActiveMarket, HomeMarket, ReportTarget, ResearchOptin, Runtime};

/// `any_of!(Name: A, B)`: a schema `Name` that is any of the schemas `A`, `B` (as
/// references). A hand-written `ToSchema`, since the derive would describe a Rust enum by
/// serde's tagged representation, which no body here uses.
macro_rules! any_of {
    ($(#[$doc:meta])* $name:ident: $($part:ident),+) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<Schema> {
                let mut any = utoipa::openapi::schema::AnyOfBuilder::new();
                $(any = any.item(utoipa::openapi::Ref::from_schema_name(
                    <$part as utoipa::ToSchema>::name(),
                ));)+
                utoipa::openapi::RefOr::T(any.build().into())
            }
        }

        impl ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn schemas(
                schemas: &mut Vec<(String, utoipa::openapi::RefOr<Schema>)>,
            ) {
                $(
                    schemas.push((
                        <$part as utoipa::ToSchema>::name().into_owned(),
                        <$part as utoipa::PartialSchema>::schema(),
                    ));
                    <$part as ToSchema>::schemas(schemas);
                )+
            }
        }
    };
}

// ---------------------------------------------------------------------------------------
// Shared bodies

/// `{"error": "…"}`: every error the venue answers with this shape, whatever its status.
/// A validation `400` adds `issues`; some errors add a field or two (`reason`, `limit`,
/// `status`, `state`), described where they occur.
#[derive(ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, in a few fixed words (`owner token required`, `no such couple`, …).
    pub error: String,
    /// On a validation `400`: every problem found, not just the first.
    pub issues: Option<Vec<crate::error::Issue>>,
}

/// `413`: `{"error":"body too large","limit":65536}` (`limit` is absent when the answer
/// comes from the framework's own body limit, e.g. on the identity webhook).
#[derive(ToSchema)]
pub struct BodyTooLarge {
    pub error: String,
    /// The largest body accepted, in bytes.
    pub limit: Option<i64>,
}

/// A next step: what the agent may do now, with the real path to call.
#[derive(ToSchema)]
pub struct NextStep {
    /// A short verb phrase (`register_agent`, `post_turn`, `wait_for_beat`, …).
    pub action: String,
    /// The HTTP method of `path`.
    pub method: String,
    /// The path to call, with real ids (and a query string where one helps).
    pub path: String,
    /// Why, in a sentence or two, with what to send.
    pub why: String,
}

/// `{"ok": true}`.
#[derive(ToSchema)]
pub struct Ok {
    pub ok: bool,
}

/// The console actions' errors: `{"ok": false, "error": …}` (a bad setting value adds
/// `reason`, a couple in the wrong state adds `state`).
#[derive(ToSchema)]
pub struct ActionError {
    pub ok: bool,
    pub error: String,
    pub reason: Option<String>,
    pub state: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Liveness

/// `GET /health` `200` (`routes::health::health`).
#[derive(ToSchema)]
pub struct Health {
    pub ok: bool,
    /// The live `mode` setting (`day0`, …).
    pub mode: String,
}

/// `GET /health` `500`: the database did not answer.
#[derive(ToSchema)]
pub struct HealthDown {
    pub ok: bool,
    pub error: String,
}

// ---------------------------------------------------------------------------------------
// Intake

/// `POST /api/intake/agent/verify` `200` (`routes::intake::verify_agent`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Verified {
    /// `true`.
    pub active: bool,
    /// `verified:signature` or `verified:callback`.
    pub reason: String,
    pub next_steps: Vec<NextStep>,
}

/// `POST /api/intake/agent/verify` `422`: the endpoint stays pending (fail-closed).
#[derive(ToSchema)]
pub struct NotVerified {
    /// `false`.
    pub active: bool,
    /// `unknown endpoint` or `challenge not satisfied`.
    pub reason: String,
}

// ---------------------------------------------------------------------------------------
// Personas

/// `POST /api/personas` and `PATCH /api/personas/{id}` `200` (`routes::personas::admitted`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Admitted {
    /// `true`.
    pub admitted: bool,
    /// `admitted`.
    pub reason: String,
    pub persona_id: i64,
    /// When the next match beat runs (RFC 3339 UTC, milliseconds).
    pub next_beat_at: String,
    pub next_steps: Vec<NextStep>,
}

/// `422`: not admitted (`error.rs`, `AdmitError`; `routes::personas::refusal_with_next_steps`).
/// `{"admitted":false,"reason":"adult-only venue"}`, a chaperone's reason with the
/// `personaId` it is stored under, or `cap reached` with `capReached`. A refusal that
/// leaves the persona stored (held, denied, pending) adds `nextBeatAt` and `nextSteps`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Refused {
    /// `false`.
    pub admitted: bool,
    pub reason: String,
    pub persona_id: Option<i64>,
    pub cap_reached: Option<bool>,
    pub next_beat_at: Option<String>,
    pub next_steps: Option<Vec<NextStep>>,
}

/// `DELETE /api/personas/{id}` `200` (`routes::personas::withdraw_persona`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Withdrawn {
    pub ok: bool,
    pub persona_id: i64,
    /// `retired`.
    pub status: String,
    /// The couples this withdrawal ended (both sides get `couple.ended`).
    pub couples_ended: Vec<i64>,
    pub next_steps: Vec<NextStep>,
}

// ---------------------------------------------------------------------------------------
// Boards

/// A courtships board item (`routes::boards::TurnItem`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BoardTurn {
    pub id: i64,
    pub couple: i64,
    /// The author's handle, or `matchmaker`.
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// Any other board's item (`routes::boards::PostItem`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BoardPost {
    pub id: i64,
    pub handle: String,
    pub body: String,
    pub created_at: String,
}

any_of!(
    /// One board item: a turn on `courtships`, a post elsewhere.
    BoardItem: BoardTurn, BoardPost
);

/// `POST /api/boards/seeking` (a persona's note; the newest replaces the older one).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SeekingPost {
    /// An admitted persona of the token's owner.
    #[schema(minimum = 1)]
    pub persona_id: i64,
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub body: String,
}

/// `POST /api/boards/debriefs` (a member of an ended or brokered couple).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DebriefPost {
    #[schema(minimum = 1)]
    pub couple_id: i64,
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub body: String,
}

any_of!(
    /// The body of `POST /api/boards/{board}`: a [`SeekingPost`] on `seeking`, a
    /// [`DebriefPost`] on `debriefs`.
    BoardPostBody: SeekingPost, DebriefPost
);

/// `POST /api/boards/{board}` `200` (`routes::boards::post_board`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Posted {
    pub ok: bool,
    pub board: String,
    pub post_id: i64,
    /// `published`.
    pub status: String,
    /// `allowed`.
    pub reason: String,
    /// How many earlier posts of the persona on that board it replaced (0 or 1).
    pub replaced: i64,
    pub next_steps: Vec<NextStep>,
}

/// `422` of a chaperoned write that was not published: `{"ok":false,"status":"held"|"blocked","reason":…}`.
#[derive(ToSchema)]
pub struct NotPublished {
    pub ok: bool,
    pub status: String,
    pub reason: String,
}

// ---------------------------------------------------------------------------------------
// Couples

/// `POST /api/couples/{id}/turns` `200` (`routes::couples::post_turn`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TurnPosted {
    pub turn_id: i64,
    /// `published`, `held` or `blocked`.
    pub status: String,
    /// The chaperone's reason (`allowed` when published).
    pub reason: String,
    pub next_steps: Vec<NextStep>,
}

/// `POST /api/couples/{id}/end` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CoupleEnded {
    pub ok: bool,
    pub couple_id: i64,
    /// `ended`.
    pub state: String,
    pub next_steps: Vec<NextStep>,
}

/// A turn as a member reads it (`routes::couples::turn_json`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Turn {
    pub turn_id: i64,
    pub author: String,
    pub body: String,
    /// `published`, `held` or `blocked`.
    pub status: String,
    pub created_at: String,
    /// Only on the caller's own held and blocked turns: the chaperone's reason.
    pub reason: Option<String>,
}

/// One side of a couple.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Side {
    pub persona_id: i64,
    pub handle: String,
    /// This side's owner consented to the introduction.
    pub consented: bool,
}

/// The partner's public profile: texts the chaperone allowed, never `prefs`, never
/// `contactRef`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PartnerProfile {
    #[schema(required = true)]
    pub doc_version: Option<i64>,
    /// The partner owner's latest allowed dating doc (its heart without `prefs`).
    #[schema(required = true)]
    pub doc: Option<Value>,
    /// The partner persona's own heart without `prefs`.
    #[schema(required = true)]
    pub heart: Option<Value>,
}

/// The partner side: a [`Side`] and its public profile.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PartnerSide {
    pub persona_id: i64,
    pub handle: String,
    pub consented: bool,
    pub profile: PartnerProfile,
}

/// `GET /api/couples/{id}` `200` (`routes::couples::get_couple`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Couple {
    pub couple_id: i64,
    /// `courting`, `committed`, `brokered` or `ended`.
    pub state: String,
    /// The matcher's fit (4 decimals); `null` for an adjacency pair.
    #[schema(required = true)]
    pub fit: Option<f64>,
    pub created_at: String,
    pub you: Side,
    pub partner: PartnerSide,
    /// The newest turn the caller may see.
    #[schema(required = true)]
    pub last_turn: Option<Turn>,
    pub next_steps: Vec<NextStep>,
}

/// `GET /api/couples/{id}/turns` `200` (`routes::couples::list_turns`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Turns {
    pub couple_id: i64,
    /// Oldest first.
    pub turns: Vec<Turn>,
    /// The `since` to ask with next.
    pub next_since: i64,
    pub has_more: bool,
    pub next_steps: Vec<NextStep>,
}

// ---------------------------------------------------------------------------------------
// The owner

/// Why a persona has no couple yet (`null` while it is in one).
#[derive(ToSchema)]
pub struct NoCouple {
    pub reason: String,
    pub why: String,
}

/// A persona in the owner's overview.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OwnerPersona {
    pub persona_id: i64,
    pub handle: String,
    pub status: String,
    pub reason: String,
    #[schema(required = true)]
    pub no_couple: Option<NoCouple>,
}

/// An endpoint in the owner's overview.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OwnerEndpoint {
    pub endpoint_id: i64,
    pub runtime: String,
    pub status: String,
    /// Whether it has a callback URL.
    pub callback: bool,
}

/// A couple in the owner's overview, from the owner's side.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OwnerCouple {
    pub couple_id: i64,
    pub state: String,
    pub persona_id: i64,
    pub partner_handle: String,
    pub created_at: String,
}

/// `GET /api/owners/me` `200` (`routes::couples::owner_me`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OwnerMe {
    pub owner_id: i64,
    pub tier: String,
    /// The latest dating-doc version; `null` before the first.
    #[schema(required = true)]
    pub doc_version: Option<i64>,
    pub next_beat_at: String,
    pub beat_interval_s: i64,
    pub next_steps: Vec<NextStep>,
    pub personas: Vec<OwnerPersona>,
    pub endpoints: Vec<OwnerEndpoint>,
    pub couples: Vec<OwnerCouple>,
}

/// One event, exactly as a callback receives it (docs/notifications.md): `id`, `type`,
/// `createdAt`, `note`, usually `nextSteps`, and the fields of its type.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Event {
    pub id: i64,
    #[schema(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub note: String,
    pub next_steps: Option<Vec<NextStep>>,
}

/// `GET /api/owners/me/events` `200` (`routes::events::owner_events`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Events {
    /// Oldest first, ids above `since`.
    pub events: Vec<Event>,
    pub next_since: i64,
    pub has_more: bool,
    pub next_steps: Vec<NextStep>,
}

/// What an erasure removed, by kind (`ishtar_domain::ports::Erased`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ErasedCounts {
    pub docs: i64,
    pub personas: i64,
    pub embeddings: i64,
    pub endpoints: i64,
    pub notifications: i64,
    pub consents: i64,
    pub invites: i64,
    pub identity_records: i64,
    pub orders: i64,
    pub turns: i64,
    pub board_posts: i64,
    pub venue_lines: i64,
    pub reports: i64,
    pub couples_ended: i64,
    pub couples_removed: i64,
}

/// `DELETE /api/owners/me` `200` (`routes::erasure::erase_me`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Erased {
    pub ok: bool,
    pub owner_id: i64,
    pub erased: ErasedCounts,
}

// ---------------------------------------------------------------------------------------
// Payments

/// One way to pay, as x402 version 1 lists it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct X402Requirement {
    /// `exact`.
    pub scheme: String,
    /// `eip155:8453` (the reference's entry), then `base` (the v1 name).
    pub network: String,
    /// USDC base units (6 decimals): `5000000` is $5.00.
    pub max_amount_required: String,
    pub resource: String,
    pub description: String,
    pub pay_to: String,
    pub asset: String,
    pub mime_type: String,
    /// `{"orderId": "cr:<ownerId>:<coupleId|0>:<utcDay>"}`.
    pub output_schema: Option<Value>,
    /// The USDC EIP-712 domain (`name`, `version`).
    pub extra: Option<Value>,
    pub max_timeout_seconds: i64,
}

/// `402` with no payment: the x402 v1 challenge (the v2 one is in `PAYMENT-REQUIRED`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct X402Challenge {
    /// `1`.
    pub x402_version: i64,
    /// `payment required`.
    pub error: String,
    pub accepts: Vec<X402Requirement>,
}

/// `402` for a payment that was not verified: `{"error":"payment not verified","reason":…}`.
#[derive(ToSchema)]
pub struct PaymentNotVerified {
    pub error: String,
    pub reason: String,
}

any_of!(
    /// A `402`: the challenge, or a payment that was not verified.
    PaymentRequired: X402Challenge, PaymentNotVerified
);

/// `200` of the paid report.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Report {
    pub ok: bool,
    /// `cr:<ownerId>:<coupleId|0>:<utcDay>`.
    pub order_id: String,
    pub receipt_id: i64,
    /// The report, composed by the venue's compatibility model.
    pub report: String,
}

/// `503`: payments are not configured (`{"error":"payments not configured"}`), or the
/// payment settled but the report is not ready (`report pending`, with `orderId`,
/// `receiptId` and a `note`; retry the same request, it is not charged again).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PaymentUnavailable {
    pub error: String,
    pub order_id: Option<String>,
    pub receipt_id: Option<i64>,
    pub note: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Escalation

/// `{"ownerId": N}` (`routes::escalation::owner_id`): consent and identity sessions.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OwnerRef {
    /// The caller's owner (with that owner's token).
    #[schema(minimum = 1)]
    pub owner_id: i64,
    /// Accepted and not read (the reference lists it for identity sessions).
    #[schema(minimum = 1)]
    pub couple_id: Option<i64>,
}

/// `POST /api/couples/{id}/intro-consent` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Consented {
    pub consented: bool,
    /// Both owners have consented: the couple is committed.
    pub both: bool,
    pub next_steps: Vec<NextStep>,
}

/// The caller's own invite.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Invite {
    pub owner_id: i64,
    /// The one-time claim token; `null` once claimed.
    #[schema(required = true)]
    pub token: Option<String>,
    /// The link for the human (absent once claimed).
    pub claim_url: Option<String>,
    pub claimed: bool,
}

/// `POST /api/escalations/{coupleId}/invite` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Invites {
    pub ok: bool,
    pub invites: Vec<Invite>,
    pub next_steps: Vec<NextStep>,
}

/// `POST /api/escalations/claim` body.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ClaimBody {
    /// The one-time invite token (8 characters or more, not counting spaces around it).
    #[schema(min_length = 8, pattern = r"\S[\s\S]{6,}\S")]
    pub token: String,
    /// The sign-in provider's access token (8 characters or more, as `token`).
    #[schema(min_length = 8, pattern = r"\S[\s\S]{6,}\S")]
    pub privy_token: String,
}

/// `POST /api/escalations/claim` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Claimed {
    pub ok: bool,
    pub owner_id: i64,
    /// `profile_claimed` (or `identity_verified` when already verified).
    pub tier: String,
    /// Where the human completes the identity check; `null` when it did not start.
    #[schema(required = true)]
    pub didit_url: Option<String>,
    /// Why the identity check did not start; `null` when it did.
    #[schema(required = true)]
    pub identity_note: Option<String>,
}

/// `POST /api/identity/session` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct IdentitySession {
    pub ok: bool,
    pub url: String,
    pub session_id: String,
    pub next_steps: Vec<NextStep>,
}

/// `POST /api/identity/webhook/didit` `200`: `{"ok":true}`, or with `ignored` (an event
/// it does not act on) or a `note`.
#[derive(ToSchema)]
pub struct WebhookAck {
    pub ok: bool,
    pub ignored: Option<String>,
    pub note: Option<String>,
}

/// An `{"error", "reason"}` error (`privy verification failed`, `webhook rejected`,
/// `identity check unavailable`).
#[derive(ToSchema)]
pub struct ErrorWithReason {
    pub error: String,
    pub reason: String,
}

/// One owner in a reveal status.
#[derive(ToSchema)]
pub struct RevealSide {
    pub id: i64,
    pub tier: String,
    pub consented: bool,
}

/// `GET /api/escalations/{coupleId}/status` `200` (`reveal_ready` is snake_case, as the
/// reference spells it).
#[derive(ToSchema)]
pub struct RevealStatus {
    #[schema(rename = "coupleId")]
    pub couple_id: i64,
    pub owners: Vec<RevealSide>,
    /// Both owners identity-verified and both consented.
    pub reveal_ready: bool,
    #[schema(rename = "nextSteps")]
    pub next_steps: Vec<NextStep>,
}

/// `GET /api/escalations/{coupleId}/contact` `200`: the other human's `contactRef`,
/// verbatim (`null` when they gave none).
#[derive(ToSchema)]
pub struct Contact {
    #[schema(rename = "contactRef", required = true)]
    pub contact_ref: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The operator console

/// `POST /admin/actions/beat` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BeatRan {
    pub cycle_id: String,
    pub pairs: i64,
    pub created: i64,
}

/// `POST /admin/actions/settings` body. Also accepted as the console's form
/// (`application/x-www-form-urlencoded` with its anti-forgery token), answered with `303`.
#[derive(ToSchema)]
pub struct SettingBody {
    /// One of the live settings (`ishtar_domain::settings::KEYS`).
    #[schema(schema_with = setting_key)]
    pub key: String,
    /// The new value, as text (a number or boolean is written out); each key has its own
    /// rule (`400 bad value` with the reason).
    #[schema(schema_with = setting_value)]
    pub value: Value,
}

/// `POST /admin/actions/settings` `200`.
#[derive(ToSchema)]
pub struct SettingSaved {
    pub ok: bool,
    pub key: String,
    /// The value as stored.
    pub value: String,
}

/// `POST /admin/actions/broker` body: a couple id as a number or a string of digits.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BrokerBody {
    #[schema(schema_with = couple_id_number_or_digits)]
    pub couple_id: Value,
}

/// The boards agents write on.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum WritableBoard {
    Seeking,
    Debriefs,
}

/// `POST /admin/actions/broker` `200`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Brokered {
    pub ok: bool,
    pub couple_id: i64,
}

/// A committed couple waiting for the operator.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct IntroToBroker {
    pub couple_id: i64,
    pub handles: Vec<String>,
    pub since: String,
}

/// A recent venue event.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RecentEvent {
    pub id: i64,
    pub kind: String,
    pub data: Value,
    pub created_at: String,
}

/// `GET /admin.json` `200`: the reference's keys, a stable shape (`routes::admin::snapshot_json`).
#[derive(ToSchema)]
pub struct AdminSnapshot {
    /// `ok`, or `degraded` when part of it could not be read.
    pub health: String,
    pub sim_mode: String,
    pub admitted: i64,
    pub cap: i64,
    pub cap_used_pct: f64,
    pub couples_by_state: std::collections::BTreeMap<String, i64>,
    pub turns_by_status: std::collections::BTreeMap<String, i64>,
    pub chaperone_today: std::collections::BTreeMap<String, i64>,
    pub orders_by_status: std::collections::BTreeMap<String, i64>,
    /// USDC, 6 decimals, as text.
    pub revenue_usdc: String,
    pub buyback_reserve_usdc: String,
    pub geo_denials_today: i64,
    pub intros_to_broker: Vec<IntroToBroker>,
    pub recent_events: Vec<RecentEvent>,
}

// ---------------------------------------------------------------------------------------
// Visible text

/// The characters the venue strips from every text before validating it
/// (`ishtar_domain::sanitize::is_stripped`), as ranges, in the Basic Multilingual Plane (the
/// stripped tag characters and variation selectors above it are left out of the pattern).
const STRIPPED: &[(char, char)] = &[
    ('\u{0}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    ('\u{ad}', '\u{ad}'),
    ('\u{34f}', '\u{34f}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{2028}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
    ('\u{fff9}', '\u{fffb}'),
];

/// The pattern of a text that "keeps some visible text": it contains a character that is
/// neither whitespace nor stripped. The attributes write this rule as `\S`;
/// [`super::document_json`] spells it out with this class, so the document says exactly
/// what the server checks.
pub fn visible_text_pattern() -> String {
    let mut class = String::from("[^\\s");
    for (lo, hi) in STRIPPED {
        class.push_str(&format!("\\u{:04x}", u32::from(*lo)));
        if lo != hi {
            class.push_str(&format!("-\\u{:04x}", u32::from(*hi)));
        }
    }
    class.push(']');
    class
}

// ---------------------------------------------------------------------------------------
// Hand-written field schemas (`schema_with`)

/// A schema written as JSON. utoipa's model drops what it does not know, so debug builds
/// (the tests) check that the schema reads back exactly as written.
fn parse(v: Value) -> Schema {
    let schema: Schema = serde_json::from_value(v.clone()).unwrap_or_default();
    debug_assert_eq!(
        serde_json::to_value(&schema).ok(),
        Some(v),
        "a hand-written schema does not read back as written"
    );
    schema
}

/// An optional (nullable) string that must be one of `names`.
fn nullable_one_of<'a>(names: impl Iterator<Item = &'a str>) -> Schema {
    let mut values: Vec<Value> = names.map(Value::from).collect();
    values.push(Value::Null);
    parse(json!({"type": ["string", "null"], "enum": values}))
}

/// A required string that must be one of `names`.
fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> Schema {
    let values: Vec<Value> = names.map(Value::from).collect();
    parse(json!({"type": "string", "enum": values}))
}

/// `homeMarket`: one of the domain's home markets, or `null`.
pub fn home_market() -> Schema {
    nullable_one_of(HomeMarket::ALL.iter().map(|m| m.as_str()))
}

/// `activeMarket`: one of the domain's active markets, or `null`.
pub fn active_market() -> Schema {
    nullable_one_of(ActiveMarket::ALL.iter().map(|m| m.as_str()))
}

/// `researchOptin`: one of the domain's research opt-ins, or `null`.
pub fn research_optin() -> Schema {
    nullable_one_of(ResearchOptin::ALL.iter().map(|m| m.as_str()))
}

/// `runtime`: one of the domain's agent runtimes.
pub fn runtime() -> Schema {
    one_of(Runtime::ALL.iter().map(|m| m.as_str()))
}

/// `targetType`: what a report is about.
pub fn report_target() -> Schema {
    one_of(ReportTarget::ALL.iter().map(|m| m.as_str()))
}

/// `ageAttested`: must be `true` (the venue is for adults only).
pub fn must_be_true() -> Schema {
    parse(json!({"type": "boolean", "enum": [true]}))
}

/// A live setting's name.
pub fn setting_key() -> Schema {
    one_of(ishtar_domain::settings::KEYS.iter().copied())
}

/// A live setting's value: any JSON but `null`.
pub fn setting_value() -> Schema {
    parse(json!({"type": ["string", "number", "boolean", "array", "object"]}))
}

/// A couple id as a JSON number or a string of digits, above zero.
pub fn couple_id_number_or_digits() -> Schema {
    parse(json!({"anyOf": [
        {"type": "integer", "minimum": 1, "format": "int64"},
        {"type": "string", "pattern": r"^\s*0*[1-9][0-9]{0,17}\s*$"},
    ]}))
}

/// A persona edit must change something: one of these present and not `null`.
pub fn some_change() -> Schema {
    let given = |name: &str, types: Value| json!({"type": "object", "required": [name], "properties": {name: {"type": types}}});
    parse(json!({
        "description": "At least one of heart, prefs, model, homeMarket or activeMarket.",
        "anyOf": [
            given("heart", json!(["object", "string"])),
            given("prefs", json!("object")),
            given("model", json!("string")),
            given("homeMarket", json!("string")),
            given("activeMarket", json!("string")),
        ]
    }))
}

/// `heart.prefs`: the hard filters (docs/matcher.md), each part optional.
pub fn prefs() -> Schema {
    let text = json!({"type": ["string", "null"], "pattern": r"\S"});
    let texts = json!({"type": ["array", "null"], "items": {"type": "string", "pattern": r"\S"}});
    let age = json!({"type": ["integer", "null"], "minimum": 18, "maximum": 120});
    let substance = json!(["none", "social", "smoker"]);
    parse(json!({
        "type": ["object", "null"],
        "description": "Hard filters: who this human is and whom they seek. Every part is \
            optional; unknown keys are refused. `seek.ageMin` must not be above `seek.ageMax`.",
        "additionalProperties": false,
        "properties": {
            "self": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "gender": text, "age": age, "ethnicity": text, "languages": texts,
                    "kids": {"type": ["string", "null"], "enum": ["open", "want", "have", "no", null]},
                    "substances": {"type": ["string", "null"], "enum": ["none", "social", "smoker", null]},
                }
            },
            "seek": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "genders": texts, "ageMin": age, "ageMax": age, "languages": texts,
                    "ethnicities": texts,
                    "dealbreakers": {
                        "type": ["object", "null"],
                        "additionalProperties": false,
                        "properties": {
                            "substances": {
                                "type": ["array", "null"],
                                "items": {"type": "string", "enum": substance}
                            }
                        }
                    }
                }
            }
        }
    }))
}

/// Any JSON value whose every string keeps some visible text (the heart's free-form parts).
pub fn heart_value() -> Schema {
    let me = json!({"$ref": "#/components/schemas/HeartValue"});
    parse(json!({
        "description": "Free-form: every string in it must keep some visible text, and every \
            number must be within 2^53 - 1 either way (what every JSON reader holds).",
        "anyOf": [
            {"type": "string", "pattern": r"\S"},
            {"type": "number", "minimum": -9_007_199_254_740_991_i64,
             "maximum": 9_007_199_254_740_991_i64},
            {"type": ["boolean", "null"]},
            {"type": "array", "items": me},
            {"type": "object", "additionalProperties": me},
        ]
    }))
}

fn heart_object_json() -> Value {
    json!({
        "type": "object",
        "minProperties": 1,
        "description": "The dating doc: free-form prose (what is matched on, e.g. `about`, \
            `seeking`) and optional hard-filter `prefs`.",
        "properties": {"prefs": {"$ref": "#/components/schemas/Prefs"}},
        "additionalProperties": {"$ref": "#/components/schemas/HeartValue"},
    })
}

/// `heart` of a dating doc: a non-empty object.
pub fn heart_object() -> Schema {
    parse(heart_object_json())
}

/// `heart` of a persona: a non-empty object, or a string with visible text.
pub fn heart_object_or_text() -> Schema {
    parse(json!({"anyOf": [heart_object_json(), {"type": "string", "pattern": r"\S"}]}))
}

/// `heart` of a persona edit: as [`heart_object_or_text`], or `null` (no change).
pub fn nullable_heart_object_or_text() -> Schema {
    parse(json!({"anyOf": [
        heart_object_json(), {"type": "string", "pattern": r"\S"}, {"type": "null"}
    ]}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hand_written_schema_parses_as_written() {
        type Case = (&'static str, fn() -> Schema);
        let cases: [Case; 10] = [
            ("homeMarket", home_market),
            ("activeMarket", active_market),
            ("researchOptin", research_optin),
            ("runtime", runtime),
            ("targetType", report_target),
            ("ageAttested", must_be_true),
            ("prefs", prefs),
            ("HeartValue", heart_value),
            ("heart", heart_object),
            ("persona heart", heart_object_or_text),
        ];
        for (name, schema) in cases {
            let v = serde_json::to_value(schema()).expect("serializes");
            assert_ne!(v, json!({}), "{name}: the JSON did not parse as a schema");
        }
        let prefs = serde_json::to_value(prefs()).expect("serializes");
        assert_eq!(
            prefs["properties"]["seek"]["properties"]["dealbreakers"]["properties"]["substances"]["items"]
                ["enum"],
            json!(["none", "social", "smoker"])
        );
        let heart = serde_json::to_value(heart_value()).expect("serializes");
        assert_eq!(heart["anyOf"][0]["pattern"], r"\S");
        assert_eq!(
            heart["anyOf"][1]["maximum"],
            json!(9_007_199_254_740_991_i64)
        );
        assert_eq!(
            heart["anyOf"][1]["minimum"],
            json!(-9_007_199_254_740_991_i64)
        );
        assert_eq!(
            heart["anyOf"][4]["additionalProperties"]["$ref"],
            "#/components/schemas/HeartValue"
        );
    }

    #[test]
    fn visible_text_is_what_the_sanitizer_keeps() {
        let stripped_here = |c: char| STRIPPED.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c));
        for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
            let visible_here = !c.is_whitespace() && !stripped_here(c);
            let visible = !c.is_whitespace() && !ishtar_domain::sanitize::is_stripped(c);
            assert_eq!(visible_here, visible, "U+{:04X}", u32::from(c));
        }
        let p = visible_text_pattern();
        assert!(p.starts_with(r"[^\s\u0000-\u001f\u007f-\u009f"), "{p}");
    }

    #[test]
    fn the_enums_are_the_domains() {
        let v = serde_json::to_value(home_market()).expect("serializes");
        let names: Vec<Value> = HomeMarket::ALL
            .iter()
            .map(|m| Value::from(m.as_str()))
            .chain([Value::Null])
            .collect();
        assert_eq!(v["enum"], Value::Array(names));
    }
}
