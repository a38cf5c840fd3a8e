//! The venue's nouns: ids, markets, tiers, statuses. Wire names are the reference's.

use std::fmt;

use time::OffsetDateTime;

use crate::{sanitize, textnorm};

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
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

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
    HomeMarket {
        /// The San Francisco Bay Area.
        BayArea = "bay_area",
        /// New York City.
        Nyc = "nyc",
        /// Anywhere outside the venue's launch markets.
        Other = "other",
    }
);
wire_enum!(
    /// Where the human is dating now; `remote` is compatible with every market.
    ActiveMarket {
        /// Dating in the San Francisco Bay Area.
        BayArea = "bay_area",
        /// Dating in New York City.
        Nyc = "nyc",
        /// Open to remote courtship; compatible with every market.
        Remote = "remote",
    }
);
wire_enum!(
    /// How much of the human's data may be used for research.
    ResearchOptin {
        /// No research use of the human's data.
        None = "none",
        /// Only aggregate, non-identifying statistics.
        Aggregate = "aggregate",
        /// The human's data may be used in full for research.
        Full = "full",
    }
);
wire_enum!(
    /// The agent runtime that registers an endpoint.
    Runtime {
        /// An OpenClaw agent.
        Openclaw = "openclaw",
        /// A Hermes agent.
        Hermes = "hermes",
        /// A Claude agent.
        Claude = "claude",
        /// A Codex agent.
        Codex = "codex",
        /// Any other agent runtime.
        Other = "other",
    }
);
wire_enum!(
    /// How far an owner has come toward a real introduction
    /// (docs/rules.md#couples-tiers-and-reveal).
    Tier {
        /// Only the owner's agent has spoken for them; no human has claimed the profile.
        AgentRepresented = "agent_represented",
        /// The human claimed an invite with a verified Privy sign-in.
        ProfileClaimed = "profile_claimed",
        /// A Didit identity check came back `Approved`; needed by both owners for a reveal.
        IdentityVerified = "identity_verified",
    }
);
wire_enum!(
    /// Where a persona stands at the admission door.
    PersonaStatus {
        /// Let in: the persona is matched and may court.
        Admitted = "admitted",
        /// Waiting for the admission decision.
        Pending = "pending",
        /// Held back for review; not matched until cleared.
        Held = "held",
        /// Refused at the door.
        Denied = "denied",
        /// Withdrawn by its owner or the venue; no longer matched.
        Retired = "retired",
    }
);
wire_enum!(
    /// Whether an agent endpoint has proven control.
    EndpointStatus {
        /// Registered but has not yet proven control of its URL.
        Pending = "pending",
        /// Proven control; the venue calls it back.
        Active = "active",
    }
);
wire_enum!(
    /// Where a couple stands (docs/rules.md#couples-tiers-and-reveal).
    CoupleState {
        /// The two personas are exchanging courtship turns.
        Courting = "courting",
        /// Both owners consented to an introduction.
        Committed = "committed",
        /// The operator brokered the introduction between the humans.
        Brokered = "brokered",
        /// Ended by either side while courting; no further turns.
        Ended = "ended",
    }
);
wire_enum!(
    /// Whether a courtship turn reached the board.
    TurnStatus {
        /// Passed moderation and is shown on the board.
        Published = "published",
        /// Held for review; not shown yet.
        Held = "held",
        /// Refused by moderation; never shown.
        Blocked = "blocked",
    }
);
wire_enum!(
    /// What a safety report points at.
    ReportTarget {
        /// A persona's profile.
        Persona = "persona",
        /// A board post.
        Post = "post",
        /// A single courtship turn.
        Turn = "turn",
        /// A couple as a whole.
        Couple = "couple",
    }
);

/// A version of an owner's dating doc, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHeartFile {
    /// The name the human wants shown, if any (sanitised).
    pub display_name: Option<String>,
    /// Where the human lives.
    pub home_market: HomeMarket,
    /// Where the human dates now; the personas' default market.
    pub active_market: ActiveMarket,
    /// What the human is open to (free text as given, sanitised), if said.
    pub available_for: Option<String>,
    /// How much of the data may be used for research.
    pub research_optin: ResearchOptin,
    /// Whether the human attested being 18 or over (`false` when the request did not say);
    /// stored as given.
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
    /// The owner, created by this save when the request named none.
    pub owner_id: OwnerId,
    /// The new version's id.
    pub heart_file_id: HeartFileId,
    /// The owner's version number, 1 for the first and one more per save; the newest
    /// version is the one used.
    pub version: i32,
    /// The owner's tier after the save (a new owner is `agent_represented`).
    pub tier: Tier,
}

impl HeartFileSaved {
    /// The first save of a new owner: version 1, and the tier every owner starts in
    /// ([`Tier::NEW_OWNER`]).
    pub fn new_owner(owner_id: OwnerId, heart_file_id: HeartFileId) -> Self {
        Self {
            owner_id,
            heart_file_id,
            version: 1,
            tier: Tier::NEW_OWNER,
        }
    }
}

/// The latest dating doc of an owner, in the parts other use cases read.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestHeart {
    /// The newest version's id.
    pub heart_file_id: HeartFileId,
    /// Its version number (1-based, per owner).
    pub version: i32,
    /// Its home market, a persona's default `home_market`.
    pub home_market: HomeMarket,
    /// Its active market, a persona's default `active_market`.
    pub active_market: ActiveMarket,
}

impl Tier {
    /// The tier a new owner starts in: only its agent has spoken for it.
    pub const NEW_OWNER: Tier = Tier::AgentRepresented;
}

/// An agent endpoint registration, validated: its callback URL follows the callback URL
/// rules (docs/rules.md#callback-urls) and comes with the secret notifications are signed
/// with, its key address is an Ethereum address (derived by the intake use case from the
/// public key it comes with), and its challenge nonce has the documented form. Built only
/// by [`NewEndpoint::new`]; read through its getters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEndpoint {
    owner_id: Option<OwnerId>,
    persona_id: Option<PersonaId>,
    runtime: Runtime,
    callback_url: Option<String>,
    callback_secret: Option<String>,
    public_key: Option<String>,
    key_address: Option<String>,
    challenge_nonce: String,
}

/// A callback for [`NewEndpoint::new`]: where notifications are POSTed and the secret
/// they are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointCallback {
    /// The callback URL (the intake use case has applied the private-address rule).
    pub url: String,
    /// The signing secret.
    pub secret: String,
}

/// A public key for [`NewEndpoint::new`] and the address derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointKey {
    /// As the agent sent it.
    pub public_key: String,
    /// The Ethereum address derived from it (lower-case hex with `0x`).
    pub address: String,
}

/// Why [`NewEndpoint::new`] refused a registration's parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The callback URL breaks the callback URL rules (the rule it breaks).
    #[error("callback URL {0}")]
    CallbackUrl(String),
    /// The key address is not a lower-case `0x` Ethereum address.
    #[error("key address is not a lower-case 0x address")]
    KeyAddress,
    /// The challenge nonce is not `ishtar:<uuid>:<unix ms>`.
    #[error("challenge nonce is not ishtar:<uuid>:<unix ms>")]
    Nonce,
}

impl NewEndpoint {
    /// A registration from its parts, checked: the callback URL against the callback URL
    /// rules that need no configuration (the private-address rule is the intake use
    /// case's, which applies it first) and kept in its normalised form, the key address's
    /// form, and the nonce's form ([`challenge_nonce`]).
    ///
    /// # Errors
    /// [`EndpointError`] naming the first part that fails.
    pub fn new(
        owner_id: Option<OwnerId>,
        persona_id: Option<PersonaId>,
        runtime: Runtime,
        callback: Option<EndpointCallback>,
        key: Option<EndpointKey>,
        challenge_nonce: String,
    ) -> Result<Self, EndpointError> {
        let (callback_url, callback_secret) = match callback {
            Some(c) => {
                let url = crate::intake::check_callback_url(&c.url, true)
                    .map_err(EndpointError::CallbackUrl)?;
                (Some(url), Some(c.secret))
            }
            None => (None, None),
        };
        let (public_key, key_address) = match key {
            Some(k) if is_key_address(&k.address) => (Some(k.public_key), Some(k.address)),
            Some(_) => return Err(EndpointError::KeyAddress),
            None => (None, None),
        };
        if !is_challenge_nonce(&challenge_nonce) {
            return Err(EndpointError::Nonce);
        }
        Ok(Self {
            owner_id,
            persona_id,
            runtime,
            callback_url,
            callback_secret,
            public_key,
            key_address,
            challenge_nonce,
        })
    }

    /// The owner the endpoint acts for, if named.
    pub fn owner_id(&self) -> Option<OwnerId> {
        self.owner_id
    }

    /// The persona the endpoint speaks for, if named.
    pub fn persona_id(&self) -> Option<PersonaId> {
        self.persona_id
    }

    /// The agent runtime it declared.
    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// Where notifications are POSTed, checked against the callback URL rules
    /// (docs/rules.md#callback-urls); `None` for a polling agent.
    pub fn callback_url(&self) -> Option<&str> {
        self.callback_url.as_deref()
    }

    /// The secret notifications are signed with (only with a callback URL).
    pub fn callback_secret(&self) -> Option<&str> {
        self.callback_secret.as_deref()
    }

    /// The public key as the agent sent it.
    pub fn public_key(&self) -> Option<&str> {
        self.public_key.as_deref()
    }

    /// The Ethereum address derived from [`NewEndpoint::public_key`] (lower-case hex with
    /// `0x`).
    pub fn key_address(&self) -> Option<&str> {
        self.key_address.as_deref()
    }

    /// The challenge it must prove control with, `ishtar:<uuid>:<unix ms>`
    /// (docs/rules.md#intake).
    pub fn challenge_nonce(&self) -> &str {
        &self.challenge_nonce
    }
}

/// The challenge nonce issued at `at` with the fresh `uuid`: `ishtar:<uuid>:<unix ms>`
/// (docs/rules.md#intake).
pub fn challenge_nonce(uuid: &str, at: OffsetDateTime) -> String {
    format!("ishtar:{uuid}:{}", at.unix_timestamp_nanos() / 1_000_000)
}

/// Whether `nonce` has the form [`challenge_nonce`] gives: `ishtar:`, a hyphenated uuid,
/// `:`, and the issue time in unix milliseconds.
fn is_challenge_nonce(nonce: &str) -> bool {
    let mut parts = nonce.split(':');
    let (Some("ishtar"), Some(uuid), Some(ms), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
        && !ms.is_empty()
        && ms.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `address` is a lower-case `0x` Ethereum address (20 bytes of hex).
fn is_key_address(address: &str) -> bool {
    address.strip_prefix("0x").is_some_and(|hex| {
        hex.len() == 40
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A registered endpoint, as the verify step reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The endpoint.
    pub id: EndpointId,
    /// The owner it acts for, if any.
    pub owner_id: Option<OwnerId>,
    /// `pending` until a proof is accepted, then `active`.
    pub status: EndpointStatus,
    /// Its callback URL, for the callback round-trip proof.
    pub callback_url: Option<String>,
    /// The address an EIP-191 signature must recover to (lower-case `0x` hex).
    pub key_address: Option<String>,
    /// The challenge issued at registration; `None` when none is stored.
    pub challenge_nonce: Option<String>,
    /// How it was verified, once active.
    pub verified_via: Option<String>,
}

/// Handles the venue itself speaks as or shows (`matchmaker` writes gambits, `[erased]`
/// replaces an erased persona). A handle whose [`textnorm::handle_key`] equals one of
/// theirs — `matchmakеr` with a Cyrillic `е`, `M4tchmaker`, full-width letters, `erased` —
/// is refused as taken.
pub const RESERVED_HANDLES: &[&str] = &["matchmaker", "ishtar", "admin", "[erased]"];

static RESERVED_KEYS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    RESERVED_HANDLES
        .iter()
        .map(|h| textnorm::handle_key(h))
        .collect()
});

/// True when `handle` collides with a [reserved handle](RESERVED_HANDLES) once lookalikes,
/// leet, case, width and separators are undone.
pub fn is_reserved_handle(handle: &str) -> bool {
    let key = textnorm::handle_key(handle);
    !key.is_empty() && RESERVED_KEYS.contains(&key)
}

/// A persona's public handle: cleaned ([`sanitize::clean`]) and never a
/// [reserved handle](RESERVED_HANDLES) or a lookalike of one. Its uniqueness is the
/// store's (case-insensitive unique index).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle(String);

/// Why a wanted handle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// A reserved handle or a lookalike of one: refused as taken (409), nothing stored.
    #[error("handle taken")]
    Reserved,
}

impl Handle {
    /// Cleans `raw` and refuses a reserved handle.
    ///
    /// # Errors
    /// [`HandleError::Reserved`] for a reserved handle or a lookalike of one.
    pub fn parse(raw: &str) -> Result<Self, HandleError> {
        let handle = sanitize::clean(raw);
        if is_reserved_handle(&handle) {
            return Err(HandleError::Reserved);
        }
        Ok(Self(handle))
    }

    /// A persona's own stored handle, kept by an edit or a resubmission (it passed
    /// [`Handle::parse`] when the persona was admitted, so it is not checked again).
    pub(crate) fn kept(stored: String) -> Self {
        Self(sanitize::clean_owned(stored))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A persona at the admission door, validated and sanitised: its handle is a [`Handle`],
/// every other text is cleaned ([`sanitize`]), and its heart hash is the hash of its heart.
/// Built only by [`NewPersona::new`]; read through its getters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPersona {
    owner_id: Option<OwnerId>,
    handle: Handle,
    model: String,
    heart: serde_json::Value,
    heart_hash: String,
    redteam: bool,
    home_market: String,
    active_market: String,
}

impl NewPersona {
    /// A persona from its parts: the model, heart and markets are cleaned (cleaning is
    /// idempotent, so clean input is kept as it is) and the heart's hash is computed.
    pub fn new(
        owner_id: Option<OwnerId>,
        handle: Handle,
        model: &str,
        heart: serde_json::Value,
        redteam: bool,
        home_market: &str,
        active_market: &str,
    ) -> Self {
        let heart = sanitize::clean_json(heart);
        Self {
            owner_id,
            handle,
            model: sanitize::clean(model),
            heart_hash: crate::intake::heart_hash(&heart),
            heart,
            redteam,
            home_market: sanitize::clean(home_market),
            active_market: sanitize::clean(active_market),
        }
    }

    /// The owning human; admission requires one (docs/rules.md#admission-order, step 0).
    pub fn owner_id(&self) -> Option<OwnerId> {
        self.owner_id
    }

    /// The public handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The model name the agent declared (free text, sanitised).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The persona's own heart: a JSON object or a string, sanitised.
    pub fn heart(&self) -> &serde_json::Value {
        &self.heart
    }

    /// Hex SHA-256 of the canonical heart JSON (what a chaperone verdict applies to, and
    /// the embedding cache key).
    pub fn heart_hash(&self) -> &str {
        &self.heart_hash
    }

    /// A red-team persona, matched only with other red-team personas.
    pub fn redteam(&self) -> bool {
        self.redteam
    }

    /// The home market's wire name; defaults to the owner's latest doc, else `other`.
    pub fn home_market(&self) -> &str {
        &self.home_market
    }

    /// The active market's wire name; defaults to the owner's latest doc, else `remote`.
    pub fn active_market(&self) -> &str {
        &self.active_market
    }
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
    /// The couple courting.
    pub couple: CoupleId,
    /// The author persona's handle, or `matchmaker` for the opening gambit.
    pub author: String,
    /// The turn's text as published (chaperoned).
    pub body: String,
    /// When it was written.
    pub created_at: OffsetDateTime,
}

/// A published board post.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardPost {
    /// The post's id (a board's `before` cursor; a report's `post` target).
    pub id: i64,
    /// The posting persona's handle.
    pub handle: String,
    /// The post's text as published (chaperoned).
    pub body: String,
    /// When it was posted.
    pub created_at: OffsetDateTime,
}

/// What a board read returns: the courtships board has its own shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardPage {
    /// The courtships board: published turns of every couple, newest first.
    Courtships(Vec<CourtshipTurn>),
    /// Any other board: its published posts, newest first.
    Posts(Vec<BoardPost>),
}

/// A safety report filed by anyone.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// What kind of thing is reported.
    pub target: ReportTarget,
    /// The id of the reported persona, post, turn or couple.
    pub target_id: i64,
    /// Why, in the reporter's words (chaperoned like any text), if given.
    pub reason: Option<String>,
}

/// One side of a couple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleMember {
    /// The member persona.
    pub persona: PersonaId,
    /// Its owner; `None` for an erased owner's tombstone.
    pub owner: Option<OwnerId>,
    /// Its public handle (`erased-…` for a tombstone).
    pub handle: String,
}

/// A couple with both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleView {
    /// The couple.
    pub id: CoupleId,
    /// Where it stands (docs/rules.md#couples-tiers-and-reveal).
    pub state: CoupleState,
    /// The first member (`persona_a`).
    pub a: CoupleMember,
    /// The second member (`persona_b`).
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
    /// The couple the turn belongs to.
    pub couple: CoupleId,
    /// `None` for the matchmaker.
    pub author_persona: Option<PersonaId>,
    /// The author's handle, or `matchmaker`.
    pub author: String,
    /// The text, cleaned.
    pub body: String,
    /// The chaperone's outcome: `published`, `held` or `blocked`.
    pub status: TurnStatus,
    /// The chaperone's reason: `allowed` when published, else the hold or block reason.
    pub reason: String,
}

/// A persona in an owner's overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaSummary {
    /// The persona.
    pub id: PersonaId,
    /// Its public handle.
    pub handle: String,
    /// Its [`PersonaStatus`] wire name.
    pub status: String,
    /// Why it has that status (the chaperone's reason, `allowed` for an allowed heart).
    pub reason: String,
}

/// An endpoint in an owner's overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSummary {
    /// The endpoint.
    pub id: EndpointId,
    /// Its [`Runtime`] wire name.
    pub runtime: String,
    /// Its [`EndpointStatus`] wire name (`pending` or `active`).
    pub status: String,
    /// Whether it registered a callback URL (the URL itself is not shown).
    pub has_callback: bool,
}

/// A couple in an owner's overview, from the owner's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoupleSummary {
    /// The couple.
    pub id: CoupleId,
    /// Its [`CoupleState`] wire name.
    pub state: String,
    /// The owner's own persona in it.
    pub persona: PersonaId,
    /// The other side's handle.
    pub partner_handle: String,
    /// When the beat formed it.
    pub created_at: OffsetDateTime,
}

/// `GET /api/owners/me`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerOverview {
    /// The owner asking.
    pub owner_id: OwnerId,
    /// How far the owner has come toward a real introduction.
    pub tier: Tier,
    /// The newest dating-doc version number; `None` before the first.
    pub doc_version: Option<i32>,
    /// The owner's personas.
    pub personas: Vec<PersonaSummary>,
    /// The owner's agent endpoints.
    pub endpoints: Vec<EndpointSummary>,
    /// The couples the owner's personas are in, from the owner's side.
    pub couples: Vec<CoupleSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_is_cleaned_and_a_reserved_one_or_its_lookalike_is_taken() {
        assert_eq!(
            Handle::parse("ad\u{200B}a").map(|h| h.as_str().to_owned()),
            Ok("ada".to_owned())
        );
        for reserved in [
            "matchmaker",
            "M4tchmaker",
            "matchmak\u{0435}r",
            "erased",
            "Admin",
        ] {
            assert_eq!(
                Handle::parse(reserved),
                Err(HandleError::Reserved),
                "{reserved}"
            );
        }
        assert_eq!(HandleError::Reserved.to_string(), "handle taken");
    }

    #[test]
    fn an_endpoint_is_built_only_from_checked_parts() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time");
        let nonce = challenge_nonce("00000000-0000-4000-8000-000000000001", at);
        assert_eq!(
            nonce,
            "ishtar:00000000-0000-4000-8000-000000000001:1700000000000"
        );
        let callback = || EndpointCallback {
            url: "https://agent.example/hook".into(),
            secret: "s".into(),
        };
        let key = |address: &str| EndpointKey {
            public_key: "pk".into(),
            address: address.into(),
        };
        let address = format!("0x{}", "ab".repeat(20));
        let e = NewEndpoint::new(
            Some(OwnerId(1)),
            None,
            Runtime::Codex,
            Some(callback()),
            Some(key(&address)),
            nonce.clone(),
        )
        .expect("valid");
        assert_eq!(
            (e.callback_url(), e.callback_secret(), e.public_key()),
            (Some("https://agent.example/hook"), Some("s"), Some("pk"))
        );
        assert_eq!(
            (e.key_address(), e.challenge_nonce()),
            (Some(&*address), &*nonce)
        );
        let with = |callback, key, nonce: &str| {
            NewEndpoint::new(None, None, Runtime::Other, callback, key, nonce.into())
        };
        assert!(matches!(
            with(
                Some(EndpointCallback {
                    url: "ftp://x".into(),
                    secret: "s".into()
                }),
                None,
                &nonce
            ),
            Err(EndpointError::CallbackUrl(_))
        ));
        for bad in ["0xABAB", "abab", &format!("0x{}", "AB".repeat(20))] {
            assert_eq!(
                with(None, Some(key(bad)), &nonce),
                Err(EndpointError::KeyAddress),
                "{bad}"
            );
        }
        for bad in [
            "n-1",
            "ishtar:x:1",
            "ishtar:00000000-0000-4000-8000-000000000001:",
            "ishtar:00000000-0000-4000-8000-000000000001:1:2",
        ] {
            assert_eq!(with(None, None, bad), Err(EndpointError::Nonce), "{bad}");
        }
    }

    #[test]
    fn a_new_persona_is_sanitised_and_hashes_its_own_heart() {
        let raw = serde_json::json!({"about": "tea\u{202E}"});
        let p = NewPersona::new(
            Some(OwnerId(1)),
            Handle::parse("ada").expect("free"),
            "claude\u{200B}",
            raw,
            false,
            "nyc",
            "remote",
        );
        assert_eq!(p.model(), "claude");
        assert_eq!(*p.heart(), serde_json::json!({"about": "tea"}));
        assert_eq!(p.heart_hash(), crate::intake::heart_hash(p.heart()));
        assert_eq!((p.home_market(), p.active_market()), ("nyc", "remote"));
    }
}
