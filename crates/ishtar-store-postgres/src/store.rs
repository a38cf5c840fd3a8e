//! [`PgStore`]: every store port of the domain, over one pool.

use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::{Date, OffsetDateTime};

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    ActiveMarket, CapOutcome, Endpoint, EndpointId, EndpointStatus, HeartFileId, HeartFileSaved,
    HomeMarket, LatestHeart, NewEndpoint, NewHeartFile, NewPersona, NewReport, OwnerId, PersonaId,
    PersonaStatus, Tier,
};
use ishtar_domain::ports::{
    AgentStore, ChaperoneEntry, ChaperoneLog, GeoLog, HealthProbe, OwnerStore, PersonaStore,
    ReportStore, SettingsStore,
};
use ishtar_domain::states::{PersonaEvent, StateMachine};

use crate::admission::{AdmissionQueue, Job};
use crate::crypto::ContactCipher;
use crate::db::PgPool;
use crate::schema::{
    agent_endpoints, board_posts, chaperone_log, couples, geo_denials, heart_files, owners,
    personas, reports, settings, turns,
};
use crate::statements::{ActivateEndpoint, CreateOwner};

/// The Postgres store.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    cipher: ContactCipher,
    /// Personas at the door, written in groups (admission.rs).
    admissions: Arc<AdmissionQueue>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

/// Translates a driver error at the edge.
pub(crate) fn db_err(e: DieselError) -> StoreError {
    match e {
        DieselError::NotFound => StoreError::NotFound,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            match info.constraint_name() {
                Some("personas_handle_key") => StoreError::Conflict("handle"),
                _ => StoreError::Conflict("unique"),
            }
        }
        e => StoreError::unavailable(e),
    }
}

impl PgStore {
    pub fn new(pool: PgPool, cipher: ContactCipher) -> Self {
        Self {
            pool,
            cipher,
            admissions: Arc::default(),
        }
    }

    /// The pool, for adapters and tests that need raw access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) async fn conn(
        &self,
    ) -> Result<diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>, StoreError>
    {
        self.pool.get().await.map_err(StoreError::unavailable)
    }

    pub(crate) fn cipher(&self) -> &ContactCipher {
        &self.cipher
    }

    fn seal(&self, contact: Option<&str>) -> Result<Option<Vec<u8>>, StoreError> {
        contact
            .map(|c| self.cipher.seal(c).map_err(StoreError::unavailable))
            .transpose()
    }
}

async fn insert_heart(
    c: &mut AsyncPgConnection,
    owner: i64,
    version: i32,
    h: &NewHeartFile,
    sealed: Option<Vec<u8>>,
    log: &ChaperoneEntry,
    at: OffsetDateTime,
) -> Result<i64, DieselError> {
    let id = diesel::insert_into(heart_files::table)
        .values((
            heart_files::owner_id.eq(owner),
            heart_files::version.eq(version),
            heart_files::display_name.eq(h.display_name.as_deref()),
            heart_files::home_market.eq(h.home_market.as_str()),
            heart_files::active_market.eq(h.active_market.as_str()),
            heart_files::available_for.eq(h.available_for.as_deref()),
            heart_files::research_optin.eq(h.research_optin.as_str()),
            heart_files::age_attested.eq(h.age_attested),
            heart_files::contact_ref_enc.eq(sealed),
            heart_files::heart.eq(&h.heart),
            heart_files::heart_hash.eq(&h.heart_hash),
            heart_files::created_at.eq(at),
            heart_files::status.eq(crate::statements::doc_status(log)),
            heart_files::reason.eq(&log.reason),
        ))
        .returning(heart_files::id)
        .get_result(c)
        .await?;
    diesel::insert_into(chaperone_log::table)
        .values((
            chaperone_log::surface.eq(log.surface.as_str()),
            chaperone_log::target_type.eq(log.target_type),
            chaperone_log::target_id.eq(id),
            chaperone_log::verdict.eq(log.verdict),
            chaperone_log::reason.eq(&log.reason),
            chaperone_log::created_at.eq(log.at),
        ))
        .execute(c)
        .await?;
    Ok(id)
}

#[async_trait]
impl OwnerStore for PgStore {
    async fn create_owner(
        &self,
        token_hash: Vec<u8>,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError> {
        let sealed = self.seal(heart.contact_ref.as_deref())?;
        let mut conn = self.conn().await?;
        let (owner_id, heart_file_id): (i64, i64) = CreateOwner {
            token_hash: &token_hash,
            heart: &heart,
            contact_ref_enc: sealed.as_deref(),
            log: &log,
            at,
        }
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(HeartFileSaved::new_owner(
            OwnerId(owner_id),
            HeartFileId(heart_file_id),
        ))
    }

    async fn add_heart_version(
        &self,
        owner: OwnerId,
        heart: NewHeartFile,
        log: ChaperoneEntry,
        at: OffsetDateTime,
    ) -> Result<HeartFileSaved, StoreError> {
        let sealed = self.seal(heart.contact_ref.as_deref())?;
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // The owner row lock serialises version numbering for this owner.
            let tier: String = owners::table
                .find(owner.0)
                .select(owners::tier)
                .for_update()
                .get_result(c)
                .await?;
            let last: Option<i32> = heart_files::table
                .filter(heart_files::owner_id.eq(owner.0))
                .select(diesel::dsl::max(heart_files::version))
                .get_result(c)
                .await?;
            let version = last.unwrap_or(0) + 1;
            let hf = insert_heart(c, owner.0, version, &heart, sealed, &log, at).await?;
            Ok::<_, DieselError>(HeartFileSaved {
                owner_id: owner,
                heart_file_id: HeartFileId(hf),
                version,
                tier: Tier::parse(&tier).unwrap_or(Tier::AgentRepresented),
            })
        })
        .await
        .map_err(db_err)
    }

    async fn owner_by_token(&self, token_hash: Vec<u8>) -> Result<Option<OwnerId>, StoreError> {
        let mut conn = self.conn().await?;
        owners::table
            .filter(owners::token_hash.eq(token_hash))
            .select(owners::id)
            .first::<i64>(&mut conn)
            .await
            .optional()
            .map(|o| o.map(OwnerId))
            .map_err(db_err)
    }

    async fn owner_with_latest_heart(
        &self,
        token_hash: Vec<u8>,
    ) -> Result<Option<(OwnerId, Option<LatestHeart>)>, StoreError> {
        type Row = (i64, Option<(i64, i32, String, String)>);
        let mut conn = self.conn().await?;
        let row: Option<Row> = owners::table
            .left_join(heart_files::table)
            .filter(owners::token_hash.eq(token_hash))
            .order(heart_files::version.desc())
            .select((
                owners::id,
                (
                    heart_files::id,
                    heart_files::version,
                    heart_files::home_market,
                    heart_files::active_market,
                )
                    .nullable(),
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(|(owner, latest)| {
            let latest = latest.map(|(id, version, home, active)| LatestHeart {
                heart_file_id: HeartFileId(id),
                version,
                home_market: HomeMarket::parse(&home).unwrap_or(HomeMarket::Other),
                active_market: ActiveMarket::parse(&active).unwrap_or(ActiveMarket::Remote),
            });
            (OwnerId(owner), latest)
        }))
    }
}

#[async_trait]
impl AgentStore for PgStore {
    async fn register_endpoint(
        &self,
        e: NewEndpoint,
        at: OffsetDateTime,
    ) -> Result<EndpointId, StoreError> {
        let sealed_secret = self.seal(e.callback_secret())?;
        let mut conn = self.conn().await?;
        diesel::insert_into(agent_endpoints::table)
            .values((
                agent_endpoints::owner_id.eq(e.owner_id().map(|o| o.0)),
                agent_endpoints::persona_id.eq(e.persona_id().map(|p| p.0)),
                agent_endpoints::runtime.eq(e.runtime().as_str()),
                agent_endpoints::callback_url.eq(e.callback_url()),
                agent_endpoints::callback_secret_enc.eq(sealed_secret),
                agent_endpoints::public_key.eq(e.public_key()),
                agent_endpoints::key_address.eq(e.key_address()),
                agent_endpoints::challenge_nonce.eq(e.challenge_nonce()),
                agent_endpoints::created_at.eq(at),
            ))
            .returning(agent_endpoints::id)
            .get_result::<i64>(&mut conn)
            .await
            .map(EndpointId)
            .map_err(db_err)
    }

    async fn endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError> {
        type Row = (
            i64,
            Option<i64>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let mut conn = self.conn().await?;
        let row: Option<Row> = agent_endpoints::table
            .find(id.0)
            .select((
                agent_endpoints::id,
                agent_endpoints::owner_id,
                agent_endpoints::status,
                agent_endpoints::callback_url,
                agent_endpoints::key_address,
                agent_endpoints::challenge_nonce,
                agent_endpoints::verified_via,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(
            |(id, owner, status, callback_url, key_address, nonce, via)| Endpoint {
                id: EndpointId(id),
                owner_id: owner.map(OwnerId),
                status: EndpointStatus::parse(&status).unwrap_or(EndpointStatus::Pending),
                callback_url,
                key_address,
                challenge_nonce: nonce,
                verified_via: via,
            },
        ))
    }

    async fn activate_endpoint(
        &self,
        id: EndpointId,
        via: &'static str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        ActivateEndpoint { id: id.0, via, at }
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}

#[async_trait]
impl PersonaStore for PgStore {
    async fn insert_persona(
        &self,
        p: NewPersona,
        status: PersonaStatus,
        log: ChaperoneEntry,
        cap: Option<u32>,
    ) -> Result<(PersonaId, PersonaStatus), StoreError> {
        let job = Job {
            persona: p,
            status,
            log,
            cap,
        };
        self.admissions.submit(&self.pool, job).await
    }

    async fn admit_within_cap(
        &self,
        id: PersonaId,
        cap: u32,
        at: OffsetDateTime,
    ) -> Result<CapOutcome, StoreError> {
        #[derive(QueryableByName)]
        struct Admitted {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            #[expect(dead_code, reason = "only the row's presence matters")]
            id: i64,
        }
        let cap = i32::try_from(cap).unwrap_or(i32::MAX);
        let mut conn = self.conn().await?;
        // One statement, so the hot `capacity` row is locked for one round trip only:
        // lock the persona if it is still pending (lock order everywhere: persona, then
        // capacity), take a slot only then and only if one is free, and admit the persona
        // only if the slot was taken. Concurrent calls for the same persona queue on its
        // row lock and then find it no longer pending, so it never takes two slots.
        // The persona machine says which statuses may take a place and what they become.
        let from = PersonaStatus::source_names(PersonaEvent::TookPlace);
        let to = PersonaStatus::placed();
        let admitted: Option<Admitted> = diesel::sql_query(
            "WITH p AS (SELECT id FROM personas WHERE id = $1 AND status = ANY($4) FOR UPDATE), \
                  slot AS (UPDATE capacity SET admitted = admitted + 1 \
                           WHERE id = 1 AND admitted < $2 AND EXISTS (SELECT 1 FROM p) \
                           RETURNING admitted) \
             UPDATE personas SET status = $5, reason = $5, admitted_at = $3 \
             WHERE id IN (SELECT id FROM p) AND EXISTS (SELECT 1 FROM slot) \
             RETURNING personas.id",
        )
        .bind::<diesel::sql_types::BigInt, _>(id.0)
        .bind::<diesel::sql_types::Integer, _>(cap)
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(from)
        .bind::<diesel::sql_types::Text, _>(to.as_str())
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(db_err)?;
        if admitted.is_some() {
            return Ok(CapOutcome::Admitted);
        }
        // Not admitted by this call: already admitted (no second slot), or no room, or
        // not admissible (held, denied, retired).
        let status: String = personas::table
            .find(id.0)
            .select(personas::status)
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(if status == to.as_str() {
            CapOutcome::Admitted
        } else {
            CapOutcome::Full
        })
    }

    async fn persona_owner(&self, id: PersonaId) -> Result<Option<Option<OwnerId>>, StoreError> {
        let mut conn = self.conn().await?;
        personas::table
            .find(id.0)
            .select(personas::owner_id)
            .first::<Option<i64>>(&mut conn)
            .await
            .optional()
            .map(|o| o.map(|owner| owner.map(OwnerId)))
            .map_err(db_err)
    }
}

#[async_trait]
impl ReportStore for PgStore {
    async fn file_report(&self, r: NewReport, at: OffsetDateTime) -> Result<bool, StoreError> {
        use diesel::dsl::exists;
        use ishtar_domain::model::ReportTarget;
        let mut conn = self.conn().await?;
        let id = r.target_id;
        let c = &mut conn;
        // A report names something that exists (issue 11); a race with its deletion is
        // harmless (the report is then about something already gone).
        let found: bool = match r.target {
            ReportTarget::Persona => {
                diesel::select(exists(personas::table.find(id)))
                    .get_result(c)
                    .await
            }
            ReportTarget::Post => {
                diesel::select(exists(board_posts::table.find(id)))
                    .get_result(c)
                    .await
            }
            ReportTarget::Turn => {
                diesel::select(exists(turns::table.find(id)))
                    .get_result(c)
                    .await
            }
            ReportTarget::Couple => {
                diesel::select(exists(couples::table.find(id)))
                    .get_result(c)
                    .await
            }
        }
        .map_err(db_err)?;
        if !found {
            return Ok(false);
        }
        diesel::insert_into(reports::table)
            .values((
                reports::target_type.eq(r.target.as_str()),
                reports::target_id.eq(r.target_id),
                reports::reason.eq(r.reason),
                reports::created_at.eq(at),
            ))
            .execute(&mut conn)
            .await
            .map(|_| true)
            .map_err(db_err)
    }
}

#[async_trait]
impl SettingsStore for PgStore {
    async fn all(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.conn().await?;
        settings::table
            .order(settings::key)
            .select((settings::key, settings::value))
            .load(&mut conn)
            .await
            .map_err(db_err)
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .on_conflict(settings::key)
            .do_update()
            .set((
                settings::value.eq(value),
                settings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}

#[async_trait]
impl ChaperoneLog for PgStore {
    async fn record(&self, e: ChaperoneEntry) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(chaperone_log::table)
            .values((
                chaperone_log::surface.eq(e.surface.as_str()),
                chaperone_log::target_type.eq(e.target_type),
                chaperone_log::target_id.eq(e.target_id),
                chaperone_log::verdict.eq(e.verdict),
                chaperone_log::reason.eq(e.reason),
                chaperone_log::created_at.eq(e.at),
            ))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}

#[async_trait]
impl GeoLog for PgStore {
    async fn count_denial(&self, day: Date, country: String) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(geo_denials::table)
            .values((
                geo_denials::day.eq(day),
                geo_denials::country.eq(country),
                geo_denials::count.eq(1i64),
            ))
            .on_conflict((geo_denials::day, geo_denials::country))
            .do_update()
            .set(geo_denials::count.eq(geo_denials::count + 1))
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}

#[async_trait]
impl HealthProbe for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::select(1.into_sql::<diesel::sql_types::Integer>())
            .get_result::<i32>(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }
}
