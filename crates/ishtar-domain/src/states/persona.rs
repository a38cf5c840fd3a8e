//! A persona's status at the door and after (docs/rules.md#admission-order; the lifecycle
//! in [`crate::personas`]):
//!
//! ```text
//! (door) --allowed--> pending --took a place--> admitted
//! (door) --held--> held            (door) --denied--> denied
//! held --allowed--> pending        held --denied (re-screen)--> denied
//! held --re-screened: allowed--> pending     held --re-screened: denied--> denied
//! admitted --allowed (edit)--> admitted (keeps its place)
//! any --held (edit / resubmit)--> held          (an admitted persona gives its place back)
//! denied | retired --allowed (resubmit)--> pending
//! any but retired --withdrawn--> retired
//! ```
//!
//! A denial of an edit changes nothing (it never reaches the store), so `denied` is only
//! reached at the door or by re-screening a held persona. No status is terminal: a denied
//! or withdrawn persona's owner may post it again.

use super::{Illegal, StateMachine};
use crate::model::PersonaStatus;

/// What happens to a persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonaEvent {
    /// The chaperone allowed its (new) text.
    Allowed,
    /// The chaperone held its (new) text for review.
    Held,
    /// The chaperone denied its text (at the door, or re-screening a held persona).
    Denied,
    /// It took a free cap place.
    TookPlace,
    /// Its owner withdrew it.
    Withdrawn,
    /// The beat re-screened a held persona's unchanged text: `allowed` sends it back to
    /// `pending` (to wait for a place), else it is denied. Only a held persona is
    /// re-screened.
    Rescreened {
        /// The chaperone allowed the text this time.
        allowed: bool,
    },
}

impl PersonaEvent {
    /// Every event.
    pub const ALL: &'static [PersonaEvent] = &[
        PersonaEvent::Allowed,
        PersonaEvent::Held,
        PersonaEvent::Denied,
        PersonaEvent::TookPlace,
        PersonaEvent::Withdrawn,
        PersonaEvent::Rescreened { allowed: true },
        PersonaEvent::Rescreened { allowed: false },
    ];

    /// The event's name (for [`Illegal`] and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            PersonaEvent::Allowed => "allowed",
            PersonaEvent::Held => "held",
            PersonaEvent::Denied => "denied",
            PersonaEvent::TookPlace => "took_place",
            PersonaEvent::Withdrawn => "withdrawn",
            PersonaEvent::Rescreened { .. } => "rescreened",
        }
    }

    /// The re-screen that stores `outcome`: allowed unless the outcome is `denied`.
    pub fn rescreen(outcome: PersonaStatus) -> Self {
        PersonaEvent::Rescreened {
            allowed: outcome != PersonaStatus::Denied,
        }
    }
}

impl PersonaStatus {
    /// The status a new persona is stored in at the door after the chaperone's `event`
    /// (a place is then taken with [`PersonaEvent::TookPlace`]).
    ///
    /// # Errors
    /// [`Illegal`] for an event that needs a stored persona.
    pub fn enter(event: PersonaEvent) -> Result<PersonaStatus, Illegal> {
        match event {
            PersonaEvent::Allowed => Ok(PersonaStatus::Pending),
            PersonaEvent::Held => Ok(PersonaStatus::Held),
            PersonaEvent::Denied => Ok(PersonaStatus::Denied),
            PersonaEvent::TookPlace | PersonaEvent::Withdrawn | PersonaEvent::Rescreened { .. } => {
                Err(Illegal::new("persona", "(none)", event.as_str()))
            }
        }
    }

    /// Whether a persona in this status holds a cap place.
    pub fn holds_place(self) -> bool {
        self == PersonaStatus::Admitted
    }

    /// The status a persona that took a place is in (and the reason it is given).
    pub fn placed() -> PersonaStatus {
        PersonaStatus::Admitted
    }

    /// The reason stored with a persona in this status: one holding a place is given
    /// [`PersonaStatus::placed`]'s name, any other keeps the chaperone's `reason`.
    pub fn stored_reason(self, reason: &str) -> &str {
        if self.holds_place() {
            PersonaStatus::placed().as_str()
        } else {
            reason
        }
    }
}

impl StateMachine for PersonaStatus {
    type Event = PersonaEvent;
    const STATES: &'static [Self] = PersonaStatus::ALL;
    const EVENTS: &'static [PersonaEvent] = PersonaEvent::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn on(self, event: PersonaEvent) -> Result<Self, Illegal> {
        use PersonaStatus::{Admitted, Denied, Held, Pending, Retired};
        match (self, event) {
            (Admitted, PersonaEvent::Allowed) => Ok(Admitted),
            (Pending | Held | Denied | Retired, PersonaEvent::Allowed) => Ok(Pending),
            (_, PersonaEvent::Held) => Ok(Held),
            (Held, PersonaEvent::Denied) => Ok(Denied),
            (Pending, PersonaEvent::TookPlace) => Ok(PersonaStatus::placed()),
            (Admitted | Pending | Held | Denied, PersonaEvent::Withdrawn) => Ok(Retired),
            (Held, PersonaEvent::Rescreened { allowed: true }) => Ok(Pending),
            (Held, PersonaEvent::Rescreened { allowed: false }) => Ok(Denied),
            _ => Err(Illegal::new("persona", self.as_str(), event.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::laws;
    use PersonaStatus::{Admitted, Denied, Held, Pending, Retired};
    use proptest::prelude::*;

    const EDGES: &[(PersonaStatus, PersonaStatus)] = &[
        (Pending, Admitted),
        (Held, Pending),
        (Denied, Pending),
        (Retired, Pending),
        (Admitted, Held),
        (Pending, Held),
        (Denied, Held),
        (Retired, Held),
        (Held, Denied),
        (Admitted, Retired),
        (Pending, Retired),
        (Held, Retired),
        (Denied, Retired),
    ];

    #[test]
    fn only_the_documented_edges_exist_and_no_status_is_terminal() {
        laws::check_edges(EDGES);
        laws::check_terminals::<PersonaStatus>(&[]);
    }

    #[test]
    fn the_door_stores_the_chaperones_status_and_only_pending_takes_a_place() {
        assert_eq!(PersonaStatus::enter(PersonaEvent::Allowed), Ok(Pending));
        assert_eq!(PersonaStatus::enter(PersonaEvent::Held), Ok(Held));
        assert_eq!(PersonaStatus::enter(PersonaEvent::Denied), Ok(Denied));
        assert!(PersonaStatus::enter(PersonaEvent::TookPlace).is_err());
        assert_eq!(
            PersonaStatus::sources(PersonaEvent::TookPlace),
            vec![Pending]
        );
    }

    #[test]
    fn only_a_held_persona_is_rescreened_to_pending_or_denied() {
        for outcome in [Pending, Denied] {
            let e = PersonaEvent::rescreen(outcome);
            assert_eq!(PersonaStatus::sources(e), vec![Held]);
            assert_eq!(PersonaStatus::source_names(e), vec!["held"]);
            assert_eq!(PersonaStatus::target(e), Some(outcome));
            assert_eq!(Held.on(e), Ok(outcome));
        }
        assert!(PersonaStatus::enter(PersonaEvent::rescreen(Pending)).is_err());
        assert_eq!(
            PersonaStatus::target(PersonaEvent::TookPlace),
            Some(PersonaStatus::placed())
        );
        assert!(PersonaStatus::placed().holds_place());
        assert_eq!(Admitted.stored_reason("allowed"), "admitted");
        assert_eq!(Pending.stored_reason("allowed"), "allowed");
        assert_eq!(PersonaStatus::target(PersonaEvent::Allowed), None);
    }

    #[test]
    fn withdrawing_twice_is_refused_and_an_admitted_edit_keeps_its_status() {
        assert_eq!(Admitted.on(PersonaEvent::Withdrawn), Ok(Retired));
        assert!(Retired.on(PersonaEvent::Withdrawn).is_err());
        assert_eq!(Admitted.on(PersonaEvent::Allowed), Ok(Admitted));
        assert!(Admitted.on(PersonaEvent::Denied).is_err());
    }

    proptest! {
        #[test]
        fn no_walk_takes_an_undocumented_edge(
            (start, events) in laws::walk::<PersonaStatus>()
        ) {
            laws::check_walk(start, &events, EDGES, &[]);
        }

        #[test]
        fn only_a_place_taken_admits_a_persona_that_was_not_admitted(
            (start, events) in laws::walk::<PersonaStatus>()
        ) {
            let mut s = start;
            for e in events {
                if let Ok(next) = s.on(e) {
                    if next == Admitted && s != Admitted {
                        prop_assert_eq!(e, PersonaEvent::TookPlace);
                    }
                    s = next;
                }
            }
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use crate::model::PersonaStatus::{self, Admitted, Denied, Held, Pending, Retired};
    use crate::personas::revised;
    use crate::ports::Slot;

    /// The lifecycle's revision table (README, "Personas: edit, resubmit, withdraw"), as it
    /// was written before the machine: the machine must give the same answers.
    fn table(current: PersonaStatus, allowed: bool) -> (PersonaStatus, Slot) {
        match (current, allowed) {
            (Admitted, true) => (Admitted, Slot::Keep),
            (Admitted, false) => (Held, Slot::Free),
            (_, true) => (Pending, Slot::Take),
            (_, false) => (Held, Slot::None),
        }
    }

    #[test]
    fn a_revision_follows_the_machine_and_the_documented_table() {
        for s in [Admitted, Pending, Held, Denied, Retired] {
            for allowed in [true, false] {
                assert_eq!(revised(s, allowed), table(s, allowed), "{s:?} {allowed}");
            }
        }
    }
}
