//! A payment order's lifecycle (docs/rules.md#payments).
//!
//! ```text
//!  (no row) --challenge--> challenged --claim--> settling --fulfil--> fulfilled (terminal)
//!  (no row) --claim------> settling      |          |
//!        failed --challenge--> challenged |          |
//!        failed --claim--> settling       |          |
//!  challenged | settling | failed --fail--> failed (a new reason)
//!  challenged | failed --fulfil--> fulfilled   (a settled payment is always recorded)
//! ```
//!
//! Exactly once: only `claim` leads to `settling`, and it is refused from `settling` and
//! `fulfilled`, so of concurrent claims one wins. A settlement that cleared is recorded
//! whatever a concurrent refusal did to the order meanwhile (`fulfil` from every open
//! state): the money has moved. `fulfilled` is never left.

use std::fmt;

use super::{Illegal, StateMachine};

/// Where a payment order stands. Wire and column names are the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// A 402 challenge was served; no payment is being settled.
    Challenged,
    /// One request claimed the order and is verifying and settling its payment.
    Settling,
    /// The last payment did not clear (its reason is kept); a new one may be sent.
    Failed,
    /// Paid: the receipt is stored. Terminal.
    Fulfilled,
}

impl OrderState {
    /// Every state, in declaration order.
    pub const ALL: &'static [OrderState] = &[
        OrderState::Challenged,
        OrderState::Settling,
        OrderState::Failed,
        OrderState::Fulfilled,
    ];

    /// The name the reference and the database use.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Challenged => "challenged",
            OrderState::Settling => "settling",
            OrderState::Failed => "failed",
            OrderState::Fulfilled => "fulfilled",
        }
    }

    /// Parses a stored name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.as_str() == s)
    }

    /// The state a new order is created in by `event`.
    ///
    /// # Errors
    /// [`Illegal`] for an event that needs an existing order (`fail`, `fulfil`).
    pub fn open(event: OrderEvent) -> Result<OrderState, Illegal> {
        match event {
            OrderEvent::Challenge => Ok(OrderState::Challenged),
            OrderEvent::Claim => Ok(OrderState::Settling),
            OrderEvent::Fail | OrderEvent::Fulfil => {
                Err(Illegal::new("order", "(none)", event.as_str()))
            }
        }
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// A request without a payment is answered with a 402 challenge.
    Challenge,
    /// A request with a payment that passed the local checks claims the order to settle it.
    Claim,
    /// The payment did not clear (pre-check, replay, facilitator verify or settle).
    Fail,
    /// The facilitator settled the payment and its receipt is stored.
    Fulfil,
}

impl OrderEvent {
    /// Every event.
    pub const ALL: &'static [OrderEvent] = &[
        OrderEvent::Challenge,
        OrderEvent::Claim,
        OrderEvent::Fail,
        OrderEvent::Fulfil,
    ];

    /// The event's name (for [`Illegal`] and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::Challenge => "challenge",
            OrderEvent::Claim => "claim",
            OrderEvent::Fail => "fail",
            OrderEvent::Fulfil => "fulfil",
        }
    }
}

impl StateMachine for OrderState {
    type Event = OrderEvent;
    const STATES: &'static [Self] = OrderState::ALL;
    const EVENTS: &'static [OrderEvent] = OrderEvent::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn on(self, event: OrderEvent) -> Result<Self, Illegal> {
        use OrderEvent as E;
        use OrderState as S;
        match (self, event) {
            (S::Failed, E::Challenge) => Ok(S::Challenged),
            (S::Challenged | S::Failed, E::Claim) => Ok(S::Settling),
            (S::Challenged | S::Settling | S::Failed, E::Fail) => Ok(S::Failed),
            (S::Challenged | S::Settling | S::Failed, E::Fulfil) => Ok(S::Fulfilled),
            _ => Err(Illegal::new("order", self.as_str(), event.as_str())),
        }
    }
}

/// One order transition as the domain decided it, for the store to persist atomically:
/// insert the order in [`OrderStep::to`] when it has no row (if [`OrderStep::creates`]),
/// else move it to [`OrderStep::to`] only while it is in one of [`OrderStep::from`].
/// Built only from the machine, so a store cannot be asked for an illegal move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStep {
    event: OrderEvent,
    from: Vec<OrderState>,
    to: OrderState,
    creates: bool,
    reason: Option<String>,
}

impl OrderStep {
    fn of(event: OrderEvent, to: OrderState, reason: Option<String>) -> Self {
        Self {
            event,
            from: OrderState::sources(event),
            to,
            creates: OrderState::open(event).is_ok(),
            reason,
        }
    }

    /// Serve a challenge: create the order `challenged`, or re-open a `failed` one.
    pub fn challenge() -> Self {
        Self::of(OrderEvent::Challenge, OrderState::Challenged, None)
    }

    /// Claim the order for settlement: create it `settling`, or move a `challenged` or
    /// `failed` one there. Of concurrent claims exactly one is written.
    pub fn claim() -> Self {
        Self::of(OrderEvent::Claim, OrderState::Settling, None)
    }

    /// The payment did not clear, for `reason` (what the agent is told).
    pub fn fail(reason: String) -> Self {
        Self::of(OrderEvent::Fail, OrderState::Failed, Some(reason))
    }

    /// The payment settled and its receipt is stored.
    pub fn fulfil() -> Self {
        Self::of(OrderEvent::Fulfil, OrderState::Fulfilled, None)
    }

    /// The event this step persists.
    pub fn event(&self) -> OrderEvent {
        self.event
    }

    /// The states the order must be in for the step to apply (the update's guard).
    pub fn from(&self) -> &[OrderState] {
        &self.from
    }

    /// The state written.
    pub fn to(&self) -> OrderState {
        self.to
    }

    /// Whether an order with no row is created in [`OrderStep::to`].
    pub fn creates(&self) -> bool {
        self.creates
    }

    /// The order's reason after the step (`Some` only for a failure; every other step
    /// clears it).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::laws;
    use OrderState::{Challenged, Failed, Fulfilled, Settling};
    use proptest::prelude::*;

    /// The documented graph (module docs), written out independently of `on`.
    const EDGES: &[(OrderState, OrderState)] = &[
        (Failed, Challenged),
        (Challenged, Settling),
        (Failed, Settling),
        (Challenged, Failed),
        (Settling, Failed),
        (Challenged, Fulfilled),
        (Settling, Fulfilled),
        (Failed, Fulfilled),
    ];

    #[test]
    fn only_the_documented_edges_exist_and_fulfilled_is_terminal() {
        laws::check_edges(EDGES);
        laws::check_terminals(&[Fulfilled]);
    }

    #[test]
    fn only_a_claim_leads_to_settling_and_a_settling_order_cannot_be_claimed_again() {
        for e in OrderEvent::ALL {
            for s in OrderState::ALL {
                if s.on(*e) == Ok(Settling) {
                    assert_eq!(*e, OrderEvent::Claim);
                }
            }
        }
        assert!(Settling.on(OrderEvent::Claim).is_err());
        assert!(Fulfilled.on(OrderEvent::Claim).is_err());
        assert_eq!(OrderState::open(OrderEvent::Claim), Ok(Settling));
    }

    #[test]
    fn steps_carry_the_guards_the_store_used_to_hard_code() {
        assert_eq!(OrderStep::challenge().from(), &[Failed]);
        assert!(OrderStep::challenge().creates());
        assert_eq!(OrderStep::claim().from(), &[Challenged, Failed]);
        assert!(OrderStep::claim().creates());
        let fail = OrderStep::fail("nope".into());
        assert_eq!(fail.from(), &[Challenged, Settling, Failed]);
        assert_eq!(
            (fail.to(), fail.reason(), fail.creates()),
            (Failed, Some("nope"), false)
        );
        assert_eq!(OrderStep::fulfil().from(), &[Challenged, Settling, Failed]);
        assert!(!OrderStep::fulfil().creates());
    }

    #[test]
    fn names_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(OrderState::parse("settled"), None);
    }

    proptest! {
        #[test]
        fn no_walk_takes_an_undocumented_edge_or_leaves_fulfilled(
            (start, events) in laws::walk::<OrderState>()
        ) {
            laws::check_walk(start, &events, EDGES, &[Fulfilled]);
        }
    }
}
