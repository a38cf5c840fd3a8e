//! The notification outbox and owners' event feeds.

use std::collections::HashSet;
use std::future::Future;

use ishtar_domain::ports::{ClaimRequest, Delivery, NewEvent, Recipient};
use serde_json::json;
use time::Duration;

use crate::Stores;
use crate::fixtures::{active_endpoint, admit, admitted, now, owner, together};

fn req(limit: u32, per_endpoint: u32, lease_until: time::OffsetDateTime) -> ClaimRequest {
    ClaimRequest {
        limit,
        per_endpoint,
        lease_until,
    }
}

/// `Outbox::claim_due` and the marks: 12 queued notifications claimed by 6 claimers at
/// once are each handed to exactly one of them, with the endpoint's URL and secret; within
/// the lease nobody claims them again; after it they are claimed under fresh tokens and the
/// stale claimer can mark nothing.
pub async fn outbox_claims_are_leased_once_under_concurrent_claimers<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let who = owner(&s, 1).await;
    let endpoint = active_endpoint(&s, who, "http://127.0.0.1:9/cb").await;
    let persona = admitted(&s, "pa", who).await;
    let t0 = now();
    for seq in 0..12 {
        let queued = s
            .outbox
            .enqueue(vec![persona], "test", json!({ "seq": seq }), t0)
            .await
            .expect("queued");
        assert_eq!(queued, 1, "one notification per active callback endpoint");
    }
    let lease = t0 + Duration::seconds(60);
    let claimed = together(6, |_| {
        let outbox = s.outbox.clone();
        async move { outbox.claim_due(req(5, 100, lease), t0).await }
    })
    .await;
    let claimed: Vec<Delivery> = claimed
        .into_iter()
        .flat_map(|r| r.expect("a claim is answered"))
        .collect();
    let ids: HashSet<i64> = claimed.iter().map(|d| d.claim.id).collect();
    assert_eq!(
        (claimed.len(), ids.len()),
        (12, 12),
        "each of 12 notifications is claimed by exactly one of 6 concurrent claimers"
    );
    let seqs: HashSet<i64> = claimed
        .iter()
        .filter_map(|d| d.payload["seq"].as_i64())
        .collect();
    assert_eq!(seqs, (0..12).collect(), "each carries its own body");
    for d in &claimed {
        assert_eq!(d.endpoint_id, endpoint.0);
        assert_eq!(d.url, "http://127.0.0.1:9/cb");
        assert_eq!(d.secret, b"s3cret", "the endpoint's secret, opened");
        assert_eq!((d.attempts, d.endpoint_failures), (0, 0));
        assert!(
            (d.claimed_until - lease).abs() < Duration::milliseconds(1),
            "leased until the asked time"
        );
    }
    assert!(
        s.outbox
            .claim_due(req(100, 100, lease), t0 + Duration::seconds(30))
            .await
            .expect("answered")
            .is_empty(),
        "within the lease nothing is claimed again"
    );
    // The lease ran out: claimed again, under fresh tokens.
    let t1 = t0 + Duration::seconds(61);
    let again = s
        .outbox
        .claim_due(req(100, 100, t1 + Duration::seconds(60)), t1)
        .await
        .expect("answered");
    assert_eq!(again.len(), 12, "an expired lease frees the notification");
    let stale = claimed[0].claim;
    let fresh = again
        .iter()
        .find(|d| d.claim.id == stale.id)
        .expect("reclaimed")
        .claim;
    assert_ne!(fresh.token, stale.token, "a new claim has a new token");
    assert!(
        !s.outbox.mark_delivered(stale, t1).await.expect("answered"),
        "a stale claim marks nothing"
    );
    assert!(!s.outbox.release(stale).await.expect("answered"));
    assert!(s.outbox.mark_delivered(fresh, t1).await.expect("answered"));
    assert!(
        !s.outbox.mark_delivered(fresh, t1).await.expect("answered"),
        "a claim marks once"
    );
    // Released claims are due again at once; delivered ones never.
    for d in again.iter().filter(|d| d.claim.id != stale.id) {
        assert!(s.outbox.release(d.claim).await.expect("answered"));
    }
    let rest = s
        .outbox
        .claim_due(req(100, 100, t1 + Duration::seconds(60)), t1)
        .await
        .expect("answered");
    assert_eq!(rest.len(), 11, "the delivered one is not claimed again");
    assert!(rest.iter().all(|d| d.claim.id != stale.id));
}

/// `Outbox::publish` / `owner_events`: an owner's feed is read oldest first with ids that
/// grow, a `since` cursor resumes after the last id read, events for ownerless personas
/// are dropped, and one owner never reads another's events.
pub async fn an_owners_feed_is_read_in_order_with_a_cursor<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let pa = admitted(&s, "pa", a).await;
    let (orphan, _) = admit(&s, "orphan", None, Some(100)).await;
    let events: Vec<NewEvent> = (0..7)
        .map(|i| {
            let to = match i % 3 {
                0 => Recipient::Owner(a),
                1 => Recipient::Persona(pa),
                _ => Recipient::Owner(b),
            };
            NewEvent::new(to, "test.event", json!({ "n": i }), now())
        })
        .chain([NewEvent::new(
            Recipient::Persona(orphan),
            "test.event",
            json!({ "n": 99 }),
            now(),
        )])
        .collect();
    s.outbox.publish(events, now()).await.expect("published");
    let all = s.outbox.owner_events(a, 0, 100).await.expect("read");
    let ns: Vec<i64> = all.iter().filter_map(|e| e["n"].as_i64()).collect();
    assert_eq!(ns, vec![0, 1, 3, 4, 6], "a's events, oldest first");
    let ids: Vec<i64> = all.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert_eq!(ids.len(), 5, "each body carries its id");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    // Paging with the cursor reads the same events, none twice.
    let mut paged = Vec::new();
    let mut since = 0;
    loop {
        let page = s.outbox.owner_events(a, since, 2).await.expect("read");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2, "a page holds at most the limit");
        since = page.last().and_then(|e| e["id"].as_i64()).expect("an id");
        paged.extend(page);
    }
    assert_eq!(paged, all, "the cursor skips nothing and repeats nothing");
    let theirs: Vec<i64> = s
        .outbox
        .owner_events(b, 0, 100)
        .await
        .expect("read")
        .iter()
        .filter_map(|e| e["n"].as_i64())
        .collect();
    assert_eq!(theirs, vec![2, 5], "b reads only its own events");
    // Later events come after the cursor.
    s.outbox
        .publish(
            vec![NewEvent::new(
                Recipient::Owner(a),
                "test.event",
                json!({ "n": 7 }),
                now(),
            )],
            now(),
        )
        .await
        .expect("published");
    let next = s.outbox.owner_events(a, since, 100).await.expect("read");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0]["n"], 7);
}
