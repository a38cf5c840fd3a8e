//! Notifications (docs/rules.md#the-beat): every event for an owner is stored once in its feed
//! with an id (polled with `GET /api/owners/me/events`), and queued in a durable outbox for
//! the owner's agents with an active endpoint and a callback URL, delivered with retries and
//! backoff — the same body, id included — and signed so the agent can tell an event came
//! from the venue. Event shapes, ids and the delivery model (concurrency, per-endpoint
//! backoff, leases) are described in docs/notifications.md.
//!
//! Events are typed ([`crate::ports::Event`]); the [`EventWording`] port words each one as
//! the body agents receive. Each delivery is signed: `t=<unix seconds>,v1=<hex
//! HMAC-SHA256>` ([`sign`]) where the MAC is over `"<t>.<raw body>"` with the endpoint's
//! `callbackSecret` (returned once, at registration). `t` is read immediately before that
//! delivery's POST. Agents should recompute it, compare in constant time, and refuse
//! timestamps older than a few minutes. The callback adapter sends it in a header.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{Either, FutureExt as _, select};
use futures_util::stream::{self, FuturesUnordered, StreamExt as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::error::StoreError;
use crate::model::{OwnerId, PersonaId};
use crate::ports::{
    CallbackClient, ClaimRequest, Clock, Delivery, EndpointPause, Event, EventWording, NewEvent,
    Outbox, Recipient, TypeOnly,
};

pub use crate::ports::kinds;

/// Attempts before a notification is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// `t=<unix>,v1=<hex>` for `body` sent at `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={tag}")
}

/// Backoff after the `failures`-th failure: 5 s × 2^failures, so 10 s, 20 s, 40 s …, capped
/// at one hour.
pub fn backoff(failures: i32) -> Duration {
    let exp = failures.clamp(0, 10) as u32;
    Duration::seconds((5i64 << exp).min(3600))
}

/// RFC 3339 UTC with milliseconds (`2026-12-01T12:00:00.000Z`), as every JSON body shows
/// times.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl NewEvent {
    /// A bare `kind` event whose body is `payload`'s fields and `type`, nothing else: for
    /// the stores' shared contract suite, which stores and reads bodies back without
    /// wording them (so `_at`, when it was created, does not show). The venue's events are
    /// typed and worded ([`Notifier::event`]).
    pub fn new(
        to: Recipient,
        kind: &'static str,
        payload: serde_json::Value,
        _at: OffsetDateTime,
    ) -> Self {
        let mut body = match payload {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        body.insert("type".into(), kind.into());
        Self {
            to,
            kind,
            body: serde_json::Value::Object(body),
            about: None,
        }
    }

    /// Names the owner whose words the body quotes.
    #[must_use]
    pub fn about(mut self, owner: Option<OwnerId>) -> Self {
        self.about = owner;
        self
    }
}

/// The page of `GET /api/owners/me/events` when no `limit` is asked.
pub const FEED_LIMIT_DEFAULT: u32 = 50;
/// The largest page of `GET /api/owners/me/events`; a larger `limit` is refused (400).
pub const FEED_LIMIT_MAX: u32 = 200;

/// A page of an owner's events, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The bodies, exactly as delivered (`id` included).
    pub events: Vec<serde_json::Value>,
    /// The `since` to ask with next: the last event's id, or the `since` asked with.
    pub cursor: i64,
    /// More events wait after this page.
    pub more: bool,
}

/// How deliveries are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryLimits {
    /// Deliveries in flight at once, all endpoints together (`ISHTAR_DELIVERY_CONCURRENCY`).
    pub concurrency: usize,
    /// Deliveries in flight at once to one endpoint (`ISHTAR_DELIVERY_PER_ENDPOINT`).
    pub per_endpoint: usize,
    /// The longest one [`CallbackClient::deliver`] can take (the callback timeout; the
    /// adapter enforces it).
    pub max_delivery: Duration,
    /// Lease kept free before a POST may start and after it must have ended.
    pub lease_slack: Duration,
}

impl Default for DeliveryLimits {
    fn default() -> Self {
        Self {
            concurrency: 16,
            per_endpoint: 4,
            max_delivery: Duration::seconds(5),
            lease_slack: Duration::seconds(15),
        }
    }
}

impl DeliveryLimits {
    /// A claim's lease: one attempt per claim, so the longest delivery plus slack on both
    /// sides (the claim and the start; the mark).
    pub fn lease(&self) -> Duration {
        self.max_delivery + self.lease_slack * 2
    }

    /// A POST may start only with this much lease left, so it ends (the client gives up at
    /// `max_delivery`) at least `lease_slack` before the lease does.
    pub fn lease_needed_to_start(&self) -> Duration {
        self.max_delivery + self.lease_slack
    }
}

/// How one claimed delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The agent's callback answered 2xx; the delivery is done.
    Delivered,
    /// Failed; rescheduled.
    Retried,
    /// Failed for the last time.
    GaveUp,
    /// Not sent: too little lease was left; given back.
    Released,
    /// Sent, but the claim was no longer ours when marking (it should not happen with the
    /// lease sized as above; logged).
    Lost,
}

/// Enqueues and delivers notifications.
pub struct Notifier {
    outbox: Arc<dyn Outbox>,
    callbacks: Arc<dyn CallbackClient>,
    clock: Arc<dyn Clock>,
    wording: Arc<dyn EventWording>,
}

impl Notifier {
    /// A notifier queueing into `outbox` and delivering through `callbacks` (which enforces
    /// docs/rules.md#callback-urls), timing attempts and backoff on `clock`. Events are
    /// worded by [`TypeOnly`] until [`Notifier::with_wording`] says otherwise.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        callbacks: Arc<dyn CallbackClient>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            outbox,
            callbacks,
            clock,
            wording: Arc::new(TypeOnly),
        }
    }

    /// Words every event with `wording` (the venue's: `ishtar-wire`'s `JsonEvents`).
    #[must_use]
    pub fn with_wording(mut self, wording: Arc<dyn EventWording>) -> Self {
        self.wording = wording;
        self
    }

    /// `event`'s body at `at`, but its `id`.
    pub fn body(&self, event: &Event, at: OffsetDateTime) -> serde_json::Value {
        self.wording.body(event, at)
    }

    /// `event` for `to`'s feed, worded as created at `at`.
    pub fn event(&self, to: Recipient, event: &Event, at: OffsetDateTime) -> NewEvent {
        NewEvent {
            to,
            kind: event.kind(),
            body: self.body(event, at),
            about: None,
        }
    }

    /// Stores `event` in the feed of each persona's owner (one event per owner, with its own
    /// id) and queues it for every active, callback-bearing endpoint of that owner, and
    /// posts `board_line` (public text, no private data) on the notifications board, tagged
    /// with the couple it is about. Returns the deliveries queued.
    ///
    /// # Errors
    /// Store errors.
    pub async fn notify(
        &self,
        personas: &[PersonaId],
        event: Event,
        board_line: Option<(crate::model::CoupleId, String)>,
    ) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let payload = self.body(&event, now);
        let queued = self
            .outbox
            .enqueue(personas.to_vec(), event.kind(), payload, now)
            .await?;
        if let Some((couple, line)) = board_line {
            self.outbox
                .post_board(
                    "notifications".into(),
                    "matchmaker".into(),
                    line,
                    Some(couple),
                    now,
                )
                .await?;
        }
        Ok(queued)
    }

    /// Stores each event in its recipient's feed and queues its deliveries, in one
    /// transaction (docs/notifications.md "Events"). Returns the deliveries queued.
    ///
    /// # Errors
    /// Store errors.
    pub async fn publish(&self, events: Vec<NewEvent>) -> Result<usize, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        self.outbox.publish(events, self.clock.now()).await
    }

    /// [`Notifier::publish`], logging a failure instead of returning it: the fact the event
    /// announces (a turn, an admission, a verification) stands without it.
    pub async fn publish_logged(&self, events: Vec<NewEvent>) {
        let kinds: Vec<&'static str> = events.iter().map(|e| e.kind).collect();
        if let Err(e) = self.publish(events).await {
            tracing::error!(error = %e, ?kinds, "could not store events");
        }
    }

    /// `owner`'s events after `since`, oldest first, at most `limit` (clamped to
    /// 1..=[`FEED_LIMIT_MAX`]).
    ///
    /// # Errors
    /// Store errors.
    pub async fn feed(
        &self,
        owner: OwnerId,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError> {
        let limit = limit.clamp(1, FEED_LIMIT_MAX);
        let mut events = self
            .outbox
            .owner_events(owner, since.max(0), limit + 1)
            .await?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);
        let cursor = events
            .last()
            .and_then(|e| e.get("id"))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(since.max(0));
        Ok(FeedPage {
            events,
            cursor,
            more,
        })
    }

    /// Claims up to `free` due notifications under `limits`.
    async fn claim(
        &self,
        limits: &DeliveryLimits,
        free: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let now = self.clock.now();
        let req = ClaimRequest {
            limit: u32::try_from(free).unwrap_or(u32::MAX),
            per_endpoint: u32::try_from(limits.per_endpoint.max(1)).unwrap_or(u32::MAX),
            lease_until: now + limits.lease(),
        };
        self.outbox.claim_due(req, now).await
    }

    /// One pass: claims up to `limits.concurrency` due notifications and delivers them
    /// concurrently; returns how many were delivered.
    ///
    /// # Errors
    /// Store errors of the claim (a failed delivery is rescheduled, not an error).
    pub async fn deliver_due(&self, limits: &DeliveryLimits) -> Result<usize, StoreError> {
        let due = self.claim(limits, limits.concurrency.max(1)).await?;
        let outcomes: Vec<Attempt> = stream::iter(due)
            .map(|d| self.attempt_logged(d, limits))
            .buffer_unordered(limits.concurrency.max(1))
            .collect()
            .await;
        Ok(outcomes
            .iter()
            .filter(|a| **a == Attempt::Delivered)
            .count())
    }

    /// Delivers for ever: keeps up to `limits.concurrency` deliveries in flight and claims
    /// more whenever one ends or `tick()` (the caller's poll timer) fires, so a slow
    /// delivery holds only its own slot. Runs until the future is dropped.
    pub async fn run<T, F>(&self, limits: DeliveryLimits, mut tick: T)
    where
        T: FnMut() -> F,
        F: Future<Output = ()>,
    {
        let concurrency = limits.concurrency.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut timer = Box::pin(tick());
        loop {
            let free = concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                match self.claim(&limits, free).await {
                    Ok(batch) => {
                        for d in batch {
                            in_flight.push(self.attempt_logged(d, &limits));
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "could not claim notifications"),
                }
            }
            if in_flight.is_empty() {
                timer.as_mut().await;
                timer = Box::pin(tick());
                continue;
            }
            let ticked = matches!(
                select(in_flight.next(), timer.as_mut()).await,
                Either::Right(_)
            );
            if ticked {
                timer = Box::pin(tick());
            } else {
                // Collect whatever else has ended, then claim for every free slot.
                while let Some(Some(_)) = in_flight.next().now_or_never() {}
            }
        }
    }

    async fn attempt_logged(&self, d: Delivery, limits: &DeliveryLimits) -> Attempt {
        let id = d.claim.id;
        match self.attempt(d, limits).await {
            Ok(Attempt::Lost) => {
                tracing::warn!(id, "notification sent after its claim was lost");
                Attempt::Lost
            }
            Ok(a) => a,
            Err(e) => {
                // The claim lapses at the end of its lease and the notification is retried.
                tracing::error!(id, error = %e, "could not record a notification's delivery");
                Attempt::Lost
            }
        }
    }

    /// Sends one claimed notification and records the outcome.
    async fn attempt(&self, d: Delivery, limits: &DeliveryLimits) -> Result<Attempt, StoreError> {
        let body = serde_json::to_vec(&d.payload).unwrap_or_default();
        // Signed at send time: the timestamp is read immediately before this POST.
        let t = self.clock.now();
        if d.claimed_until - t < limits.lease_needed_to_start() {
            self.outbox.release(d.claim).await?;
            return Ok(Attempt::Released);
        }
        let signature = sign(&d.secret, t.unix_timestamp(), &body);
        let sent = self.callbacks.deliver(&d.url, body, signature).await;
        let now = self.clock.now();
        let err = match sent {
            Ok(()) => {
                let held = self.outbox.mark_delivered(d.claim, now).await?;
                return Ok(if held {
                    Attempt::Delivered
                } else {
                    Attempt::Lost
                });
            }
            Err(e) => e,
        };
        let attempts = d.attempts.saturating_add(1);
        let failures = d.endpoint_failures.saturating_add(1);
        let pause = EndpointPause {
            failures,
            until: now + backoff(failures),
        };
        let reason = err.to_string();
        let (held, outcome) = if attempts >= MAX_ATTEMPTS {
            let held = self
                .outbox
                .mark_failed(d.claim, attempts, reason, now, pause)
                .await?;
            (held, Attempt::GaveUp)
        } else {
            let next = now + backoff(attempts.max(failures));
            let held = self
                .outbox
                .mark_retry(d.claim, attempts, next, reason, pause)
                .await?;
            (held, Attempt::Retried)
        };
        Ok(if held { outcome } else { Attempt::Lost })
    }

    /// The venue's clock, for the delivery loop.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::ProviderError;
    use crate::ports::{Claim, MockCallbackClient, MockClock, MockOutbox};
    use async_trait::async_trait;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    fn delivery(id: i64, attempts: i32) -> Delivery {
        Delivery {
            claim: Claim {
                id,
                token: 100 + id,
            },
            claimed_until: T0 + DeliveryLimits::default().lease(),
            endpoint_id: 7,
            endpoint_failures: 0,
            url: format!("u{id}"),
            secret: b"s".to_vec(),
            payload: serde_json::json!({"n": id}),
            attempts,
        }
    }

    fn fixed_clock() -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| T0);
        clock
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'k',b'1700000000.{}',hashlib.sha256).hexdigest())"
        assert_eq!(
            sign(b"k", 1_700_000_000, b"{}"),
            "t=1700000000,v1=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146"
        );
    }

    #[test]
    fn events_are_worded_by_the_wording_port_and_plainly_without_one() {
        let e = NewEvent::new(
            Recipient::Owner(OwnerId(4)),
            "x",
            serde_json::json!({"n": 1}),
            T0,
        )
        .about(Some(OwnerId(5)));
        assert_eq!(e.body, serde_json::json!({"n": 1, "type": "x"}));
        assert_eq!(e.about, Some(OwnerId(5)));
        let brokered = crate::ports::Event::IntroBrokered {
            couple: crate::model::CoupleId(3),
        };
        assert_eq!(brokered.kind(), kinds::INTRO_BROKERED);
        let plain = Notifier::new(
            Arc::new(MockOutbox::new()),
            Arc::new(MockCallbackClient::new()),
            Arc::new(fixed_clock()),
        );
        assert_eq!(
            plain
                .event(Recipient::Owner(OwnerId(4)), &brokered, T0)
                .body,
            serde_json::json!({"type": "intro.brokered"})
        );
        let mut wording = crate::ports::MockEventWording::new();
        wording
            .expect_body()
            .withf(|e, at| e.kind() == "intro.brokered" && *at == T0)
            .returning(|_, _| serde_json::json!({"worded": true}));
        let worded = plain.with_wording(Arc::new(wording));
        let e = worded.event(Recipient::Owner(OwnerId(4)), &brokered, T0);
        assert_eq!(
            (e.kind, e.body, e.about),
            ("intro.brokered", serde_json::json!({"worded": true}), None)
        );
    }

    #[tokio::test]
    async fn the_feed_pages_by_id_and_says_whether_more_wait() {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_owner_events()
            .withf(|o, since, limit| *o == OwnerId(4) && *since == 10 && *limit == 3)
            .returning(|_, _, _| Ok((11..=13).map(|id| serde_json::json!({"id": id})).collect()));
        outbox
            .expect_owner_events()
            .withf(|_, since, _| *since == 99)
            .returning(|_, _, _| Ok(Vec::new()));
        let n = Notifier::new(
            Arc::new(outbox),
            Arc::new(MockCallbackClient::new()),
            Arc::new(fixed_clock()),
        );
        let page = n.feed(OwnerId(4), 10, 2).await.expect("page");
        assert_eq!(page.events.len(), 2);
        assert_eq!((page.cursor, page.more), (12, true));
        // Nothing new: the cursor stays where it was.
        let page = n.feed(OwnerId(4), 99, 0).await.expect("page");
        assert_eq!((page.events.len(), page.cursor, page.more), (0, 99, false));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }

    #[test]
    fn the_lease_outlasts_the_longest_delivery_with_slack_on_both_sides() {
        let l = DeliveryLimits::default();
        assert_eq!(l.lease(), Duration::seconds(35));
        assert!(l.lease() >= l.lease_needed_to_start() + l.lease_slack);
        assert!(l.lease_needed_to_start() >= l.max_delivery + l.lease_slack);
    }

    #[tokio::test]
    async fn a_failed_delivery_is_rescheduled_and_pauses_its_endpoint_and_the_last_one_gives_up() {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim_due()
            .withf(|req, now| {
                *now == T0
                    && req.limit == 16
                    && req.per_endpoint == 4
                    && req.lease_until == T0 + Duration::seconds(35)
            })
            .returning(|_, _| Ok(vec![delivery(1, 0), delivery(2, MAX_ATTEMPTS - 1)]));
        let pause = EndpointPause {
            failures: 1,
            until: T0 + Duration::seconds(10),
        };
        outbox
            .expect_mark_retry()
            .withf(move |claim, attempts, next, _, p| {
                claim.id == 1
                    && claim.token == 101
                    && *attempts == 1
                    && *next == T0 + Duration::seconds(10)
                    && *p == pause
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(true));
        outbox
            .expect_mark_failed()
            .withf(move |claim, attempts, _, _, p| {
                claim.id == 2 && *attempts == MAX_ATTEMPTS && *p == pause
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(true));
        outbox.expect_mark_delivered().never();
        let mut cb = MockCallbackClient::new();
        cb.expect_deliver()
            .returning(|_, _, _| Err(ProviderError::unavailable("down")));
        let n = Notifier::new(Arc::new(outbox), Arc::new(cb), Arc::new(fixed_clock()));
        assert_eq!(
            n.deliver_due(&DeliveryLimits::default()).await.expect("ok"),
            0
        );
    }

    #[tokio::test]
    async fn each_delivery_is_signed_with_the_time_just_before_its_own_post() {
        // The clock moves 10 s every time it is read.
        let ticks = Arc::new(AtomicI64::new(0));
        let mut clock = MockClock::new();
        let t = ticks.clone();
        clock
            .expect_now()
            .returning(move || T0 + Duration::seconds(10 * t.fetch_add(1, Ordering::SeqCst)));
        let mut outbox = MockOutbox::new();
        outbox.expect_claim_due().returning(|_, _| {
            Ok((1..=3)
                .map(|i| Delivery {
                    claimed_until: T0 + Duration::hours(1),
                    ..delivery(i, 0)
                })
                .collect())
        });
        outbox
            .expect_mark_delivered()
            .times(3)
            .returning(|_, _| Ok(true));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut cb = MockCallbackClient::new();
        let (s, t) = (seen.clone(), ticks.clone());
        cb.expect_deliver().returning(move |_, body, sig| {
            let now = T0 + Duration::seconds(10 * t.load(Ordering::SeqCst));
            s.lock().expect("lock").push((now, body, sig));
            Ok(())
        });
        let n = Notifier::new(Arc::new(outbox), Arc::new(cb), Arc::new(clock));
        let limits = DeliveryLimits {
            concurrency: 1,
            ..DeliveryLimits::default()
        };
        assert_eq!(n.deliver_due(&limits).await.expect("ok"), 3);
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 3);
        let mut stamps = Vec::new();
        for (sent_at, body, sig) in seen {
            // The signature's t is the last clock reading before this POST.
            let expected = sign(
                b"s",
                (sent_at - Duration::seconds(10)).unix_timestamp(),
                &body,
            );
            assert_eq!(sig, expected);
            stamps.push(sent_at);
        }
        stamps.dedup();
        assert_eq!(stamps.len(), 3, "one timestamp per delivery");
    }

    #[tokio::test]
    async fn a_claim_without_enough_lease_left_is_given_back_unsent() {
        let mut outbox = MockOutbox::new();
        outbox.expect_claim_due().returning(|_, _| {
            Ok(vec![Delivery {
                claimed_until: T0 + Duration::seconds(19),
                ..delivery(1, 0)
            }])
        });
        outbox
            .expect_release()
            .withf(|c| c.id == 1 && c.token == 101)
            .times(1)
            .returning(|_| Ok(true));
        let mut cb = MockCallbackClient::new();
        cb.expect_deliver().never();
        let n = Notifier::new(Arc::new(outbox), Arc::new(cb), Arc::new(fixed_clock()));
        assert_eq!(
            n.deliver_due(&DeliveryLimits::default()).await.expect("ok"),
            0
        );
    }

    #[tokio::test]
    async fn a_delivery_whose_claim_was_lost_is_not_counted() {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim_due()
            .returning(|_, _| Ok(vec![delivery(1, 0)]));
        outbox
            .expect_mark_delivered()
            .times(1)
            .returning(|_, _| Ok(false));
        let mut cb = MockCallbackClient::new();
        cb.expect_deliver().returning(|_, _, _| Ok(()));
        let n = Notifier::new(Arc::new(outbox), Arc::new(cb), Arc::new(fixed_clock()));
        assert_eq!(
            n.deliver_due(&DeliveryLimits::default()).await.expect("ok"),
            0
        );
    }

    /// A callback client whose URL `slow` takes 300 ms and every other URL 10 ms.
    struct Timed;

    #[async_trait]
    impl CallbackClient for Timed {
        async fn challenge(&self, _: &str, _: &str) -> Result<String, ProviderError> {
            Ok(String::new())
        }
        async fn deliver(&self, url: &str, _: Vec<u8>, _: String) -> Result<(), ProviderError> {
            let ms = if url == "slow" { 300 } else { 10 };
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_loop_claims_again_as_soon_as_a_delivery_ends_not_when_the_batch_does() {
        // First claim: one slow and one fast delivery; the fast one's end must trigger the
        // second claim while the slow one is still in flight.
        let claims = Arc::new(Mutex::new(Vec::new()));
        let started = std::time::Instant::now();
        let mut outbox = MockOutbox::new();
        let c = claims.clone();
        outbox.expect_claim_due().returning(move |req, _| {
            let mut c = c.lock().expect("lock");
            c.push((started.elapsed(), req.limit));
            Ok(match c.len() {
                1 => vec![
                    Delivery {
                        url: "slow".into(),
                        ..delivery(1, 0)
                    },
                    delivery(2, 0),
                ],
                _ => Vec::new(),
            })
        });
        outbox.expect_mark_delivered().returning(|_, _| Ok(true));
        let n = Notifier::new(Arc::new(outbox), Arc::new(Timed), Arc::new(fixed_clock()));
        let limits = DeliveryLimits {
            concurrency: 4,
            ..DeliveryLimits::default()
        };
        // The poll timer never fires: only ends of deliveries cause claims.
        let run = n.run(limits, futures_util::future::pending::<()>);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), run).await;
        let claims = claims.lock().expect("lock").clone();
        assert_eq!(claims[0].1, 4, "{claims:?}");
        assert_eq!(claims[1].1, 3, "one slot is still busy: {claims:?}");
        assert!(
            claims[1].0 < std::time::Duration::from_millis(200),
            "claimed again when the fast delivery ended: {claims:?}"
        );
        assert_eq!(
            claims.len(),
            3,
            "and again when the slow one did: {claims:?}"
        );
    }
}
