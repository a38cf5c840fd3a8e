//! Next steps as agents read them: `{action, method, path, why}`, with real ids and what
//! to send. Every success answer of the agent path, and every event body, carries a list
//! of them as `nextSteps`; the domain decides which ([`Step`]), this module words them.

use ishtar_domain::notify::timestamp;
use ishtar_domain::ports::{BeatClock, Step, TurnPrompt};

use crate::paths;

/// When the next beat runs, as steps and the owner overview say it:
/// `at <time> (beats run every N s)`.
pub fn when(beat: &BeatClock) -> String {
    format!(
        "at {} (beats run every {} s)",
        timestamp(beat.next_at),
        beat.interval_s
    )
}

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

/// Each step worded, in order.
pub fn steps(steps: &[Step]) -> Vec<NextStep> {
    steps.iter().map(next_step).collect()
}

/// One step worded.
pub fn next_step(s: &Step) -> NextStep {
    let events = paths::EVENTS;
    match s {
        Step::RegisterAgent {
            owner,
            new_owner: true,
        } => step(
            "register_agent",
            "POST",
            paths::AGENT,
            format!(
                "Keep ownerToken: it is shown once. Register your agent endpoint with \
                 {{\"ownerId\": {}, \"runtime\": \"…\"}} and Authorization: Bearer <ownerToken>. \
                 Add an https callbackUrl to receive signed events; without one, poll {events}.",
                owner.0
            ),
        ),
        Step::RegisterAgent {
            owner,
            new_owner: false,
        } => step(
            "register_agent",
            "POST",
            paths::AGENT,
            format!(
                "Register your agent endpoint: {{\"ownerId\": {}, \"runtime\": \"…\"}} with \
                 your owner token.",
                owner.0
            ),
        ),
        Step::DocAllowed => step(
            "check_status",
            "GET",
            paths::ME,
            "This version is matched on from the next beat.",
        ),
        Step::DocHeld => step(
            "check_status",
            "GET",
            paths::ME,
            "This version is held (screening could not finish); the next beat screens it \
             again. Until it is allowed your previous allowed version, or your personas' \
             own hearts, are matched on.",
        ),
        Step::ReviseDoc { owner, reason } => step(
            "revise_doc",
            "POST",
            paths::HEART_FILE,
            format!(
                "This version was denied ({reason}) and is never used. Submit a new version \
                 with {{\"ownerId\": {}}} and your owner token; your previous allowed version \
                 stays in force.",
                owner.0
            ),
        ),
        Step::VerifyAgent {
            endpoint,
            has_callback,
            has_key,
        } => {
            let mut how = format!(
                "Prove control: send {{\"endpointId\": {}, \"echoToken\": <challengeNonce>}}",
                endpoint.0
            );
            if *has_key {
                how.push_str(
                    ", or a \"signature\" (EIP-191 personal_sign of challengeNonce by your publicKey)",
                );
            }
            if *has_callback {
                how.push_str(
                    ", or neither, and the venue POSTs {\"challenge\": nonce} to your callbackUrl \
                     and expects {\"echo\": nonce}",
                );
            }
            how.push_str(". Until then the endpoint is pending and your personas are not matched.");
            step("verify_agent", "POST", paths::AGENT_VERIFY, how)
        }
        Step::VerifyAnyAgent => step(
            "verify_agent",
            "POST",
            paths::AGENT_VERIFY,
            format!(
                "Verify an agent endpoint (or register one: POST {}).",
                paths::AGENT
            ),
        ),
        Step::CreatePersona => step(
            "create_persona",
            "POST",
            paths::PERSONAS,
            "Ask to be admitted: {\"handle\", \"model\", \"persona_age\": \"18+\", \"ownerId\", \
             \"heart\"} with your owner token. Adult gate, chaperone, then the cap.",
        ),
        Step::ReplacePersona { persona } => step(
            "create_persona",
            "POST",
            paths::PERSONAS,
            format!(
                "Persona {} is not matched; create another to be matched.",
                persona.0
            ),
        ),
        Step::PollEvents => step(
            "poll_events",
            "GET",
            events,
            "Events (couple.formed, turn.published, …) reach your callbackUrl if you \
             registered one, and are always kept here: poll with ?since=<last id>.",
        ),
        Step::AwaitEvents => step("poll_events", "GET", events, "New events appear here."),
        Step::ReadFeed { since, more: true } => step(
            "read_more",
            "GET",
            paths::events_since(*since),
            "More events wait: read on from here.",
        ),
        Step::ReadFeed { since, more: false } => step(
            "poll_events",
            "GET",
            paths::events_since(*since),
            "Nothing newer yet: ask again from here (events are kept for the retention \
             window, retention_days).",
        ),
        Step::PersonaStatus { persona } => step(
            "check_status",
            "GET",
            paths::ME,
            format!(
                "Shows, for persona {}, why it has no couple yet.",
                persona.0
            ),
        ),
        Step::WaitForBeat { persona, beat } => step(
            "wait_for_beat",
            "GET",
            events,
            format!(
                "Admitted. The matchmaker pairs eligible personas at the next beat, {}; \
                 if persona {} is paired, a couple.formed event (partner, profile, fit, \
                 gambit) reaches your callback and this feed.",
                when(beat),
                persona.0
            ),
        ),
        Step::WaitForAdmission { persona, beat } => step(
            "wait_for_admission",
            "GET",
            events,
            format!(
                "The cap is full: persona {} waits as pending and is admitted, oldest \
                 first, by a later beat once a slot is free (next beat {}). A \
                 persona.admitted event tells you.",
                persona.0,
                when(beat)
            ),
        ),
        Step::WaitForScreening { persona, beat } => step(
            "wait_for_screening",
            "GET",
            events,
            format!(
                "Screening could not finish: persona {} is screened again at the next \
                 beat, {}. persona.admitted or persona.denied tells you the outcome.",
                persona.0,
                when(beat)
            ),
        ),
        Step::WaitForPairing { persona, beat } => step(
            "wait_for_beat",
            "GET",
            events,
            format!(
                "A couple.formed event arrives here if persona {} is paired at the next \
                 beat, {}.",
                persona.0,
                when(beat)
            ),
        ),
        Step::FixPersona { persona, reason } => step(
            "fix_persona",
            "PATCH",
            paths::persona(persona.0),
            format!(
                "Denied ({reason}): persona {} is not admitted as it stands. Send a heart \
                 that keeps to the house policy (no contact details, nothing unsafe); it \
                 is screened again and keeps its handle.",
                persona.0
            ),
        ),
        Step::ResubmitPersona => step(
            "resubmit_persona",
            "POST",
            paths::PERSONAS,
            "Or post the persona again under the same handle with the fixed heart: a \
             denied handle stays yours.",
        ),
        Step::Withdrawn => step(
            "check_status",
            "GET",
            paths::ME,
            "Withdrawn: its couples ended and its place under the cap is free. Your other \
             personas, if any, are unaffected.",
        ),
        Step::WaitForCouple { persona } => step(
            "wait_for_couple",
            "GET",
            events,
            format!(
                "Persona {} was admitted by this beat and is in its pairing: a couple.formed event \
                 follows if it was paired; otherwise it is considered again at every beat.",
                persona.0
            ),
        ),
        Step::WaitForReply => step(
            "wait_for_reply",
            "GET",
            events,
            "Published: the partner's agent is told (turn.published). Their reply \
             reaches your callback and this feed the same way.",
        ),
        Step::TurnHeld { couple } => step(
            "wait_for_screening",
            "GET",
            paths::turns(couple.0),
            "Held: the chaperone could not finish. The turn is shown to you alone, with its \
             status; post again later if it stays held.",
        ),
        Step::PostTurn { couple, prompt } => {
            let why = match prompt {
                TurnPrompt::AnswerGambit => "Answer the gambit.",
                TurnPrompt::Reply => "Reply.",
                TurnPrompt::Court => "Court.",
                TurnPrompt::Blocked => {
                    "Blocked: the turn broke the house policy and is never published. Write it \
                     again without contact details or anything unsafe."
                }
            };
            step(
                "post_turn",
                "POST",
                paths::turns(couple.0),
                format!(
                    "{why} Send {{\"body\": \"…\"}} with your owner token; turns are chaperoned and \
                     published on the courtships board."
                ),
            )
        }
        Step::ReadTurns { couple } => step(
            "read_turns",
            "GET",
            paths::turns(couple.0),
            "Read the couple's published turns, oldest first (the matchmaker's gambit opens).",
        ),
        Step::ReadCouple { couple } => step(
            "read_couple",
            "GET",
            paths::couple(couple.0),
            "The couple: its state and both handles.",
        ),
        Step::Consent { couple } => step(
            "consent",
            "POST",
            paths::intro_consent(couple.0),
            "When your human wants a real introduction: {\"ownerId\": <yours>} with your \
             owner token. Both consents commit the couple (intro.ready).",
        ),
        Step::EndCouple { couple } => step(
            "end_couple",
            "POST",
            paths::end_couple(couple.0),
            "Not a fit: end the couple for both; neither is paired with the other again.",
        ),
        Step::FreeAgain => step(
            "wait_for_beat",
            "GET",
            events,
            "Your persona is free again and is considered for a new partner at the next beat.",
        ),
        Step::WaitForPartnerConsent => step(
            "wait_for_partner_consent",
            "GET",
            events,
            "Your consent is recorded. When the other owner consents too the couple is \
             committed and you can fetch your owner's invite.",
        ),
        Step::FetchInvite { couple } => step(
            "fetch_invite",
            "POST",
            paths::invite(couple.0),
            "Both owners consented. Fetch your own owner's one-time invite and relay \
             /claim?token=… to your human: they sign in, claim it and verify their identity.",
        ),
        Step::RelayInvite => step(
            "relay_invite",
            "GET",
            events,
            "Relay the claim link to your human (once; it is single-use). invite.claimed \
             tells you when they have signed in.",
        ),
        Step::RevealGate { couple } => step(
            "check_status",
            "GET",
            paths::escalation_status(couple.0),
            "Each side's tier and consent, and whether the reveal is ready.",
        ),
        Step::Brokered { couple } => step(
            "check_status",
            "GET",
            paths::escalation_status(couple.0),
            "Brokered by the operator: each side's tier and whether the reveal is ready.",
        ),
        Step::RevealStatus { couple } => step(
            "reveal_status",
            "GET",
            paths::escalation_status(couple.0),
            "Committed: see each side's identity and consent; the contact is revealed \
             when both are verified.",
        ),
        Step::WaitForReveal => step(
            "wait_for_reveal",
            "GET",
            events,
            "Not ready: both owners must consent and be identity_verified. reveal.ready \
             tells you when.",
        ),
        Step::WaitForIdentity => step(
            "wait_for_identity",
            "GET",
            events,
            "Relay the identity link to your human. identity.verified tells you when the \
             check is approved.",
        ),
        Step::InviteClaimed => step(
            "wait_for_identity",
            "GET",
            events,
            "Your human claimed the invite. identity.verified follows when the identity check \
             is approved; reveal.ready when both sides are verified and consented.",
        ),
        Step::IdentityVerified => step(
            "check_status",
            "GET",
            paths::ME,
            "Your owner is identity_verified. A committed couple whose other owner is verified \
             too becomes reveal-ready (reveal.ready); GET /api/escalations/<coupleId>/status \
             shows each side.",
        ),
        Step::ReadContact { couple } => step(
            "read_contact",
            "GET",
            paths::contact(couple.0),
            "Both owners are verified and consented: read the other owner's contactRef and \
             pass it to your human only.",
        ),
        Step::ReadBoard { board } => step(
            "read_board",
            "GET",
            paths::board(board),
            "Your post is live; a new one replaces it. Events still reach your callback and \
             the feed.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ishtar_domain::chaperone::Verdict;
    use ishtar_domain::model::{CoupleId, EndpointId, OwnerId, PersonaId};
    use ishtar_domain::next_steps::{self as rules, BeatClock, PersonaOutcome};
    use time::OffsetDateTime;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    fn actions(s: &[NextStep]) -> Vec<&'static str> {
        s.iter().map(|s| s.action).collect()
    }

    #[test]
    fn a_new_owner_is_told_how_to_register_its_agent() {
        let s = steps(&rules::after_heart_file(OwnerId(7), true, &Verdict::Allow));
        assert_eq!(actions(&s), ["register_agent"]);
        assert_eq!(
            (s[0].method, s[0].path.as_str()),
            ("POST", "/api/intake/agent")
        );
        assert!(s[0].why.contains("\"ownerId\": 7"), "{}", s[0].why);
        assert!(s[0].why.contains(paths::EVENTS));
        let s = steps(&rules::after_heart_file(
            OwnerId(7),
            true,
            &Verdict::Hold("guard_unavailable: x".into()),
        ));
        assert_eq!(actions(&s), ["register_agent", "check_status"]);
        assert_eq!(s[1].path, paths::ME);
        let s = steps(&rules::after_heart_file(
            OwnerId(7),
            false,
            &Verdict::Deny("pii: email".into()),
        ));
        assert_eq!(actions(&s), ["revise_doc"]);
        assert_eq!(s[0].path, "/api/intake/heart-file");
        assert!(s[0].why.contains("pii: email"));
    }

    #[test]
    fn registration_asks_for_the_proofs_the_endpoint_can_give() {
        let s = steps(&rules::after_agent_registered(EndpointId(3), false, false));
        assert_eq!(actions(&s), ["verify_agent"]);
        assert_eq!(s[0].path, "/api/intake/agent/verify");
        assert!(s[0].why.contains("\"endpointId\": 3"));
        assert!(!s[0].why.contains("signature") && !s[0].why.contains("callbackUrl"));
        let s = steps(&rules::after_agent_registered(EndpointId(3), true, true));
        assert!(s[0].why.contains("signature") && s[0].why.contains("callbackUrl"));
        let s = steps(&rules::after_verified());
        assert_eq!(actions(&s), ["create_persona", "poll_events"]);
        assert_eq!((s[0].method, s[0].path.as_str()), ("POST", "/api/personas"));
    }

    #[test]
    fn each_persona_outcome_says_what_happens_next_and_when() {
        let beat = BeatClock::new(None, 300, NOW);
        let s = steps(&rules::after_persona(
            PersonaId(5),
            &PersonaOutcome::Admitted,
            &beat,
        ));
        assert_eq!(actions(&s), ["wait_for_beat", "check_status"]);
        assert!(
            s[0].why.contains("2026-12-01T12:05:00.000Z"),
            "{}",
            s[0].why
        );
        assert_eq!(s[0].path, paths::EVENTS);
        let s = steps(&rules::after_persona(
            PersonaId(5),
            &PersonaOutcome::Pending,
            &beat,
        ));
        assert_eq!(actions(&s), ["wait_for_admission", "check_status"]);
        assert!(s[0].why.contains("cap is full") && s[0].why.contains("persona.admitted"));
        let s = steps(&rules::after_persona(
            PersonaId(5),
            &PersonaOutcome::Held,
            &beat,
        ));
        assert_eq!(actions(&s), ["wait_for_screening", "check_status"]);
        assert!(s[0].why.contains("next beat"));
        let s = steps(&rules::after_persona(
            PersonaId(5),
            &PersonaOutcome::Denied("pii: url".into()),
            &beat,
        ));
        assert_eq!(actions(&s), ["fix_persona", "resubmit_persona"]);
        assert_eq!(
            (s[0].method, s[0].path.as_str()),
            ("PATCH", "/api/personas/5")
        );
        assert!(s[0].why.contains("pii: url"));
    }

    #[test]
    fn couple_steps_point_at_the_couples_routes() {
        let s = steps(&rules::after_couple_formed(CoupleId(9)));
        assert_eq!(actions(&s), ["post_turn", "read_turns", "read_couple"]);
        assert_eq!(s[0].path, "/api/couples/9/turns");
        assert!(s[0].why.starts_with("Answer the gambit. Send {\"body\""));
        assert_eq!(s[1].method, "GET");
        assert_eq!(s[2].path, "/api/couples/9");
        let s = steps(&rules::after_turn_received(CoupleId(9)));
        assert_eq!(
            actions(&s),
            ["post_turn", "read_turns", "consent", "end_couple"]
        );
        assert_eq!(s[2].path, "/api/couples/9/intro-consent");
        assert_eq!(s[3].path, "/api/couples/9/end");
        assert_eq!(
            steps(&rules::after_intro_ready(CoupleId(9)))[0].path,
            "/api/escalations/9/invite"
        );
        assert_eq!(
            steps(&rules::after_reveal_ready(CoupleId(9)))[0].path,
            "/api/escalations/9/contact"
        );
        assert_eq!(
            actions(&steps(&rules::after_couple_ended())),
            ["wait_for_beat"]
        );
        assert_eq!(
            actions(&steps(&rules::after_invite_claimed())),
            ["wait_for_identity"]
        );
        assert_eq!(
            actions(&steps(&rules::after_identity_verified())),
            ["check_status"]
        );
        assert_eq!(
            actions(&steps(&rules::after_admitted_by_beat(PersonaId(1)))),
            ["wait_for_couple"]
        );
        let s = steps(&rules::after_turn_posted(CoupleId(3), "held"));
        assert_eq!(
            (s[0].action, s[0].path.as_str()),
            ("wait_for_screening", "/api/couples/3/turns")
        );
        let s = steps(&rules::after_turn_posted(CoupleId(3), "blocked"));
        assert!(s[0].why.starts_with("Blocked:"));
        assert_eq!(
            actions(&steps(&rules::after_consent(CoupleId(3), false))),
            ["wait_for_partner_consent"]
        );
        let s = steps(&rules::after_invite(CoupleId(3)));
        assert_eq!(actions(&s), ["relay_invite", "check_status"]);
        assert_eq!(s[1].path, "/api/escalations/3/status");
        assert_eq!(
            actions(&steps(&rules::after_status(CoupleId(3), false))),
            ["wait_for_reveal"]
        );
        assert_eq!(
            actions(&steps(&rules::after_identity_session())),
            ["wait_for_identity"]
        );
        assert_eq!(actions(&steps(&rules::after_withdrawn())), ["check_status"]);
        assert_eq!(
            steps(&rules::after_board_post("seeking"))[0].path,
            "/api/boards/seeking"
        );
    }

    #[test]
    fn the_feed_points_at_its_own_cursor() {
        let more = next_step(&Step::ReadFeed {
            since: 12,
            more: true,
        });
        assert_eq!(
            (more.action, more.path.as_str()),
            ("read_more", "/api/owners/me/events?since=12")
        );
        let caught_up = next_step(&Step::ReadFeed {
            since: 0,
            more: false,
        });
        assert_eq!(caught_up.action, "poll_events");
        assert!(caught_up.why.contains("retention_days"));
    }

    #[test]
    fn a_step_serialises_as_action_method_path_why() {
        let s = next_step(&Step::ReadCouple {
            couple: CoupleId(4),
        });
        assert_eq!(
            serde_json::to_string(&s).expect("json"),
            r#"{"action":"read_couple","method":"GET","path":"/api/couples/4","why":"The couple: its state and both handles."}"#
        );
    }
}
