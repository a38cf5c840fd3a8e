//! An owner's tier (docs/rules.md#couples-tiers-and-reveal):
//!
//! ```text
//! agent_represented --invite claimed--> profile_claimed --identity approved--> identity_verified
//!                                       profile_claimed <--identity revoked-- identity_verified
//!                                                          (and no other verified check left)
//! ```
//!
//! An event that does not move the tier leaves it as it is (claiming a second invite,
//! an approval of a verified owner, a decline of an unverified one). Verification needs a
//! claimed profile first: an approval for an `agent_represented` owner is refused.

use super::{Illegal, StateMachine};
use crate::model::Tier;

/// What happens to an owner's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TierEvent {
    /// The human claimed one of the owner's invites with a verified sign-in.
    InviteClaimed,
    /// An identity check was approved (age over 18).
    IdentityApproved,
    /// An identity check was declined or showed a minor.
    IdentityRevoked {
        /// Another of the owner's checks is still verified: the owner stays verified.
        other_check_verified: bool,
    },
}

impl TierEvent {
    /// Every event, each payload included.
    pub const ALL: &'static [TierEvent] = &[
        TierEvent::InviteClaimed,
        TierEvent::IdentityApproved,
        TierEvent::IdentityRevoked {
            other_check_verified: false,
        },
        TierEvent::IdentityRevoked {
            other_check_verified: true,
        },
    ];

    /// The event's name (for [`Illegal`] and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            TierEvent::InviteClaimed => "invite_claimed",
            TierEvent::IdentityApproved => "identity_approved",
            TierEvent::IdentityRevoked { .. } => "identity_revoked",
        }
    }
}

impl Tier {
    /// Whether the human has claimed the owner's profile (any tier past
    /// `agent_represented`): only then may an identity check start or be matched.
    pub fn has_claimed_profile(self) -> bool {
        self != Tier::AgentRepresented
    }
}

impl StateMachine for Tier {
    type Event = TierEvent;
    const STATES: &'static [Self] = Tier::ALL;
    const EVENTS: &'static [TierEvent] = TierEvent::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn on(self, event: TierEvent) -> Result<Self, Illegal> {
        use Tier::{AgentRepresented, IdentityVerified, ProfileClaimed};
        match (self, event) {
            (AgentRepresented, TierEvent::InviteClaimed) => Ok(ProfileClaimed),
            (ProfileClaimed | IdentityVerified, TierEvent::InviteClaimed) => Ok(self),
            (ProfileClaimed | IdentityVerified, TierEvent::IdentityApproved) => {
                Ok(IdentityVerified)
            }
            (
                IdentityVerified,
                TierEvent::IdentityRevoked {
                    other_check_verified: false,
                },
            ) => Ok(ProfileClaimed),
            (_, TierEvent::IdentityRevoked { .. }) => Ok(self),
            (AgentRepresented, TierEvent::IdentityApproved) => {
                Err(Illegal::new("tier", self.as_str(), event.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::laws;
    use Tier::{AgentRepresented, IdentityVerified, ProfileClaimed};
    use proptest::prelude::*;

    const EDGES: &[(Tier, Tier)] = &[
        (AgentRepresented, ProfileClaimed),
        (ProfileClaimed, IdentityVerified),
        (IdentityVerified, ProfileClaimed),
    ];

    #[test]
    fn only_the_documented_edges_exist_and_no_tier_is_terminal() {
        laws::check_edges(EDGES);
        laws::check_terminals::<Tier>(&[]);
    }

    #[test]
    fn a_claim_promotes_once_and_never_demotes() {
        assert_eq!(
            AgentRepresented.on(TierEvent::InviteClaimed),
            Ok(ProfileClaimed)
        );
        assert_eq!(
            ProfileClaimed.on(TierEvent::InviteClaimed),
            Ok(ProfileClaimed)
        );
        assert_eq!(
            IdentityVerified.on(TierEvent::InviteClaimed),
            Ok(IdentityVerified)
        );
    }

    #[test]
    fn a_revocation_demotes_only_the_last_verified_check() {
        let last = TierEvent::IdentityRevoked {
            other_check_verified: false,
        };
        let other = TierEvent::IdentityRevoked {
            other_check_verified: true,
        };
        assert_eq!(IdentityVerified.on(last), Ok(ProfileClaimed));
        assert_eq!(IdentityVerified.on(other), Ok(IdentityVerified));
        assert_eq!(ProfileClaimed.on(last), Ok(ProfileClaimed));
        assert_eq!(AgentRepresented.on(last), Ok(AgentRepresented));
    }

    #[test]
    fn verification_needs_a_claimed_profile() {
        assert!(AgentRepresented.on(TierEvent::IdentityApproved).is_err());
        assert!(!AgentRepresented.can_become(IdentityVerified));
        assert!(!AgentRepresented.has_claimed_profile());
        assert!(ProfileClaimed.has_claimed_profile() && IdentityVerified.has_claimed_profile());
    }

    proptest! {
        #[test]
        fn no_walk_takes_an_undocumented_edge(
            (start, events) in laws::walk::<Tier>()
        ) {
            laws::check_walk(start, &events, EDGES, &[]);
        }

        #[test]
        fn once_claimed_a_tier_never_returns_to_agent_represented(
            events in proptest::collection::vec(proptest::sample::select(TierEvent::ALL), 0..24)
        ) {
            let mut t = ProfileClaimed;
            for e in events {
                t = t.on(e).unwrap_or(t);
                prop_assert!(t.has_claimed_profile());
            }
        }
    }
}
