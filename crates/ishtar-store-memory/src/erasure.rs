//! The erasure cascade (`ishtar_domain::erasure`, docs/erasure.md), step for step as the
//! Postgres store's `erasure.rs` runs it, with its foreign keys' cascades (`ON DELETE
//! CASCADE` / `SET NULL`) applied by hand. Every row is reached from the owner id; no
//! other owner's row changes, except that couples shared with them end on a tombstone.
//!
//! The only check that can refuse it (a tombstone handle already taken) runs before
//! anything is changed, so a refused erasure leaves no trace.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, CoupleState, OwnerId, PersonaId, PersonaStatus};
use ishtar_domain::ports::{EndedCouple, Erased, ErasedOwner, ErasureStore};
use ishtar_domain::profile;

use ishtar_domain::states::{CoupleEvent, StateMachine};

use crate::MemoryStore;
use crate::state::{Persona, State, handle_key};

/// A couple with one side theirs: (couple, their persona, the other side, state).
type Kept = (i64, i64, i64, CoupleState);

/// Counts of one deleting step: their own rows, the venue's, reports about them.
struct Removed {
    own: u64,
    venue: u64,
    reports: u64,
}

fn count(ids: &[i64]) -> u64 {
    ids.len() as u64
}

impl State {
    /// Deletes the reports and verdicts about the `target_type` rows `ids`; returns how
    /// many reports went.
    fn delete_about(&mut self, target_type: &str, ids: &BTreeSet<i64>) -> u64 {
        self.log.delete_where(|_, l| {
            l.target_type == target_type && l.target_id.is_some_and(|t| ids.contains(&t))
        });
        count(
            &self
                .reports
                .delete_where(|_, r| r.target_type == target_type && ids.contains(&r.target_id)),
        )
    }

    /// Their turns (every status) and the matchmaker's gambits in their couples.
    fn delete_turns(&mut self, personas: &BTreeSet<i64>, couples: &BTreeSet<i64>) -> Removed {
        let mut venue = 0;
        let gone: BTreeSet<i64> = self
            .turns
            .delete_where(|_, t| {
                let theirs = t.author_persona.is_some_and(|p| personas.contains(&p));
                let gambit = couples.contains(&t.couple)
                    && t.author_persona.is_none()
                    && t.author == "matchmaker";
                venue += u64::from(gambit && !theirs);
                theirs || gambit
            })
            .into_iter()
            .collect();
        Removed {
            own: gone.len() as u64 - venue,
            venue,
            reports: self.delete_about("turn", &gone),
        }
    }

    /// Their board posts and the venue's lines about their couples.
    fn delete_posts(&mut self, personas: &BTreeSet<i64>, couples: &BTreeSet<i64>) -> Removed {
        let mut venue = 0;
        let gone: BTreeSet<i64> = self
            .posts
            .delete_where(|_, p| {
                let hit = p.persona.is_some_and(|x| personas.contains(&x))
                    || p.couple.is_some_and(|c| couples.contains(&c));
                venue += u64::from(hit && p.persona.is_none());
                hit
            })
            .into_iter()
            .collect();
        Removed {
            own: gone.len() as u64 - venue,
            venue,
            reports: self.delete_about("post", &gone),
        }
    }

    /// Deletes couples `ids` with what cascades from them.
    fn delete_couples(&mut self, ids: &BTreeSet<i64>) -> u64 {
        let gone = self.couples.delete_where(|id, _| ids.contains(&id));
        self.turns.delete_where(|_, t| ids.contains(&t.couple));
        self.posts
            .delete_where(|_, p| p.couple.is_some_and(|c| ids.contains(&c)));
        self.consents.retain(|(c, _), _| !ids.contains(c));
        self.invites.delete_where(|_, i| ids.contains(&i.couple));
        for o in self.orders.values_mut() {
            if o.couple.is_some_and(|c| ids.contains(&c)) {
                o.couple = None;
            }
        }
        count(&gone)
    }

    /// The keys of every vector their profiles make (docs and personas).
    fn embedding_keys(&self, owner: i64, personas: &[(i64, Persona)]) -> BTreeSet<String> {
        let docs: Vec<String> = self
            .hearts
            .rows
            .values()
            .filter(|h| h.owner == owner)
            .map(|h| h.heart_hash.clone())
            .collect();
        let mut keys: BTreeSet<String> = docs.iter().cloned().collect();
        for (_, p) in personas {
            keys.insert(p.heart_hash.clone());
            keys.insert(profile::key(None, &p.heart_hash));
            keys.extend(docs.iter().map(|d| profile::key(Some(d), &p.heart_hash)));
        }
        keys
    }

    /// Orders: unpaid ones go; paid ones stay for accounting, unlinked from them.
    fn erase_orders(&mut self, owner: i64) -> u64 {
        let paid: Vec<(String, i64)> = self
            .receipts
            .rows
            .iter()
            .map(|(id, r)| (r.order_id.clone(), *id))
            .collect();
        let before = self.orders.len();
        self.orders
            .retain(|id, o| o.owner != Some(owner) || paid.iter().any(|(order, _)| order == id));
        let removed = (before - self.orders.len()) as u64;
        for (order_id, receipt) in paid {
            let theirs = self
                .orders
                .get(&order_id)
                .is_some_and(|o| o.owner == Some(owner));
            if !theirs {
                continue;
            }
            let Some(mut o) = self.orders.remove(&order_id) else {
                continue;
            };
            let fresh = format!("erased:{receipt}");
            o.owner = None;
            o.couple = None;
            o.report = None;
            self.orders.insert(fresh.clone(), o);
            if let Some(r) = self.receipts.get_mut(receipt) {
                r.order_id = fresh;
            }
        }
        removed
    }

    fn erase(
        &mut self,
        owner: i64,
        tag: &str,
        at: OffsetDateTime,
    ) -> Result<Option<ErasedOwner>, StoreError> {
        if !self.owners.contains(owner) {
            return Ok(None);
        }
        let mine: Vec<(i64, Persona)> = self
            .personas
            .rows
            .iter()
            .filter(|(_, p)| p.owner == Some(owner))
            .map(|(id, p)| (*id, p.clone()))
            .collect();
        let ids: BTreeSet<i64> = mine.iter().map(|(id, _)| *id).collect();
        let admitted = mine.iter().filter(|(_, p)| p.status.holds_place()).count() as i64;
        let mut both_mine: BTreeSet<i64> = BTreeSet::new();
        let mut kept: Vec<Kept> = Vec::new();
        for (id, c) in &self.couples.rows {
            match (ids.contains(&c.a), ids.contains(&c.b)) {
                (true, true) => {
                    both_mine.insert(*id);
                }
                (true, false) => kept.push((*id, c.a, c.b, c.state)),
                (false, true) => kept.push((*id, c.b, c.a, c.state)),
                (false, false) => {}
            }
        }
        let couple_ids: BTreeSet<i64> = both_mine
            .iter()
            .copied()
            .chain(kept.iter().map(|k| k.0))
            .collect();
        // The one refusal possible, checked before anything changes.
        let theirs_kept: BTreeSet<i64> = kept.iter().map(|k| k.1).collect();
        for n in 1..=theirs_kept.len() {
            if self
                .handles
                .contains_key(&handle_key(&format!("erased-{tag}-{n}")))
            {
                return Err(StoreError::Conflict("handle"));
            }
        }
        let mut out = Erased::default();

        // 1. Their text and the venue's text about their couples, with what was said about it.
        let turns = self.delete_turns(&ids, &couple_ids);
        let posts = self.delete_posts(&ids, &couple_ids);
        let about = self.delete_about("persona", &ids) + self.delete_about("couple", &both_mine);
        out.turns = turns.own;
        out.board_posts = posts.own;
        out.venue_lines = turns.venue + posts.venue;
        out.reports = turns.reports + posts.reports + about;

        // 2. Couples: theirs alone go; shared ones stay as history on a tombstone, live ones end.
        out.couples_removed = self.delete_couples(&both_mine);
        let mut tombstones: Vec<(i64, i64)> = Vec::new();
        let mut ended = Vec::new();
        for (couple, theirs, other, state) in kept {
            let tomb = match tombstones.iter().find(|(p, _)| *p == theirs) {
                Some((_, t)) => *t,
                None => {
                    let t = self.insert_persona_row(Persona {
                        owner: None,
                        handle: format!("erased-{tag}-{}", tombstones.len() + 1),
                        model: String::new(),
                        heart: Value::Object(serde_json::Map::new()),
                        heart_hash: String::new(),
                        redteam: false,
                        home_market: "other".into(),
                        active_market: "remote".into(),
                        status: PersonaStatus::Retired,
                        reason: "erased".into(),
                        created_at: at,
                        admitted_at: None,
                    });
                    tombstones.push((theirs, t));
                    t
                }
            };
            // A side erased ends its live couples as a withdrawn one does.
            let ends = state.on(CoupleEvent::SideWithdrawn).ok();
            if let Some(c) = self.couples.get_mut(couple) {
                c.a = other.min(tomb);
                c.b = other.max(tomb);
                if let Some(next) = ends {
                    c.state = next;
                    c.ended_at = Some(at);
                }
            }
            if ends.is_some() {
                ended.push(EndedCouple {
                    couple: CoupleId(couple),
                    partner: PersonaId(other),
                });
            }
        }
        out.couples_ended = ended.len() as u64;

        // 3. Vectors of their profiles (a cache keyed by content).
        let keys = self.embedding_keys(owner, &mine);
        let before = self.embeddings.len();
        self.embeddings.retain(|(key, _), _| !keys.contains(key));
        out.embeddings = (before - self.embeddings.len()) as u64;

        // 4. Events that name them (the operator's log).
        let me = Value::from(owner);
        self.events.delete_where(|_, e| {
            e.data.get("ownerId") == Some(&me)
                || e.data
                    .get("owners")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.contains(&me))
        });

        // 5. Orders.
        out.orders = self.erase_orders(owner);

        // 6. Endpoints (and their queued notifications), their feed and events quoting
        //    them, escalation and identity records.
        let endpoints: BTreeSet<i64> = self
            .endpoints
            .rows
            .iter()
            .filter(|(_, e)| e.owner == Some(owner) || e.persona.is_some_and(|p| ids.contains(&p)))
            .map(|(id, _)| *id)
            .collect();
        out.notifications = count(
            &self
                .notifications
                .delete_where(|_, n| n.owner == Some(owner) || endpoints.contains(&n.endpoint)),
        );
        let feed: BTreeSet<i64> = self
            .feed
            .delete_where(|_, e| e.owner == owner || e.about == Some(owner))
            .into_iter()
            .collect();
        self.notifications
            .delete_where(|_, n| n.event.is_some_and(|e| feed.contains(&e)));
        out.endpoints = count(&self.endpoints.delete_where(|id, _| endpoints.contains(&id)));
        self.health.retain(|id, _| !endpoints.contains(id));
        let before = self.consents.len();
        self.consents.retain(|(_, o), _| *o != owner);
        out.consents = (before - self.consents.len()) as u64;
        out.invites = count(&self.invites.delete_where(|_, i| i.owner == owner));
        let sessions: BTreeSet<String> = self
            .checks
            .iter()
            .filter(|(_, c)| c.owner == owner)
            .map(|(s, _)| s.clone())
            .collect();
        let before = self.webhooks.len() + self.checks.len() + self.logins.len();
        self.webhooks
            .retain(|(s, _, _, _), _| !sessions.contains(s));
        self.checks.retain(|s, _| !sessions.contains(s));
        self.logins.remove(&owner);
        out.identity_records =
            (before - self.webhooks.len() - self.checks.len() - self.logins.len()) as u64;

        // 7. Their personas (freeing their cap slots), docs, and the owner.
        self.admitted = (self.admitted - admitted).max(0);
        for id in &ids {
            self.delete_persona_row(*id);
        }
        out.personas = ids.len() as u64;
        let docs: BTreeSet<i64> = self
            .hearts
            .delete_where(|_, h| h.owner == owner)
            .into_iter()
            .collect();
        self.log.delete_where(|_, l| {
            l.target_type == "heart_file" && l.target_id.is_some_and(|t| docs.contains(&t))
        });
        out.docs = docs.len() as u64;
        self.owners.rows.remove(&owner);
        // `couples.ended_by` is `ON DELETE SET NULL`.
        for c in self.couples.rows.values_mut() {
            if c.ended_by == Some(owner) {
                c.ended_by = None;
            }
        }
        Ok(Some(ErasedOwner { counts: out, ended }))
    }
}

#[async_trait]
impl ErasureStore for MemoryStore {
    async fn erase_owner(
        &self,
        owner: OwnerId,
        tag: String,
        at: OffsetDateTime,
    ) -> Result<Option<ErasedOwner>, StoreError> {
        self.lock().erase(owner.0, &tag, at)
    }
}
