//! Bulk seeding for benchmarks and demos (`ishtar seed`): owners with one allowed dating
//! doc each, a verified agent endpoint, and admitted personas, written set-wise (a few
//! `INSERT … SELECT FROM unnest(…)` statements per chunk). Not a port: only tools call it.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;

use crate::store::{PgStore, db_err};

/// One seeded owner: its token hash, its dating doc (version 1, allowed), its markets and
/// its personas.
#[derive(Debug, Clone)]
pub struct SeedOwner {
    pub token_hash: Vec<u8>,
    pub doc: serde_json::Value,
    pub doc_hash: String,
    pub home_market: String,
    pub active_market: String,
    pub personas: Vec<SeedPersona>,
}

/// One seeded persona (admitted).
#[derive(Debug, Clone)]
pub struct SeedPersona {
    pub handle: String,
    pub heart: serde_json::Value,
    pub heart_hash: String,
    pub redteam: bool,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl PgStore {
    /// Writes `owners` in one transaction: owners, docs, active endpoints (`verified_via`
    /// `seed`), admitted personas, and the capacity count. Returns the personas written.
    ///
    /// # Errors
    /// Store errors (a handle that exists already is a conflict).
    pub async fn seed(
        &self,
        owners: Vec<SeedOwner>,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let n = i64::try_from(owners.len()).unwrap_or(i64::MAX);
            let ids: Vec<Id> = diesel::sql_query(
                "SELECT nextval(pg_get_serial_sequence('owners', 'id')) AS id \
                 FROM generate_series(1, $1)",
            )
            .bind::<BigInt, _>(n)
            .load(c)
            .await?;
            let owner_ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
            let hashes: Vec<&[u8]> = owners.iter().map(|o| o.token_hash.as_slice()).collect();
            diesel::sql_query(
                "INSERT INTO owners (id, token_hash, created_at) \
                 SELECT * , $3 FROM unnest($1::int8[], $2::bytea[])",
            )
            .bind::<Array<BigInt>, _>(&owner_ids)
            .bind::<Array<Bytea>, _>(&hashes)
            .bind::<Timestamptz, _>(at)
            .execute(c)
            .await?;
            let docs: Vec<&serde_json::Value> = owners.iter().map(|o| &o.doc).collect();
            let doc_hashes: Vec<&str> = owners.iter().map(|o| o.doc_hash.as_str()).collect();
            let homes: Vec<&str> = owners.iter().map(|o| o.home_market.as_str()).collect();
            let actives: Vec<&str> = owners.iter().map(|o| o.active_market.as_str()).collect();
            diesel::sql_query(
                "INSERT INTO heart_files (owner_id, version, home_market, active_market, \
                   research_optin, age_attested, heart, heart_hash, created_at, status, reason) \
                 SELECT o, 1, hm, am, 'none', TRUE, h, hh, $6, 'allowed', 'allowed' \
                 FROM unnest($1::int8[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) \
                   AS t(o, hm, am, h, hh)",
            )
            .bind::<Array<BigInt>, _>(&owner_ids)
            .bind::<Array<Text>, _>(&homes)
            .bind::<Array<Text>, _>(&actives)
            .bind::<Array<Jsonb>, _>(&docs)
            .bind::<Array<Text>, _>(&doc_hashes)
            .bind::<Timestamptz, _>(at)
            .execute(c)
            .await?;
            diesel::sql_query(
                "INSERT INTO agent_endpoints (owner_id, runtime, status, verified_via, \
                   created_at, verified_at) \
                 SELECT o, 'other', 'active', 'seed', $2, $2 FROM unnest($1::int8[]) AS t(o)",
            )
            .bind::<Array<BigInt>, _>(&owner_ids)
            .bind::<Timestamptz, _>(at)
            .execute(c)
            .await?;
            let mut p_owner = Vec::new();
            let mut p_handle = Vec::new();
            let mut p_heart = Vec::new();
            let mut p_hash = Vec::new();
            let mut p_red = Vec::new();
            let mut p_home = Vec::new();
            let mut p_active = Vec::new();
            for (o, id) in owners.iter().zip(&owner_ids) {
                for p in &o.personas {
                    p_owner.push(*id);
                    p_handle.push(p.handle.as_str());
                    p_heart.push(&p.heart);
                    p_hash.push(p.heart_hash.as_str());
                    p_red.push(p.redteam);
                    p_home.push(o.home_market.as_str());
                    p_active.push(o.active_market.as_str());
                }
            }
            let written = diesel::sql_query(
                "INSERT INTO personas (owner_id, handle, model, heart, heart_hash, redteam, \
                   home_market, active_market, status, reason, created_at, admitted_at) \
                 SELECT o, h, 'seed', ht, hh, r, hm, am, 'admitted', 'admitted', $8, $8 \
                 FROM unnest($1::int8[], $2::text[], $3::jsonb[], $4::text[], $5::bool[], \
                   $6::text[], $7::text[]) AS t(o, h, ht, hh, r, hm, am)",
            )
            .bind::<Array<BigInt>, _>(&p_owner)
            .bind::<Array<Text>, _>(&p_handle)
            .bind::<Array<Jsonb>, _>(&p_heart)
            .bind::<Array<Text>, _>(&p_hash)
            .bind::<Array<Bool>, _>(&p_red)
            .bind::<Array<Text>, _>(&p_home)
            .bind::<Array<Text>, _>(&p_active)
            .bind::<Timestamptz, _>(at)
            .execute(c)
            .await?;
            diesel::sql_query("UPDATE capacity SET admitted = admitted + $1 WHERE id = 1")
                .bind::<diesel::sql_types::Int4, _>(i32::try_from(written).unwrap_or(i32::MAX))
                .execute(c)
                .await?;
            Ok::<_, diesel::result::Error>(written)
        })
        .await
        .map_err(db_err)
    }

    /// How many personas hold a cap slot.
    ///
    /// # Errors
    /// Store errors.
    pub async fn admitted_count(&self) -> Result<i64, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.conn().await?;
        let r: Row = diesel::sql_query("SELECT admitted::int8 AS n FROM capacity WHERE id = 1")
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(r.n)
    }
}
