//! Notification delivery (issue 11 finding 6, docs/notifications.md): the real delivery loop
//! (`ishtar::background::deliver_forever`) over the real store and callback client, against
//! fake agents on loopback that record when each delivery arrived.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde_json::{Value, json};

use ishtar::Config;
use ishtar_domain::Venue;
use ishtar_domain::model::{CoupleId, PersonaId};
use ishtar_domain::notify::DeliveryLimits;
use ishtar_domain::ports::Event;
use ishtar_test_support::LoopbackServer;

use crate::helpers::{Dater, TestApp, spawn_app};

/// One delivery as the agent saw it.
#[derive(Debug, Clone)]
struct Arrival {
    /// Unix seconds (fractional) when the request reached the agent.
    at: f64,
    body: Vec<u8>,
    signature: String,
}

/// An agent that answers challenges at once and notifications after `delay`.
struct RecordingAgent {
    url: String,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    _server: LoopbackServer,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

impl RecordingAgent {
    fn start(delay: Duration) -> Self {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let a = arrivals.clone();
        let server = LoopbackServer::start(1, move |req: HttpRequest, body: web::Bytes| {
            let arrivals = a.clone();
            async move {
                let at = unix_now();
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if let Some(c) = v.get("challenge").and_then(Value::as_str) {
                    return HttpResponse::Ok().json(json!({"echo": c}));
                }
                let signature = req
                    .headers()
                    .get("x-ishtar-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                arrivals.lock().unwrap().push(Arrival {
                    at,
                    body: body.to_vec(),
                    signature,
                });
                tokio::time::sleep(delay).await;
                HttpResponse::Ok().finish()
            }
        });
        Self {
            url: format!("http://127.0.0.1:{}/cb", server.port()),
            arrivals,
            _server: server,
        }
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }
}

/// A second venue over the app's database (another "instance"), with its own callback
/// timeout; its background loops are off: the test runs the delivery loop itself.
async fn instance(app: &TestApp, callback_timeout_ms: u64) -> Arc<Venue> {
    let config = Config {
        database_url: app.db.url().to_owned(),
        db_pool_size: 4,
        allow_private_callbacks: true,
        callback_timeout_ms,
        encryption_key: Some(
            base64::engine::general_purpose::STANDARD
                .encode([42u8; 32])
                .into(),
        ),
        data_dir: std::env::temp_dir().join("ishtar-tests"),
        background: false,
        ..Config::default()
    };
    Arc::new(ishtar::build_venue(&config).await.unwrap())
}

fn limits(callback_timeout_ms: u64, per_endpoint: usize, lease_slack_ms: i64) -> DeliveryLimits {
    DeliveryLimits {
        concurrency: 16,
        per_endpoint,
        max_delivery: time::Duration::milliseconds(i64::try_from(callback_timeout_ms).unwrap()),
        lease_slack: time::Duration::milliseconds(lease_slack_ms),
    }
}

/// Queues `n` events for `d`'s agent, tagged `first`, `first + 1`, …: `couple.ended`
/// events whose couple id is only the tag ([`seq`]).
async fn queue(venue: &Venue, d: &Dater, first: i64, n: i64) {
    for i in 0..n {
        let queued = venue
            .notifier
            .notify(
                &[PersonaId(d.persona)],
                Event::CoupleEnded {
                    couple: CoupleId(first + i),
                    steps: Vec::new(),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(queued, 1);
    }
}

/// `(t, valid)` of a signature header, checked with the endpoint's secret.
fn check_signature(secret: &str, header: &str, body: &[u8]) -> (i64, bool) {
    use hmac::{Hmac, Mac};
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    (
        t.parse().unwrap(),
        hex::encode(mac.finalize().into_bytes()) == v1,
    )
}

/// The tag of a delivery ([`queue`]).
fn seq(a: &Arrival) -> i64 {
    let v: Value = serde_json::from_slice(&a.body).unwrap();
    v["coupleId"].as_i64().unwrap()
}

async fn wait_until_delivered(app: &TestApp, n: i64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while app
        .db
        .count("SELECT count(*) FROM notifications WHERE delivered_at IS NOT NULL")
        .await
        < n
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all delivered in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_slow_agent_delays_no_one_else_and_every_delivery_is_signed_when_sent() {
    let app = spawn_app().await;
    let slow = RecordingAgent::start(Duration::from_secs(2));
    let fast = RecordingAgent::start(Duration::ZERO);
    let s = app
        .dater(
            "slowpoke",
            json!({"about": "Tide pools and slow mornings."}),
            Some(&slow.url),
        )
        .await;
    let f = app
        .dater(
            "quick",
            json!({"about": "Sprints, espresso and crosswords."}),
            Some(&fast.url),
        )
        .await;
    // The venue waits up to 5 s for an agent: the slow one's 2 s answers are deliveries.
    let venue = instance(&app, 5000).await;
    // The slow agent's events are older, so first in line.
    queue(&venue, &s, 100, 3).await;
    queue(&venue, &f, 200, 8).await;

    let started = unix_now();
    let worker = tokio::spawn(ishtar::background::deliver_forever(
        venue.notifier.clone(),
        limits(5000, 4, 15_000),
    ));
    wait_until_delivered(&app, 11, Duration::from_secs(10)).await;
    worker.abort();

    let fast_arrivals = fast.arrivals();
    let slow_arrivals = slow.arrivals();
    assert_eq!((fast_arrivals.len(), slow_arrivals.len()), (8, 3));
    let last_fast = fast_arrivals.iter().map(|a| a.at).fold(0.0, f64::max);
    let slow_done: f64 = app
        .db
        .scalar(&format!(
            "SELECT extract(epoch FROM min(n.delivered_at)) FROM notifications n \
             JOIN agent_endpoints e ON e.id = n.endpoint_id WHERE e.callback_url = '{}'",
            slow.url
        ))
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        last_fast - started < 1.0,
        "every fast delivery arrived within 1 s ({:.2} s)",
        last_fast - started
    );
    assert!(
        slow_done - last_fast > 1.0,
        "well before the slow agent's first answer ({:.2} s later)",
        slow_done - last_fast
    );
    // The slow agent's three were in flight together (per-endpoint cap 4), not in a row.
    let first_slow = slow_arrivals.iter().map(|a| a.at).fold(f64::MAX, f64::min);
    let last_slow = slow_arrivals.iter().map(|a| a.at).fold(0.0, f64::max);
    assert!(last_slow - first_slow < 1.0, "{slow_arrivals:?}");

    // Signed at send time: every timestamp is within 2 s of its own arrival.
    for (agent, dater) in [(&fast, &f), (&slow, &s)] {
        let secret = dater.callback_secret.as_deref().unwrap();
        for a in agent.arrivals() {
            let (t, valid) = check_signature(secret, &a.signature, &a.body);
            assert!(valid, "{a:?}");
            assert!((a.at - t as f64).abs() <= 2.0, "t={t} arrived {}", a.at);
        }
    }
}

#[tokio::test]
async fn two_instances_deliver_each_notification_exactly_once() {
    let app = spawn_app().await;
    let slow = RecordingAgent::start(Duration::from_secs(1));
    let fast = RecordingAgent::start(Duration::ZERO);
    let s = app
        .dater(
            "lagging",
            json!({"about": "Long letters and old maps."}),
            Some(&slow.url),
        )
        .await;
    let f = app
        .dater(
            "brisk",
            json!({"about": "Morning runs and quick wit."}),
            Some(&fast.url),
        )
        .await;
    // Leases of 3 s + 2 × 0.5 s = 4 s: the slow agent's six deliveries (1 s each, two at a
    // time) take longer than one lease, so a batch-sized claim would expire mid-way.
    let (one, two) = (instance(&app, 3000).await, instance(&app, 3000).await);
    queue(&one, &s, 100, 6).await;
    queue(&two, &f, 200, 4).await;

    let l = limits(3000, 2, 500);
    let workers = [
        tokio::spawn(ishtar::background::deliver_forever(one.notifier.clone(), l)),
        tokio::spawn(ishtar::background::deliver_forever(two.notifier.clone(), l)),
    ];
    wait_until_delivered(&app, 10, Duration::from_secs(10)).await;
    // Give a duplicate time to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for w in workers {
        w.abort();
    }

    let mut counts: HashMap<i64, usize> = HashMap::new();
    for a in slow.arrivals().iter().chain(fast.arrivals().iter()) {
        *counts.entry(seq(a)).or_default() += 1;
    }
    assert_eq!(counts.len(), 10, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM notifications WHERE attempts = 1 AND claim_token IS NULL AND last_error IS NULL")
            .await,
        10
    );
}
