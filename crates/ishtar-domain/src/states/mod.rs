//! The venue's state machines (issue 14): which state an order, an owner's tier, a couple
//! and a persona may move to, and on what event. The rules live here and only here;
//! adapters persist the outcome (with the expected previous states as their guard, so
//! concurrent writers stay exact) and never decide a transition themselves.
//!
//! | machine | states | where it is applied |
//! |---|---|---|
//! | [`OrderState`] | `challenged`, `settling`, `failed`, `fulfilled` | the payments use case builds an [`OrderStep`]; the store writes it guarded by [`OrderStep::from`] |
//! | [`Tier`](crate::model::Tier) | `agent_represented` → `profile_claimed` → `identity_verified` | the escalation store, under the owner's row lock |
//! | [`CoupleState`](crate::model::CoupleState) | `courting`, `committed`, `brokered`, `ended` | the escalation, persona, couple, console and erasure stores, under the couple's row lock or guarded by [`CoupleEvent::sources`], writing [`CoupleEvent::outcome`] |
//! | [`PersonaStatus`](crate::model::PersonaStatus) | `pending`, `admitted`, `held`, `denied`, `retired` | the door, the lifecycle ([`crate::personas::revised`]), the beat's re-screen ([`PersonaEvent::rescreen`]) and the persona store |
//!
//! Every machine implements [`StateMachine`]: [`StateMachine::on`] is the transition
//! function, and [`StateMachine::can_become`] / [`StateMachine::is_terminal`] are derived
//! from it, so the three can never disagree. A store that moves rows in bulk binds
//! [`StateMachine::source_names`] as its guard (`state = ANY($n)`), never state literals.

mod couple;
mod order;
mod persona;
mod tier;

pub use couple::CoupleEvent;
pub use order::{OrderEvent, OrderState, OrderStep};
pub use persona::PersonaEvent;
pub use tier::TierEvent;

/// A transition a machine does not allow: `event` in state `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{machine}: `{event}` is not allowed from `{from}`")]
pub struct Illegal {
    machine: &'static str,
    from: &'static str,
    event: &'static str,
}

impl Illegal {
    /// `event` refused in state `from` of `machine` (all three as their wire/debug names).
    pub(crate) fn new(machine: &'static str, from: &'static str, event: &'static str) -> Self {
        Self {
            machine,
            from,
            event,
        }
    }

    /// Which machine refused (`order`, `tier`, `couple`, `persona`).
    pub fn machine(&self) -> &'static str {
        self.machine
    }

    /// The state the refused event found (its wire name).
    pub fn from(&self) -> &'static str {
        self.from
    }

    /// The refused event's name.
    pub fn event(&self) -> &'static str {
        self.event
    }
}

/// A typed state machine: a closed set of states, a closed set of events, and one
/// transition function. Everything else is derived from [`StateMachine::on`].
pub trait StateMachine: Copy + Eq + Sized + 'static {
    /// What happens to the thing the machine describes.
    type Event: Copy + Eq + 'static;

    /// Every state.
    const STATES: &'static [Self];

    /// Every event (each payload variant included), so derived questions can enumerate them.
    const EVENTS: &'static [Self::Event];

    /// The state's stored (wire) name.
    fn name(self) -> &'static str;

    /// The state after `event`.
    ///
    /// # Errors
    /// [`Illegal`] when `event` may not happen in this state.
    fn on(self, event: Self::Event) -> Result<Self, Illegal>;

    /// Whether some single event moves this state to `next` (a state that an event leaves
    /// as it is can "become" itself).
    fn can_become(self, next: Self) -> bool {
        Self::EVENTS.iter().any(|e| self.on(*e) == Ok(next))
    }

    /// Whether no event ever leaves this state.
    fn is_terminal(self) -> bool {
        Self::EVENTS
            .iter()
            .all(|e| !self.on(*e).is_ok_and(|next| next != self))
    }

    /// The states in which `event` is allowed, in [`StateMachine::STATES`] order: the guard
    /// an adapter puts on its update (`WHERE state IN (…)`).
    fn sources(event: Self::Event) -> Vec<Self> {
        Self::STATES
            .iter()
            .copied()
            .filter(|s| s.on(event).is_ok())
            .collect()
    }

    /// The stored names of [`StateMachine::sources`]: what an adapter binds as its
    /// update's guard (`WHERE state = ANY($n)`).
    fn source_names(event: Self::Event) -> Vec<&'static str> {
        Self::sources(event).into_iter().map(Self::name).collect()
    }

    /// The one state `event` leads to from every state it is allowed in: what a bulk
    /// update guarded by [`StateMachine::source_names`] writes. `None` when the event is
    /// allowed nowhere or leads to different states from different states.
    fn target(event: Self::Event) -> Option<Self> {
        let mut next = Self::sources(event).into_iter().map(|s| s.on(event).ok());
        let first = next.next()??;
        next.all(|n| n == Some(first)).then_some(first)
    }
}

#[cfg(test)]
pub(crate) mod laws {
    //! Properties every machine must satisfy, checked against an independently written
    //! table of the documented edges.

    use super::StateMachine;
    use proptest::prelude::*;

    /// A random start state and a random event sequence for `M`.
    pub fn walk<M: StateMachine + std::fmt::Debug>() -> impl Strategy<Value = (M, Vec<M::Event>)>
    where
        M::Event: std::fmt::Debug,
    {
        (
            proptest::sample::select(M::STATES),
            proptest::collection::vec(proptest::sample::select(M::EVENTS), 0..24),
        )
    }

    /// Runs `events` from `start`: every allowed step is a documented edge of `edges` (or
    /// leaves the state as it is), a documented terminal state is never left, and
    /// `can_become` / `sources` agree with `on`.
    pub fn check_walk<M: StateMachine + std::fmt::Debug>(
        start: M,
        events: &[M::Event],
        edges: &[(M, M)],
        terminals: &[M],
    ) where
        M::Event: std::fmt::Debug,
    {
        let mut state = start;
        for e in events {
            match state.on(*e) {
                Ok(next) => {
                    assert!(
                        next == state || edges.contains(&(state, next)),
                        "{state:?} --{e:?}--> {next:?} is not a documented edge"
                    );
                    assert!(state.can_become(next));
                    assert!(M::sources(*e).contains(&state));
                    assert!(M::source_names(*e).contains(&state.name()));
                    if let Some(target) = M::target(*e) {
                        assert_eq!(next, target, "{e:?} has one target");
                    }
                    if terminals.contains(&state) {
                        assert_eq!(next, state, "terminal {state:?} left on {e:?}");
                    }
                    state = next;
                }
                Err(_) => assert!(!M::sources(*e).contains(&state)),
            }
        }
    }

    /// `is_terminal` names exactly the documented terminal states.
    pub fn check_terminals<M: StateMachine + std::fmt::Debug>(terminals: &[M]) {
        for s in M::STATES {
            assert_eq!(s.is_terminal(), terminals.contains(s), "{s:?}");
        }
    }

    /// Every documented edge is reachable by some event, and nothing else is.
    pub fn check_edges<M: StateMachine + std::fmt::Debug>(edges: &[(M, M)]) {
        for a in M::STATES {
            for b in M::STATES {
                if a == b {
                    continue;
                }
                assert_eq!(
                    a.can_become(*b),
                    edges.contains(&(*a, *b)),
                    "{a:?} -> {b:?}"
                );
            }
        }
    }
}
