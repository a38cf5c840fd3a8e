//! The in-memory store's guarantees, each tested so that it fails if the guarantee broke:
//! the exact cap, one settle per order, unique handles, idempotent identity events and
//! invites, exclusive outbox leases, erasure's reach, console paging, sealed contacts.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::sync::Barrier;

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    ActiveMarket, CapOutcome, CoupleId, CoupleState, EndpointCallback, Handle, HomeMarket,
    NewEndpoint, NewHeartFile, NewPersona, NewTurn, OwnerId, PersonaId, PersonaStatus,
    ResearchOptin, Runtime, Tier, TurnStatus, challenge_nonce,
};
use ishtar_domain::ports::{
    AgentStore, ChaperoneEntry, Claim, ClaimRequest, ConsoleQuery, ConsoleStore, CoupleStore,
    EndpointPause, ErasureStore, EscalationStore, IdentityApplied, IdentityEffect, IdentityUpdate,
    InviteClaim, InviteIssued, MatchStore, NewCouple, NewOrder, Outbox, OwnerStore, PaymentStore,
    PersonaLifecycleStore, PersonaStore, Section, Settlement, Surface,
};
use ishtar_domain::states::{OrderState, OrderStep};
use ishtar_store_memory::MemoryStore;

const AT: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

fn log(verdict: &'static str, target_type: &'static str) -> ChaperoneEntry {
    ChaperoneEntry {
        surface: Surface::Heart,
        target_type,
        target_id: None,
        verdict,
        reason: if verdict == "allow" {
            "allowed"
        } else {
            "held"
        }
        .into(),
        at: AT,
    }
}

fn doc(contact: Option<&str>) -> NewHeartFile {
    NewHeartFile {
        display_name: None,
        home_market: HomeMarket::Nyc,
        active_market: ActiveMarket::Remote,
        available_for: None,
        research_optin: ResearchOptin::None,
        age_attested: true,
        contact_ref: contact.map(str::to_owned),
        heart: json!({"about": "doc"}),
        heart_hash: "doc-hash".into(),
    }
}

fn persona(handle: &str, owner: Option<OwnerId>) -> NewPersona {
    NewPersona::new(
        owner,
        Handle::parse(handle).unwrap(),
        "m",
        json!({"about": handle}),
        false,
        "nyc",
        "remote",
    )
}

async fn owner(s: &MemoryStore, token: u8, contact: Option<&str>) -> OwnerId {
    s.create_owner(
        vec![token; 32],
        doc(contact),
        log("allow", "heart_file"),
        AT,
    )
    .await
    .unwrap()
    .owner_id
}

/// An owner with an active, callback-bearing endpoint and one admitted persona.
async fn dater(s: &MemoryStore, token: u8, handle: &str) -> (OwnerId, PersonaId) {
    let o = owner(s, token, Some(&format!("{handle}@example.com"))).await;
    let e = s
        .register_endpoint(
            NewEndpoint::new(
                Some(o),
                None,
                Runtime::Other,
                Some(EndpointCallback {
                    url: format!("https://agent.example/{handle}"),
                    secret: "secret".into(),
                }),
                None,
                challenge_nonce("00000000-0000-4000-8000-000000000001", AT),
            )
            .unwrap(),
            AT,
        )
        .await
        .unwrap();
    s.activate_endpoint(e, "callback", AT).await.unwrap();
    let (p, status) = s
        .insert_persona(
            persona(handle, Some(o)),
            PersonaStatus::Pending,
            log("allow", "persona"),
            Some(1000),
        )
        .await
        .unwrap();
    assert_eq!(status, PersonaStatus::Admitted);
    (o, p)
}

/// A couple of `a` and `b` written by a beat.
async fn couple(s: &MemoryStore, a: PersonaId, b: PersonaId) -> CoupleId {
    let id = s.reserve_couple_ids(1).await.unwrap()[0];
    let written = s
        .write_beat(
            "00000000-0000-4000-8000-000000000001".into(),
            vec![NewCouple {
                id,
                a,
                b,
                similarity: Some(0.5),
                gambit: "Meet each other.".into(),
                gambit_log: None,
                board_line: format!("A new couple formed (couple {}).", id.0),
                events: [
                    (a, json!({"kind": "couple.formed"})),
                    (b, json!({"kind": "couple.formed"})),
                ],
            }],
            AT,
        )
        .await
        .unwrap();
    assert_eq!(written.created, vec![id]);
    id
}

async fn admitted_count(s: &MemoryStore) -> i64 {
    s.snapshot(AT, AT.date(), 0, 0).await.unwrap().admitted
}

/// Runs `n` copies of `f` at once (released together by a barrier) on the multi-thread
/// runtime; returns their results.
async fn at_once<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let job = f(i);
            tokio::spawn(async move {
                barrier.wait().await;
                job.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_admissions_fill_the_cap_exactly() {
    let s = MemoryStore::default();
    // At the door: 40 new personas, cap 7.
    let outcomes = at_once(40, |i| {
        let s = s.clone();
        async move {
            s.insert_persona(
                persona(&format!("door{i}"), None),
                PersonaStatus::Pending,
                log("allow", "persona"),
                Some(7),
            )
            .await
            .unwrap()
        }
    })
    .await;
    let admitted = outcomes
        .iter()
        .filter(|(_, st)| *st == PersonaStatus::Admitted)
        .count();
    assert_eq!(admitted, 7);
    assert_eq!(admitted_count(&s).await, 7);
    // The beat: the 33 pending ones race for a cap of 20 (13 more places).
    let pending: Vec<PersonaId> = outcomes
        .iter()
        .filter(|(_, st)| *st == PersonaStatus::Pending)
        .map(|(id, _)| *id)
        .collect();
    let results = at_once(pending.len(), |i| {
        let (s, id) = (s.clone(), pending[i]);
        async move { s.admit_within_cap(id, 20, AT).await.unwrap() }
    })
    .await;
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == CapOutcome::Admitted)
            .count(),
        13
    );
    assert_eq!(admitted_count(&s).await, 20);
    // An admitted persona asked again answers Admitted without a second place.
    let first = outcomes
        .iter()
        .find(|(_, st)| *st == PersonaStatus::Admitted)
        .unwrap()
        .0;
    let again = at_once(10, |_| {
        let s = s.clone();
        async move { s.admit_within_cap(first, 1000, AT).await.unwrap() }
    })
    .await;
    assert!(again.iter().all(|r| *r == CapOutcome::Admitted));
    assert_eq!(admitted_count(&s).await, 20);
}

#[tokio::test]
async fn held_and_denied_personas_take_no_place_and_unknown_ones_are_not_found() {
    let s = MemoryStore::default();
    let (held, st) = s
        .insert_persona(
            persona("h", None),
            PersonaStatus::Held,
            log("hold", "persona"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, PersonaStatus::Held);
    let (denied, st) = s
        .insert_persona(
            persona("d", None),
            PersonaStatus::Denied,
            log("deny", "persona"),
            Some(5),
        )
        .await
        .unwrap();
    assert_eq!(st, PersonaStatus::Denied);
    for id in [held, denied] {
        assert_eq!(
            s.admit_within_cap(id, 5, AT).await.unwrap(),
            CapOutcome::Full
        );
    }
    assert_eq!(admitted_count(&s).await, 0);
    assert!(matches!(
        s.admit_within_cap(PersonaId(999), 5, AT).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_handle_whatever_its_case_is_written_once() {
    let s = MemoryStore::default();
    let spellings = ["Wren", "WREN", "wren", "wReN", "WrEn", "wrEN"];
    let results = at_once(spellings.len(), |i| {
        let s = s.clone();
        async move {
            s.insert_persona(
                persona(spellings[i], None),
                PersonaStatus::Pending,
                log("allow", "persona"),
                Some(10),
            )
            .await
        }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Conflict("handle")))
    );
    // A refused write took no place.
    assert_eq!(admitted_count(&s).await, 1);
    // Postgres's lower() lower-cases letter by letter: "ΑΣ" and "ασ" are one handle.
    s.insert_persona(
        persona("ΑΣ", None),
        PersonaStatus::Held,
        log("hold", "persona"),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        s.insert_persona(
            persona("ασ", None),
            PersonaStatus::Held,
            log("hold", "persona"),
            None
        )
        .await,
        Err(StoreError::Conflict("handle"))
    ));
    let found = s.persona_by_handle("WREN".into()).await.unwrap().unwrap();
    assert_eq!(found.handle.to_lowercase(), "wren");
}

fn order(owner: OwnerId) -> NewOrder {
    NewOrder {
        id: format!("cr:{}:0:2026-12-01", owner.0),
        owner,
        couple: None,
        amount: 5_000_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_settles_of_one_order_exactly_one_wins() {
    let s = MemoryStore::default();
    let o = owner(&s, 1, None).await;
    assert!(
        s.move_order(order(o), OrderStep::challenge(), AT)
            .await
            .unwrap()
    );
    let claims = at_once(32, |_| {
        let s = s.clone();
        async move {
            s.move_order(order(o), OrderStep::claim(), AT)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1);
    // A failed settlement may be claimed again, once.
    assert!(
        s.move_order(order(o), OrderStep::fail("refused".into()), AT)
            .await
            .unwrap()
    );
    let claims = at_once(8, |_| {
        let s = s.clone();
        async move {
            s.move_order(order(o), OrderStep::claim(), AT)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1);
    let settlement = Settlement {
        payer: "0xabc".into(),
        transaction: "0xtx".into(),
        network: "eip155:8453".into(),
    };
    let receipt = s
        .record_payment(order(o).id, settlement.clone(), "0xNONCE".into(), 5, 1, AT)
        .await
        .unwrap();
    assert!(s.nonce_used("0xnonce".into()).await.unwrap());
    // Fulfilled: never claimed, challenged or failed again; one receipt per order.
    assert!(
        !s.move_order(order(o), OrderStep::claim(), AT)
            .await
            .unwrap()
    );
    assert!(
        !s.move_order(order(o), OrderStep::fail("late".into()), AT)
            .await
            .unwrap()
    );
    assert!(
        !s.move_order(order(o), OrderStep::challenge(), AT)
            .await
            .unwrap()
    );
    let view = s.order(order(o).id).await.unwrap().unwrap();
    assert_eq!(view.status, OrderState::Fulfilled);
    assert_eq!(view.receipt.unwrap().id, receipt);
    assert!(matches!(
        s.record_payment(order(o).id, settlement, "0xother".into(), 5, 1, AT)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A waiting retry returns at once when the order is no longer settling.
    s.wait_settled(order(o).id, 10_000).await.unwrap();
}

fn verified(session: &str, owner: Option<OwnerId>) -> IdentityUpdate {
    IdentityUpdate {
        session_id: session.into(),
        vendor_owner: owner,
        webhook_type: "status.updated".into(),
        status: "Approved".into(),
        age_over_18: Some(true),
        effect: IdentityEffect::Verify,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_identity_event_delivered_many_times_is_applied_once() {
    let s = MemoryStore::default();
    let (o, a) = dater(&s, 1, "ann").await;
    let (_, b) = dater(&s, 2, "bob").await;
    let c = couple(&s, a, b).await;
    // An unclaimed profile is never verified.
    s.record_identity_session(o, "early".into(), AT)
        .await
        .unwrap();
    assert!(matches!(
        s.apply_identity_event(verified("early", Some(o)), AT)
            .await
            .unwrap(),
        IdentityApplied::Applied {
            tier: Tier::AgentRepresented,
            ..
        }
    ));
    s.issue_invite(c, o, "tok".into(), vec![7; 32], AT)
        .await
        .unwrap();
    s.claim_invite(vec![7; 32], "did:privy:ann".into(), AT)
        .await
        .unwrap();
    s.record_identity_session(o, "sess".into(), AT)
        .await
        .unwrap();
    let results = at_once(16, |_| {
        let s = s.clone();
        async move {
            s.apply_identity_event(verified("sess", Some(o)), AT)
                .await
                .unwrap()
        }
    })
    .await;
    let applied = results
        .iter()
        .filter(|r| matches!(r, IdentityApplied::Applied { .. }))
        .count();
    assert_eq!(applied, 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == IdentityApplied::Duplicate)
            .count(),
        15
    );
    assert_eq!(s.owner_tier(o).await.unwrap(), Some(Tier::IdentityVerified));
    let data = s
        .console(ConsoleQuery::default(), AT, AT.date())
        .await
        .unwrap();
    let verified_events = data
        .events
        .items
        .iter()
        .filter(|e| e.kind == "identity_verified")
        .count();
    assert_eq!(verified_events, 1);
    // Someone else's owner id in `vendor_data` is no match.
    let other = owner(&s, 3, None).await;
    assert_eq!(
        s.apply_identity_event(verified("sess", Some(other)), AT)
            .await
            .unwrap(),
        IdentityApplied::NoMatch
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invite_is_claimed_once_and_consent_commits_a_couple_once() {
    let s = MemoryStore::default();
    let (oa, a) = dater(&s, 1, "ann").await;
    let (ob, b) = dater(&s, 2, "bob").await;
    let c = couple(&s, a, b).await;
    let consents = at_once(20, |i| {
        let s = s.clone();
        let (me, partner) = if i % 2 == 0 { (oa, ob) } else { (ob, oa) };
        async move { s.record_consent(c, me, Some(partner), AT).await.unwrap() }
    })
    .await;
    assert_eq!(consents.iter().filter(|r| r.committed_now).count(), 1);
    assert_eq!(
        s.couple(c).await.unwrap().unwrap().state,
        CoupleState::Committed
    );
    let issued = s
        .issue_invite(c, oa, "tok".into(), vec![7; 32], AT)
        .await
        .unwrap();
    assert_eq!(issued, InviteIssued::Usable("tok".into()));
    // Asking again relays the same token.
    assert_eq!(
        s.issue_invite(c, oa, "tok2".into(), vec![8; 32], AT)
            .await
            .unwrap(),
        InviteIssued::Usable("tok".into())
    );
    let claims = at_once(12, |_| {
        let s = s.clone();
        async move {
            s.claim_invite(vec![7; 32], "did:privy:ann".into(), AT)
                .await
                .unwrap()
        }
    })
    .await;
    let won: Vec<_> = claims
        .iter()
        .filter(|c| matches!(c, InviteClaim::Claimed { .. }))
        .collect();
    assert_eq!(won.len(), 1);
    assert_eq!(
        *won[0],
        InviteClaim::Claimed {
            owner: oa,
            tier: Tier::ProfileClaimed
        }
    );
    assert_eq!(
        s.issue_invite(c, oa, "tok3".into(), vec![9; 32], AT)
            .await
            .unwrap(),
        InviteIssued::Claimed
    );
}

/// An endpoint with `n` queued notifications; returns the persona.
async fn queue(s: &MemoryStore, token: u8, handle: &str, n: usize) -> PersonaId {
    let (_, p) = dater(s, token, handle).await;
    for i in 0..n {
        let queued = s
            .enqueue(vec![p], "turn.published", json!({"n": i}), AT)
            .await
            .unwrap();
        assert_eq!(queued, 1);
    }
    p
}

fn request(limit: u32, per_endpoint: u32) -> ClaimRequest {
    ClaimRequest {
        limit,
        per_endpoint,
        lease_until: AT + time::Duration::minutes(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_notification_is_leased_to_one_claimer_at_a_time() {
    let s = MemoryStore::default();
    queue(&s, 1, "ann", 30).await;
    queue(&s, 2, "bob", 30).await;
    let batches = at_once(10, |_| {
        let s = s.clone();
        async move { s.claim_due(request(7, 100), AT).await.unwrap() }
    })
    .await;
    let claimed: Vec<i64> = batches.iter().flatten().map(|d| d.claim.id).collect();
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(
        claimed.len(),
        distinct.len(),
        "a notification claimed twice"
    );
    assert_eq!(claimed.len(), 60);
    // All leased: nothing more until the lease runs out.
    assert!(s.claim_due(request(100, 100), AT).await.unwrap().is_empty());
    let first = batches.iter().flatten().next().unwrap().claim;
    let later = AT + time::Duration::minutes(2);
    let again = s.claim_due(request(100, 100), later).await.unwrap();
    assert_eq!(again.len(), 60);
    // The first claim is stale now: it cannot mark anything.
    assert!(!s.mark_delivered(first, later).await.unwrap());
    let fresh = again.iter().find(|d| d.claim.id == first.id).unwrap().claim;
    assert!(s.mark_delivered(fresh, later).await.unwrap());
    assert!(!s.mark_delivered(fresh, later).await.unwrap());
    assert!(
        !s.release(Claim {
            id: fresh.id,
            token: fresh.token + 1000
        })
        .await
        .unwrap()
    );
}

#[tokio::test]
async fn claims_keep_to_the_per_endpoint_cap_and_a_failing_endpoint_is_paused() {
    let s = MemoryStore::default();
    queue(&s, 1, "ann", 5).await;
    queue(&s, 2, "bob", 5).await;
    let got = s.claim_due(request(100, 2), AT).await.unwrap();
    assert_eq!(got.len(), 4);
    // Endpoints take turns: slot 1 of each before slot 2 of either.
    assert_ne!(got[0].endpoint_id, got[1].endpoint_id);
    // Live claims count against the cap.
    assert!(s.claim_due(request(100, 2), AT).await.unwrap().is_empty());
    let failed = got[0].clone();
    let until = AT + time::Duration::minutes(5);
    assert!(
        s.mark_retry(
            failed.claim,
            1,
            AT,
            "HTTP 500".into(),
            EndpointPause { failures: 1, until },
        )
        .await
        .unwrap()
    );
    for d in &got[1..] {
        s.release(d.claim).await.unwrap();
    }
    // Paused: nothing for that endpoint; the other one gets its 2.
    let now = AT + time::Duration::minutes(1);
    let got2 = s.claim_due(request(100, 2), now).await.unwrap();
    assert_eq!(got2.len(), 2);
    assert!(got2.iter().all(|d| d.endpoint_id != failed.endpoint_id));
    // After the pause: a failing endpoint is probed one at a time.
    let after = until + time::Duration::seconds(1);
    let probe: Vec<_> = s
        .claim_due(request(100, 2), after)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.endpoint_id == failed.endpoint_id)
        .collect();
    assert_eq!(probe.len(), 1);
    assert_eq!(probe[0].endpoint_failures, 1);
}

#[tokio::test]
async fn an_erasure_removes_the_owners_data_and_nothing_of_anyone_else() {
    let s = MemoryStore::default();
    let (gone, g) = dater(&s, 1, "gone").await;
    let (stays, k) = dater(&s, 2, "stays").await;
    let (third, t) = dater(&s, 3, "third").await;
    let (_, f) = dater(&s, 4, "fourth").await;
    let c = couple(&s, g, k).await;
    couple(&s, t, f).await;
    for (author, who) in [(g, "gone"), (k, "stays")] {
        s.insert_turn(
            NewTurn {
                couple: c,
                author_persona: Some(author),
                author: who.into(),
                body: format!("hello from {who}"),
                status: TurnStatus::Published,
                reason: "allowed".into(),
            },
            AT,
        )
        .await
        .unwrap();
    }
    let before_third = s.owner_overview(third).await.unwrap();
    let erased = s
        .erase_owner(gone, "abc".into(), AT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(erased.counts.personas, 1);
    assert_eq!(erased.counts.turns, 1);
    assert_eq!(erased.counts.couples_ended, 1);
    assert_eq!(erased.ended.len(), 1);
    assert_eq!(erased.ended[0].partner, k);
    assert!(s.owner_by_token(vec![1; 32]).await.unwrap().is_none());
    assert!(s.owner_overview(gone).await.unwrap().is_none());
    assert!(s.persona(g).await.unwrap().is_none());
    assert!(s.contact_ref(gone).await.unwrap().is_none());
    // The partner keeps its own words, on a couple that ended at a tombstone.
    let view = s.couple(c).await.unwrap().unwrap();
    assert_eq!(view.state, CoupleState::Ended);
    let tomb = if view.a.persona == k {
        &view.b
    } else {
        &view.a
    };
    assert_eq!(tomb.handle, "erased-abc-1");
    assert_eq!(tomb.owner, None);
    let turns = s.couple_turns(c, k, None, 100).await.unwrap();
    let bodies: Vec<&str> = turns.iter().map(|t| t.body.as_str()).collect();
    assert_eq!(bodies, vec!["hello from stays"]);
    // The partner's owner still has everything of its own.
    let overview = s.owner_overview(stays).await.unwrap().unwrap();
    assert_eq!(overview.personas.len(), 1);
    assert_eq!(overview.endpoints.len(), 1);
    assert_eq!(
        s.contact_ref(stays).await.unwrap().as_deref(),
        Some("stays@example.com")
    );
    // An uninvolved owner is byte for byte as before.
    assert_eq!(s.owner_overview(third).await.unwrap(), before_third);
    assert!(
        s.erase_owner(gone, "abc".into(), AT)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(admitted_count(&s).await, 3);
}

#[tokio::test]
async fn console_pages_are_cut_and_ordered_as_postgres_orders_them() {
    let s = MemoryStore::default();
    for i in 0..30 {
        s.insert_persona(
            persona(&format!("p{i:02}"), None),
            PersonaStatus::Held,
            log("hold", "persona"),
            None,
        )
        .await
        .unwrap();
    }
    // Events: two at the same instant (the higher id first), one earlier.
    let early = AT - time::Duration::hours(1);
    s.record_event("a".into(), json!({}), AT).await.unwrap();
    s.record_event("b".into(), json!({}), early).await.unwrap();
    s.record_event("c".into(), json!({}), AT).await.unwrap();
    let mut q = ConsoleQuery::default();
    let first = s.console(q, AT, AT.date()).await.unwrap();
    assert_eq!(first.personas.total, 30);
    assert_eq!(first.personas.items.len(), 25);
    assert_eq!(first.personas.items[0].handle, "p29");
    assert_eq!(first.pending, 0);
    let kinds: Vec<&str> = first.events.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["c", "a", "b"]);
    q.set_page(Section::Personas, 2);
    let second = s.console(q, AT, AT.date()).await.unwrap();
    let handles: Vec<&str> = second
        .personas
        .items
        .iter()
        .map(|p| p.handle.as_str())
        .collect();
    assert_eq!(handles, vec!["p04", "p03", "p02", "p01", "p00"]);
    assert_eq!(second.personas.page, 2);
    // The chaperone's verdicts today, by verdict.
    assert_eq!(second.counts.chaperone_today, vec![("hold".into(), 30)]);
    assert_eq!(s.last_event_at("b".into()).await.unwrap(), Some(early));
}

#[tokio::test]
async fn contact_pointers_are_read_only_where_postgres_decrypts_them() {
    let s = MemoryStore::default();
    let (oa, a) = dater(&s, 1, "ann").await;
    let (ob, b) = dater(&s, 2, "bob").await;
    let c = couple(&s, a, b).await;
    s.record_consent(c, oa, Some(ob), AT).await.unwrap();
    assert!(
        s.record_consent(c, ob, Some(oa), AT)
            .await
            .unwrap()
            .committed_now
    );
    // The operator's JSON snapshot never carries them.
    let snap = s.snapshot(AT, AT.date(), 10, 10).await.unwrap();
    assert_eq!(snap.intros.len(), 1);
    assert_eq!(snap.intros[0].a.contact, None);
    assert_eq!(snap.intros[0].b.contact, None);
    // The HTML console and the reveal do.
    let console = s
        .console(ConsoleQuery::default(), AT, AT.date())
        .await
        .unwrap();
    let intro = &console.counts.intros[0];
    assert_eq!(intro.a.contact.as_deref(), Some("ann@example.com"));
    assert_eq!(
        s.contact_ref(ob).await.unwrap().as_deref(),
        Some("bob@example.com")
    );
    // A partner's profile is the doc's heart only.
    let facts = s.couple_facts(c, a, b).await.unwrap().unwrap();
    let shown = serde_json::to_string(&facts.partner_doc.unwrap().heart).unwrap();
    assert!(!shown.contains("bob@example.com"));
}

#[tokio::test]
async fn the_beat_lock_is_exclusive_until_dropped_and_a_pair_is_written_once() {
    let s = MemoryStore::default();
    let lease = s.try_lock_beat().await.unwrap();
    assert!(lease.is_some());
    assert!(s.clone().try_lock_beat().await.unwrap().is_none());
    drop(lease);
    assert!(s.try_lock_beat().await.unwrap().is_some());

    let (_, a) = dater(&s, 1, "ann").await;
    let (_, b) = dater(&s, 2, "bob").await;
    assert_eq!(s.eligible_personas().await.unwrap().len(), 2);
    let c = couple(&s, a, b).await;
    assert!(s.eligible_personas().await.unwrap().is_empty());
    // The feed of each member holds its `couple.formed`, numbered.
    let (oa, _) = (s.persona_owner(a).await.unwrap().unwrap().unwrap(), ());
    let feed = s.owner_events(oa, 0, 10).await.unwrap();
    assert_eq!(feed.len(), 1);
    assert!(feed[0]["id"].as_i64().unwrap() > 0);
    // The same pair again (any order) is skipped with all of its rows.
    s.end_couple(c, oa, AT).await.unwrap();
    let id = s.reserve_couple_ids(1).await.unwrap()[0];
    let again = s
        .write_beat(
            "00000000-0000-4000-8000-000000000002".into(),
            vec![NewCouple {
                id,
                a: b,
                b: a,
                similarity: None,
                gambit: "again".into(),
                gambit_log: None,
                board_line: "again".into(),
                events: [(a, json!({})), (b, json!({}))],
            }],
            AT,
        )
        .await
        .unwrap();
    assert!(again.created.is_empty());
    assert_eq!(s.past_pairs().await.unwrap().len(), 1);
}
