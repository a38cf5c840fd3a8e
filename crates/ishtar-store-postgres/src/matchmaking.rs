//! Couples, courtship, and the beat's reads and writes.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bytea, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    CoupleId, CoupleMember, CoupleState, CoupleSummary, CoupleView, EndpointId, EndpointStatus,
    EndpointSummary, HeartFileId, NewTurn, OwnerId, OwnerOverview, PersonaId, PersonaStatus,
    PersonaSummary, Tier, TurnId,
};
use ishtar_domain::ports::{
    BeatLease, BeatRecord, BeatWritten, ChaperoneEntry, CoupleStore, EligiblePersona, EventRow,
    HeldDoc, HeldPersona, MatchStore, NewCouple, ProfileSource,
};
use ishtar_domain::states::{CoupleEvent, PersonaEvent, StateMachine};

use crate::owner_events::insert_events;
use crate::schema::{
    agent_endpoints, beats, chaperone_log, couples, embeddings, heart_files, owners, personas,
    turns,
};
use crate::store::{PgStore, db_err};

/// The advisory lock key of the beat ("ISHTAR" in ASCII, as a number).
const BEAT_LOCK_KEY: i64 = 0x4953_4854_4152;

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
        let rows: Vec<(i64, String, serde_json::Value, String)> = personas::table
            .filter(personas::status.eq(PersonaStatus::Held.as_str()))
            .order(personas::id)
            .limit(i64::from(limit))
            .select((
                personas::id,
                personas::handle,
                personas::heart,
                personas::heart_hash,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, handle, heart, heart_hash)| HeldPersona {
                id: PersonaId(id),
                handle,
                heart,
                heart_hash,
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
        let from = PersonaStatus::source_names(PersonaEvent::rescreen(status));
        let mut conn = self.conn().await?;
        diesel::update(
            personas::table
                .find(id.0)
                .filter(personas::status.eq_any(from))
                .filter(personas::heart_hash.eq(screened_hash)),
        )
        .set((
            personas::status.eq(status.as_str()),
            personas::reason.eq(reason),
        ))
        .execute(&mut conn)
        .await
        .map(|n| n == 1)
        .map_err(db_err)
    }

    async fn held_docs(&self, limit: u32) -> Result<Vec<HeldDoc>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(i64, serde_json::Value)> = heart_files::table
            .filter(heart_files::status.eq("held"))
            .order(heart_files::id)
            .limit(i64::from(limit))
            .select((heart_files::id, heart_files::heart))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, heart)| HeldDoc {
                id: HeartFileId(id),
                heart,
            })
            .collect())
    }

    async fn resolve_held_doc(
        &self,
        id: HeartFileId,
        allowed: bool,
        log: ChaperoneEntry,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let changed = diesel::update(
                heart_files::table
                    .find(id.0)
                    .filter(heart_files::status.eq("held")),
            )
            .set((
                heart_files::status.eq(if allowed { "allowed" } else { "denied" }),
                heart_files::reason.eq(&log.reason),
            ))
            .execute(c)
            .await?;
            if changed == 1 {
                diesel::insert_into(chaperone_log::table)
                    .values((
                        chaperone_log::surface.eq(log.surface.as_str()),
                        chaperone_log::target_type.eq(log.target_type),
                        chaperone_log::target_id.eq(id.0),
                        chaperone_log::verdict.eq(log.verdict),
                        chaperone_log::reason.eq(&log.reason),
                        chaperone_log::created_at.eq(log.at),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok::<_, DieselError>(())
        })
        .await
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

    async fn eligible_personas(&self) -> Result<Vec<EligiblePersona>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = BigInt)]
            owner_id: i64,
            #[diesel(sql_type = Text)]
            handle: String,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            redteam: bool,
            #[diesel(sql_type = Text)]
            active_market: String,
            #[diesel(sql_type = Nullable<Jsonb>)]
            own_prefs: Option<serde_json::Value>,
            #[diesel(sql_type = Nullable<Jsonb>)]
            doc_prefs: Option<serde_json::Value>,
            #[diesel(sql_type = Nullable<Text>)]
            doc_hash: Option<String>,
            #[diesel(sql_type = Text)]
            heart_hash: String,
        }
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(ELIGIBLE)
            .bind::<Text, _>(PersonaStatus::Admitted.as_str())
            .bind::<Text, _>(EndpointStatus::Active.as_str())
            .bind::<Array<Text>, _>(CoupleState::pairing_names())
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| EligiblePersona {
                id: PersonaId(r.id),
                owner: OwnerId(r.owner_id),
                handle: r.handle,
                redteam: r.redteam,
                active_market: r.active_market,
                own_prefs: r.own_prefs,
                doc_prefs: r.doc_prefs,
                doc_hash: r.doc_hash,
                heart_hash: r.heart_hash,
            })
            .collect())
    }

    async fn profile_sources(&self, ids: Vec<PersonaId>) -> Result<Vec<ProfileSource>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Nullable<Jsonb>)]
            doc: Option<serde_json::Value>,
            #[diesel(sql_type = Jsonb)]
            heart: serde_json::Value,
        }
        let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT p.id, d.heart AS doc, p.heart FROM personas p \
             LEFT JOIN LATERAL (SELECT h.heart FROM heart_files h \
               WHERE h.owner_id = p.owner_id AND h.status = 'allowed' \
               ORDER BY h.version DESC LIMIT 1) d ON TRUE \
             WHERE p.id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(ids)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| ProfileSource {
                persona: PersonaId(r.id),
                doc: r.doc,
                heart: r.heart,
            })
            .collect())
    }

    async fn embeddings(
        &self,
        model: String,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, Vec<u8>)> = embeddings::table
            .filter(embeddings::model.eq(model))
            .filter(embeddings::heart_hash.eq_any(keys))
            .select((embeddings::heart_hash, embeddings::vector))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(h, b)| (h, decode_vector(&b)))
            .collect())
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
        let mut conn = self.conn().await?;
        for chunk in rows.chunks(4096) {
            let keys: Vec<&str> = chunk.iter().map(|(k, _)| k.as_str()).collect();
            let dims: Vec<i32> = chunk
                .iter()
                .map(|(_, v)| i32::try_from(v.len()).unwrap_or(i32::MAX))
                .collect();
            let vectors: Vec<Vec<u8>> = chunk.iter().map(|(_, v)| encode_vector(v)).collect();
            diesel::sql_query(
                "INSERT INTO embeddings (heart_hash, model, dims, vector, created_at) \
                 SELECT k, $2, d, v, $5 FROM unnest($1::text[], $3::int4[], $4::bytea[]) AS t(k, d, v) \
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Array<Text>, _>(keys)
            .bind::<Text, _>(&model)
            .bind::<Array<Int4>, _>(dims)
            .bind::<Array<Bytea>, _>(vectors)
            .bind::<Timestamptz, _>(at)
            .execute(&mut conn)
            .await
            .map_err(db_err)?;
        }
        Ok(())
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

    async fn reserve_couple_ids(&self, n: usize) -> Result<Vec<CoupleId>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('couples', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(i64::try_from(n).unwrap_or(i64::MAX))
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|r| CoupleId(r.id)).collect())
    }

    async fn write_beat(
        &self,
        cycle: String,
        couples: Vec<NewCouple>,
        at: OffsetDateTime,
    ) -> Result<BeatWritten, StoreError> {
        if couples.is_empty() {
            return Ok(BeatWritten::default());
        }
        let cycle = uuid::Uuid::parse_str(&cycle).ok();
        let mut conn = self.conn().await?;
        conn.transaction(async |c| write_couples(c, cycle, &couples, at).await)
            .await
            .map_err(db_err)
    }

    async fn record_beat(&self, r: BeatRecord) -> Result<(), StoreError> {
        let id = uuid::Uuid::parse_str(&r.cycle).map_err(StoreError::unavailable)?;
        let stages = serde_json::Value::Array(
            r.stages
                .iter()
                .map(|(name, ms)| serde_json::json!([name, ms]))
                .collect(),
        );
        let mut conn = self.conn().await?;
        diesel::insert_into(beats::table)
            .values((
                beats::id.eq(id),
                beats::trigger.eq(&r.trigger),
                beats::pairs.eq(r.pairs),
                beats::created.eq(r.created),
                beats::started_at.eq(r.started),
                beats::finished_at.eq(r.finished),
                beats::semantic.eq(r.semantic),
                beats::eligible.eq(r.eligible),
                beats::embedded.eq(r.embedded),
                beats::embed_failed.eq(r.embed_failed),
                beats::skipped.eq(r.skipped),
                beats::stages.eq(stages),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn recent_beats(&self, limit: u32) -> Result<Vec<BeatRecord>, StoreError> {
        type Row = (
            uuid::Uuid,
            String,
            i32,
            i32,
            OffsetDateTime,
            OffsetDateTime,
            bool,
            i32,
            i32,
            i32,
            i32,
            serde_json::Value,
        );
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = beats::table
            .order(beats::started_at.desc())
            .limit(i64::from(limit))
            .select((
                beats::id,
                beats::trigger,
                beats::pairs,
                beats::created,
                beats::started_at,
                beats::finished_at,
                beats::semantic,
                beats::eligible,
                beats::embedded,
                beats::embed_failed,
                beats::skipped,
                beats::stages,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| BeatRecord {
                cycle: r.0.to_string(),
                trigger: r.1,
                pairs: r.2,
                created: r.3,
                started: r.4,
                finished: r.5,
                semantic: r.6,
                eligible: r.7,
                embedded: r.8,
                embed_failed: r.9,
                skipped: r.10,
                stages: r
                    .11
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| {
                                Some((s.get(0)?.as_str()?.to_owned(), s.get(1)?.as_u64()?))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }
}

/// The eligible personas (docs/matcher.md): admitted (`$1`), with an owner who has at
/// least one verified (active, `$2`) agent endpoint, and no couple that keeps it paired
/// (`$3`, [`CoupleState::pairing_names`]); with the filters and hashes of the owner's
/// latest allowed doc version.
const ELIGIBLE: &str = "\
SELECT p.id, p.owner_id, p.handle, p.redteam, p.active_market, \
       CASE WHEN jsonb_typeof(p.heart -> 'prefs') = 'object' THEN p.heart -> 'prefs' END AS own_prefs, \
       d.prefs AS doc_prefs, d.heart_hash AS doc_hash, p.heart_hash \
FROM personas p \
LEFT JOIN LATERAL (SELECT h.heart -> 'prefs' AS prefs, h.heart_hash FROM heart_files h \
    WHERE h.owner_id = p.owner_id AND h.status = 'allowed' \
    ORDER BY h.version DESC LIMIT 1) d ON TRUE \
WHERE p.status = $1 AND p.owner_id IS NOT NULL \
  AND EXISTS (SELECT 1 FROM agent_endpoints e WHERE e.owner_id = p.owner_id AND e.status = $2) \
  AND NOT EXISTS (SELECT 1 FROM couples c WHERE c.persona_a = p.id AND c.state = ANY($3)) \
  AND NOT EXISTS (SELECT 1 FROM couples c WHERE c.persona_b = p.id AND c.state = ANY($3)) \
ORDER BY COALESCE(p.admitted_at, p.created_at), p.id";

/// The rows of [`MatchStore::write_beat`], inside its transaction.
async fn write_couples(
    c: &mut AsyncPgConnection,
    cycle: Option<uuid::Uuid>,
    couples: &[NewCouple],
    at: OffsetDateTime,
) -> Result<BeatWritten, DieselError> {
    #[derive(QueryableByName)]
    struct Created {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let started = std::time::Instant::now();
    let ids: Vec<i64> = couples.iter().map(|n| n.id.0).collect();
    let lo: Vec<i64> = couples.iter().map(|n| n.a.0.min(n.b.0)).collect();
    let hi: Vec<i64> = couples.iter().map(|n| n.a.0.max(n.b.0)).collect();
    let sims: Vec<Option<f32>> = couples.iter().map(|n| n.similarity).collect();
    let created: Vec<Created> = diesel::sql_query(
        // Both personas are re-checked here, in the writing transaction: one withdrawn,
        // erased or paired elsewhere since the beat read it is not paired.
        "INSERT INTO couples (id, persona_a, persona_b, created_at, cycle_id, similarity) \
         SELECT t.id, t.a, t.b, $4, $5, t.s \
         FROM unnest($1::int8[], $2::int8[], $3::int8[], $6::float4[]) AS t(id, a, b, s) \
         JOIN personas pa ON pa.id = t.a AND pa.status = $7 \
         JOIN personas pb ON pb.id = t.b AND pb.status = $7 \
         WHERE NOT EXISTS (SELECT 1 FROM couples c \
             WHERE c.state = ANY($8) \
               AND (c.persona_a IN (t.a, t.b) OR c.persona_b IN (t.a, t.b))) \
         ORDER BY t.id ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<BigInt>, _>(&lo)
    .bind::<Array<BigInt>, _>(&hi)
    .bind::<Timestamptz, _>(at)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(cycle)
    .bind::<Array<Nullable<diesel::sql_types::Float4>>, _>(&sims)
    .bind::<Text, _>(PersonaStatus::Admitted.as_str())
    .bind::<Array<Text>, _>(CoupleState::pairing_names())
    .load(c)
    .await?;
    let created: std::collections::HashSet<i64> = created.into_iter().map(|r| r.id).collect();
    let made: Vec<&NewCouple> = couples
        .iter()
        .filter(|n| created.contains(&n.id.0))
        .collect();
    if made.is_empty() {
        return Ok(BeatWritten::default());
    }
    let ids: Vec<i64> = made.iter().map(|n| n.id.0).collect();
    let gambits: Vec<&str> = made.iter().map(|n| n.gambit.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO turns (couple_id, author_persona_id, author, body, status, reason, created_at) \
         SELECT id, NULL, 'matchmaker', body, 'published', 'allowed', $3 \
         FROM unnest($1::int8[], $2::text[]) AS t(id, body)",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Text>, _>(&gambits)
    .bind::<Timestamptz, _>(at)
    .execute(c)
    .await?;
    let logs: Vec<&ChaperoneEntry> = made.iter().filter_map(|n| n.gambit_log.as_ref()).collect();
    if !logs.is_empty() {
        let targets: Vec<Option<i64>> = logs.iter().map(|l| l.target_id).collect();
        let verdicts: Vec<&str> = logs.iter().map(|l| l.verdict).collect();
        let reasons: Vec<&str> = logs.iter().map(|l| l.reason.as_str()).collect();
        let surfaces: Vec<&str> = logs.iter().map(|l| l.surface.as_str()).collect();
        let kinds: Vec<&str> = logs.iter().map(|l| l.target_type).collect();
        let times: Vec<OffsetDateTime> = logs.iter().map(|l| l.at).collect();
        diesel::sql_query(
            "INSERT INTO chaperone_log (surface, target_type, target_id, verdict, reason, created_at) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::timestamptz[])",
        )
        .bind::<Array<Text>, _>(&surfaces)
        .bind::<Array<Text>, _>(&kinds)
        .bind::<Array<Nullable<BigInt>>, _>(&targets)
        .bind::<Array<Text>, _>(&verdicts)
        .bind::<Array<Text>, _>(&reasons)
        .bind::<Array<Timestamptz>, _>(&times)
        .execute(c)
        .await?;
    }
    let lines: Vec<&str> = made.iter().map(|n| n.board_line.as_str()).collect();
    // Each board line carries its couple's id, so erasure finds it by id (docs/erasure.md).
    diesel::sql_query(
        "INSERT INTO board_posts (board, persona_id, couple_id, handle, body, status, created_at) \
         SELECT 'notifications', NULL, id, 'matchmaker', body, 'published', $3 \
         FROM unnest($1::int8[], $2::text[]) AS t(id, body)",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Text>, _>(&lines)
    .bind::<Timestamptz, _>(at)
    .execute(c)
    .await?;
    let couples_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

    let started = std::time::Instant::now();
    // Each member's `couple.formed` in its owner's feed and queued for its endpoints; the
    // body quotes the partner (profile, handle), so it is "about" the partner's owner
    // (docs/erasure.md). Last statement of the transaction: it holds the events lock only
    // until the commit (owner_events.rs).
    let rows = EventRow::couples_formed(&made, ishtar_domain::notify::kinds::COUPLE_FORMED);
    let queued = insert_events(c, &rows, false, at).await?;
    let notifications_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(BeatWritten {
        created: made.iter().map(|n| n.id).collect(),
        queued,
        couples_ms,
        notifications_ms,
    })
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
                .filter(agent_endpoints::status.eq(EndpointStatus::Active.as_str())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(db_err)
    }

    async fn insert_turn(&self, t: NewTurn, at: OffsetDateTime) -> Result<TurnId, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // The id is taken under the couple's row lock, so a couple's turns commit in id
            // order and a reader's `since` cursor never skips one (reads.rs).
            couples::table
                .find(t.couple.0)
                .select(couples::id)
                .for_no_key_update()
                .first::<i64>(c)
                .await?;
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
                .get_result::<i64>(c)
                .await
        })
        .await
        .map(TurnId)
        .map_err(db_err)
    }

    async fn couple_facts(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        partner: PersonaId,
    ) -> Result<Option<ishtar_domain::ports::CoupleFacts>, StoreError> {
        crate::reads::couple_facts(self, couple, viewer, partner).await
    }

    async fn couple_turns(
        &self,
        couple: CoupleId,
        viewer: PersonaId,
        since: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<ishtar_domain::ports::CoupleTurn>, StoreError> {
        crate::reads::couple_turns(self, couple, viewer, since, limit).await
    }

    async fn end_couple(
        &self,
        id: CoupleId,
        by: OwnerId,
        at: OffsetDateTime,
    ) -> Result<CoupleState, StoreError> {
        let end = CoupleEvent::EndedBySide;
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let ended = diesel::update(
                couples::table
                    .find(id.0)
                    .filter(couples::state.eq_any(end.source_names())),
            )
            .set((
                couples::state.eq(end.outcome().as_str()),
                couples::ended_at.eq(at),
                couples::ended_by.eq(by.0),
            ))
            .execute(c)
            .await?;
            if ended == 1 {
                return Ok(end.outcome());
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
