//! Escalation: identity webhooks applied once, consent committing a couple once, brokering.

use std::future::Future;

use ishtar_domain::model::{CoupleState, OwnerId, Tier};
use ishtar_domain::ports::{
    BrokerOutcome, IdentityApplied, IdentityEffect, IdentityUpdate, InviteClaim, InviteIssued,
};

use crate::Stores;
use crate::fixtures::{admitted, couple, now, owner, together};

fn update(session: &str, status: &str, effect: IdentityEffect) -> IdentityUpdate {
    IdentityUpdate {
        session_id: session.into(),
        vendor_owner: None,
        webhook_type: "status.updated".into(),
        status: status.into(),
        age_over_18: Some(true),
        effect,
    }
}

/// How many operator events of `kind` the console lists.
async fn events_of(s: &Stores, kind: &str) -> usize {
    let (day_start, day) = crate::checks::today();
    s.console
        .console(Default::default(), day_start, day)
        .await
        .expect("the console is read")
        .events
        .items
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

/// `EscalationStore::claim_invite` / `apply_identity_event`: an invite is consumed once by
/// concurrent claimers; the same webhook event delivered ten times at once has one effect
/// (one `Applied`, the rest `Duplicate`, one `identity_verified` event); a session that is
/// not ours matches no one; an unclaimed owner's approval skips no tier.
pub async fn identity_webhook_events_apply_once<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let who = owner(&s, 1).await;
    let bystander = owner(&s, 2).await;
    let partner = owner(&s, 3).await;
    // Identity checks are for owners who claimed their profile: through a one-time invite,
    // which of eight concurrent claims consumes exactly once.
    let (mine, theirs) = (
        admitted(&s, "mine", who).await,
        admitted(&s, "theirs", partner).await,
    );
    let id = couple(&s, mine, theirs).await;
    let issued = s
        .escalation
        .issue_invite(id, who, "invite-token".into(), vec![7; 32], now())
        .await
        .expect("issued");
    assert_eq!(issued, InviteIssued::Usable("invite-token".into()));
    let claims = together(8, |_| {
        let escalation = s.escalation.clone();
        async move {
            escalation
                .claim_invite(vec![7; 32], "did:privy:who".into(), now())
                .await
        }
    })
    .await;
    let claims: Vec<InviteClaim> = claims
        .into_iter()
        .map(|r| r.expect("a claim is answered"))
        .collect();
    assert_eq!(
        claims
            .iter()
            .filter(|c| **c != InviteClaim::Unknown)
            .collect::<Vec<_>>(),
        vec![&InviteClaim::Claimed {
            owner: who,
            tier: Tier::ProfileClaimed
        }],
        "an invite is consumed once: {claims:?}"
    );
    assert_eq!(
        s.escalation
            .issue_invite(id, who, "another".into(), vec![8; 32], now())
            .await
            .expect("answered"),
        InviteIssued::Claimed,
        "no second invite after a claimed one"
    );
    for _ in 0..2 {
        s.escalation
            .record_identity_session(who, "sess-1".into(), now())
            .await
            .expect("a session is recorded, idempotently");
    }
    let applied = together(10, |_| {
        let escalation = s.escalation.clone();
        async move {
            escalation
                .apply_identity_event(update("sess-1", "Approved", IdentityEffect::Verify), now())
                .await
        }
    })
    .await;
    let applied: Vec<IdentityApplied> = applied
        .into_iter()
        .map(|r| r.expect("an event is answered"))
        .collect();
    let effects: Vec<&IdentityApplied> = applied
        .iter()
        .filter(|a| !matches!(a, IdentityApplied::Duplicate))
        .collect();
    assert_eq!(
        effects,
        vec![&IdentityApplied::Applied {
            owner: who,
            tier: Tier::IdentityVerified
        }],
        "one delivery of ten applies, the rest are duplicates: {applied:?}"
    );
    assert_eq!(
        s.escalation.owner_tier(who).await.expect("read"),
        Some(Tier::IdentityVerified)
    );
    assert_eq!(
        events_of(&s, "identity_verified").await,
        1,
        "the owner is verified once"
    );
    // Replayed later: still nothing.
    assert_eq!(
        s.escalation
            .apply_identity_event(update("sess-1", "Approved", IdentityEffect::Verify), now())
            .await
            .expect("answered"),
        IdentityApplied::Duplicate
    );
    // A later intermediate status is recorded but takes nothing away.
    assert_eq!(
        s.escalation
            .apply_identity_event(update("sess-1", "In Review", IdentityEffect::Record), now())
            .await
            .expect("answered"),
        IdentityApplied::Applied {
            owner: who,
            tier: Tier::IdentityVerified
        }
    );
    // Not our session, and no claimed owner named: no match, nobody changes.
    assert_eq!(
        s.escalation
            .apply_identity_event(update("sess-x", "Approved", IdentityEffect::Verify), now())
            .await
            .expect("answered"),
        IdentityApplied::NoMatch
    );
    let mut named = update("sess-y", "Approved", IdentityEffect::Verify);
    named.vendor_owner = Some(bystander);
    assert_eq!(
        s.escalation
            .apply_identity_event(named, now())
            .await
            .expect("answered"),
        IdentityApplied::NoMatch,
        "an unknown session naming an unclaimed owner matches no one"
    );
    // A known session naming someone else is refused too.
    let mut crossed = update("sess-1", "Declined", IdentityEffect::Revoke);
    crossed.vendor_owner = Some(bystander);
    assert_eq!(
        s.escalation
            .apply_identity_event(crossed, now())
            .await
            .expect("answered"),
        IdentityApplied::NoMatch
    );
    assert_eq!(
        s.escalation.owner_tier(bystander).await.expect("read"),
        Some(Tier::AgentRepresented)
    );
    assert_eq!(
        s.escalation.owner_tier(who).await.expect("read"),
        Some(Tier::IdentityVerified)
    );
    assert_eq!(
        s.escalation
            .owner_tier(OwnerId(999_999))
            .await
            .expect("read"),
        None
    );
    // An agent-represented owner's approval is recorded, but skips no tier: verification
    // follows a claimed profile (the domain's tier machine, `states::tier`).
    s.escalation
        .record_identity_session(bystander, "sess-z".into(), now())
        .await
        .expect("recorded");
    assert_eq!(
        s.escalation
            .apply_identity_event(update("sess-z", "Approved", IdentityEffect::Verify), now())
            .await
            .expect("answered"),
        IdentityApplied::Applied {
            owner: bystander,
            tier: Tier::AgentRepresented
        },
        "an unclaimed owner is not made identity-verified"
    );
    assert_eq!(
        s.escalation.owner_tier(bystander).await.expect("read"),
        Some(Tier::AgentRepresented)
    );
    assert_eq!(events_of(&s, "identity_verified").await, 1);
}

/// `EscalationStore::record_consent` and `ConsoleStore::broker`: with both owners consenting
/// at once, the couple is committed exactly once (one `committed_now`, one `intro_ready`);
/// the operator then brokers it once.
pub async fn consent_commits_a_couple_once_and_the_operator_brokers_it<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let (pa, pb) = (admitted(&s, "pa", a).await, admitted(&s, "pb", b).await);
    let id = couple(&s, pa, pb).await;
    assert_eq!(
        s.console.broker(id, now()).await.expect("answered"),
        BrokerOutcome::NotCommitted(CoupleState::Courting),
        "a courting couple is not brokered"
    );
    // Each owner consents five times, all at once.
    let out = together(10, |i| {
        let escalation = s.escalation.clone();
        let (me, partner) = if i % 2 == 0 { (a, b) } else { (b, a) };
        async move {
            escalation
                .record_consent(id, me, Some(partner), now())
                .await
        }
    })
    .await;
    let out: Vec<_> = out
        .into_iter()
        .map(|r| r.expect("a consent is recorded"))
        .collect();
    assert_eq!(
        out.iter().filter(|r| r.committed_now).count(),
        1,
        "the couple is committed by exactly one consent: {out:?}"
    );
    assert!(out.iter().any(|r| r.both));
    assert_eq!(
        s.couples.couple(id).await.expect("read").map(|c| c.state),
        Some(CoupleState::Committed)
    );
    assert_eq!(events_of(&s, "intro_ready").await, 1, "one intro is ready");
    let sides = s.escalation.reveal_sides(id, [a, b]).await.expect("read");
    assert_eq!(sides.len(), 2);
    assert!(sides.iter().all(|side| side.consented));
    assert_eq!(
        s.console.broker(id, now()).await.expect("answered"),
        BrokerOutcome::Brokered(pa.min(pb), pa.max(pb))
    );
    assert_eq!(
        s.console.broker(id, now()).await.expect("answered"),
        BrokerOutcome::NotCommitted(CoupleState::Brokered),
        "a couple is brokered once"
    );
    assert_eq!(events_of(&s, "intro_brokered").await, 1);
    assert_eq!(
        s.console
            .broker(ishtar_domain::model::CoupleId(999_999), now())
            .await
            .expect("answered"),
        BrokerOutcome::NoSuchCouple
    );
}
