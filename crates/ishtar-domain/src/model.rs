//! The venue's nouns: ids, markets, tiers, statuses. Wire names are the reference's.

use std::fmt;

use time::OffsetDateTime;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An owner: the human, represented without a login.
    OwnerId
);
id_type!(
    /// One version of an owner's dating doc.
    HeartFileId
);
id_type!(
    /// A registered agent endpoint.
    EndpointId
);
id_type!(
    /// A persona: the admitted dating profile that is matched and courts.
    PersonaId
);
id_type!(
    /// A couple formed by the matchmaker.
    CoupleId
);
id_type!(
    /// A courtship turn.
    TurnId
);

/// Generates the closed string enums the reference names, with parse and wire name.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name the reference and the database use.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Where the human lives.
    HomeMarket { BayArea = "bay_area", Nyc = "nyc", Other = "other" }
);
wire_enum!(
    /// Where the human is dating now; `remote` is compatible with every market.
    ActiveMarket { BayArea = "bay_area", Nyc = "nyc", Remote = "remote" }
);
wire_enum!(
    /// How much of the human's data may be used for research.
    ResearchOptin { None = "none", Aggregate = "aggregate", Full = "full" }
);
wire_enum!(
    /// The agent runtime that registers an endpoint.
    Runtime { Openclaw = "openclaw", Hermes = "hermes", Claude = "claude", Codex = "codex", Other = "other" }
);
wire_enum!(
    /// How far an owner has come toward a real introduction
    /// (docs/rules.md#couples-tiers-and-reveal).
    Tier { AgentRepresented = "agent_represented", ProfileClaimed = "profile_claimed", IdentityVerified = "identity_verified" }
);
wire_enum!(
    /// Where a persona stands at the admission door.
    PersonaStatus { Admitted = "admitted", Pending = "pending", Held = "held", Denied = "denied", Retired = "retired" }
);
wire_enum!(
    /// Whether an agent endpoint has proven control.
    EndpointStatus { Pending = "pending", Active = "active" }
);
wire_enum!(
    /// Where a couple stands (docs/rules.md#couples-tiers-and-reveal).
    CoupleState { Courting = "courting", Committed = "committed", Brokered = "brokered", Ended = "ended" }
);
wire_enum!(
    /// Whether a courtship turn reached the board.
    TurnStatus { Published = "published", Held = "held", Blocked = "blocked" }
);
wire_enum!(
    /// What a safety report points at.
    ReportTarget { Persona = "persona", Post = "post", Turn = "turn", Couple = "couple" }
);

/// A version of an owner's dating doc, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHeartFile {
    pub display_name: Option<String>,
    pub home_market: HomeMarket,
    pub active_market: ActiveMarket,
    pub available_for: Option<String>,
    pub research_optin: ResearchOptin,
    pub age_attested: bool,
    /// Private concierge pointer; the store encrypts it at rest.
    pub contact_ref: Option<String>,
    /// The free-form doc, sanitised.
    pub heart: serde_json::Value,
    /// Hex SHA-256 of the canonical heart JSON (the embedding cache key).
    pub heart_hash: String,
}

/// What the store hands back after saving a dating doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartFileSaved {
    pub owner_id: OwnerId,
    pub heart_file_id: HeartFileId,
    pub version: i32,
    pub tier: Tier,
}

/// The latest dating doc of an owner, in the parts other use cases read.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestHeart {
    pub heart_file_id: HeartFileId,
    pub version: i32,
    pub home_market: HomeMarket,
    pub active_market: ActiveMarket,
}

/// An agent endpoint registration, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEndpoint {
    pub owner_id: Option<OwnerId>,
    pub persona_id: Option<PersonaId>,
    pub runtime: Runtime,
    pub callback_url: Option<String>,
    /// The secret notifications are signed with (only with a callback URL).
    pub callback_secret: Option<String>,
    /// As the agent sent it.
    pub public_key: Option<String>,
    /// The Ethereum address derived from `public_key` (lower-case hex with `0x`).
    pub key_address: Option<String>,
    pub challenge_nonce: String,
}

/// A registered endpoint, as the verify step reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub owner_id: Option<OwnerId>,
    pub status: EndpointStatus,
    pub callback_url: Option<String>,
    pub key_address: Option<String>,
    pub challenge_nonce: Option<String>,
    /// How it was verified, once active.
    pub verified_via: Option<String>,
}

/// A persona at the admission door, validated and sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPersona {
    pub owner_id: Option<OwnerId>,
    pub handle: String,
    pub model: String,
    pub heart: serde_json::Value,
    pub heart_hash: String,
    pub redteam: bool,
    pub home_market: String,
    pub active_market: String,
}

/// The outcome of asking for a cap slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapOutcome {
    /// The persona took a slot and is admitted.
    Admitted,
    /// The venue is full; the persona waits as `pending`.
    Full,
}

/// A published courtship turn, as the courtships board shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CourtshipTurn {
    /// The turn's id (a board's `before` cursor).
    pub id: TurnId,
    pub couple: CoupleId,
    pub author: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// A published board post.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardPost {
    /// The post's id (a board's `before` cursor; a report's `post` target).
    pub id: i64,
    pub handle: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// What a board read returns: the courtships board has its own shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardPage {
    Courtships(Vec<CourtshipTurn>),
    Posts(Vec<BoardPost>),
}

/// A safety report filed by anyone.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub target: ReportTarget,
    pub target_id: i64,
    pub reason: Option<String>,
}

/// One side of a couple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleMember {
    pub persona: PersonaId,
    pub owner: Option<OwnerId>,
    pub handle: String,
}

/// A couple with both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleView {
    pub id: CoupleId,
    pub state: CoupleState,
    pub a: CoupleMember,
    pub b: CoupleMember,
}

impl CoupleView {
    /// The side `owner` is on, and the other side.
    pub fn sides(&self, owner: OwnerId) -> Option<(&CoupleMember, &CoupleMember)> {
        if self.a.owner == Some(owner) {
            Some((&self.a, &self.b))
        } else if self.b.owner == Some(owner) {
            Some((&self.b, &self.a))
        } else {
            None
        }
    }
}

/// A courtship turn to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTurn {
    pub couple: CoupleId,
    /// `None` for the matchmaker.
    pub author_persona: Option<PersonaId>,
    /// The author's handle, or `matchmaker`.
    pub author: String,
    pub body: String,
    pub status: TurnStatus,
    pub reason: String,
}

/// A persona in an owner's overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaSummary {
    pub id: PersonaId,
    pub handle: String,
    pub status: String,
    pub reason: String,
}

/// An endpoint in an owner's overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSummary {
    pub id: EndpointId,
    pub runtime: String,
    pub status: String,
    pub has_callback: bool,
}

/// A couple in an owner's overview, from the owner's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleSummary {
    pub id: CoupleId,
    pub state: String,
    pub persona: PersonaId,
    pub partner_handle: String,
    pub created_at: OffsetDateTime,
}

/// `GET /api/owners/me`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerOverview {
    pub owner_id: OwnerId,
    pub tier: Tier,
    pub doc_version: Option<i32>,
    pub personas: Vec<PersonaSummary>,
    pub endpoints: Vec<EndpointSummary>,
    pub couples: Vec<CoupleSummary>,
}
