//! The beat's reads and writes (the Postgres store's `matchmaking.rs` `MatchStore`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, CoupleState, HeartFileId, OwnerId, PersonaId, PersonaStatus};
use ishtar_domain::ports::{
    BeatLease, BeatRecord, BeatWritten, ChaperoneEntry, EligiblePersona, EventRow, HeldDoc,
    HeldPersona, MatchStore, NewCouple, ProfileSource,
};
use ishtar_domain::states::{PersonaEvent, StateMachine};

use crate::MemoryStore;
use crate::state::{Couple, Post, State, Turn};

/// Holds the beat lock; dropping it releases the lock.
struct MemoryBeatLease(Arc<AtomicBool>);

impl BeatLease for MemoryBeatLease {}

impl Drop for MemoryBeatLease {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn millis(since: std::time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl State {
    /// The rows of one beat, as `write_couples` of the Postgres store writes them.
    fn write_couples(&mut self, couples: &[NewCouple], at: OffsetDateTime) -> BeatWritten {
        let started = std::time::Instant::now();
        let admitted = |s: &Self, p: PersonaId| {
            s.personas
                .get(p.0)
                .is_some_and(|p| p.status == PersonaStatus::Admitted)
        };
        // Personas taken when the write began (one statement's snapshot in Postgres).
        let taken: BTreeSet<i64> = self
            .couples
            .rows
            .values()
            .filter(|c| c.in_play())
            .flat_map(|c| [c.a, c.b])
            .collect();
        let mut pairs: BTreeSet<(i64, i64)> =
            self.couples.rows.values().map(|c| (c.a, c.b)).collect();
        let mut order: Vec<&NewCouple> = couples.iter().collect();
        order.sort_by_key(|n| n.id);
        let mut created: BTreeSet<CoupleId> = BTreeSet::new();
        for n in order {
            let (lo, hi) = (n.a.0.min(n.b.0), n.a.0.max(n.b.0));
            let fresh = admitted(self, n.a)
                && admitted(self, n.b)
                && !taken.contains(&lo)
                && !taken.contains(&hi)
                && !self.couples.contains(n.id.0)
                && pairs.insert((lo, hi));
            if fresh {
                self.couples.insert_at(
                    n.id.0,
                    Couple {
                        a: lo,
                        b: hi,
                        state: CoupleState::Courting,
                        created_at: at,
                        similarity: n.similarity,
                        ended_at: None,
                        ended_by: None,
                    },
                );
                created.insert(n.id);
            }
        }
        let made: Vec<&NewCouple> = couples.iter().filter(|n| created.contains(&n.id)).collect();
        if made.is_empty() {
            return BeatWritten::default();
        }
        for n in &made {
            self.turns.insert(Turn {
                couple: n.id.0,
                author_persona: None,
                author: "matchmaker".into(),
                body: n.gambit.clone(),
                status: ishtar_domain::model::TurnStatus::Published,
                reason: "allowed".into(),
                created_at: at,
            });
        }
        for log in made.iter().filter_map(|n| n.gambit_log.as_ref()) {
            self.record_log(log, None);
        }
        for n in &made {
            // The line carries its couple's id, so erasure finds it by id.
            self.posts.insert(Post {
                board: "notifications".into(),
                persona: None,
                couple: Some(n.id.0),
                handle: "matchmaker".into(),
                body: n.board_line.clone(),
                created_at: at,
            });
        }
        let couples_ms = millis(started);
        let started = std::time::Instant::now();
        // Each member's `couple.formed`, quoting the partner's owner (docs/erasure.md).
        let rows = EventRow::couples_formed(&made, ishtar_domain::notify::kinds::COUPLE_FORMED);
        // Only personas' owners are named, and they exist: this cannot fail.
        let queued = self.insert_events(&rows, false, at).unwrap_or(0);
        BeatWritten {
            created: made.iter().map(|n| n.id).collect(),
            queued,
            couples_ms,
            notifications_ms: millis(started),
        }
    }
}

#[async_trait]
impl MatchStore for MemoryStore {
    async fn try_lock_beat(&self) -> Result<Option<Box<dyn BeatLease>>, StoreError> {
        let flag = self.beat_flag();
        let won = flag
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        Ok(won.then(|| Box::new(MemoryBeatLease(flag.clone())) as Box<dyn BeatLease>))
    }

    async fn held_personas(&self, limit: u32) -> Result<Vec<HeldPersona>, StoreError> {
        let s = self.lock();
        Ok(s.personas
            .rows
            .iter()
            .filter(|(_, p)| p.status == PersonaStatus::Held)
            .take(limit as usize)
            .map(|(id, p)| HeldPersona {
                id: PersonaId(*id),
                handle: p.handle.clone(),
                heart: p.heart.clone(),
                heart_hash: p.heart_hash.clone(),
            })
            .collect())
    }

    async fn resolve_held(
        &self,
        id: PersonaId,
        screened_hash: String,
        status: PersonaStatus,
        reason: String,
        _at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some(p) = s.personas.get_mut(id.0).filter(|p| {
            PersonaStatus::sources(PersonaEvent::rescreen(status)).contains(&p.status)
                && p.heart_hash == screened_hash
        }) else {
            return Ok(false);
        };
        p.status = status;
        p.reason = reason;
        Ok(true)
    }

    async fn held_docs(&self, limit: u32) -> Result<Vec<HeldDoc>, StoreError> {
        let s = self.lock();
        Ok(s.hearts
            .rows
            .iter()
            .filter(|(_, h)| h.status == "held")
            .take(limit as usize)
            .map(|(id, h)| HeldDoc {
                id: HeartFileId(*id),
                heart: h.heart.clone(),
            })
            .collect())
    }

    async fn resolve_held_doc(
        &self,
        id: HeartFileId,
        allowed: bool,
        log: ChaperoneEntry,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        let Some(h) = s.hearts.get_mut(id.0).filter(|h| h.status == "held") else {
            return Ok(());
        };
        h.status = if allowed { "allowed" } else { "denied" };
        h.reason.clone_from(&log.reason);
        s.record_log(&log, Some(id.0));
        Ok(())
    }

    async fn pending_personas(&self, limit: u32) -> Result<Vec<PersonaId>, StoreError> {
        let s = self.lock();
        let mut pending: Vec<(OffsetDateTime, i64)> = s
            .personas
            .rows
            .iter()
            .filter(|(_, p)| p.status == PersonaStatus::Pending)
            .map(|(id, p)| (p.created_at, *id))
            .collect();
        pending.sort_unstable();
        Ok(pending
            .into_iter()
            .take(limit as usize)
            .map(|(_, id)| PersonaId(id))
            .collect())
    }

    async fn eligible_personas(&self) -> Result<Vec<EligiblePersona>, StoreError> {
        let s = self.lock();
        let mut out: Vec<(OffsetDateTime, EligiblePersona)> = Vec::new();
        for (id, p) in &s.personas.rows {
            let Some(owner) = p.owner else { continue };
            if p.status != PersonaStatus::Admitted
                || !s.has_active_endpoint(owner)
                || s.in_couple(*id)
            {
                continue;
            }
            let doc = s.latest_allowed_heart(owner);
            let own_prefs = p.heart.get("prefs").filter(|v| v.is_object()).cloned();
            out.push((
                p.admitted_at.unwrap_or(p.created_at),
                EligiblePersona {
                    id: PersonaId(*id),
                    owner: OwnerId(owner),
                    handle: p.handle.clone(),
                    redteam: p.redteam,
                    active_market: p.active_market.clone(),
                    own_prefs,
                    doc_prefs: doc.and_then(|d| d.heart.get("prefs").cloned()),
                    doc_hash: doc.map(|d| d.heart_hash.clone()),
                    heart_hash: p.heart_hash.clone(),
                },
            ));
        }
        out.sort_by_key(|(at, e)| (*at, e.id));
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }

    async fn profile_sources(&self, ids: Vec<PersonaId>) -> Result<Vec<ProfileSource>, StoreError> {
        let s = self.lock();
        let ids: BTreeSet<i64> = ids.into_iter().map(|p| p.0).collect();
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                let p = s.personas.get(id)?;
                Some(ProfileSource {
                    persona: PersonaId(id),
                    doc: p
                        .owner
                        .and_then(|o| s.latest_allowed_heart(o))
                        .map(|h| h.heart.clone()),
                    heart: p.heart.clone(),
                })
            })
            .collect())
    }

    async fn embeddings(
        &self,
        model: String,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        let s = self.lock();
        let keys: BTreeSet<String> = keys.into_iter().collect();
        Ok(keys
            .into_iter()
            .filter_map(|k| {
                let v = s.embeddings.get(&(k.clone(), model.clone()))?.clone();
                Some((k, v))
            })
            .collect())
    }

    async fn save_embeddings(
        &self,
        model: String,
        rows: Vec<(String, Vec<f32>)>,
        _at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        for (key, vector) in rows {
            s.embeddings.entry((key, model.clone())).or_insert(vector);
        }
        Ok(())
    }

    async fn past_pairs(&self) -> Result<Vec<(PersonaId, PersonaId)>, StoreError> {
        let s = self.lock();
        Ok(s.couples
            .rows
            .values()
            .map(|c| (PersonaId(c.a), PersonaId(c.b)))
            .collect())
    }

    async fn reserve_couple_ids(&self, n: usize) -> Result<Vec<CoupleId>, StoreError> {
        let mut s = self.lock();
        Ok((0..n).map(|_| CoupleId(s.couples.next_id())).collect())
    }

    async fn write_beat(
        &self,
        _cycle: String,
        couples: Vec<NewCouple>,
        at: OffsetDateTime,
    ) -> Result<BeatWritten, StoreError> {
        if couples.is_empty() {
            return Ok(BeatWritten::default());
        }
        Ok(self.lock().write_couples(&couples, at))
    }

    async fn record_beat(&self, mut record: BeatRecord) -> Result<(), StoreError> {
        let id = uuid::Uuid::parse_str(&record.cycle).map_err(StoreError::unavailable)?;
        record.cycle = id.to_string();
        let mut s = self.lock();
        if s.beats.iter().any(|b| b.cycle == record.cycle) {
            return Err(StoreError::Conflict("unique"));
        }
        s.beats.push(record);
        Ok(())
    }

    async fn recent_beats(&self, limit: u32) -> Result<Vec<BeatRecord>, StoreError> {
        let s = self.lock();
        let mut beats: Vec<&BeatRecord> = s.beats.iter().collect();
        // Newest first; a stable sort keeps the later record first among equal starts.
        beats.reverse();
        beats.sort_by_key(|b| std::cmp::Reverse(b.started));
        Ok(beats.into_iter().take(limit as usize).cloned().collect())
    }
}
