//! Personas at the door and their lifecycle (the Postgres store's `admission.rs`,
//! `statements.rs` and `personas.rs`).
//!
//! The cap: `State::admitted` is the `capacity` row. A slot is taken only under the store's
//! lock and only while `admitted < cap`, so concurrent callers never admit more than `cap`
//! personas in all, and a persona already admitted never takes a second one.

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CapOutcome, CoupleId, NewPersona, OwnerId, PersonaId, PersonaStatus};
use ishtar_domain::personas;
use ishtar_domain::ports::{
    ChaperoneEntry, EndedCouple, PersonaLifecycleStore, PersonaRecord, PersonaStore, Retired,
    Revision, Slot,
};
use ishtar_domain::states::{CoupleEvent, PersonaEvent, StateMachine};

use crate::MemoryStore;
use crate::state::{Persona, State, handle_key, missing};

fn record(id: i64, p: &Persona) -> PersonaRecord {
    PersonaRecord {
        id: PersonaId(id),
        owner: p.owner.map(OwnerId),
        handle: p.handle.clone(),
        model: p.model.clone(),
        heart: p.heart.clone(),
        redteam: p.redteam,
        home_market: p.home_market.clone(),
        active_market: p.active_market.clone(),
        status: p.status,
    }
}

impl State {
    /// Inserts a persona row and indexes its handle (the caller checked it is free).
    pub fn insert_persona_row(&mut self, p: Persona) -> i64 {
        let key = handle_key(&p.handle);
        let id = self.personas.insert(p);
        self.handles.insert(key, id);
        id
    }

    /// Deletes a persona row and its handle.
    pub fn delete_persona_row(&mut self, id: i64) {
        if let Some(p) = self.personas.rows.remove(&id) {
            self.handles.remove(&handle_key(&p.handle));
        }
    }

    fn revise(&mut self, rev: &Revision) -> Option<PersonaStatus> {
        let p = self.personas.get(rev.id.0)?;
        if p.owner != Some(rev.owner.0) || !rev.from.contains(&p.status) {
            return None;
        }
        let (mut status, slot) = personas::revised(p.status, rev.allowed);
        match slot {
            Slot::Take => {
                if self.take_place(rev.cap) {
                    status = status.on(PersonaEvent::TookPlace).unwrap_or(status);
                }
            }
            Slot::Free => self.free_place(),
            Slot::Keep | Slot::None => {}
        }
        let admitted = status.holds_place();
        let p = self.personas.get_mut(rev.id.0)?;
        let new = &rev.persona;
        new.model().clone_into(&mut p.model);
        p.heart = new.heart().clone();
        new.heart_hash().clone_into(&mut p.heart_hash);
        p.redteam = new.redteam();
        new.home_market().clone_into(&mut p.home_market);
        new.active_market().clone_into(&mut p.active_market);
        p.status = status;
        status.stored_reason(&rev.reason).clone_into(&mut p.reason);
        // The admission time follows the place: kept with it, set when one is taken,
        // cleared when there is none.
        if slot != Slot::Keep {
            p.admitted_at = admitted.then_some(rev.at);
        }
        if let Some(log) = &rev.log {
            self.record_log(log, Some(rev.id.0));
        }
        Some(status)
    }

    fn retire(&mut self, id: i64, owner: i64, at: OffsetDateTime) -> Option<Retired> {
        let p = self.personas.get(id)?;
        if p.owner != Some(owner) {
            return None;
        }
        let was = p.status;
        // Withdrawing a retired persona is refused by the machine: nothing changes.
        let Ok(next) = was.on(PersonaEvent::Withdrawn) else {
            return Some(Retired {
                was,
                ended: Vec::new(),
            });
        };
        // Its live couples end, as `POST /api/couples/:id/end` ends one.
        let mut ended = Vec::new();
        for (cid, c) in &mut self.couples.rows {
            let Ok(ended_state) = c.state.on(CoupleEvent::SideWithdrawn) else {
                continue;
            };
            if c.has(id) {
                c.state = ended_state;
                c.ended_at = Some(at);
                c.ended_by = Some(owner);
                ended.push(EndedCouple {
                    couple: CoupleId(*cid),
                    partner: PersonaId(if c.a == id { c.b } else { c.a }),
                });
            }
        }
        if let Some(p) = self.personas.get_mut(id) {
            p.status = next;
            next.as_str().clone_into(&mut p.reason);
        }
        if was.holds_place() {
            self.free_place();
        }
        // Its public notes go with it: a withdrawn persona seeks no one.
        self.posts.delete_where(|_, p| p.persona == Some(id));
        Some(Retired { was, ended })
    }
}

#[async_trait]
impl PersonaStore for MemoryStore {
    async fn insert_persona(
        &self,
        p: NewPersona,
        status: PersonaStatus,
        log: ChaperoneEntry,
        cap: Option<u32>,
    ) -> Result<(PersonaId, PersonaStatus), StoreError> {
        let mut s = self.lock();
        if s.handles.contains_key(&handle_key(p.handle().as_str())) {
            return Err(StoreError::Conflict("handle"));
        }
        if p.owner_id().is_some_and(|o| !s.owners.contains(o.0)) {
            return Err(missing("owner"));
        }
        // Only a persona the machine lets take a place (an allowed, pending one) asks for
        // a slot.
        let placed = match (cap, status.on(PersonaEvent::TookPlace)) {
            (Some(cap), Ok(placed)) if s.take_place(cap) => Some(placed),
            _ => None,
        };
        let stored = placed.unwrap_or(status);
        let id = s.insert_persona_row(Persona {
            owner: p.owner_id().map(|o| o.0),
            handle: p.handle().as_str().to_owned(),
            model: p.model().to_owned(),
            heart: p.heart().clone(),
            heart_hash: p.heart_hash().to_owned(),
            redteam: p.redteam(),
            home_market: p.home_market().to_owned(),
            active_market: p.active_market().to_owned(),
            status: stored,
            reason: placed.map_or_else(|| log.reason.clone(), |p| p.as_str().to_owned()),
            created_at: log.at,
            admitted_at: placed.map(|_| log.at),
        });
        s.record_log(&log, Some(id));
        Ok((PersonaId(id), stored))
    }

    async fn admit_within_cap(
        &self,
        id: PersonaId,
        cap: u32,
        at: OffsetDateTime,
    ) -> Result<CapOutcome, StoreError> {
        let mut s = self.lock();
        let status = s.personas.get(id.0).ok_or(StoreError::NotFound)?.status;
        if status.holds_place() {
            return Ok(CapOutcome::Admitted);
        }
        match status.on(PersonaEvent::TookPlace) {
            Ok(placed) if s.take_place(cap) => {
                if let Some(p) = s.personas.get_mut(id.0) {
                    p.status = placed;
                    placed.as_str().clone_into(&mut p.reason);
                    p.admitted_at = Some(at);
                }
                Ok(CapOutcome::Admitted)
            }
            _ => Ok(CapOutcome::Full),
        }
    }

    async fn persona_owner(&self, id: PersonaId) -> Result<Option<Option<OwnerId>>, StoreError> {
        let s = self.lock();
        Ok(s.personas.get(id.0).map(|p| p.owner.map(OwnerId)))
    }
}

#[async_trait]
impl PersonaLifecycleStore for MemoryStore {
    async fn persona(&self, id: PersonaId) -> Result<Option<PersonaRecord>, StoreError> {
        let s = self.lock();
        Ok(s.personas.get(id.0).map(|p| record(id.0, p)))
    }

    async fn persona_by_handle(&self, handle: String) -> Result<Option<PersonaRecord>, StoreError> {
        let s = self.lock();
        Ok(s.handles
            .get(&handle_key(&handle))
            .and_then(|id| Some(record(*id, s.personas.get(*id)?))))
    }

    async fn revise(&self, rev: Revision) -> Result<Option<PersonaStatus>, StoreError> {
        Ok(self.lock().revise(&rev))
    }

    async fn retire(
        &self,
        id: PersonaId,
        owner: OwnerId,
        at: OffsetDateTime,
    ) -> Result<Option<Retired>, StoreError> {
        Ok(self.lock().retire(id.0, owner.0, at))
    }
}
