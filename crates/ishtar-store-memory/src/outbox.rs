//! The notification outbox and the public notifications board (the Postgres store's
//! `outbox.rs`).
//!
//! A claim sets a fresh claim token and a lease on the notification; every mark is
//! conditional on the token, so a stale claimer changes nothing. Claims run under the
//! store's lock, so a notification whose lease has not run out is never claimed twice and
//! the per-endpoint in-flight cap holds.

use std::collections::BTreeMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId, PersonaId};
use ishtar_domain::ports::{
    Claim, ClaimRequest, Delivery, EndpointPause, EventRow, NewEvent, Outbox,
};

use crate::MemoryStore;
use crate::state::{EndpointHealth, Notification, Post, State};

impl State {
    /// The due notifications to claim, in claim order (docs/notifications.md): endpoints
    /// take turns (slot order), each up to its cap counting live claims, 1 while failing.
    fn due(&self, req: ClaimRequest, now: OffsetDateTime) -> Vec<i64> {
        let mut busy: BTreeMap<i64, u64> = BTreeMap::new();
        for n in self.notifications.rows.values() {
            if n.open() && n.claimed_until.is_some_and(|u| u > now) {
                *busy.entry(n.endpoint).or_default() += 1;
            }
        }
        let mut queues: BTreeMap<i64, Vec<(OffsetDateTime, i64)>> = BTreeMap::new();
        for (id, n) in &self.notifications.rows {
            let paused = self
                .health
                .get(&n.endpoint)
                .is_some_and(|h| h.paused_until > now);
            if n.open()
                && n.next_attempt_at <= now
                && n.claimed_until.is_none_or(|u| u <= now)
                && !paused
            {
                queues
                    .entry(n.endpoint)
                    .or_default()
                    .push((n.next_attempt_at, *id));
            }
        }
        let mut ranked: Vec<(u64, OffsetDateTime, i64)> = Vec::new();
        for (endpoint, mut queue) in queues {
            queue.sort_unstable();
            let failing = self.health.get(&endpoint).is_some_and(|h| h.failures > 0);
            let cap = if failing {
                1
            } else {
                u64::from(req.per_endpoint)
            };
            let taken = busy.get(&endpoint).copied().unwrap_or(0);
            for (i, (next, id)) in queue.into_iter().enumerate() {
                let slot = taken + i as u64 + 1;
                if slot <= cap {
                    ranked.push((slot, next, id));
                }
            }
        }
        ranked.sort_unstable();
        ranked
            .into_iter()
            .take(req.limit as usize)
            .map(|(_, _, id)| id)
            .collect()
    }

    /// Clears `claim` and applies `then` to the notification, if the claim still holds it.
    fn settle(&mut self, claim: Claim, then: impl FnOnce(&mut Notification)) -> Option<i64> {
        let n = self
            .notifications
            .get_mut(claim.id)
            .filter(|n| n.claim_token == Some(claim.token) && n.open())?;
        n.claim_token = None;
        n.claimed_until = None;
        then(n);
        Some(n.endpoint)
    }

    /// Records a failed attempt's endpoint pause, never shortening one.
    fn pause(&mut self, endpoint: i64, pause: EndpointPause) {
        let h = self.health.entry(endpoint).or_insert(EndpointHealth {
            failures: pause.failures,
            paused_until: pause.until,
        });
        h.failures = h.failures.max(pause.failures);
        h.paused_until = h.paused_until.max(pause.until);
    }
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn enqueue(
        &self,
        personas: Vec<PersonaId>,
        kind: &'static str,
        payload: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let rows = EventRow::for_personas(&personas, kind, &payload);
        self.lock().insert_events(&rows, true, at)
    }

    async fn post_board(
        &self,
        board: String,
        handle: String,
        body: String,
        couple: Option<CoupleId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        if couple.is_some_and(|c| !s.couples.contains(c.0)) {
            return Err(crate::state::missing("couple"));
        }
        s.posts.insert(Post {
            board,
            persona: None,
            couple: couple.map(|c| c.0),
            handle,
            body,
            created_at: at,
        });
        Ok(())
    }

    async fn claim_due(
        &self,
        req: ClaimRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for id in s.due(req, now) {
            s.claim_tokens += 1;
            let token = s.claim_tokens;
            let Some(n) = s.notifications.get(id).cloned() else {
                continue;
            };
            let endpoint = s.endpoints.get(n.endpoint);
            let usable =
                endpoint.and_then(|e| e.callback_url.clone().zip(e.callback_secret.clone()));
            let failures = s.health.get(&n.endpoint).map_or(0, |h| h.failures);
            let Some(n) = s.notifications.get_mut(id) else {
                continue;
            };
            match usable {
                Some((url, secret)) => {
                    n.claim_token = Some(token);
                    n.claimed_until = Some(req.lease_until);
                    out.push(Delivery {
                        claim: Claim { id, token },
                        claimed_until: req.lease_until,
                        endpoint_id: n.endpoint,
                        endpoint_failures: failures,
                        url,
                        secret: secret.into_bytes(),
                        payload: n.payload.clone(),
                        attempts: n.attempts,
                    });
                }
                // The endpoint lost its callback: give up.
                None => {
                    n.failed_at = Some(now);
                    n.last_error = Some("endpoint has no usable callback".into());
                    n.claim_token = None;
                    n.claimed_until = None;
                }
            }
        }
        Ok(out)
    }

    async fn mark_delivered(&self, claim: Claim, at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some(endpoint) = s.settle(claim, |n| {
            n.delivered_at = Some(at);
            n.attempts += 1;
        }) else {
            return Ok(false);
        };
        if let Some(h) = s.health.get_mut(&endpoint) {
            h.failures = 0;
            h.paused_until = h.paused_until.min(at);
        }
        Ok(true)
    }

    async fn mark_retry(
        &self,
        claim: Claim,
        attempts: i32,
        next: OffsetDateTime,
        error: String,
        pause: EndpointPause,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some(endpoint) = s.settle(claim, |n| {
            n.attempts = attempts;
            n.next_attempt_at = next;
            n.last_error = Some(error);
        }) else {
            return Ok(false);
        };
        s.pause(endpoint, pause);
        Ok(true)
    }

    async fn mark_failed(
        &self,
        claim: Claim,
        attempts: i32,
        error: String,
        at: OffsetDateTime,
        pause: EndpointPause,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some(endpoint) = s.settle(claim, |n| {
            n.attempts = attempts;
            n.failed_at = Some(at);
            n.last_error = Some(error);
        }) else {
            return Ok(false);
        };
        s.pause(endpoint, pause);
        Ok(true)
    }

    async fn release(&self, claim: Claim) -> Result<bool, StoreError> {
        // Back to the queue as it was: due again at once.
        Ok(self.lock().settle(claim, |_| {}).is_some())
    }

    async fn publish(
        &self,
        events: Vec<NewEvent>,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let rows = EventRow::published(&events);
        self.lock().insert_events(&rows, false, at)
    }

    async fn owner_events(
        &self,
        owner: OwnerId,
        since: i64,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let s = self.lock();
        Ok(s.feed
            .rows
            .range(since.saturating_add(1)..)
            .filter(|(_, e)| e.owner == owner.0)
            .take(limit as usize)
            .map(|(_, e)| e.payload.clone())
            .collect())
    }
}
