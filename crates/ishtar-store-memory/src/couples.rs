//! Couples and courtship, a member's reads of its couple, and the next-step guide (the
//! Postgres store's `matchmaking.rs` `CoupleStore`, `reads.rs` and `owner_events.rs`
//! `GuideStore`).
//!
//! Turn ids are taken under the store's lock, so a couple's turns are visible in id order
//! and a `since` cursor never skips one.

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    CoupleId, CoupleMember, CoupleState, CoupleSummary, CoupleView, EndpointId, EndpointSummary,
    NewTurn, OwnerId, OwnerOverview, PersonaId, PersonaStatus, PersonaSummary, TurnId, TurnStatus,
};
use ishtar_domain::ports::{
    CoupleFacts, CoupleStore, CoupleTurn, DocHeart, GuideStore, PersonaStanding,
};
use ishtar_domain::states::{CoupleEvent, StateMachine};

use crate::MemoryStore;
use crate::state::{Persona, State, Turn, missing};

fn couple_turn(id: i64, t: &Turn) -> CoupleTurn {
    CoupleTurn {
        id: TurnId(id),
        author: t.author.clone(),
        author_persona: t.author_persona.map(PersonaId),
        body: t.body.clone(),
        status: t.status,
        reason: t.reason.clone(),
        created_at: t.created_at,
    }
}

/// Whether `viewer` may see `t`: published, or its own in any status.
fn visible(t: &Turn, viewer: PersonaId) -> bool {
    t.status == TurnStatus::Published || t.author_persona == Some(viewer.0)
}

/// A market that matches every other (`remote`, or none given).
fn open_market(m: &str) -> bool {
    m == "remote" || m.is_empty()
}

impl State {
    /// Whether another owner's admitted, unpaired persona with a verified endpoint could
    /// be paired with `p` (docs/matcher.md "Who is eligible", before the hard filters).
    fn others_in_market(&self, p: &Persona) -> bool {
        self.personas.rows.iter().any(|(oid, o)| {
            o.status == PersonaStatus::Admitted
                && o.owner.is_some_and(|owner| Some(owner) != p.owner)
                && p.owner.is_some()
                && o.redteam == p.redteam
                && (o.active_market == p.active_market
                    || open_market(&o.active_market)
                    || open_market(&p.active_market))
                && o.owner.is_some_and(|owner| self.has_active_endpoint(owner))
                && !self.in_couple(*oid)
        })
    }
}

#[async_trait]
impl CoupleStore for MemoryStore {
    async fn couple(&self, id: CoupleId) -> Result<Option<CoupleView>, StoreError> {
        let s = self.lock();
        let Some(c) = s.couples.get(id.0) else {
            return Ok(None);
        };
        let member = |pid: i64| {
            s.personas.get(pid).map(|p| CoupleMember {
                persona: PersonaId(pid),
                owner: p.owner.map(OwnerId),
                handle: p.handle.clone(),
            })
        };
        let (Some(a), Some(b)) = (member(c.a), member(c.b)) else {
            return Ok(None);
        };
        Ok(Some(CoupleView {
            id,
            state: c.state,
            a,
            b,
        }))
    }

    async fn has_active_endpoint(&self, owner: OwnerId) -> Result<bool, StoreError> {
        Ok(self.lock().has_active_endpoint(owner.0))
    }

    async fn insert_turn(&self, t: NewTurn, at: OffsetDateTime) -> Result<TurnId, StoreError> {
        let mut s = self.lock();
        if !s.couples.contains(t.couple.0) {
            return Err(StoreError::NotFound);
        }
        if t.author_persona.is_some_and(|p| !s.personas.contains(p.0)) {
            return Err(missing("persona"));
        }
        let id = s.turns.insert(Turn {
            couple: t.couple.0,
            author_persona: t.author_persona.map(|p| p.0),
            author: t.author,
            body: t.body,
            status: t.status,
            reason: t.reason,
            created_at: at,
        });
        Ok(TurnId(id))
    }

    async fn end_couple(
        &self,
        id: CoupleId,
        by: OwnerId,
        at: OffsetDateTime,
    ) -> Result<CoupleState, StoreError> {
        let mut s = self.lock();
        let c = s.couples.get_mut(id.0).ok_or(StoreError::NotFound)?;
        if let Ok(next) = c.state.on(CoupleEvent::EndedBySide) {
            c.state = next;
            c.ended_at = Some(at);
            c.ended_by = Some(by.0);
        }
        Ok(c.state)
    }

    async fn owner_overview(&self, owner: OwnerId) -> Result<Option<OwnerOverview>, StoreError> {
        let s = self.lock();
        let Some(o) = s.owners.get(owner.0) else {
            return Ok(None);
        };
        let mine: Vec<(i64, &Persona)> = s
            .personas
            .rows
            .iter()
            .filter(|(_, p)| p.owner == Some(owner.0))
            .map(|(id, p)| (*id, p))
            .collect();
        let mut couples = Vec::new();
        for (cid, c) in &s.couples.rows {
            for (me, other) in [(c.a, c.b), (c.b, c.a)] {
                let mine_side = s.personas.get(me).is_some_and(|p| p.owner == Some(owner.0));
                if let (true, Some(partner)) = (mine_side, s.personas.get(other)) {
                    couples.push(CoupleSummary {
                        id: CoupleId(*cid),
                        state: c.state.as_str().to_owned(),
                        persona: PersonaId(me),
                        partner_handle: partner.handle.clone(),
                        created_at: c.created_at,
                    });
                }
            }
        }
        Ok(Some(OwnerOverview {
            owner_id: owner,
            tier: o.tier,
            doc_version: s.latest_heart(owner.0).map(|(_, h)| h.version),
            personas: mine
                .iter()
                .map(|(id, p)| PersonaSummary {
                    id: PersonaId(*id),
                    handle: p.handle.clone(),
                    status: p.status.as_str().to_owned(),
                    reason: p.reason.clone(),
                })
                .collect(),
            endpoints: s
                .endpoints
                .rows
                .iter()
                .filter(|(_, e)| e.owner == Some(owner.0))
                .map(|(id, e)| EndpointSummary {
                    id: EndpointId(*id),
                    runtime: e.runtime.clone(),
                    status: e.status.as_str().to_owned(),
                    has_callback: e.callback_url.is_some(),
                })
                .collect(),
            couples,
        }))
    }

    async fn couple_facts(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        partner: PersonaId,
    ) -> Result<Option<CoupleFacts>, StoreError> {
        let s = self.lock();
        let Some(c) = s.couples.get(couple.0) else {
            return Ok(None);
        };
        let consented = s
            .consents
            .keys()
            .filter(|(k, _)| *k == couple.0)
            .map(|(_, o)| OwnerId(*o))
            .collect();
        let last_turn = s
            .turns
            .rows
            .iter()
            .rev()
            .find(|(_, t)| t.couple == couple.0 && visible(t, viewer))
            .map(|(id, t)| couple_turn(*id, t));
        let partner_row = s.personas.get(partner.0);
        let partner_heart = partner_row
            .filter(|p| p.status == PersonaStatus::Admitted)
            .map(|p| p.heart.clone());
        // Only the chaperone-allowed versions, and of those the newest; never the contact.
        let partner_doc = partner_row
            .and_then(|p| p.owner)
            .and_then(|o| s.latest_allowed_heart(o))
            .map(|h| DocHeart {
                version: h.version,
                heart: h.heart.clone(),
            });
        Ok(Some(CoupleFacts {
            similarity: c.similarity,
            created_at: c.created_at,
            consented,
            last_turn,
            partner_doc,
            partner_heart,
        }))
    }

    async fn couple_turns(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        since: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<CoupleTurn>, StoreError> {
        let s = self.lock();
        if !s.couples.contains(couple.0) {
            return Ok(Vec::new());
        }
        let from = since.map_or(0, |t| t.0).saturating_add(1);
        Ok(s.turns
            .rows
            .range(from..)
            .filter(|(_, t)| t.couple == couple.0 && visible(t, viewer))
            .take(limit as usize)
            .map(|(id, t)| couple_turn(*id, t))
            .collect())
    }
}

#[async_trait]
impl GuideStore for MemoryStore {
    async fn persona_standing(&self, owner: OwnerId) -> Result<Vec<PersonaStanding>, StoreError> {
        let s = self.lock();
        Ok(s.personas
            .rows
            .iter()
            .filter(|(_, p)| p.owner == Some(owner.0))
            .map(|(id, p)| PersonaStanding {
                persona: PersonaId(*id),
                admitted_at: (p.status == PersonaStatus::Admitted)
                    .then(|| p.admitted_at.unwrap_or(p.created_at)),
                in_couple: s.in_couple(*id),
                others_in_market: s.others_in_market(p),
            })
            .collect())
    }
}
