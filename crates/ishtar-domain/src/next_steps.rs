//! What an agent should do next (issue 12): every success answer of the agent path, and
//! every event body, carries next steps, and the owner overview says, per persona, why it
//! has no couple yet and when the next beat runs.
//!
//! The rules are pure functions that decide which [`Step`]s to suggest, so they are
//! unit-tested here; how a step is worded for agents (the call to make, with what, and
//! why) is the API's business (`ishtar-wire`). [`Guide`] is the use case behind the owner
//! overview (with its guidance) and the poll feed.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

use crate::auth;
use crate::chaperone::Verdict;
use crate::courtship::CourtshipError;
use crate::error::StoreError;
use crate::model::{CoupleId, EndpointId, OwnerId, OwnerOverview, PersonaId, PersonaStatus};
use crate::notify::{FeedPage, Notifier};
pub use crate::ports::{BeatClock, Step, TurnPrompt};
use crate::ports::{Clock, GuideStore, MatchStore, OwnerStore, PersonaStanding};
use crate::settings::SettingsService;

// ---------------------------------------------------------------------------------------
// The beat's clock ([`BeatClock`] is a port type: the steps carry it).

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
}

// ---------------------------------------------------------------------------------------
// One rule per step of the agent path.

/// After a dating doc is filed: a new owner registers its agent; a doc version that was
/// held or denied says what happens to it.
pub fn after_heart_file(owner: OwnerId, new_owner: bool, doc: &Verdict) -> Vec<Step> {
    let mut out = Vec::new();
    if new_owner {
        out.push(Step::RegisterAgent {
            owner,
            new_owner: true,
        });
    }
    match doc {
        Verdict::Allow if !new_owner => out.push(Step::DocAllowed),
        Verdict::Allow => {}
        Verdict::Hold(_) => out.push(Step::DocHeld),
        Verdict::Deny(reason) => out.push(Step::ReviseDoc {
            owner,
            reason: reason.clone(),
        }),
    }
    out
}

/// After an agent endpoint is registered: prove control of it.
pub fn after_agent_registered(
    endpoint: EndpointId,
    has_callback: bool,
    has_key: bool,
) -> Vec<Step> {
    vec![Step::VerifyAgent {
        endpoint,
        has_callback,
        has_key,
    }]
}

/// After an endpoint is verified: ask for a persona.
pub fn after_verified() -> Vec<Step> {
    vec![Step::CreatePersona, Step::PollEvents]
}

/// How a persona's admission ended.
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

/// After a persona asked to be admitted.
pub fn after_persona(persona: PersonaId, outcome: &PersonaOutcome, beat: &BeatClock) -> Vec<Step> {
    let beat = *beat;
    let status = Step::PersonaStatus { persona };
    match outcome {
        PersonaOutcome::Admitted => vec![Step::WaitForBeat { persona, beat }, status],
        PersonaOutcome::Pending => vec![Step::WaitForAdmission { persona, beat }, status],
        PersonaOutcome::Held => vec![Step::WaitForScreening { persona, beat }, status],
        PersonaOutcome::Denied(reason) => vec![
            Step::FixPersona {
                persona,
                reason: reason.clone(),
            },
            Step::ResubmitPersona,
        ],
    }
}

/// After a turn is posted, by the turn's status.
pub fn after_turn_posted(couple: CoupleId, status: &str) -> Vec<Step> {
    match status {
        "published" => vec![Step::WaitForReply, Step::ReadTurns { couple }],
        "held" => vec![Step::TurnHeld { couple }],
        _ => vec![Step::PostTurn {
            couple,
            prompt: TurnPrompt::Blocked,
        }],
    }
}

/// After reading a couple (the couple and its turns), by the couple's state.
pub fn for_couple(couple: CoupleId, state: crate::model::CoupleState) -> Vec<Step> {
    use crate::model::CoupleState;
    match state {
        CoupleState::Courting => after_turn_received(couple),
        CoupleState::Committed => after_intro_ready(couple),
        CoupleState::Brokered => vec![Step::Brokered { couple }],
        CoupleState::Ended => after_couple_ended(),
    }
}

/// After a board post (`seeking` or `debriefs`).
pub fn after_board_post(board: &str) -> Vec<Step> {
    vec![Step::ReadBoard {
        board: board.to_owned(),
    }]
}

/// After an owner consents to an introduction (`both`: the other owner had too).
pub fn after_consent(couple: CoupleId, both: bool) -> Vec<Step> {
    if both {
        after_intro_ready(couple)
    } else {
        vec![Step::WaitForPartnerConsent]
    }
}

/// After an owner's invite is fetched.
pub fn after_invite(couple: CoupleId) -> Vec<Step> {
    vec![Step::RelayInvite, Step::RevealGate { couple }]
}

/// After the reveal status is read.
pub fn after_status(couple: CoupleId, reveal_ready: bool) -> Vec<Step> {
    if reveal_ready {
        after_reveal_ready(couple)
    } else {
        vec![Step::WaitForReveal]
    }
}

/// After an identity session is started.
pub fn after_identity_session() -> Vec<Step> {
    vec![Step::WaitForIdentity]
}

/// After a persona is withdrawn.
pub fn after_withdrawn() -> Vec<Step> {
    vec![Step::Withdrawn]
}

/// In a `persona.admitted` event: the beat that admitted it is pairing it now.
pub fn after_admitted_by_beat(persona: PersonaId) -> Vec<Step> {
    vec![Step::WaitForCouple { persona }]
}

/// In a `persona.denied` event.
pub fn after_denied_by_beat(persona: PersonaId, reason: &str) -> Vec<Step> {
    after_persona(
        persona,
        &PersonaOutcome::Denied(reason.to_owned()),
        &BeatClock::new(None, 1, OffsetDateTime::UNIX_EPOCH),
    )
}

/// In a `couple.formed` event: open the courtship.
pub fn after_couple_formed(couple: CoupleId) -> Vec<Step> {
    vec![
        Step::PostTurn {
            couple,
            prompt: TurnPrompt::AnswerGambit,
        },
        Step::ReadTurns { couple },
        Step::ReadCouple { couple },
    ]
}

/// In a `turn.published` event: reply, consent, or end.
pub fn after_turn_received(couple: CoupleId) -> Vec<Step> {
    vec![
        Step::PostTurn {
            couple,
            prompt: TurnPrompt::Reply,
        },
        Step::ReadTurns { couple },
        Step::Consent { couple },
        Step::EndCouple { couple },
    ]
}

/// In a `couple.ended` event.
pub fn after_couple_ended() -> Vec<Step> {
    vec![Step::FreeAgain]
}

/// In an `intro.ready` event: fetch your own invite.
pub fn after_intro_ready(couple: CoupleId) -> Vec<Step> {
    vec![Step::FetchInvite { couple }]
}

/// In an `invite.claimed` event.
pub fn after_invite_claimed() -> Vec<Step> {
    vec![Step::InviteClaimed]
}

/// In an `identity.verified` event.
pub fn after_identity_verified() -> Vec<Step> {
    vec![Step::IdentityVerified]
}

/// In a `reveal.ready` event.
pub fn after_reveal_ready(couple: CoupleId) -> Vec<Step> {
    vec![Step::ReadContact { couple }]
}

/// After a page of the poll feed: read on, or ask again later, from the page's cursor.
pub fn after_feed_page(page: &FeedPage) -> Vec<Step> {
    vec![Step::ReadFeed {
        since: page.cursor,
        more: page.more,
    }]
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
pub fn for_waiting(persona: PersonaId, waiting: Waiting, beat: &BeatClock) -> Vec<Step> {
    match waiting {
        Waiting::Pending => after_persona(persona, &PersonaOutcome::Pending, beat),
        Waiting::Held => after_persona(persona, &PersonaOutcome::Held, beat),
        Waiting::Denied => after_persona(persona, &PersonaOutcome::Denied("denied".into()), beat),
        Waiting::Retired => vec![Step::ReplacePersona { persona }],
        Waiting::NoVerifiedEndpoint => vec![Step::VerifyAnyAgent],
        Waiting::NoEligiblePartner | Waiting::AwaitingNextBeat | Waiting::NoMutualMatch => {
            vec![Step::WaitForPairing {
                persona,
                beat: *beat,
            }]
        }
    }
}

/// The owner's next steps, most pressing first (at most four): an endpoint to register or
/// verify, a persona to create, couples to court in, or the next beat to wait for.
pub fn for_owner(o: &OwnerOverview, waiting: &[Option<Waiting>], beat: &BeatClock) -> Vec<Step> {
    if o.endpoints.is_empty() {
        return vec![Step::RegisterAgent {
            owner: o.owner_id,
            new_owner: false,
        }];
    }
    if !o.endpoints.iter().any(|e| e.status == "active") {
        let id = o.endpoints.first().map_or(0, |e| e.id.0);
        return after_agent_registered(EndpointId(id), false, false);
    }
    if o.personas.is_empty() {
        return vec![Step::CreatePersona];
    }
    let mut out = Vec::new();
    for c in &o.couples {
        let couple = c.id;
        match c.state.as_str() {
            "courting" => {
                out.push(Step::ReadTurns { couple });
                out.push(Step::PostTurn {
                    couple,
                    prompt: TurnPrompt::Court,
                });
            }
            "committed" | "brokered" => out.push(Step::RevealStatus { couple }),
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
        out.push(Step::AwaitEvents);
    }
    out.truncate(4);
    out
}

// ---------------------------------------------------------------------------------------
// The use case.

/// The owner overview with its guidance.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerGuide {
    /// The owner, their personas and couples.
    pub overview: OwnerOverview,
    /// When the matchmaker last ran and runs next.
    pub beat: BeatClock,
    /// Per persona of `overview.personas`, in order: why it has no couple (`None`: it has).
    pub waiting: Vec<Option<Waiting>>,
    /// What the owner's agent should do next, most useful first.
    pub next_steps: Vec<Step>,
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

    /// The owner overview: its owner, the beat clock (read fresh), why each persona has
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

    /// The poll feed: the caller's events after `since` (at most `limit`), oldest
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
        assert_eq!(clock.next_at, NOW + Duration::seconds(200));
    }

    #[test]
    fn a_new_owner_registers_an_agent_and_a_refused_doc_says_what_happens() {
        let register = Step::RegisterAgent {
            owner: OwnerId(7),
            new_owner: true,
        };
        assert_eq!(
            after_heart_file(OwnerId(7), true, &Verdict::Allow),
            std::slice::from_ref(&register)
        );
        assert_eq!(
            after_heart_file(
                OwnerId(7),
                true,
                &Verdict::Hold("guard_unavailable: x".into()),
            ),
            [register, Step::DocHeld]
        );
        assert_eq!(
            after_heart_file(OwnerId(7), false, &Verdict::Deny("pii: email".into())),
            [Step::ReviseDoc {
                owner: OwnerId(7),
                reason: "pii: email".into()
            }]
        );
        assert_eq!(
            after_heart_file(OwnerId(7), false, &Verdict::Allow),
            [Step::DocAllowed]
        );
    }

    #[test]
    fn registration_asks_for_the_proofs_the_endpoint_can_give() {
        assert_eq!(
            after_agent_registered(EndpointId(3), true, false),
            [Step::VerifyAgent {
                endpoint: EndpointId(3),
                has_callback: true,
                has_key: false
            }]
        );
        assert_eq!(after_verified(), [Step::CreatePersona, Step::PollEvents]);
    }

    #[test]
    fn each_persona_outcome_says_what_happens_next_and_when() {
        let beat = BeatClock::new(None, 300, NOW);
        let (persona, status) = (
            PersonaId(5),
            Step::PersonaStatus {
                persona: PersonaId(5),
            },
        );
        assert_eq!(
            after_persona(persona, &PersonaOutcome::Admitted, &beat),
            [Step::WaitForBeat { persona, beat }, status.clone()]
        );
        assert_eq!(
            after_persona(persona, &PersonaOutcome::Pending, &beat),
            [Step::WaitForAdmission { persona, beat }, status.clone()]
        );
        assert_eq!(
            after_persona(persona, &PersonaOutcome::Held, &beat),
            [Step::WaitForScreening { persona, beat }, status]
        );
        let denied = [
            Step::FixPersona {
                persona,
                reason: "pii: url".into(),
            },
            Step::ResubmitPersona,
        ];
        assert_eq!(
            after_persona(persona, &PersonaOutcome::Denied("pii: url".into()), &beat),
            denied
        );
        assert_eq!(after_denied_by_beat(persona, "pii: url"), denied);
        assert!(is_hold_reason("guard_unavailable: timeout"));
        assert!(is_hold_reason("guard_unsure: S4"));
        assert!(!is_hold_reason("denylist: prohibited framing"));
    }

    #[test]
    fn couple_steps_follow_the_couples_state() {
        let couple = CoupleId(9);
        let post = |prompt| Step::PostTurn { couple, prompt };
        assert_eq!(
            after_couple_formed(couple),
            [
                post(TurnPrompt::AnswerGambit),
                Step::ReadTurns { couple },
                Step::ReadCouple { couple }
            ]
        );
        let received = [
            post(TurnPrompt::Reply),
            Step::ReadTurns { couple },
            Step::Consent { couple },
            Step::EndCouple { couple },
        ];
        assert_eq!(after_turn_received(couple), received);
        use crate::model::CoupleState;
        assert_eq!(for_couple(couple, CoupleState::Courting), received);
        assert_eq!(
            for_couple(couple, CoupleState::Committed),
            [Step::FetchInvite { couple }]
        );
        assert_eq!(
            for_couple(couple, CoupleState::Brokered),
            [Step::Brokered { couple }]
        );
        assert_eq!(for_couple(couple, CoupleState::Ended), [Step::FreeAgain]);
        assert_eq!(
            after_turn_posted(couple, "published"),
            [Step::WaitForReply, Step::ReadTurns { couple }]
        );
        assert_eq!(
            after_turn_posted(couple, "held"),
            [Step::TurnHeld { couple }]
        );
        assert_eq!(
            after_turn_posted(couple, "blocked"),
            [post(TurnPrompt::Blocked)]
        );
    }

    #[test]
    fn escalation_steps_follow_consent_invites_and_the_reveal() {
        let couple = CoupleId(3);
        assert_eq!(after_consent(couple, false), [Step::WaitForPartnerConsent]);
        assert_eq!(after_consent(couple, true), [Step::FetchInvite { couple }]);
        assert_eq!(
            after_invite(couple),
            [Step::RelayInvite, Step::RevealGate { couple }]
        );
        assert_eq!(after_status(couple, true), [Step::ReadContact { couple }]);
        assert_eq!(after_status(couple, false), [Step::WaitForReveal]);
        assert_eq!(after_identity_session(), [Step::WaitForIdentity]);
        assert_eq!(after_invite_claimed(), [Step::InviteClaimed]);
        assert_eq!(after_identity_verified(), [Step::IdentityVerified]);
        assert_eq!(after_withdrawn(), [Step::Withdrawn]);
        assert_eq!(
            after_admitted_by_beat(PersonaId(1)),
            [Step::WaitForCouple {
                persona: PersonaId(1)
            }]
        );
        assert_eq!(
            after_board_post("seeking"),
            [Step::ReadBoard {
                board: "seeking".into()
            }]
        );
        let page = FeedPage {
            events: Vec::new(),
            cursor: 12,
            more: true,
        };
        assert_eq!(
            after_feed_page(&page),
            [Step::ReadFeed {
                since: 12,
                more: true
            }]
        );
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
            for_owner(&overview(&[], 0, &[]), &[], &beat),
            [Step::RegisterAgent {
                owner: OwnerId(4),
                new_owner: false
            }]
        );
        assert_eq!(
            for_owner(&overview(&["pending"], 0, &[]), &[], &beat),
            [Step::VerifyAgent {
                endpoint: EndpointId(10),
                has_callback: false,
                has_key: false
            }]
        );
        assert_eq!(
            for_owner(&overview(&["active"], 0, &[]), &[], &beat),
            [Step::CreatePersona]
        );
        let couple = CoupleId(20);
        assert_eq!(
            for_owner(&overview(&["active"], 1, &["courting"]), &[None], &beat),
            [
                Step::ReadTurns { couple },
                Step::PostTurn {
                    couple,
                    prompt: TurnPrompt::Court
                }
            ]
        );
        assert_eq!(
            for_owner(
                &overview(&["active"], 2, &["ended"]),
                &[Some(Waiting::AwaitingNextBeat), None],
                &beat,
            ),
            [Step::WaitForPairing {
                persona: PersonaId(1),
                beat
            }]
        );
        assert_eq!(
            for_owner(&overview(&["active"], 1, &["committed"]), &[None], &beat),
            [Step::RevealStatus { couple }]
        );
        assert_eq!(
            for_owner(&overview(&["active"], 1, &[]), &[None], &beat),
            [Step::AwaitEvents]
        );
        assert_eq!(
            for_waiting(PersonaId(2), Waiting::Retired, &beat),
            [Step::ReplacePersona {
                persona: PersonaId(2)
            }]
        );
        assert_eq!(
            for_waiting(PersonaId(2), Waiting::NoVerifiedEndpoint, &beat),
            [Step::VerifyAnyAgent]
        );
    }
}
