//! Couples, courtship, the beat's reads and writes, and the notification outbox.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bytea, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    CoupleId, CoupleMember, CoupleState, CoupleSummary, CoupleView, EndpointId, EndpointSummary,
    NewTurn, OwnerId, OwnerOverview, PersonaId, PersonaStatus, PersonaSummary, Tier, TurnId,
};
use ishtar_domain::notify::Delivery;
use ishtar_domain::ports::{
    BeatLease, CoupleStore, EligiblePersona, HeldPersona, MatchStore, Outbox,
};

use crate::schema::{
    agent_endpoints, beats, board_posts, couples, embeddings, heart_files, notifications, owners,
    personas, turns,
};
use crate::store::{PgStore, db_err};

/// The advisory lock key of the beat ("ISHTAR" in ASCII, as a number).
const BEAT_LOCK_KEY: i64 = 0x4953_4854_4152;

/// How long a claimed notification is leased before another worker may retry it.
const DELIVERY_LEASE_S: i64 = 60;

/// Vectors are stored as little-endian f32.
pub fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`encode_vector`].
pub fn decode_vector(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

type PooledConn =
    diesel_async::pooled_connection::deadpool::Object<diesel_async::AsyncPgConnection>;

/// Holds the session-level advisory lock on a pooled connection; releases it on drop.
struct PgBeatLease {
    conn: Option<PooledConn>,
}

impl BeatLease for PgBeatLease {}

impl Drop for PgBeatLease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(async move {
                    let mut conn = conn;
                    if diesel::sql_query(format!("SELECT pg_advisory_unlock({BEAT_LOCK_KEY})"))
                        .execute(&mut conn)
                        .await
                        .is_err()
                    {
                        // Closing the session releases the lock too.
                        drop(PooledConn::take(conn));
                    }
                });
            }
            Err(_) => drop(PooledConn::take(conn)),
        }
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

#[async_trait]
impl MatchStore for PgStore {
    async fn try_lock_beat(&self) -> Result<Option<Box<dyn BeatLease>>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Locked = diesel::sql_query(format!(
            "SELECT pg_try_advisory_lock({BEAT_LOCK_KEY}) AS locked"
        ))
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(row
            .locked
            .then(|| Box::new(PgBeatLease { conn: Some(conn) }) as Box<dyn BeatLease>))
    }

    async fn held_personas(&self, limit: u32) -> Result<Vec<HeldPersona>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(i64, String, serde_json::Value)> = personas::table
            .filter(personas::status.eq(PersonaStatus::Held.as_str()))
            .order(personas::id)
            .limit(i64::from(limit))
            .select((personas::id, personas::handle, personas::heart))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, handle, heart)| HeldPersona {
                id: PersonaId(id),
                handle,
                heart,
            })
            .collect())
    }

    async fn resolve_held(
        &self,
        id: PersonaId,
        status: PersonaStatus,
        reason: String,
        _at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(
            personas::table
                .find(id.0)
                .filter(personas::status.eq(PersonaStatus::Held.as_str())),
        )
        .set((
            personas::status.eq(status.as_str()),
            personas::reason.eq(reason),
        ))
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(db_err)
    }

    async fn pending_personas(&self, limit: u32) -> Result<Vec<PersonaId>, StoreError> {
        let mut conn = self.conn().await?;
        personas::table
            .filter(personas::status.eq(PersonaStatus::Pending.as_str()))
            .order((personas::created_at, personas::id))
            .limit(i64::from(limit))
            .select(personas::id)
            .load::<i64>(&mut conn)
            .await
            .map(|v| v.into_iter().map(PersonaId).collect())
            .map_err(db_err)
    }

    async fn hearts_missing_embedding(
        &self,
        model: String,
        limit: u32,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            heart_hash: String,
            #[diesel(sql_type = Jsonb)]
            heart: serde_json::Value,
        }
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT DISTINCT ON (p.heart_hash) p.heart_hash, p.heart FROM personas p \
             WHERE p.status = 'admitted' AND NOT EXISTS \
               (SELECT 1 FROM embeddings e WHERE e.heart_hash = p.heart_hash AND e.model = $1) \
             ORDER BY p.heart_hash LIMIT $2",
        )
        .bind::<Text, _>(model)
        .bind::<BigInt, _>(i64::from(limit))
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|r| (r.heart_hash, r.heart)).collect())
    }

    async fn save_embeddings(
        &self,
        model: String,
        rows: Vec<(String, Vec<f32>)>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let values: Vec<_> = rows
            .iter()
            .map(|(hash, v)| {
                (
                    embeddings::heart_hash.eq(hash.as_str()),
                    embeddings::model.eq(model.as_str()),
                    embeddings::dims.eq(i32::try_from(v.len()).unwrap_or(i32::MAX)),
                    embeddings::vector.eq(encode_vector(v)),
                    embeddings::created_at.eq(at),
                )
            })
            .collect();
        let mut conn = self.conn().await?;
        diesel::insert_into(embeddings::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn eligible_personas(&self) -> Result<Vec<EligiblePersona>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Nullable<BigInt>)]
            owner_id: Option<i64>,
            #[diesel(sql_type = Text)]
            handle: String,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            redteam: bool,
            #[diesel(sql_type = Text)]
            home_market: String,
            #[diesel(sql_type = Text)]
            active_market: String,
            #[diesel(sql_type = Jsonb)]
            heart: serde_json::Value,
            #[diesel(sql_type = Text)]
            heart_hash: String,
            #[diesel(sql_type = Timestamptz)]
            admitted_at: OffsetDateTime,
        }
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT p.id, p.owner_id, p.handle, p.redteam, p.home_market, p.active_market, p.heart, \
                    p.heart_hash, COALESCE(p.admitted_at, p.created_at) AS admitted_at \
             FROM personas p \
             WHERE p.status = 'admitted' AND NOT EXISTS ( \
               SELECT 1 FROM couples c WHERE (c.persona_a = p.id OR c.persona_b = p.id) \
                 AND c.state IN ('courting', 'committed')) \
             ORDER BY COALESCE(p.admitted_at, p.created_at), p.id",
        )
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| EligiblePersona {
                id: PersonaId(r.id),
                owner: r.owner_id.map(OwnerId),
                handle: r.handle,
                redteam: r.redteam,
                home_market: r.home_market,
                active_market: r.active_market,
                heart: r.heart,
                heart_hash: r.heart_hash,
                admitted_at: r.admitted_at,
            })
            .collect())
    }

    async fn embeddings(
        &self,
        model: String,
        hashes: Vec<String>,
    ) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, Vec<u8>)> = embeddings::table
            .filter(embeddings::model.eq(model))
            .filter(embeddings::heart_hash.eq_any(hashes))
            .select((embeddings::heart_hash, embeddings::vector))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(h, b)| (h, decode_vector(&b)))
            .collect())
    }

    async fn past_pairs(&self) -> Result<Vec<(PersonaId, PersonaId)>, StoreError> {
        let mut conn = self.conn().await?;
        couples::table
            .select((couples::persona_a, couples::persona_b))
            .load::<(i64, i64)>(&mut conn)
            .await
            .map(|v| {
                v.into_iter()
                    .map(|(a, b)| (PersonaId(a), PersonaId(b)))
                    .collect()
            })
            .map_err(db_err)
    }

    async fn create_couple(
        &self,
        a: PersonaId,
        b: PersonaId,
        cycle: String,
        similarity: Option<f32>,
        at: OffsetDateTime,
    ) -> Result<Option<CoupleId>, StoreError> {
        let (lo, hi) = if a.0 < b.0 { (a.0, b.0) } else { (b.0, a.0) };
        let cycle = uuid::Uuid::parse_str(&cycle).ok();
        let mut conn = self.conn().await?;
        diesel::insert_into(couples::table)
            .values((
                couples::persona_a.eq(lo),
                couples::persona_b.eq(hi),
                couples::created_at.eq(at),
                couples::cycle_id.eq(cycle),
                couples::similarity.eq(similarity),
            ))
            .on_conflict_do_nothing()
            .returning(couples::id)
            .get_result::<i64>(&mut conn)
            .await
            .optional()
            .map(|o| o.map(CoupleId))
            .map_err(db_err)
    }

    async fn record_beat(
        &self,
        cycle: String,
        trigger: &'static str,
        pairs: i32,
        created: i32,
        started: OffsetDateTime,
        finished: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = uuid::Uuid::parse_str(&cycle).map_err(StoreError::unavailable)?;
        let mut conn = self.conn().await?;
        diesel::insert_into(beats::table)
            .values((
                beats::id.eq(id),
                beats::trigger.eq(trigger),
                beats::pairs.eq(pairs),
                beats::created.eq(created),
                beats::started_at.eq(started),
                beats::finished_at.eq(finished),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}

#[async_trait]
impl CoupleStore for PgStore {
    async fn couple(&self, id: CoupleId) -> Result<Option<CoupleView>, StoreError> {
        let mut conn = self.conn().await?;
        let Some((a, b, state)) = couples::table
            .find(id.0)
            .select((couples::persona_a, couples::persona_b, couples::state))
            .first::<(i64, i64, String)>(&mut conn)
            .await
            .optional()
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let members: Vec<(i64, Option<i64>, String)> = personas::table
            .filter(personas::id.eq_any([a, b]))
            .select((personas::id, personas::owner_id, personas::handle))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        let member = |pid: i64| {
            members
                .iter()
                .find(|m| m.0 == pid)
                .map(|(id, owner, handle)| CoupleMember {
                    persona: PersonaId(*id),
                    owner: owner.map(OwnerId),
                    handle: handle.clone(),
                })
        };
        let (Some(ma), Some(mb)) = (member(a), member(b)) else {
            return Ok(None);
        };
        Ok(Some(CoupleView {
            id,
            state: CoupleState::parse(&state).unwrap_or(CoupleState::Ended),
            a: ma,
            b: mb,
        }))
    }

    async fn has_active_endpoint(&self, owner: OwnerId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        diesel::select(diesel::dsl::exists(
            agent_endpoints::table
                .filter(agent_endpoints::owner_id.eq(owner.0))
                .filter(agent_endpoints::status.eq("active")),
        ))
        .get_result(&mut conn)
        .await
        .map_err(db_err)
    }

    async fn insert_turn(&self, t: NewTurn, at: OffsetDateTime) -> Result<TurnId, StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(turns::table)
            .values((
                turns::couple_id.eq(t.couple.0),
                turns::author_persona_id.eq(t.author_persona.map(|p| p.0)),
                turns::author.eq(t.author),
                turns::body.eq(t.body),
                turns::status.eq(t.status.as_str()),
                turns::reason.eq(t.reason),
                turns::created_at.eq(at),
            ))
            .returning(turns::id)
            .get_result::<i64>(&mut conn)
            .await
            .map(TurnId)
            .map_err(db_err)
    }

    async fn end_couple(
        &self,
        id: CoupleId,
        by: OwnerId,
        at: OffsetDateTime,
    ) -> Result<CoupleState, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let ended = diesel::update(
                couples::table
                    .find(id.0)
                    .filter(couples::state.eq(CoupleState::Courting.as_str())),
            )
            .set((
                couples::state.eq(CoupleState::Ended.as_str()),
                couples::ended_at.eq(at),
                couples::ended_by.eq(by.0),
            ))
            .execute(c)
            .await?;
            if ended == 1 {
                return Ok(CoupleState::Ended);
            }
            let state: String = couples::table
                .find(id.0)
                .select(couples::state)
                .get_result(c)
                .await?;
            Ok::<_, DieselError>(CoupleState::parse(&state).unwrap_or(CoupleState::Ended))
        })
        .await
        .map_err(db_err)
    }

    async fn owner_overview(&self, owner: OwnerId) -> Result<Option<OwnerOverview>, StoreError> {
        #[derive(QueryableByName)]
        struct CoupleRow {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            state: String,
            #[diesel(sql_type = BigInt)]
            persona: i64,
            #[diesel(sql_type = Text)]
            partner_handle: String,
            #[diesel(sql_type = Timestamptz)]
            created_at: OffsetDateTime,
        }
        let mut conn = self.conn().await?;
        let Some(tier) = owners::table
            .find(owner.0)
            .select(owners::tier)
            .first::<String>(&mut conn)
            .await
            .optional()
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let doc_version: Option<i32> = heart_files::table
            .filter(heart_files::owner_id.eq(owner.0))
            .select(diesel::dsl::max(heart_files::version))
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        let ps: Vec<(i64, String, String, String)> = personas::table
            .filter(personas::owner_id.eq(owner.0))
            .order(personas::id)
            .select((
                personas::id,
                personas::handle,
                personas::status,
                personas::reason,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        let es: Vec<(i64, String, String, Option<String>)> = agent_endpoints::table
            .filter(agent_endpoints::owner_id.eq(owner.0))
            .order(agent_endpoints::id)
            .select((
                agent_endpoints::id,
                agent_endpoints::runtime,
                agent_endpoints::status,
                agent_endpoints::callback_url,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        let cs: Vec<CoupleRow> = diesel::sql_query(
            "SELECT c.id, c.state, me.id AS persona, other.handle AS partner_handle, c.created_at \
             FROM couples c \
             JOIN personas me ON me.id IN (c.persona_a, c.persona_b) AND me.owner_id = $1 \
             JOIN personas other ON other.id IN (c.persona_a, c.persona_b) AND other.id <> me.id \
             ORDER BY c.id",
        )
        .bind::<BigInt, _>(owner.0)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(Some(OwnerOverview {
            owner_id: owner,
            tier: Tier::parse(&tier).unwrap_or(Tier::AgentRepresented),
            doc_version,
            personas: ps
                .into_iter()
                .map(|(id, handle, status, reason)| PersonaSummary {
                    id: PersonaId(id),
                    handle,
                    status,
                    reason,
                })
                .collect(),
            endpoints: es
                .into_iter()
                .map(|(id, runtime, status, cb)| EndpointSummary {
                    id: EndpointId(id),
                    runtime,
                    status,
                    has_callback: cb.is_some(),
                })
                .collect(),
            couples: cs
                .into_iter()
                .map(|r| CoupleSummary {
                    id: CoupleId(r.id),
                    state: r.state,
                    persona: PersonaId(r.persona),
                    partner_handle: r.partner_handle,
                    created_at: r.created_at,
                })
                .collect(),
        }))
    }
}

#[async_trait]
impl Outbox for PgStore {
    async fn enqueue(
        &self,
        personas: Vec<PersonaId>,
        kind: &'static str,
        payload: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let ids: Vec<i64> = personas.iter().map(|p| p.0).collect();
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "INSERT INTO notifications (endpoint_id, owner_id, kind, payload, next_attempt_at, created_at) \
             SELECT DISTINCT e.id, e.owner_id, $2, $3, $4, $4 \
             FROM agent_endpoints e JOIN personas p \
               ON e.persona_id = p.id OR (e.owner_id IS NOT NULL AND e.owner_id = p.owner_id) \
             WHERE p.id = ANY($1) AND e.status = 'active' AND e.callback_url IS NOT NULL \
               AND e.callback_secret_enc IS NOT NULL",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Text, _>(kind)
        .bind::<Jsonb, _>(payload)
        .bind::<Timestamptz, _>(at)
        .execute(&mut conn)
        .await
        .map_err(db_err)
    }

    async fn post_board(
        &self,
        board: String,
        handle: String,
        body: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(board_posts::table)
            .values((
                board_posts::board.eq(board),
                board_posts::handle.eq(handle),
                board_posts::body.eq(body),
                board_posts::status.eq("published"),
                board_posts::created_at.eq(at),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn claim_due(
        &self,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<Delivery>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Jsonb)]
            payload: serde_json::Value,
            #[diesel(sql_type = Int4)]
            attempts: i32,
            #[diesel(sql_type = Nullable<Text>)]
            callback_url: Option<String>,
            #[diesel(sql_type = Nullable<Bytea>)]
            secret: Option<Vec<u8>>,
        }
        let lease = now + time::Duration::seconds(DELIVERY_LEASE_S);
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(
            "WITH due AS ( \
               SELECT id FROM notifications \
               WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
               ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE notifications n SET next_attempt_at = $3 FROM due, agent_endpoints e \
             WHERE n.id = due.id AND e.id = n.endpoint_id \
             RETURNING n.id, n.payload, n.attempts, e.callback_url, e.callback_secret_enc AS secret",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(i64::from(limit))
        .bind::<Timestamptz, _>(lease)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let secret = r.secret.as_deref().and_then(|s| self.cipher().open(s).ok());
            match (r.callback_url, secret) {
                (Some(url), Some(secret)) => out.push(Delivery {
                    id: r.id,
                    url,
                    secret: secret.into_bytes(),
                    payload: r.payload,
                    attempts: r.attempts,
                }),
                // The endpoint lost its callback (or its secret cannot be opened): give up.
                _ => {
                    diesel::update(notifications::table.find(r.id))
                        .set((
                            notifications::failed_at.eq(now),
                            notifications::last_error.eq("endpoint has no usable callback"),
                        ))
                        .execute(&mut conn)
                        .await
                        .map_err(db_err)?;
                }
            }
        }
        Ok(out)
    }

    async fn mark_delivered(&self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(notifications::table.find(id))
            .set((
                notifications::delivered_at.eq(at),
                notifications::attempts.eq(notifications::attempts + 1),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn mark_retry(
        &self,
        id: i64,
        attempts: i32,
        next: OffsetDateTime,
        error: String,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(notifications::table.find(id))
            .set((
                notifications::attempts.eq(attempts),
                notifications::next_attempt_at.eq(next),
                notifications::last_error.eq(error),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn mark_failed(
        &self,
        id: i64,
        attempts: i32,
        error: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(notifications::table.find(id))
            .set((
                notifications::attempts.eq(attempts),
                notifications::failed_at.eq(at),
                notifications::last_error.eq(error),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}
