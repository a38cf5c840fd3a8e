//! A persona's status at the door and after (docs/rules.md#admission-order; the lifecycle
//! in [`crate::personas`]):
//!
//! ```text
//! (door) --allowed--> pending --took a place--> admitted
//! (door) --held--> held            (door) --denied--> denied
//! held --allowed--> pending        held --denied (re-screen)--> denied
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
}

impl PersonaEvent {
    /// Every event.
    pub const ALL: &'static [PersonaEvent] = &[
        PersonaEvent::Allowed,
        PersonaEvent::Held,
        PersonaEvent::Denied,
        PersonaEvent::TookPlace,
        PersonaEvent::Withdrawn,
    ];

    /// The event's name (for [`Illegal`] and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            PersonaEvent::Allowed => "allowed",
            PersonaEvent::Held => "held",
            PersonaEvent::Denied => "denied",
            PersonaEvent::TookPlace => "took_place",
            PersonaEvent::Withdrawn => "withdrawn",
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
            PersonaEvent::TookPlace | PersonaEvent::Withdrawn => {
                Err(Illegal::new("persona", "(none)", event.as_str()))
            }
        }
    }

    /// Whether a persona in this status holds a cap place.
    pub fn holds_place(self) -> bool {
        self == PersonaStatus::Admitted
    }
}

impl StateMachine for PersonaStatus {
    type Event = PersonaEvent;
    const STATES: &'static [Self] = PersonaStatus::ALL;
    const EVENTS: &'static [PersonaEvent] = PersonaEvent::ALL;

    fn on(self, event: PersonaEvent) -> Result<Self, Illegal> {
        use PersonaStatus::{Admitted, Denied, Held, Pending, Retired};
        match (self, event) {
            (Admitted, PersonaEvent::Allowed) => Ok(Admitted),
            (Pending | Held | Denied | Retired, PersonaEvent::Allowed) => Ok(Pending),
            (_, PersonaEvent::Held) => Ok(Held),
            (Held, PersonaEvent::Denied) => Ok(Denied),
            (Pending, PersonaEvent::TookPlace) => Ok(Admitted),
            (Admitted | Pending | Held | Denied, PersonaEvent::Withdrawn) => Ok(Retired),
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
