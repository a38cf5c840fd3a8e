//! Owners and their docs, agent endpoints, boards, reports, settings and the small logs
//! (the Postgres store's `store.rs` and `reads.rs`).

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    BoardPost, CoupleId, CourtshipTurn, Endpoint, EndpointId, EndpointStatus, HeartFileId,
    HeartFileSaved, LatestHeart, NewEndpoint, NewHeartFile, NewReport, OwnerId, PersonaId,
    PersonaStatus, ReportTarget, Tier, TurnId, TurnStatus,
};
use ishtar_domain::ports::{
    AgentStore, BoardStore, ChaperoneEntry, ChaperoneLog, GeoLog, HealthProbe, NewPost, OwnerStore,
    Poster, ReportStore, SettingsStore,
};

use crate::MemoryStore;
use crate::state::{AgentEndpoint, HeartFile, Owner, Post, Report, State, doc_status, missing};

impl State {
    /// Stores the next version of `owner`'s doc with its verdict and log line.
    fn insert_heart(
        &mut self,
        owner: i64,
        version: i32,
        h: NewHeartFile,
        log: &ChaperoneEntry,
    ) -> i64 {
        let id = self.hearts.insert(HeartFile {
            owner,
            version,
            home_market: h.home_market,
            active_market: h.active_market,
            contact_ref: h.contact_ref,
            heart: h.heart,
            heart_hash: h.heart_hash,
            status: doc_status(log),
            reason: log.reason.clone(),
        });
        self.record_log(log, Some(id));
        id
    }
}

#[async_trait]
impl OwnerStore for MemoryStore {
    async fn create_owner(
        &self,
        token_hash: Vec<u8>,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError> {
        let mut s = self.lock();
        if s.owners.rows.values().any(|o| o.token_hash == token_hash) {
            return Err(StoreError::Conflict("unique"));
        }
        let owner = s.owners.insert(Owner {
            tier: Tier::NEW_OWNER,
            token_hash,
            created_at: at,
        });
        let hf = s.insert_heart(owner, 1, heart, &log);
        Ok(HeartFileSaved::new_owner(OwnerId(owner), HeartFileId(hf)))
    }

    async fn add_heart_version(
        &self,
        owner: OwnerId,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        _at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError> {
        let mut s = self.lock();
        let tier = s.owners.get(owner.0).ok_or(StoreError::NotFound)?.tier;
        let version = s.latest_heart(owner.0).map_or(0, |(_, h)| h.version) + 1;
        let hf = s.insert_heart(owner.0, version, heart, &log);
        Ok(HeartFileSaved {
            owner_id: owner,
            heart_file_id: HeartFileId(hf),
            version,
            tier,
        })
    }

    async fn owner_by_token(&self, token_hash: Vec<u8>) -> Result<Option<OwnerId>, StoreError> {
        let s = self.lock();
        Ok(s.owners
            .rows
            .iter()
            .find(|(_, o)| o.token_hash == token_hash)
            .map(|(id, _)| OwnerId(*id)))
    }

    async fn owner_with_latest_heart(
        &self,
        token_hash: Vec<u8>,
    ) -> Result<Option<(OwnerId, Option<LatestHeart>)>, StoreError> {
        let s = self.lock();
        let Some(owner) = s
            .owners
            .rows
            .iter()
            .find(|(_, o)| o.token_hash == token_hash)
            .map(|(id, _)| *id)
        else {
            return Ok(None);
        };
        let latest = s.latest_heart(owner).map(|(id, h)| LatestHeart {
            heart_file_id: HeartFileId(id),
            version: h.version,
            home_market: h.home_market,
            active_market: h.active_market,
        });
        Ok(Some((OwnerId(owner), latest)))
    }
}

#[async_trait]
impl AgentStore for MemoryStore {
    async fn register_endpoint(
        &self,
        e: NewEndpoint,
        _at: OffsetDateTime,
    ) -> Result<EndpointId, StoreError> {
        let mut s = self.lock();
        if e.owner_id().is_some_and(|o| !s.owners.contains(o.0)) {
            return Err(missing("owner"));
        }
        if e.persona_id().is_some_and(|p| !s.personas.contains(p.0)) {
            return Err(missing("persona"));
        }
        let id = s.endpoints.insert(AgentEndpoint {
            owner: e.owner_id().map(|o| o.0),
            persona: e.persona_id().map(|p| p.0),
            runtime: e.runtime().as_str().to_owned(),
            callback_url: e.callback_url().map(str::to_owned),
            callback_secret: e.callback_secret().map(str::to_owned),
            key_address: e.key_address().map(str::to_owned),
            challenge_nonce: Some(e.challenge_nonce().to_owned()),
            status: EndpointStatus::Pending,
            verified_via: None,
        });
        Ok(EndpointId(id))
    }

    async fn endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError> {
        let s = self.lock();
        Ok(s.endpoints.get(id.0).map(|e| Endpoint {
            id,
            owner_id: e.owner.map(OwnerId),
            status: e.status,
            callback_url: e.callback_url.clone(),
            key_address: e.key_address.clone(),
            challenge_nonce: e.challenge_nonce.clone(),
            verified_via: e.verified_via.clone(),
        }))
    }

    async fn activate_endpoint(
        &self,
        id: EndpointId,
        via: &'static str,
        _at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        if let Some(e) = s
            .endpoints
            .get_mut(id.0)
            .filter(|e| e.status == EndpointStatus::Pending)
        {
            e.status = EndpointStatus::Active;
            e.verified_via = Some(via.to_owned());
        }
        Ok(())
    }
}

#[async_trait]
impl BoardStore for MemoryStore {
    async fn courtship_turns(
        &self,
        couple: Option<CoupleId>,
        before: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<CourtshipTurn>, StoreError> {
        let s = self.lock();
        let before = before.map_or(i64::MAX, |b| b.0);
        Ok(s.turns
            .rows
            .range(..before)
            .rev()
            .filter(|(_, t)| t.status == TurnStatus::Published)
            .filter(|(_, t)| couple.is_none_or(|c| c.0 == t.couple))
            .take(limit as usize)
            .map(|(id, t)| CourtshipTurn {
                id: TurnId(*id),
                couple: CoupleId(t.couple),
                author: t.author.clone(),
                body: t.body.clone(),
                created_at: t.created_at,
            })
            .collect())
    }

    async fn board_posts(
        &self,
        board: String,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<BoardPost>, StoreError> {
        let s = self.lock();
        Ok(s.posts
            .rows
            .range(..before.unwrap_or(i64::MAX))
            .rev()
            .filter(|(_, p)| p.board == board)
            .take(limit as usize)
            .map(|(id, p)| BoardPost {
                id: *id,
                handle: p.handle.clone(),
                body: p.body.clone(),
                created_at: p.created_at,
            })
            .collect())
    }

    async fn poster(&self, persona: PersonaId) -> Result<Option<Poster>, StoreError> {
        let s = self.lock();
        Ok(s.personas.get(persona.0).map(|p| Poster {
            owner: p.owner.map(OwnerId),
            handle: p.handle.clone(),
            status: p.status,
        }))
    }

    async fn replace_post(
        &self,
        post: NewPost,
        at: OffsetDateTime,
    ) -> Result<Option<(i64, u64)>, StoreError> {
        let mut s = self.lock();
        let admitted = s
            .personas
            .get(post.persona.0)
            .is_some_and(|p| p.status == PersonaStatus::Admitted);
        if !admitted {
            return Ok(None);
        }
        let replaced = s
            .posts
            .delete_where(|_, p| p.persona == Some(post.persona.0) && p.board == post.board)
            .len();
        let id = s.posts.insert(Post {
            board: post.board.to_owned(),
            persona: Some(post.persona.0),
            couple: None,
            handle: post.handle,
            body: post.body,
            created_at: at,
        });
        Ok(Some((id, replaced as u64)))
    }
}

#[async_trait]
impl ReportStore for MemoryStore {
    async fn file_report(&self, r: NewReport, _at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let id = r.target_id;
        let found = match r.target {
            ReportTarget::Persona => s.personas.contains(id),
            ReportTarget::Post => s.posts.contains(id),
            ReportTarget::Turn => s.turns.contains(id),
            ReportTarget::Couple => s.couples.contains(id),
        };
        if found {
            s.reports.insert(Report {
                target_type: r.target.as_str(),
                target_id: id,
            });
        }
        Ok(found)
    }
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn all(&self) -> Result<Vec<(String, String)>, StoreError> {
        let s = self.lock();
        Ok(s.settings
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect())
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let now = self.now();
        let mut s = self.lock();
        s.settings.insert(key.to_owned(), (value.to_owned(), now));
        Ok(())
    }
}

#[async_trait]
impl ChaperoneLog for MemoryStore {
    async fn record(&self, entry: ChaperoneEntry) -> Result<(), StoreError> {
        self.lock().record_log(&entry, None);
        Ok(())
    }
}

#[async_trait]
impl GeoLog for MemoryStore {
    async fn count_denial(&self, day: Date, country: String) -> Result<(), StoreError> {
        *self.lock().geo.entry((day, country)).or_insert(0) += 1;
        Ok(())
    }
}

#[async_trait]
impl HealthProbe for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        drop(self.lock());
        Ok(())
    }
}
