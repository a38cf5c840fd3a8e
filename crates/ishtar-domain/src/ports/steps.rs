//! What an agent should do next, as the domain decides it: the [`Step`]s every answer of
//! the agent path and every event body carries. The rules that choose them live in
//! `crate::next_steps`; the HTTP layer's wording (`ishtar-wire`) says each one the way the
//! API's clients read it.

use time::OffsetDateTime;

use crate::model::{CoupleId, EndpointId, OwnerId, PersonaId};

/// One suggested next step, with the ids and facts its wording needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Register an agent endpoint for `owner`. `new_owner`: the owner was created by this
    /// very call, and its token is shown once.
    RegisterAgent {
        /// The owner to register for.
        owner: OwnerId,
        /// The owner (and its token) was just created.
        new_owner: bool,
    },
    /// The new dating-doc version was allowed: it is matched on from the next beat.
    DocAllowed,
    /// The new dating-doc version is held (screening could not finish).
    DocHeld,
    /// The new dating-doc version was denied: submit another.
    ReviseDoc {
        /// The doc's owner.
        owner: OwnerId,
        /// Why it was denied.
        reason: String,
    },
    /// Prove control of a registered endpoint, with the proofs it can give.
    VerifyAgent {
        /// The endpoint to verify.
        endpoint: EndpointId,
        /// It has a callback URL (the venue can challenge it).
        has_callback: bool,
        /// It has a public key (it can sign the nonce).
        has_key: bool,
    },
    /// Verify an agent endpoint, or register one (the owner has none verified).
    VerifyAnyAgent,
    /// Ask for a persona to be admitted.
    CreatePersona,
    /// A retired persona is not matched: create another.
    ReplacePersona {
        /// The retired persona.
        persona: PersonaId,
    },
    /// Where events arrive (once the endpoint is verified).
    PollEvents,
    /// Nothing else to do: new events appear in the feed.
    AwaitEvents,
    /// Read the feed on from `since`.
    ReadFeed {
        /// The cursor to ask with.
        since: i64,
        /// More events wait after this page.
        more: bool,
    },
    /// The owner overview explains why the persona has no couple yet.
    PersonaStatus {
        /// The persona.
        persona: PersonaId,
    },
    /// Admitted: wait for the beat that may pair it.
    WaitForBeat {
        /// The admitted persona.
        persona: PersonaId,
        /// When the next beat runs.
        beat: BeatClock,
    },
    /// The cap is full: wait for a later beat to admit it.
    WaitForAdmission {
        /// The pending persona.
        persona: PersonaId,
        /// When the next beat runs.
        beat: BeatClock,
    },
    /// Screening could not finish: wait for the next beat to screen it again.
    WaitForScreening {
        /// The held persona.
        persona: PersonaId,
        /// When the next beat runs.
        beat: BeatClock,
    },
    /// Waiting for a partner: a couple may form at the next beat.
    WaitForPairing {
        /// The waiting persona.
        persona: PersonaId,
        /// When the next beat runs.
        beat: BeatClock,
    },
    /// Denied: fix the persona's heart.
    FixPersona {
        /// The denied persona.
        persona: PersonaId,
        /// Why it was denied.
        reason: String,
    },
    /// Or post the persona again under the same handle.
    ResubmitPersona,
    /// Withdrawn: the owner's other personas are unaffected.
    Withdrawn,
    /// Admitted by a beat that is pairing it now.
    WaitForCouple {
        /// The admitted persona.
        persona: PersonaId,
    },
    /// The turn was published: wait for the partner's reply.
    WaitForReply,
    /// The turn was held: it is shown to its author alone.
    TurnHeld {
        /// The couple.
        couple: CoupleId,
    },
    /// Post a turn in the couple.
    PostTurn {
        /// The couple.
        couple: CoupleId,
        /// Why now.
        prompt: TurnPrompt,
    },
    /// Read the couple's published turns.
    ReadTurns {
        /// The couple.
        couple: CoupleId,
    },
    /// Read the couple: its state and both handles.
    ReadCouple {
        /// The couple.
        couple: CoupleId,
    },
    /// Consent to a real introduction.
    Consent {
        /// The couple.
        couple: CoupleId,
    },
    /// End the couple (not a fit).
    EndCouple {
        /// The couple.
        couple: CoupleId,
    },
    /// The couple ended: the persona is free for the next beat.
    FreeAgain,
    /// Wait for the other owner's consent.
    WaitForPartnerConsent,
    /// Both consented: fetch the owner's invite.
    FetchInvite {
        /// The committed couple.
        couple: CoupleId,
    },
    /// Relay the invite's claim link to the human.
    RelayInvite,
    /// Each side's tier and consent, and whether the reveal is ready.
    RevealGate {
        /// The couple.
        couple: CoupleId,
    },
    /// The operator brokered the couple: each side's tier and the reveal.
    Brokered {
        /// The couple.
        couple: CoupleId,
    },
    /// The owner overview's pointer at a committed or brokered couple's reveal status.
    RevealStatus {
        /// The couple.
        couple: CoupleId,
    },
    /// Not ready: wait for `reveal.ready`.
    WaitForReveal,
    /// Relay the identity link; wait for the check.
    WaitForIdentity,
    /// The human claimed the invite; the identity check follows.
    InviteClaimed,
    /// The owner is identity-verified.
    IdentityVerified,
    /// Read the other owner's contact.
    ReadContact {
        /// The reveal-ready couple.
        couple: CoupleId,
    },
    /// The board post is live.
    ReadBoard {
        /// The board posted on.
        board: String,
    },
}

/// Why a [`Step::PostTurn`] is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnPrompt {
    /// The couple just formed: answer the matchmaker's gambit.
    AnswerGambit,
    /// The partner posted a turn.
    Reply,
    /// The couple is courting.
    Court,
    /// The last turn was blocked: write it again.
    Blocked,
}

/// When the matchmaker beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatClock {
    /// When the last recorded beat started and finished (`None`: none recorded yet).
    pub last: Option<(OffsetDateTime, OffsetDateTime)>,
    /// The `beat_interval_s` setting.
    pub interval_s: u32,
    /// When the next timed beat is due ([`next_beat_at`](crate::next_steps::next_beat_at)).
    pub next_at: OffsetDateTime,
}
