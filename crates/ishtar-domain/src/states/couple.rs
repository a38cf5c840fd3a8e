//! A couple's lifecycle (docs/rules.md#couples-tiers-and-reveal):
//!
//! ```text
//! courting --both consented--> committed --brokered (operator)--> brokered (terminal)
//! courting --ended by a side--> ended (terminal)
//! courting | committed --a persona withdrawn or erased--> ended
//! ```

use super::{Illegal, StateMachine};
use crate::model::CoupleState;

/// What happens to a couple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoupleEvent {
    /// The second owner consented to an introduction.
    BothConsented,
    /// One side ended the courtship (`POST /api/couples/:id/end`).
    EndedBySide,
    /// The operator brokered the introduction.
    Brokered,
    /// One side's persona was withdrawn or its owner erased.
    SideWithdrawn,
}

impl CoupleEvent {
    /// Every event.
    pub const ALL: &'static [CoupleEvent] = &[
        CoupleEvent::BothConsented,
        CoupleEvent::EndedBySide,
        CoupleEvent::Brokered,
        CoupleEvent::SideWithdrawn,
    ];

    /// The event's name (for [`Illegal`] and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            CoupleEvent::BothConsented => "both_consented",
            CoupleEvent::EndedBySide => "ended_by_side",
            CoupleEvent::Brokered => "brokered",
            CoupleEvent::SideWithdrawn => "side_withdrawn",
        }
    }

    /// The states in which this event applies: the guard of an adapter's bulk update
    /// (`WHERE state IN (…)`).
    pub fn sources(self) -> Vec<CoupleState> {
        <CoupleState as StateMachine>::sources(self)
    }

    /// [`CoupleEvent::sources`] as stored names, for an update's `state = ANY($n)`.
    pub fn source_names(self) -> Vec<&'static str> {
        <CoupleState as StateMachine>::source_names(self)
    }

    /// The state the event leaves a couple in, from whichever state it applies in.
    pub fn outcome(self) -> CoupleState {
        match self {
            CoupleEvent::BothConsented => CoupleState::Committed,
            CoupleEvent::EndedBySide | CoupleEvent::SideWithdrawn => CoupleState::Ended,
            CoupleEvent::Brokered => CoupleState::Brokered,
        }
    }
}

impl CoupleState {
    /// Whether a couple in this state keeps its two personas paired: neither is matched
    /// again (docs/matcher.md). Every state but `ended`.
    pub fn pairs(self) -> bool {
        self != CoupleState::Ended
    }

    /// The stored names of the states that keep personas paired ([`CoupleState::pairs`]),
    /// for a query's `state = ANY($n)`.
    pub fn pairing_names() -> Vec<&'static str> {
        CoupleState::ALL
            .iter()
            .copied()
            .filter(|s| s.pairs())
            .map(CoupleState::as_str)
            .collect()
    }
}

impl StateMachine for CoupleState {
    type Event = CoupleEvent;
    const STATES: &'static [Self] = CoupleState::ALL;
    const EVENTS: &'static [CoupleEvent] = CoupleEvent::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn on(self, event: CoupleEvent) -> Result<Self, Illegal> {
        use CoupleState::{Committed, Courting};
        match (self, event) {
            (Courting, CoupleEvent::BothConsented | CoupleEvent::EndedBySide)
            | (Committed, CoupleEvent::Brokered)
            | (Courting | Committed, CoupleEvent::SideWithdrawn) => Ok(event.outcome()),
            _ => Err(Illegal::new("couple", self.as_str(), event.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::laws;
    use CoupleState::{Brokered, Committed, Courting, Ended};
    use proptest::prelude::*;

    const EDGES: &[(CoupleState, CoupleState)] = &[
        (Courting, Committed),
        (Courting, Ended),
        (Committed, Brokered),
        (Committed, Ended),
    ];

    #[test]
    fn only_the_documented_edges_exist_and_brokered_and_ended_are_terminal() {
        laws::check_edges(EDGES);
        laws::check_terminals(&[Brokered, Ended]);
    }

    #[test]
    fn only_courting_couples_commit_or_are_ended_by_a_side() {
        assert_eq!(CoupleEvent::BothConsented.sources(), vec![Courting]);
        assert_eq!(CoupleEvent::EndedBySide.sources(), vec![Courting]);
        assert_eq!(
            CoupleEvent::SideWithdrawn.sources(),
            vec![Courting, Committed]
        );
        assert_eq!(CoupleEvent::Brokered.sources(), vec![Committed]);
        assert_eq!(
            CoupleState::source_names(CoupleEvent::SideWithdrawn),
            vec!["courting", "committed"]
        );
    }

    #[test]
    fn every_couple_event_has_one_target() {
        assert_eq!(
            CoupleState::target(CoupleEvent::BothConsented),
            Some(Committed)
        );
        assert_eq!(CoupleState::target(CoupleEvent::EndedBySide), Some(Ended));
        assert_eq!(CoupleState::target(CoupleEvent::Brokered), Some(Brokered));
        assert_eq!(CoupleState::target(CoupleEvent::SideWithdrawn), Some(Ended));
        for e in CoupleEvent::ALL {
            assert_eq!(CoupleState::target(*e), Some(e.outcome()), "{e:?}");
        }
    }

    #[test]
    fn every_couple_but_an_ended_one_keeps_its_personas_paired() {
        assert_eq!(
            CoupleState::pairing_names(),
            vec!["courting", "committed", "brokered"]
        );
        assert!(!Ended.pairs());
    }

    proptest! {
        #[test]
        fn no_walk_takes_an_undocumented_edge_or_leaves_a_terminal_state(
            (start, events) in laws::walk::<CoupleState>()
        ) {
            laws::check_walk(start, &events, EDGES, &[Brokered, Ended]);
        }
    }
}
