//! The operator console's reads, brokering and the retention purge (the Postgres store's
//! `console.rs`). Pages are ordered and cut exactly as its SQL orders them.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use async_trait::async_trait;
use time::{Date, OffsetDateTime, UtcOffset};

use ishtar_domain::StoreError;
use ishtar_domain::console::{INTROS_LIMIT, RECENT_EVENTS, kinds};
use ishtar_domain::model::{CoupleId, OwnerId, PersonaId};
use ishtar_domain::ports::{
    BrokerOutcome, ChaperoneRow, ConsoleData, ConsoleQuery, ConsoleStore, CoupleRow, EventRecord,
    GeoRow, IdentityRow, Intro, IntroSide, OrderRow, PAGE_SIZE, Page, PersonaRow, PostRow, Purged,
    ReceiptRow, RetentionStore, Section, SnapshotCounts, TurnRow,
};
use ishtar_domain::states::{CoupleEvent, StateMachine};

use crate::MemoryStore;
use crate::state::{Event, State};

/// One page of `rows` (already in list order) for section `s`.
fn page<T>(q: &ConsoleQuery, s: Section, rows: impl Iterator<Item = T>) -> Page<T> {
    let mut total = 0i64;
    let offset = usize::try_from(q.offset(s)).unwrap_or(usize::MAX);
    let mut items = Vec::new();
    for (i, row) in rows.enumerate() {
        total += 1;
        if i >= offset && items.len() < PAGE_SIZE as usize {
            items.push(row);
        }
    }
    Page {
        items,
        page: q.page(s),
        total,
    }
}

/// `(key, count)` sorted by key, as `GROUP BY k ORDER BY k` returns them.
fn key_counts<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for k in keys {
        *counts.entry(k).or_default() += 1;
    }
    counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect()
}

fn event_record(id: i64, e: &Event) -> EventRecord {
    EventRecord {
        id,
        kind: e.kind.clone(),
        data: e.data.clone(),
        at: e.created_at,
    }
}

/// The JSON value as `->>` renders it, for comparing with an id.
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl State {
    /// Events, newest first (`created_at DESC, id DESC`).
    fn events_newest(&self) -> Vec<(i64, &Event)> {
        let mut rows: Vec<(i64, &Event)> = self.events.rows.iter().map(|(i, e)| (*i, e)).collect();
        rows.sort_by_key(|(id, e)| Reverse((e.created_at, *id)));
        rows
    }

    /// Committed couples, oldest first; `since` is the couple's newest `intro_ready`
    /// event, or its creation once that event is gone. Contacts only when asked for.
    fn intros(&self, limit: u32, with_contacts: bool) -> Vec<Intro> {
        let side = |pid: i64| {
            let p = self.personas.get(pid)?;
            let contact = p
                .owner
                .and_then(|o| self.latest_heart(o))
                .and_then(|(_, h)| h.contact_ref.clone());
            Some(IntroSide {
                persona: PersonaId(pid),
                handle: p.handle.clone(),
                owner: p.owner.map(OwnerId),
                contact: contact.filter(|_| with_contacts),
            })
        };
        self.couples
            .rows
            .iter()
            .filter(|(_, c)| c.state.on(CoupleEvent::Brokered).is_ok())
            .filter_map(|(id, c)| {
                let id_text = id.to_string();
                let since = self
                    .events
                    .rows
                    .values()
                    .filter(|e| {
                        e.kind == "intro_ready"
                            && e.data.get("coupleId").and_then(json_text) == Some(id_text.clone())
                    })
                    .map(|e| e.created_at)
                    .max()
                    .unwrap_or(c.created_at);
                Some(Intro {
                    couple: CoupleId(*id),
                    since,
                    a: side(c.a)?,
                    b: side(c.b)?,
                })
            })
            .take(limit as usize)
            .collect()
    }

    fn counts(
        &self,
        day_start: OffsetDateTime,
        day: Date,
        events: u32,
        intros: u32,
        contacts: bool,
    ) -> SnapshotCounts {
        SnapshotCounts {
            admitted: self.admitted,
            personas_by_status: key_counts(self.personas.rows.values().map(|p| p.status.as_str())),
            couples_by_state: key_counts(self.couples.rows.values().map(|c| c.state.as_str())),
            turns_by_status: key_counts(self.turns.rows.values().map(|t| t.status.as_str())),
            chaperone_today: key_counts(
                self.log
                    .rows
                    .values()
                    .filter(|l| l.created_at >= day_start)
                    .map(|l| l.verdict),
            ),
            orders_by_status: key_counts(self.orders.values().map(|o| o.status.as_str())),
            revenue: self.receipts.rows.values().map(|r| r.amount).sum(),
            buyback_reserve: self.buybacks.rows.values().map(|b| b.amount).sum(),
            geo_denials_today: self
                .geo
                .iter()
                .filter(|((d, _), _)| *d == day)
                .map(|(_, n)| *n)
                .sum(),
            intros: self.intros(intros, contacts),
            recent_events: self
                .events_newest()
                .into_iter()
                .take(events as usize)
                .map(|(id, e)| event_record(id, e))
                .collect(),
            unreadable: Vec::new(),
        }
    }

    /// Owners on the way to a real introduction, as the identity page lists them.
    fn identity_rows(&self) -> Vec<IdentityRow> {
        self.owners
            .rows
            .iter()
            .rev()
            .filter_map(|(id, o)| {
                let invites: Vec<_> = self
                    .invites
                    .rows
                    .values()
                    .filter(|i| i.owner == *id)
                    .collect();
                let consents = self.consents.keys().filter(|(_, x)| x == id).count() as i64;
                let check = self
                    .checks
                    .values()
                    .filter(|c| c.owner == *id)
                    .max_by_key(|c| c.updated_at);
                let started = o.tier.has_claimed_profile()
                    || !invites.is_empty()
                    || consents > 0
                    || check.is_some();
                started.then(|| IdentityRow {
                    owner: OwnerId(*id),
                    tier: o.tier.as_str().to_owned(),
                    invites: invites.len() as i64,
                    invites_claimed: invites.iter().filter(|i| i.claimed_at.is_some()).count()
                        as i64,
                    consents,
                    identity_status: check.map(|c| c.status.clone()),
                    age_over_18: check.and_then(|c| c.age_over_18),
                    created_at: o.created_at,
                })
            })
            .collect()
    }

    fn order_rows(&self) -> Vec<OrderRow> {
        let mut rows: Vec<OrderRow> = self
            .orders
            .iter()
            .map(|(id, o)| {
                let receipt = self
                    .receipts
                    .rows
                    .iter()
                    .find(|(_, r)| r.order_id == *id)
                    .map(|(rid, r)| ReceiptRow {
                        id: *rid,
                        payer: r.payer.clone(),
                        transaction: r.transaction.clone(),
                        network: r.network.clone(),
                        amount: r.amount,
                        buyback: self
                            .buybacks
                            .rows
                            .values()
                            .find(|b| b.receipt == *rid)
                            .map_or(0, |b| b.amount),
                    });
                OrderRow {
                    id: id.clone(),
                    owner: o.owner.map(OwnerId),
                    couple: o.couple.map(CoupleId),
                    amount: o.amount,
                    status: o.status.as_str().to_owned(),
                    reason: o.reason.clone(),
                    receipt,
                    created_at: o.created_at,
                }
            })
            .collect();
        rows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        rows
    }

    fn console(&self, q: &ConsoleQuery, day_start: OffsetDateTime, day: Date) -> ConsoleData {
        let counts = self.counts(day_start, day, RECENT_EVENTS, INTROS_LIMIT, true);
        let pending = counts.pending();
        let personas = page(
            q,
            Section::Personas,
            self.personas.rows.iter().rev().map(|(id, p)| PersonaRow {
                id: PersonaId(*id),
                owner: p.owner.map(OwnerId),
                handle: p.handle.clone(),
                model: p.model.clone(),
                status: p.status.as_str().to_owned(),
                reason: p.reason.clone(),
                redteam: p.redteam,
                active_market: p.active_market.clone(),
                created_at: p.created_at,
            }),
        );
        let couples = page(
            q,
            Section::Couples,
            self.couples.rows.iter().rev().filter_map(|(id, c)| {
                Some(CoupleRow {
                    id: CoupleId(*id),
                    a: self.personas.get(c.a)?.handle.clone(),
                    b: self.personas.get(c.b)?.handle.clone(),
                    state: c.state.as_str().to_owned(),
                    similarity: c.similarity,
                    turns: self.turns.rows.values().filter(|t| t.couple == *id).count() as i64,
                    created_at: c.created_at,
                })
            }),
        );
        let mut turns: Vec<_> = self.turns.rows.iter().collect();
        turns.sort_by_key(|(id, t)| Reverse((t.created_at, **id)));
        let turns = page(
            q,
            Section::Turns,
            turns.into_iter().map(|(id, t)| TurnRow {
                id: *id,
                couple: CoupleId(t.couple),
                author: t.author.clone(),
                body: t.body.clone(),
                status: t.status.as_str().to_owned(),
                reason: t.reason.clone(),
                created_at: t.created_at,
            }),
        );
        let mut posts: Vec<_> = self.posts.rows.iter().collect();
        posts.sort_by_key(|(id, p)| Reverse((p.created_at, **id)));
        let posts = page(
            q,
            Section::Posts,
            posts.into_iter().map(|(id, p)| PostRow {
                id: *id,
                board: p.board.clone(),
                handle: p.handle.clone(),
                body: p.body.clone(),
                status: "published".to_owned(),
                created_at: p.created_at,
            }),
        );
        let orders = page(q, Section::Orders, self.order_rows().into_iter());
        let identity = page(q, Section::Identity, self.identity_rows().into_iter());
        let mut log: Vec<_> = self.log.rows.iter().collect();
        log.sort_by_key(|(id, l)| Reverse((l.created_at, **id)));
        let chaperone = page(
            q,
            Section::Chaperone,
            log.into_iter().map(|(id, l)| ChaperoneRow {
                id: *id,
                surface: l.surface.to_owned(),
                target_type: l.target_type.to_owned(),
                target_id: l.target_id,
                verdict: l.verdict.to_owned(),
                reason: l.reason.clone(),
                created_at: l.created_at,
            }),
        );
        let mut geo: Vec<GeoRow> = self
            .geo
            .iter()
            .map(|((day, country), count)| GeoRow {
                day: *day,
                country: country.clone(),
                count: *count,
            })
            .collect();
        geo.sort_by(|a, b| {
            (Reverse(a.day), Reverse(a.count), &a.country).cmp(&(
                Reverse(b.day),
                Reverse(b.count),
                &b.country,
            ))
        });
        let geo = page(q, Section::Geo, geo.into_iter());
        let events = page(
            q,
            Section::Events,
            self.events_newest()
                .into_iter()
                .map(|(id, e)| event_record(id, e)),
        );
        ConsoleData {
            stored_settings: self
                .settings
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect(),
            counts,
            pending,
            personas,
            couples,
            turns,
            posts,
            orders,
            identity,
            chaperone,
            geo,
            events,
        }
    }

    fn purge(&mut self, cutoff: OffsetDateTime) -> Purged {
        let gone = |ids: Vec<i64>| ids.len() as u64;
        let events = gone(self.events.delete_where(|_, e| e.created_at < cutoff));
        let chaperone_log = gone(self.log.delete_where(|_, l| l.created_at < cutoff));
        // A day's count goes once the whole day is older than the cutoff.
        let cutoff_day = cutoff.to_offset(UtcOffset::UTC).date();
        let before = self.geo.len();
        self.geo.retain(|(day, _), _| *day >= cutoff_day);
        let geo_denials = (before - self.geo.len()) as u64;
        let notifications = gone(self.notifications.delete_where(|_, n| {
            n.delivered_at.is_some_and(|t| t < cutoff) || n.failed_at.is_some_and(|t| t < cutoff)
        }));
        let invites = gone(
            self.invites
                .delete_where(|_, i| i.claimed_at.is_none() && i.created_at < cutoff),
        );
        let paid: Vec<String> = self
            .receipts
            .rows
            .values()
            .map(|r| r.order_id.clone())
            .collect();
        let before = self.orders.len();
        self.orders
            .retain(|id, o| o.created_at >= cutoff || paid.contains(id));
        let orders = (before - self.orders.len()) as u64;
        let before = self.beats.len();
        self.beats.retain(|b| b.finished >= cutoff);
        let beats = (before - self.beats.len()) as u64;
        // After `notifications`: a delivery still queued for an event this old goes with
        // it (`event_id` cascades).
        let old = self.feed.delete_where(|_, e| e.created_at < cutoff);
        self.notifications
            .delete_where(|_, n| n.event.is_some_and(|e| old.contains(&e)));
        Purged {
            events,
            chaperone_log,
            geo_denials,
            notifications,
            invites,
            orders,
            beats,
            owner_events: old.len() as u64,
        }
    }
}

#[async_trait]
impl ConsoleStore for MemoryStore {
    async fn snapshot(
        &self,
        day_start: OffsetDateTime,
        day: Date,
        recent_events: u32,
        intros: u32,
    ) -> Result<SnapshotCounts, StoreError> {
        Ok(self
            .lock()
            .counts(day_start, day, recent_events, intros, false))
    }

    async fn console(
        &self,
        query: ConsoleQuery,
        day_start: OffsetDateTime,
        day: Date,
    ) -> Result<ConsoleData, StoreError> {
        Ok(self.lock().console(&query, day_start, day))
    }

    async fn record_event(
        &self,
        kind: String,
        data: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.lock().record_event(&kind, data, at);
        Ok(())
    }

    async fn last_event_at(&self, kind: String) -> Result<Option<OffsetDateTime>, StoreError> {
        let s = self.lock();
        Ok(s.events
            .rows
            .values()
            .filter(|e| e.kind == kind)
            .map(|e| e.created_at)
            .max())
    }

    async fn broker(
        &self,
        couple: CoupleId,
        at: OffsetDateTime,
    ) -> Result<BrokerOutcome, StoreError> {
        let mut s = self.lock();
        let Some(c) = s.couples.get_mut(couple.0) else {
            return Ok(BrokerOutcome::NoSuchCouple);
        };
        let Ok(next) = c.state.on(CoupleEvent::Brokered) else {
            return Ok(BrokerOutcome::NotCommitted(c.state));
        };
        c.state = next;
        let (a, b) = (c.a, c.b);
        s.record_event(
            kinds::INTRO_BROKERED,
            serde_json::json!({"coupleId": couple.0}),
            at,
        );
        Ok(BrokerOutcome::Brokered(PersonaId(a), PersonaId(b)))
    }
}

#[async_trait]
impl RetentionStore for MemoryStore {
    async fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, StoreError> {
        Ok(self.lock().purge(cutoff))
    }
}
