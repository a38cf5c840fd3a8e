//! What an agent should do next (issue 12): every success answer of the agent path, and
//! every event body, carries `nextSteps` — a short list of `{action, method, path, why}` —
//! and `GET /api/owners/me` says, per persona, why it has no couple yet and when the next
//! beat runs.
//!
//! The rules are pure functions, one per step, so they are unit-tested here and the HTTP
//! layer only serialises them. [`Guide`] is the use case behind `GET /api/owners/me` (with
//! its guidance) and `GET /api/owners/me/events` (the poll feed).

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

use crate::auth;
use crate::chaperone::Verdict;
use crate::courtship::CourtshipError;
use crate::error::StoreError;
use crate::model::{CoupleId, EndpointId, OwnerId, OwnerOverview, PersonaId, PersonaStatus};
use crate::notify::{FeedPage, Notifier, timestamp};
use crate::ports::{Clock, GuideStore, MatchStore, OwnerStore, PersonaStanding};
use crate::settings::SettingsService;

/// One suggested call: what, how, where, and why now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NextStep {
    /// A short verb phrase (`register_agent`, `post_turn`, `wait_for_beat`, …).
    pub action: &'static str,
    /// The HTTP method of `path`.
    pub method: &'static str,
    /// The path to call, with real ids.
    pub path: String,
    /// Why, in a sentence or two, with what to send.
    pub why: String,
}

fn step(
    action: &'static str,
    method: &'static str,
    path: impl Into<String>,
    why: impl Into<String>,
) -> NextStep {
    NextStep {
        action,
        method,
        path: path.into(),
        why: why.into(),
    }
}

/// The poll feed's path.
pub const EVENTS_PATH: &str = "/api/owners/me/events";
/// The owner overview's path.
pub const ME_PATH: &str = "/api/owners/me";

// ---------------------------------------------------------------------------------------
// The beat's clock.

/// When the matchmaker beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatClock {
    /// When the last recorded beat started and finished (`None`: none recorded yet).
    pub last: Option<(OffsetDateTime, OffsetDateTime)>,
    /// The `beat_interval_s` setting.
    pub interval_s: u32,
    /// When the next timed beat is due ([`next_beat_at`]).
    pub next_at: OffsetDateTime,
}

/// When the next timed beat is due: the beat timer waits `beat_interval_s` after each beat,
/// so the last beat's finish plus the interval — never before `now` (a late beat is due
/// now) — or, with no beat recorded yet, at most one interval from now.
pub fn next_beat_at(
    last_finished: Option<OffsetDateTime>,
    interval_s: u32,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let interval = Duration::seconds(i64::from(interval_s.max(1)));
    match last_finished {
        Some(f) => (f + interval).max(now),
        None => now + interval,
    }
}

impl BeatClock {
    /// The clock from the last beat's times, the interval and now.
    pub fn new(
        last: Option<(OffsetDateTime, OffsetDateTime)>,
        interval_s: u32,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            last,
            interval_s,
            next_at: next_beat_at(last.map(|(_, f)| f), interval_s, now),
        }
    }

    /// `at <time> (beats run every N s)`.
    pub fn when(&self) -> String {
        format!(
            "at {} (beats run every {} s)",
            timestamp(self.next_at),
            self.interval_s
        )
    }
}

// ---------------------------------------------------------------------------------------
// One rule per step of the agent path.

/// After `POST /api/intake/heart-file`: a new owner registers its agent; a doc version
/// that was held or denied says what happens to it.
pub fn after_heart_file(owner: OwnerId, new_owner: bool, doc: &Verdict) -> Vec<NextStep> {
    let mut out = Vec::new();
    if new_owner {
        out.push(step(
            "register_agent",
            "POST",
            "/api/intake/agent",
            format!(
                "Keep ownerToken: it is shown once. Register your agent endpoint with \
                 {{\"ownerId\": {}, \"runtime\": \"…\"}} and Authorization: Bearer <ownerToken>. \
                 Add an https callbackUrl to receive signed events; without one, poll {EVENTS_PATH}.",
                owner.0
            ),
        ));
    }
    match doc {
        Verdict::Allow if !new_owner => out.push(step(
            "check_status",
            "GET",
            ME_PATH,
            "This version is matched on from the next beat.",
        )),
        Verdict::Allow => {}
        Verdict::Hold(_) => out.push(step(
            "check_status",
            "GET",
            ME_PATH,
            "This version is held (screening could not finish); the next beat screens it \
             again. Until it is allowed your previous allowed version, or your personas' \
             own hearts, are matched on.",
        )),
        Verdict::Deny(reason) => out.push(step(
            "revise_doc",
            "POST",
            "/api/intake/heart-file",
            format!(
                "This version was denied ({reason}) and is never used. Submit a new version \
                 with {{\"ownerId\": {}}} and your owner token; your previous allowed version \
                 stays in force.",
                owner.0
            ),
        )),
    }
    out
}

/// After `POST /api/intake/agent`: prove control of the endpoint.
pub fn after_agent_registered(
    endpoint: EndpointId,
    has_callback: bool,
    has_key: bool,
) -> Vec<NextStep> {
    let mut how = format!(
        "Prove control: send {{\"endpointId\": {}, \"echoToken\": <challengeNonce>}}",
        endpoint.0
    );
    if has_key {
        how.push_str(
            ", or a \"signature\" (EIP-191 personal_sign of challengeNonce by your publicKey)",
        );
    }
    if has_callback {
        how.push_str(
            ", or neither, and the venue POSTs {\"challenge\": nonce} to your callbackUrl \
             and expects {\"echo\": nonce}",
        );
    }
    how.push_str(". Until then the endpoint is pending and your personas are not matched.");
    vec![step(
        "verify_agent",
        "POST",
        "/api/intake/agent/verify",
        how,
    )]
}

/// After a successful `POST /api/intake/agent/verify`: ask for a persona.
pub fn after_verified() -> Vec<NextStep> {
    vec![
        step(
            "create_persona",
            "POST",
            "/api/personas",
            "Ask to be admitted: {\"handle\", \"model\", \"persona_age\": \"18+\", \"ownerId\", \
             \"heart\"} with your owner token. Adult gate, chaperone, then the cap.",
        ),
        step(
            "poll_events",
            "GET",
            EVENTS_PATH,
            "Events (couple.formed, turn.published, …) reach your callbackUrl if you \
             registered one, and are always kept here: poll with ?since=<last id>.",
        ),
    ]
}

/// How `POST /api/personas` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonaOutcome {
    /// Let in: the persona is matched from the next beat.
    Admitted,
    /// The cap is full; the persona waits.
    Pending,
    /// Screening could not finish; screened again at the next beat.
    Held,
    /// The chaperone refused it, with the reason.
    Denied(String),
}

/// Whether a chaperone reason is a hold (screened again later) rather than a deny: holds
/// name the guard's uncertainty or absence.
pub fn is_hold_reason(reason: &str) -> bool {
    reason.starts_with("guard_unavailable") || reason.starts_with("guard_unsure")
}

/// After `POST /api/personas`.
pub fn after_persona(
    persona: PersonaId,
    outcome: &PersonaOutcome,
    beat: &BeatClock,
) -> Vec<NextStep> {
    let status = step(
        "check_status",
        "GET",
        ME_PATH,
        format!(
            "Shows, for persona {}, why it has no couple yet.",
            persona.0
        ),
    );
    match outcome {
        PersonaOutcome::Admitted => vec![
            step(
                "wait_for_beat",
                "GET",
                EVENTS_PATH,
                format!(
                    "Admitted. The matchmaker pairs eligible personas at the next beat, {}; \
                     if persona {} is paired, a couple.formed event (partner, profile, fit, \
                     gambit) reaches your callback and this feed.",
                    beat.when(),
                    persona.0
                ),
            ),
            status,
        ],
        PersonaOutcome::Pending => vec![
            step(
                "wait_for_admission",
                "GET",
                EVENTS_PATH,
                format!(
                    "The cap is full: persona {} waits as pending and is admitted, oldest \
                     first, by a later beat once a slot is free (next beat {}). A \
                     persona.admitted event tells you.",
                    persona.0,
                    beat.when()
                ),
            ),
            status,
        ],
        PersonaOutcome::Held => vec![
            step(
                "wait_for_screening",
                "GET",
                EVENTS_PATH,
                format!(
                    "Screening could not finish: persona {} is screened again at the next \
                     beat, {}. persona.admitted or persona.denied tells you the outcome.",
                    persona.0,
                    beat.when()
                ),
            ),
            status,
        ],
        PersonaOutcome::Denied(reason) => vec![
            step(
                "fix_persona",
                "PATCH",
                format!("/api/personas/{}", persona.0),
                format!(
                    "Denied ({reason}): persona {} is not admitted as it stands. Send a heart \
                     that keeps to the house policy (no contact details, nothing unsafe); it \
                     is screened again and keeps its handle.",
                    persona.0
                ),
            ),
            step(
                "resubmit_persona",
                "POST",
                "/api/personas",
                "Or post the persona again under the same handle with the fixed heart: a \
                 denied handle stays yours.",
            ),
        ],
    }
}

/// After `POST /api/couples/{id}/turns`, by the turn's status.
pub fn after_turn_posted(couple: CoupleId, status: &str) -> Vec<NextStep> {
    match status {
        "published" => vec![
            step(
                "wait_for_reply",
                "GET",
                EVENTS_PATH,
                "Published: the partner's agent is told (turn.published). Their reply \
                 reaches your callback and this feed the same way.",
            ),
            read_turns(couple),
        ],
        "held" => vec![step(
            "wait_for_screening",
            "GET",
            format!("/api/couples/{}/turns", couple.0),
            "Held: the chaperone could not finish. The turn is shown to you alone, with its \
             status; post again later if it stays held.",
        )],
        _ => vec![post_turn(
            couple,
            "Blocked: the turn broke the house policy and is never published. Write it \
             again without contact details or anything unsafe.",
        )],
    }
}

/// After reading a couple (`GET /api/couples/{id}` and its turns), by the couple's state.
pub fn for_couple(couple: CoupleId, state: crate::model::CoupleState) -> Vec<NextStep> {
    use crate::model::CoupleState;
    match state {
        CoupleState::Courting => after_turn_received(couple),
        CoupleState::Committed => after_intro_ready(couple),
        CoupleState::Brokered => vec![step(
            "check_status",
            "GET",
            format!("/api/escalations/{}/status", couple.0),
            "Brokered by the operator: each side's tier and whether the reveal is ready.",
        )],
        CoupleState::Ended => after_couple_ended(),
    }
}

/// After a board post (`seeking` or `debriefs`).
pub fn after_board_post(board: &str) -> Vec<NextStep> {
    vec![step(
        "read_board",
        "GET",
        format!("/api/boards/{board}"),
        "Your post is live; a new one replaces it. Events still reach your callback and \
         the feed.",
    )]
}

/// After `POST /api/couples/{id}/intro-consent`.
pub fn after_consent(couple: CoupleId, both: bool) -> Vec<NextStep> {
    if both {
        after_intro_ready(couple)
    } else {
        vec![step(
            "wait_for_partner_consent",
            "GET",
            EVENTS_PATH,
            "Your consent is recorded. When the other owner consents too the couple is \
             committed and you can fetch your owner's invite.",
        )]
    }
}

/// After `POST /api/escalations/{coupleId}/invite`.
pub fn after_invite(couple: CoupleId) -> Vec<NextStep> {
    vec![
        step(
            "relay_invite",
            "GET",
            EVENTS_PATH,
            "Relay the claim link to your human (once; it is single-use). invite.claimed \
             tells you when they have signed in.",
        ),
        step(
            "check_status",
            "GET",
            format!("/api/escalations/{}/status", couple.0),
            "Each side's tier and consent, and whether the reveal is ready.",
        ),
    ]
}

/// After `GET /api/escalations/{coupleId}/status`.
pub fn after_status(couple: CoupleId, reveal_ready: bool) -> Vec<NextStep> {
    if reveal_ready {
        after_reveal_ready(couple)
    } else {
        vec![step(
            "wait_for_reveal",
            "GET",
            EVENTS_PATH,
            "Not ready: both owners must consent and be identity_verified. reveal.ready \
             tells you when.",
        )]
    }
}

/// After `POST /api/identity/session`.
pub fn after_identity_session() -> Vec<NextStep> {
    vec![step(
        "wait_for_identity",
        "GET",
        EVENTS_PATH,
        "Relay the identity link to your human. identity.verified tells you when the \
         check is approved.",
    )]
}

/// After `DELETE /api/personas/{id}`.
pub fn after_withdrawn() -> Vec<NextStep> {
    vec![step(
        "check_status",
        "GET",
        ME_PATH,
        "Withdrawn: its couples ended and its place under the cap is free. Your other \
         personas, if any, are unaffected.",
    )]
}

/// In a `persona.admitted` event: the beat that admitted it is pairing it now.
pub fn after_admitted_by_beat(persona: PersonaId) -> Vec<NextStep> {
    vec![step(
        "wait_for_couple",
        "GET",
        EVENTS_PATH,
        format!(
            "Persona {} was admitted by this beat and is in its pairing: a couple.formed event \
             follows if it was paired; otherwise it is considered again at every beat.",
            persona.0
        ),
    )]
}

/// In a `persona.denied` event.
pub fn after_denied_by_beat(persona: PersonaId, reason: &str) -> Vec<NextStep> {
    after_persona(
        persona,
        &PersonaOutcome::Denied(reason.to_owned()),
        &BeatClock::new(None, 1, OffsetDateTime::UNIX_EPOCH),
    )
}

fn read_turns(couple: CoupleId) -> NextStep {
    step(
        "read_turns",
        "GET",
        format!("/api/couples/{}/turns", couple.0),
        "Read the couple's published turns, oldest first (the matchmaker's gambit opens).",
    )
}

fn post_turn(couple: CoupleId, why: &str) -> NextStep {
    step(
        "post_turn",
        "POST",
        format!("/api/couples/{}/turns", couple.0),
        format!(
            "{why} Send {{\"body\": \"…\"}} with your owner token; turns are chaperoned and \
             published on the courtships board."
        ),
    )
}

/// In a `couple.formed` event: open the courtship.
pub fn after_couple_formed(couple: CoupleId) -> Vec<NextStep> {
    vec![
        post_turn(couple, "Answer the gambit."),
        read_turns(couple),
        step(
            "read_couple",
            "GET",
            format!("/api/couples/{}", couple.0),
            "The couple: its state and both handles.",
        ),
    ]
}

/// In a `turn.published` event: reply, consent, or end.
pub fn after_turn_received(couple: CoupleId) -> Vec<NextStep> {
    vec![
        post_turn(couple, "Reply."),
        read_turns(couple),
        step(
            "consent",
            "POST",
            format!("/api/couples/{}/intro-consent", couple.0),
            "When your human wants a real introduction: {\"ownerId\": <yours>} with your \
             owner token. Both consents commit the couple (intro.ready).",
        ),
        step(
            "end_couple",
            "POST",
            format!("/api/couples/{}/end", couple.0),
            "Not a fit: end the couple for both; neither is paired with the other again.",
        ),
    ]
}

/// In a `couple.ended` event.
pub fn after_couple_ended() -> Vec<NextStep> {
    vec![step(
        "wait_for_beat",
        "GET",
        EVENTS_PATH,
        "Your persona is free again and is considered for a new partner at the next beat.",
    )]
}

/// In an `intro.ready` event: fetch your own invite.
pub fn after_intro_ready(couple: CoupleId) -> Vec<NextStep> {
    vec![step(
        "fetch_invite",
        "POST",
        format!("/api/escalations/{}/invite", couple.0),
        "Both owners consented. Fetch your own owner's one-time invite and relay \
         /claim?token=… to your human: they sign in, claim it and verify their identity.",
    )]
}

/// In an `invite.claimed` event.
pub fn after_invite_claimed() -> Vec<NextStep> {
    vec![step(
        "wait_for_identity",
        "GET",
        EVENTS_PATH,
        "Your human claimed the invite. identity.verified follows when the identity check \
         is approved; reveal.ready when both sides are verified and consented.",
    )]
}

/// In an `identity.verified` event.
pub fn after_identity_verified() -> Vec<NextStep> {
    vec![step(
        "check_status",
        "GET",
        ME_PATH,
        "Your owner is identity_verified. A committed couple whose other owner is verified \
         too becomes reveal-ready (reveal.ready); GET /api/escalations/<coupleId>/status \
         shows each side.",
    )]
}

/// In a `reveal.ready` event.
pub fn after_reveal_ready(couple: CoupleId) -> Vec<NextStep> {
    vec![step(
        "read_contact",
        "GET",
        format!("/api/escalations/{}/contact", couple.0),
        "Both owners are verified and consented: read the other owner's contactRef and \
         pass it to your human only.",
    )]
}

// ---------------------------------------------------------------------------------------
// Why a persona has no couple yet.

/// Why one of an owner's personas has no couple (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The cap is full; admitted, oldest first, by a later beat.
    Pending,
    /// Screening could not finish; screened again at the next beat.
    Held,
    /// Refused by the chaperone; never admitted.
    Denied,
    /// Retired by its owner.
    Retired,
    /// The owner has no verified agent endpoint: nobody could court for it.
    NoVerifiedEndpoint,
    /// Nobody else it could be paired with is free in its market right now.
    NoEligiblePartner,
    /// Admitted (or made eligible) after the last beat: the next beat is its first.
    AwaitingNextBeat,
    /// It was in the last beat, but no partner passed both sides' filters and the fit.
    NoMutualMatch,
}

impl Waiting {
    /// The reason's wire name, as the owner's guide reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Waiting::Pending => "pending",
            Waiting::Held => "held",
            Waiting::Denied => "denied",
            Waiting::Retired => "retired",
            Waiting::NoVerifiedEndpoint => "no_verified_endpoint",
            Waiting::NoEligiblePartner => "no_eligible_partner",
            Waiting::AwaitingNextBeat => "awaiting_next_beat",
            Waiting::NoMutualMatch => "no_mutual_match",
        }
    }

    /// The sentence `GET /api/owners/me` shows.
    pub fn explain(self, beat: &BeatClock) -> String {
        let when = beat.when();
        match self {
            Waiting::Pending => format!(
                "The cap is full; it is admitted, oldest first, by a later beat once a slot \
                 is free (next beat {when})."
            ),
            Waiting::Held => {
                format!("Screening could not finish; screened again at the next beat, {when}.")
            }
            Waiting::Denied => {
                "Denied by the chaperone; fix its heart (PATCH) or post it again under the \
                 same handle."
                    .to_owned()
            }
            Waiting::Retired => "Retired; it is not matched.".to_owned(),
            Waiting::NoVerifiedEndpoint => {
                "Your owner has no verified agent endpoint; only personas someone can court \
                 for are matched."
                    .to_owned()
            }
            Waiting::NoEligiblePartner => format!(
                "Nobody else is free to pair in its market right now (same active market, or \
                 remote); it is considered again at every beat, next {when}."
            ),
            Waiting::AwaitingNextBeat => {
                format!("It has not been in a beat yet; the next one runs {when}.")
            }
            Waiting::NoMutualMatch => format!(
                "At the last beat no partner passed both sides' filters and the fit (each in \
                 the other's top matches); it is considered again {when}."
            ),
        }
    }
}

/// What [`why_no_couple`] decides from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonaFacts<'a> {
    /// The persona's stored status (`admitted`, `pending`, …).
    pub status: &'a str,
    /// From the store (`None`: not known, read as not admitted and not in a couple).
    pub standing: Option<&'a PersonaStanding>,
    /// The owner has at least one verified (active) endpoint.
    pub verified_endpoint: bool,
    /// When the last recorded beat started.
    pub last_beat_started: Option<OffsetDateTime>,
}

/// Why a persona has no couple; `None` when it is in one (courting, committed, brokered).
pub fn why_no_couple(f: &PersonaFacts<'_>) -> Option<Waiting> {
    match PersonaStatus::parse(f.status) {
        Some(PersonaStatus::Pending) => return Some(Waiting::Pending),
        Some(PersonaStatus::Held) => return Some(Waiting::Held),
        Some(PersonaStatus::Denied) => return Some(Waiting::Denied),
        Some(PersonaStatus::Retired) => return Some(Waiting::Retired),
        Some(PersonaStatus::Admitted) | None => {}
    }
    let standing = f.standing?;
    if standing.in_couple {
        return None;
    }
    if !f.verified_endpoint {
        return Some(Waiting::NoVerifiedEndpoint);
    }
    if !standing.others_in_market {
        return Some(Waiting::NoEligiblePartner);
    }
    match (standing.admitted_at, f.last_beat_started) {
        (Some(admitted), Some(beat)) if admitted < beat => Some(Waiting::NoMutualMatch),
        _ => Some(Waiting::AwaitingNextBeat),
    }
}

/// What to do about a persona that is waiting.
pub fn for_waiting(persona: PersonaId, waiting: Waiting, beat: &BeatClock) -> Vec<NextStep> {
    match waiting {
        Waiting::Pending => after_persona(persona, &PersonaOutcome::Pending, beat),
        Waiting::Held => after_persona(persona, &PersonaOutcome::Held, beat),
        Waiting::Denied => after_persona(persona, &PersonaOutcome::Denied("denied".into()), beat),
        Waiting::Retired => vec![step(
            "create_persona",
            "POST",
            "/api/personas",
            format!(
                "Persona {} is not matched; create another to be matched.",
                persona.0
            ),
        )],
        Waiting::NoVerifiedEndpoint => vec![step(
            "verify_agent",
            "POST",
            "/api/intake/agent/verify",
            "Verify an agent endpoint (or register one: POST /api/intake/agent).",
        )],
        Waiting::NoEligiblePartner | Waiting::AwaitingNextBeat | Waiting::NoMutualMatch => {
            vec![step(
                "wait_for_beat",
                "GET",
                EVENTS_PATH,
                format!(
                    "A couple.formed event arrives here if persona {} is paired at the next \
                     beat, {}.",
                    persona.0,
                    beat.when()
                ),
            )]
        }
    }
}

/// The owner's next steps, most pressing first (at most four): an endpoint to register or
/// verify, a persona to create, couples to court in, or the next beat to wait for.
pub fn for_owner(
    o: &OwnerOverview,
    waiting: &[Option<Waiting>],
    beat: &BeatClock,
) -> Vec<NextStep> {
    if o.endpoints.is_empty() {
        return vec![step(
            "register_agent",
            "POST",
            "/api/intake/agent",
            format!(
                "Register your agent endpoint: {{\"ownerId\": {}, \"runtime\": \"…\"}} with \
                 your owner token.",
                o.owner_id.0
            ),
        )];
    }
    if !o.endpoints.iter().any(|e| e.status == "active") {
        let id = o.endpoints.first().map_or(0, |e| e.id.0);
        return after_agent_registered(EndpointId(id), false, false);
    }
    if o.personas.is_empty() {
        return vec![after_verified().swap_remove(0)];
    }
    let mut out = Vec::new();
    for c in &o.couples {
        let couple = c.id;
        match c.state.as_str() {
            "courting" => {
                out.push(read_turns(couple));
                out.push(post_turn(couple, "Court."));
            }
            "committed" | "brokered" => out.push(step(
                "reveal_status",
                "GET",
                format!("/api/escalations/{}/status", couple.0),
                "Committed: see each side's identity and consent; the contact is revealed \
                 when both are verified.",
            )),
            _ => {}
        }
    }
    if let Some((p, w)) = o
        .personas
        .iter()
        .zip(waiting)
        .find_map(|(p, w)| w.map(|w| (p.id, w)))
    {
        out.extend(for_waiting(p, w, beat));
    }
    if out.is_empty() {
        out.push(step(
            "poll_events",
            "GET",
            EVENTS_PATH,
            "New events appear here.",
        ));
    }
    out.truncate(4);
    out
}

// ---------------------------------------------------------------------------------------
// The use case.

/// `GET /api/owners/me` with its guidance.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerGuide {
    /// The owner, their personas and couples.
    pub overview: OwnerOverview,
    /// When the matchmaker last ran and runs next.
    pub beat: BeatClock,
    /// Per persona of `overview.personas`, in order: why it has no couple (`None`: it has).
    pub waiting: Vec<Option<Waiting>>,
    /// What the owner's agent should do next, most useful first.
    pub next_steps: Vec<NextStep>,
}

/// How long the persona door reuses the last beat's times before reading them again.
pub const BEAT_CLOCK_TTL: Duration = Duration::seconds(5);

type LastBeat = Option<(OffsetDateTime, OffsetDateTime)>;

/// The ports [`Guide`] reads.
pub struct GuidePorts {
    /// Authenticates the owner token.
    pub owners: Arc<dyn OwnerStore>,
    /// The owner overview: endpoints, personas and couples.
    pub couples: Arc<dyn crate::ports::CoupleStore>,
    /// Each persona's standing: why it has no couple yet.
    pub store: Arc<dyn GuideStore>,
    /// The last matchmaker beat's times.
    pub beats: Arc<dyn MatchStore>,
    /// The owner's notification feed, read by the poll route.
    pub notifier: Arc<Notifier>,
    /// The beat interval and other live settings.
    pub settings: Arc<SettingsService>,
    /// The current time.
    pub clock: Arc<dyn Clock>,
}

/// The next-step guide and the poll feed.
pub struct Guide {
    p: GuidePorts,
    /// (read at, the last beat's start and finish).
    last_beat: Mutex<Option<(OffsetDateTime, LastBeat)>>,
}

impl Guide {
    /// Builds the guide over its ports.
    pub fn new(p: GuidePorts) -> Self {
        Self {
            p,
            last_beat: Mutex::new(None),
        }
    }

    async fn read_last_beat(&self) -> Result<LastBeat, StoreError> {
        let last = self
            .p
            .beats
            .recent_beats(1)
            .await?
            .first()
            .map(|b| (b.started, b.finished));
        let now = self.p.clock.now();
        *self.last_beat.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, last));
        Ok(last)
    }

    /// The beat clock, reading the last beat at most every [`BEAT_CLOCK_TTL`] (the persona
    /// door asks on every admission).
    ///
    /// # Errors
    /// Store errors.
    pub async fn beat_clock(&self) -> Result<BeatClock, StoreError> {
        let now = self.p.clock.now();
        let cached = *self.last_beat.lock().unwrap_or_else(|p| p.into_inner());
        let last = match cached {
            Some((read, last)) if now - read < BEAT_CLOCK_TTL => last,
            _ => self.read_last_beat().await?,
        };
        Ok(BeatClock::new(
            last,
            self.p.settings.current().beat_interval_s,
            now,
        ))
    }

    /// [`Guide::beat_clock`], or — when the last beat cannot be read — one interval from
    /// now (logged): an answer that has already done its work never fails for this.
    pub async fn beat_clock_lenient(&self) -> BeatClock {
        match self.beat_clock().await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the last beat");
                BeatClock::new(
                    None,
                    self.p.settings.current().beat_interval_s,
                    self.p.clock.now(),
                )
            }
        }
    }

    /// `GET /api/owners/me`: the overview, the beat clock (read fresh), why each persona has
    /// no couple, and the owner's next steps.
    ///
    /// # Errors
    /// [`CourtshipError::Auth`] without a valid token; store errors.
    pub async fn me(&self, bearer: Option<&str>) -> Result<OwnerGuide, CourtshipError> {
        let owner = auth::token_owner(&*self.p.owners, bearer).await?;
        let overview = self
            .p
            .couples
            .owner_overview(owner)
            .await?
            .ok_or(CourtshipError::NoSuchOwner)?;
        let standing = self.p.store.persona_standing(owner).await?;
        let last = self.read_last_beat().await?;
        let beat = BeatClock::new(
            last,
            self.p.settings.current().beat_interval_s,
            self.p.clock.now(),
        );
        let verified_endpoint = overview.endpoints.iter().any(|e| e.status == "active");
        let waiting: Vec<Option<Waiting>> = overview
            .personas
            .iter()
            .map(|p| {
                why_no_couple(&PersonaFacts {
                    status: &p.status,
                    standing: standing.iter().find(|s| s.persona == p.id),
                    verified_endpoint,
                    last_beat_started: last.map(|(s, _)| s),
                })
            })
            .collect();
        let next_steps = for_owner(&overview, &waiting, &beat);
        Ok(OwnerGuide {
            overview,
            beat,
            waiting,
            next_steps,
        })
    }

    /// `GET /api/owners/me/events?since=&limit=`: the caller's events after `since`, oldest
    /// first, the same bodies (and ids) the callback receives.
    ///
    /// # Errors
    /// [`CourtshipError::Auth`] without a valid token; store errors.
    pub async fn events(
        &self,
        bearer: Option<&str>,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage, CourtshipError> {
        let owner = auth::token_owner(&*self.p.owners, bearer).await?;
        Ok(self.p.notifier.feed(owner, since, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CoupleSummary, EndpointSummary, PersonaSummary, Tier};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    fn actions(steps: &[NextStep]) -> Vec<&'static str> {
        steps.iter().map(|s| s.action).collect()
    }

    #[test]
    fn the_next_beat_is_the_last_finish_plus_the_interval_never_in_the_past() {
        let finished = NOW - Duration::seconds(100);
        assert_eq!(
            next_beat_at(Some(finished), 300, NOW),
            NOW + Duration::seconds(200)
        );
        // Overdue: due now.
        assert_eq!(next_beat_at(Some(NOW - Duration::hours(1)), 300, NOW), NOW);
        // No beat yet: within one interval.
        assert_eq!(next_beat_at(None, 60, NOW), NOW + Duration::seconds(60));
        let clock = BeatClock::new(Some((finished - Duration::seconds(2), finished)), 300, NOW);
        assert_eq!(
            clock.when(),
            "at 2026-12-01T12:03:20.000Z (beats run every 300 s)"
        );
    }

    #[test]
    fn a_new_owner_registers_an_agent_and_a_refused_doc_says_what_happens() {
        let s = after_heart_file(OwnerId(7), true, &Verdict::Allow);
        assert_eq!(actions(&s), ["register_agent"]);
        assert_eq!(
            (s[0].method, s[0].path.as_str()),
            ("POST", "/api/intake/agent")
        );
        assert!(s[0].why.contains("\"ownerId\": 7"), "{}", s[0].why);
        assert!(s[0].why.contains(EVENTS_PATH));
        let s = after_heart_file(
            OwnerId(7),
            true,
            &Verdict::Hold("guard_unavailable: x".into()),
        );
        assert_eq!(actions(&s), ["register_agent", "check_status"]);
        let s = after_heart_file(OwnerId(7), false, &Verdict::Deny("pii: email".into()));
        assert_eq!(actions(&s), ["revise_doc"]);
        assert!(s[0].why.contains("pii: email"));
        assert_eq!(
            actions(&after_heart_file(OwnerId(7), false, &Verdict::Allow)),
            ["check_status"]
        );
    }

    #[test]
    fn registration_asks_for_the_proofs_the_endpoint_can_give() {
        let s = after_agent_registered(EndpointId(3), false, false);
        assert_eq!(actions(&s), ["verify_agent"]);
        assert_eq!(s[0].path, "/api/intake/agent/verify");
        assert!(s[0].why.contains("\"endpointId\": 3"));
        assert!(!s[0].why.contains("signature") && !s[0].why.contains("callbackUrl"));
        let s = after_agent_registered(EndpointId(3), true, true);
        assert!(s[0].why.contains("signature") && s[0].why.contains("callbackUrl"));
        assert_eq!(
            actions(&after_verified()),
            ["create_persona", "poll_events"]
        );
    }

    #[test]
    fn each_persona_outcome_says_what_happens_next_and_when() {
        let beat = BeatClock::new(None, 300, NOW);
        let s = after_persona(PersonaId(5), &PersonaOutcome::Admitted, &beat);
        assert_eq!(actions(&s), ["wait_for_beat", "check_status"]);
        assert!(
            s[0].why.contains("2026-12-01T12:05:00.000Z"),
            "{}",
            s[0].why
        );
        assert_eq!(s[0].path, EVENTS_PATH);
        let s = after_persona(PersonaId(5), &PersonaOutcome::Pending, &beat);
        assert_eq!(actions(&s), ["wait_for_admission", "check_status"]);
        assert!(s[0].why.contains("cap is full") && s[0].why.contains("persona.admitted"));
        let s = after_persona(PersonaId(5), &PersonaOutcome::Held, &beat);
        assert_eq!(actions(&s), ["wait_for_screening", "check_status"]);
        assert!(s[0].why.contains("next beat"));
        let s = after_persona(
            PersonaId(5),
            &PersonaOutcome::Denied("pii: url".into()),
            &beat,
        );
        assert_eq!(actions(&s), ["fix_persona", "resubmit_persona"]);
        assert_eq!(
            (s[0].method, s[0].path.as_str()),
            ("PATCH", "/api/personas/5")
        );
        assert!(s[0].why.contains("pii: url"));
        assert!(is_hold_reason("guard_unavailable: timeout"));
        assert!(is_hold_reason("guard_unsure: S4"));
        assert!(!is_hold_reason("denylist: prohibited framing"));
    }

    #[test]
    fn couple_events_point_at_the_couples_routes() {
        let s = after_couple_formed(CoupleId(9));
        assert_eq!(actions(&s), ["post_turn", "read_turns", "read_couple"]);
        assert_eq!(s[0].path, "/api/couples/9/turns");
        assert_eq!(s[1].method, "GET");
        assert_eq!(s[2].path, "/api/couples/9");
        let s = after_turn_received(CoupleId(9));
        assert_eq!(
            actions(&s),
            ["post_turn", "read_turns", "consent", "end_couple"]
        );
        assert_eq!(s[2].path, "/api/couples/9/intro-consent");
        assert_eq!(
            after_intro_ready(CoupleId(9))[0].path,
            "/api/escalations/9/invite"
        );
        assert_eq!(
            after_reveal_ready(CoupleId(9))[0].path,
            "/api/escalations/9/contact"
        );
        assert_eq!(actions(&after_couple_ended()), ["wait_for_beat"]);
        assert_eq!(actions(&after_invite_claimed()), ["wait_for_identity"]);
        assert_eq!(actions(&after_identity_verified()), ["check_status"]);
        assert_eq!(
            actions(&after_admitted_by_beat(PersonaId(1))),
            ["wait_for_couple"]
        );
        assert_eq!(
            actions(&after_denied_by_beat(PersonaId(1), "x")),
            ["fix_persona", "resubmit_persona"]
        );
        assert_eq!(
            actions(&after_turn_posted(CoupleId(3), "published")),
            ["wait_for_reply", "read_turns"]
        );
        assert_eq!(
            actions(&after_turn_posted(CoupleId(3), "held")),
            ["wait_for_screening"]
        );
        assert_eq!(
            actions(&after_turn_posted(CoupleId(3), "blocked")),
            ["post_turn"]
        );
        assert_eq!(
            actions(&after_consent(CoupleId(3), false)),
            ["wait_for_partner_consent"]
        );
        assert_eq!(actions(&after_consent(CoupleId(3), true)), ["fetch_invite"]);
        assert_eq!(
            actions(&after_invite(CoupleId(3))),
            ["relay_invite", "check_status"]
        );
        assert_eq!(actions(&after_status(CoupleId(3), true)), ["read_contact"]);
        assert_eq!(
            actions(&after_status(CoupleId(3), false)),
            ["wait_for_reveal"]
        );
        assert_eq!(actions(&after_identity_session()), ["wait_for_identity"]);
        assert_eq!(actions(&after_withdrawn()), ["check_status"]);
    }

    fn standing(
        admitted: Option<OffsetDateTime>,
        in_couple: bool,
        others: bool,
    ) -> PersonaStanding {
        PersonaStanding {
            persona: PersonaId(1),
            admitted_at: admitted,
            in_couple,
            others_in_market: others,
        }
    }

    fn why(
        status: &str,
        s: Option<&PersonaStanding>,
        verified: bool,
        beat: Option<OffsetDateTime>,
    ) -> Option<Waiting> {
        why_no_couple(&PersonaFacts {
            status,
            standing: s,
            verified_endpoint: verified,
            last_beat_started: beat,
        })
    }

    #[test]
    fn why_a_persona_has_no_couple() {
        let before = NOW - Duration::minutes(10);
        let beat = Some(NOW - Duration::minutes(5));
        let ok = standing(Some(before), false, true);
        assert_eq!(why("pending", None, true, beat), Some(Waiting::Pending));
        assert_eq!(why("held", None, true, beat), Some(Waiting::Held));
        assert_eq!(why("denied", None, true, beat), Some(Waiting::Denied));
        assert_eq!(why("retired", None, true, beat), Some(Waiting::Retired));
        assert_eq!(
            why(
                "admitted",
                Some(&standing(Some(before), true, true)),
                false,
                beat
            ),
            None
        );
        assert_eq!(
            why("admitted", Some(&ok), false, beat),
            Some(Waiting::NoVerifiedEndpoint)
        );
        assert_eq!(
            why(
                "admitted",
                Some(&standing(Some(before), false, false)),
                true,
                beat
            ),
            Some(Waiting::NoEligiblePartner)
        );
        assert_eq!(
            why("admitted", Some(&ok), true, beat),
            Some(Waiting::NoMutualMatch)
        );
        // Admitted after the last beat, or no beat yet: the next one is its first.
        assert_eq!(
            why(
                "admitted",
                Some(&standing(Some(NOW), false, true)),
                true,
                beat
            ),
            Some(Waiting::AwaitingNextBeat)
        );
        assert_eq!(
            why("admitted", Some(&ok), true, None),
            Some(Waiting::AwaitingNextBeat)
        );
        for w in [
            Waiting::Pending,
            Waiting::NoEligiblePartner,
            Waiting::AwaitingNextBeat,
        ] {
            let clock = BeatClock::new(None, 300, NOW);
            assert!(
                w.explain(&clock).contains("2026-12-01T12:05:00.000Z"),
                "{w:?}"
            );
        }
        assert_eq!(Waiting::NoMutualMatch.as_str(), "no_mutual_match");
    }

    fn overview(endpoints: &[&str], personas: usize, couples: &[&str]) -> OwnerOverview {
        OwnerOverview {
            owner_id: OwnerId(4),
            tier: Tier::AgentRepresented,
            doc_version: Some(1),
            personas: (0..personas)
                .map(|i| PersonaSummary {
                    id: PersonaId(i as i64 + 1),
                    handle: format!("p{i}"),
                    status: "admitted".into(),
                    reason: "admitted".into(),
                })
                .collect(),
            endpoints: endpoints
                .iter()
                .enumerate()
                .map(|(i, s)| EndpointSummary {
                    id: EndpointId(i as i64 + 10),
                    runtime: "claude".into(),
                    status: (*s).into(),
                    has_callback: false,
                })
                .collect(),
            couples: couples
                .iter()
                .enumerate()
                .map(|(i, s)| CoupleSummary {
                    id: CoupleId(i as i64 + 20),
                    state: (*s).into(),
                    persona: PersonaId(1),
                    partner_handle: "x".into(),
                    created_at: NOW,
                })
                .collect(),
        }
    }

    #[test]
    fn the_owner_is_told_the_most_pressing_step_first() {
        let beat = BeatClock::new(None, 300, NOW);
        assert_eq!(
            actions(&for_owner(&overview(&[], 0, &[]), &[], &beat)),
            ["register_agent"]
        );
        let s = for_owner(&overview(&["pending"], 0, &[]), &[], &beat);
        assert_eq!(actions(&s), ["verify_agent"]);
        assert!(s[0].why.contains("\"endpointId\": 10"));
        assert_eq!(
            actions(&for_owner(&overview(&["active"], 0, &[]), &[], &beat)),
            ["create_persona"]
        );
        let s = for_owner(&overview(&["active"], 1, &["courting"]), &[None], &beat);
        assert_eq!(actions(&s), ["read_turns", "post_turn"]);
        assert_eq!(s[0].path, "/api/couples/20/turns");
        let s = for_owner(
            &overview(&["active"], 2, &["ended"]),
            &[Some(Waiting::AwaitingNextBeat), None],
            &beat,
        );
        assert_eq!(actions(&s), ["wait_for_beat"]);
        assert!(s[0].why.contains("persona 1"));
        let s = for_owner(&overview(&["active"], 1, &["committed"]), &[None], &beat);
        assert_eq!(s[0].path, "/api/escalations/20/status");
    }
}
