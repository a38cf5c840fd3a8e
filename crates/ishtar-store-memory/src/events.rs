//! Events per owner (docs/notifications.md "Events"), as `owner_events.rs` of the Postgres
//! store writes them: one feed row per event (its id is the id agents see, added to the
//! body) and one notification per active, callback-bearing endpoint of that owner.
//!
//! Ids are in commit order for free here: every writer holds the store's lock.

use serde_json::Value;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{EndpointStatus, PersonaId};
use ishtar_domain::ports::EventRow;

use crate::state::{FeedEvent, Notification, State, missing};

impl State {
    /// Writes `rows` in order: each resolved to its owner (a persona without one, or gone,
    /// is dropped), numbered, its id added to the body as `id`, and queued for each of
    /// the owner's active, callback-bearing endpoints. With `one_per_owner` an owner named
    /// twice gets it once. Returns the notifications queued.
    ///
    /// # Errors
    /// An owner named directly that does not exist (a foreign key in Postgres); nothing
    /// is written then.
    pub fn insert_events(
        &mut self,
        rows: &[EventRow<'_>],
        one_per_owner: bool,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let owner_of = |s: &Self, p: Option<PersonaId>| p.and_then(|p| s.personas.get(p.0)?.owner);
        let mut resolved: Vec<(i64, Option<i64>, &Value)> = Vec::new();
        for r in rows {
            let Some(owner) = r.owner.map(|o| o.0).or_else(|| owner_of(self, r.persona)) else {
                continue;
            };
            if !self.owners.contains(owner) {
                return Err(missing("owner"));
            }
            if one_per_owner && resolved.iter().any(|(o, _, _)| *o == owner) {
                continue;
            }
            let about = r
                .about
                .map(|o| o.0)
                .or_else(|| owner_of(self, r.about_persona));
            resolved.push((owner, about.filter(|a| *a != owner), r.body));
        }
        let mut queued = 0;
        for (owner, about, body) in resolved {
            let id = self.feed.next_id();
            let mut payload = body.clone();
            if let Value::Object(map) = &mut payload {
                map.insert("id".into(), Value::from(id));
            }
            let endpoints: Vec<i64> = self
                .endpoints
                .rows
                .iter()
                .filter(|(_, e)| {
                    e.owner == Some(owner)
                        && e.status == EndpointStatus::Active
                        && e.callback_url.is_some()
                        && e.callback_secret.is_some()
                })
                .map(|(id, _)| *id)
                .collect();
            for endpoint in endpoints {
                self.notifications.insert(Notification {
                    endpoint,
                    owner: Some(owner),
                    event: Some(id),
                    payload: payload.clone(),
                    attempts: 0,
                    next_attempt_at: at,
                    delivered_at: None,
                    failed_at: None,
                    last_error: None,
                    claim_token: None,
                    claimed_until: None,
                });
                queued += 1;
            }
            self.feed.insert_at(
                id,
                FeedEvent {
                    owner,
                    about,
                    payload,
                    created_at: at,
                },
            );
        }
        Ok(queued)
    }
}
