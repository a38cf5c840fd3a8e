//! The notification outbox against a real Postgres (docs/notifications.md): claim tokens
//! and leases, the per-endpoint cap, and a failing endpoint's pause.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use ishtar_domain::ports::Outbox;
use ishtar_domain::ports::{Claim, ClaimRequest, Delivery, EndpointPause};
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};
use ishtar_test_support::TestDatabase;
use time::{Duration, OffsetDateTime};

const KEY: [u8; 32] = [3u8; 32];

async fn store(db: &TestDatabase) -> PgStore {
    let pool = ishtar_store_postgres::connect(&PgConfig::new(db.url()))
        .await
        .unwrap();
    PgStore::new(pool, ContactCipher::new(&KEY))
}

/// An active endpoint with a callback and a sealed secret, and `n` notifications due a
/// minute ago; returns the endpoint's id.
async fn endpoint_with_queue(db: &TestDatabase, url: &str, n: i64) -> i64 {
    let sealed = ContactCipher::new(&KEY).seal("secret").unwrap();
    let hex: String = sealed.iter().map(|b| format!("{b:02x}")).collect();
    db.exec(&format!(
        "INSERT INTO agent_endpoints (runtime, callback_url, status, created_at, callback_secret_enc) \
         VALUES ('test', '{url}', 'active', now(), decode('{hex}', 'hex'))"
    ))
    .await;
    let id = db.count("SELECT max(id) FROM agent_endpoints").await;
    db.exec(&format!(
        "INSERT INTO notifications (endpoint_id, kind, payload, next_attempt_at, created_at) \
         SELECT {id}, 'test', jsonb_build_object('seq', g), now() - interval '1 minute', now() \
         FROM generate_series(1, {n}) g"
    ))
    .await;
    id
}

fn req(limit: u32, per_endpoint: u32, lease_until: OffsetDateTime) -> ClaimRequest {
    ClaimRequest {
        limit,
        per_endpoint,
        lease_until,
    }
}

fn per_endpoint(ds: &[Delivery], endpoint: i64) -> usize {
    ds.iter().filter(|d| d.endpoint_id == endpoint).count()
}

#[tokio::test]
async fn a_stale_claim_cannot_mark_a_delivery_it_no_longer_holds() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    endpoint_with_queue(&db, "http://127.0.0.1:9/cb", 1).await;
    let t0 = OffsetDateTime::now_utc();

    let first = s
        .claim_due(req(10, 4, t0 + Duration::seconds(1)), t0)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let stale = first[0].claim;
    assert_eq!(first[0].secret, b"secret");
    // Postgres keeps microseconds.
    assert!(
        (first[0].claimed_until - (t0 + Duration::seconds(1))).abs() < Duration::milliseconds(1)
    );
    // Within the lease nobody else may claim it.
    assert!(
        s.claim_due(req(10, 4, t0 + Duration::seconds(9)), t0)
            .await
            .unwrap()
            .is_empty()
    );

    // The lease ran out: another instance claims it, with another token.
    let t1 = t0 + Duration::seconds(2);
    let second = s
        .claim_due(req(10, 4, t1 + Duration::seconds(30)), t1)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    let fresh = second[0].claim;
    assert_eq!(fresh.id, stale.id);
    assert_ne!(fresh.token, stale.token);

    // The stale claimer changes nothing, whatever it tries.
    let pause = EndpointPause {
        failures: 1,
        until: t1 + Duration::hours(1),
    };
    assert!(!s.mark_delivered(stale, t1).await.unwrap());
    assert!(!s.mark_retry(stale, 1, t1, "x".into(), pause).await.unwrap());
    assert!(
        !s.mark_failed(stale, 8, "x".into(), t1, pause)
            .await
            .unwrap()
    );
    assert!(!s.release(stale).await.unwrap());
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM notifications WHERE claim_token = {} AND attempts = 0 \
             AND delivered_at IS NULL AND failed_at IS NULL AND last_error IS NULL",
            fresh.token
        ))
        .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM notification_endpoints")
            .await,
        0
    );

    // The holder marks it, once.
    assert!(s.mark_delivered(fresh, t1).await.unwrap());
    assert!(!s.mark_delivered(fresh, t1).await.unwrap());
    assert_eq!(
        db.count("SELECT count(*) FROM notifications WHERE delivered_at IS NOT NULL AND attempts = 1 AND claim_token IS NULL")
            .await,
        1
    );
    // A forged token does nothing either.
    let forged = Claim {
        id: fresh.id,
        token: fresh.token + 1000,
    };
    assert!(!s.release(forged).await.unwrap());
}

#[tokio::test]
async fn claims_keep_to_the_per_endpoint_cap_and_endpoints_take_turns() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let busy = endpoint_with_queue(&db, "http://127.0.0.1:9/a", 5).await;
    let quiet = endpoint_with_queue(&db, "http://127.0.0.1:9/b", 2).await;
    let now = OffsetDateTime::now_utc();
    let lease = now + Duration::seconds(30);

    // Three slots: each endpoint's first, then the busy one's second.
    let a = s.claim_due(req(3, 2, lease), now).await.unwrap();
    assert_eq!((per_endpoint(&a, busy), per_endpoint(&a, quiet)), (2, 1));
    // Live claims count against the cap: only the quiet endpoint has room.
    let b = s.claim_due(req(10, 2, lease), now).await.unwrap();
    assert_eq!((per_endpoint(&b, busy), per_endpoint(&b, quiet)), (0, 1));
    assert!(
        s.claim_due(req(10, 2, lease), now)
            .await
            .unwrap()
            .is_empty()
    );
    // One ends: one more for that endpoint.
    assert!(s.mark_delivered(a[0].claim, now).await.unwrap());
    let c = s.claim_due(req(10, 2, lease), now).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].endpoint_id, a[0].endpoint_id);
}

#[tokio::test]
async fn a_failing_endpoint_is_paused_as_a_whole_then_probed_one_at_a_time() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let failing = endpoint_with_queue(&db, "http://127.0.0.1:9/down", 3).await;
    let healthy = endpoint_with_queue(&db, "http://127.0.0.1:9/up", 1).await;
    let now = OffsetDateTime::now_utc();
    let lease = |t: OffsetDateTime| t + Duration::seconds(30);

    let all = s.claim_due(req(10, 4, lease(now)), now).await.unwrap();
    assert_eq!(
        (per_endpoint(&all, failing), per_endpoint(&all, healthy)),
        (3, 1)
    );
    let mut of_failing = all.iter().filter(|d| d.endpoint_id == failing);
    let first = of_failing.next().unwrap();
    let pause = EndpointPause {
        failures: 1,
        until: now + Duration::seconds(10),
    };
    assert!(
        s.mark_retry(
            first.claim,
            1,
            now + Duration::seconds(10),
            "503".into(),
            pause
        )
        .await
        .unwrap()
    );
    // A concurrent failure with a shorter pause does not shorten it.
    let second = of_failing.next().unwrap();
    let shorter = EndpointPause {
        failures: 1,
        until: now + Duration::seconds(1),
    };
    assert!(
        s.mark_retry(
            second.claim,
            1,
            now + Duration::seconds(1),
            "503".into(),
            shorter
        )
        .await
        .unwrap()
    );
    assert!(s.release(of_failing.next().unwrap().claim).await.unwrap());
    let ok = all.iter().find(|d| d.endpoint_id == healthy).unwrap();
    assert!(s.mark_delivered(ok.claim, now).await.unwrap());

    // Paused: nothing of it is claimed, though one notification is due right now.
    let later = now + Duration::seconds(5);
    assert!(
        s.claim_due(req(10, 4, lease(later)), later)
            .await
            .unwrap()
            .is_empty()
    );

    // After the pause: one probe at a time, carrying the endpoint's failure count.
    let after = now + Duration::seconds(11);
    let probe = s.claim_due(req(10, 4, lease(after)), after).await.unwrap();
    assert_eq!(probe.len(), 1);
    assert_eq!(probe[0].endpoint_failures, 1);
    assert!(
        s.claim_due(req(10, 4, lease(after)), after)
            .await
            .unwrap()
            .is_empty()
    );

    // The probe gets through: the endpoint is healthy again and the rest flow.
    assert!(s.mark_delivered(probe[0].claim, after).await.unwrap());
    let rest = s.claim_due(req(10, 4, lease(after)), after).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|d| d.endpoint_failures == 0));
}
