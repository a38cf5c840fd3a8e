//! The intake path's hand-written statements, as query fragments diesel may prepare once
//! per connection.
//!
//! Diesel never caches `sql_query` or `UPDATE` statements (their SQL can vary), so each run
//! of one costs an extra round trip to prepare it and a parse on the server. These
//! statements' SQL is fixed — only bind values change — so each gets its own type with a
//! static query id, and diesel keeps it prepared per connection after the first use.
//! (Diesel's "custom query fragment" extension point: `QueryFragment` + `QueryId` +
//! `Query`.)

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Bytea, Int4, Int8, Jsonb, Nullable, Text, Timestamptz};
use time::OffsetDateTime;

use ishtar_domain::chaperone::ChaperoneEntry;
use ishtar_domain::model::{NewHeartFile, NewPersona};

/// Marks a statement type as one fixed SQL text: its type is its cache key.
macro_rules! fixed_statement {
    ($name:ident, $sql_type:ty) => {
        impl QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl Query for $name<'_> {
            type SqlType = $sql_type;
        }
    };
}

/// A new owner and its dating doc's version 1, in one statement (so one implicit
/// transaction): both rows or neither. Returns `(owner_id, heart_file_id)`.
pub(crate) struct CreateOwner<'a> {
    pub token_hash: &'a [u8],
    pub heart: &'a NewHeartFile,
    pub contact_ref_enc: Option<&'a [u8]>,
    pub at: OffsetDateTime,
}
fixed_statement!(CreateOwner, (Int8, Int8));

impl QueryFragment<Pg> for CreateOwner<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let h = self.heart;
        out.push_sql("WITH o AS (INSERT INTO owners (token_hash, created_at) VALUES (");
        out.push_bind_param::<Bytea, _>(self.token_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(
            ") RETURNING id) \
             INSERT INTO heart_files (owner_id, version, display_name, home_market, \
             active_market, available_for, research_optin, age_attested, contact_ref_enc, \
             heart, heart_hash, created_at) SELECT o.id, 1, ",
        );
        out.push_bind_param::<Nullable<Text>, _>(&h.display_name)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(h.home_market.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(h.active_market.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&h.available_for)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(h.research_optin.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&h.age_attested)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Bytea>, _>(&self.contact_ref_enc)?;
        out.push_sql(", ");
        out.push_bind_param::<Jsonb, _>(&h.heart)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&h.heart_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(" FROM o RETURNING owner_id, id");
        Ok(())
    }
}

/// A persona at the door, its chaperone log line and (when `take_slot`) a cap slot, in one
/// statement. Returns `(persona_id, status)`.
///
/// The persona's row is built from `slot`, so the hot `capacity` row is always locked
/// before the handle's unique index is touched (one lock order, no deadlock with a
/// concurrent insert of the same handle); a refused insert rolls its slot back with it.
/// With `take_slot` false the `capacity` row is not touched at all.
pub(crate) struct InsertPersona<'a> {
    pub owner_id: Option<i64>,
    pub persona: &'a NewPersona,
    pub status: &'static str,
    pub log: &'a ChaperoneEntry,
    pub take_slot: bool,
    pub cap: i32,
}
fixed_statement!(InsertPersona, (Int8, Text));

impl QueryFragment<Pg> for InsertPersona<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let p = self.persona;
        out.push_sql("WITH slot AS (UPDATE capacity SET admitted = admitted + 1 WHERE id = 1 AND ");
        out.push_bind_param::<Bool, _>(&self.take_slot)?;
        out.push_sql(" AND admitted < ");
        out.push_bind_param::<Int4, _>(&self.cap)?;
        out.push_sql(
            " RETURNING admitted), \
             p AS (INSERT INTO personas (owner_id, handle, model, heart, heart_hash, redteam, \
             home_market, active_market, status, reason, created_at, admitted_at) SELECT ",
        );
        out.push_bind_param::<Nullable<Int8>, _>(&self.owner_id)?;
        for text in [&p.handle, &p.model] {
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Jsonb, _>(&p.heart)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&p.heart_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&p.redteam)?;
        for text in [&p.home_market, &p.active_market] {
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(text)?;
        }
        out.push_sql(", CASE WHEN slot.admitted IS NULL THEN ");
        out.push_bind_param::<Text, _>(self.status)?;
        out.push_sql(" ELSE 'admitted' END, CASE WHEN slot.admitted IS NULL THEN ");
        out.push_bind_param::<Text, _>(&self.log.reason)?;
        out.push_sql(" ELSE 'admitted' END, ");
        out.push_bind_param::<Timestamptz, _>(&self.log.at)?;
        out.push_sql(", CASE WHEN slot.admitted IS NULL THEN NULL ELSE ");
        out.push_bind_param::<Timestamptz, _>(&self.log.at)?;
        out.push_sql(
            " END FROM (SELECT 1) AS one LEFT JOIN slot ON true RETURNING id, status), \
             logged AS (INSERT INTO chaperone_log (surface, target_type, target_id, verdict, \
             reason, created_at) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.log.surface.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.log.target_type)?;
        out.push_sql(", p.id, ");
        out.push_bind_param::<Text, _>(self.log.verdict)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.log.reason)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.log.at)?;
        out.push_sql(" FROM p) SELECT id, status FROM p");
        Ok(())
    }
}

/// Marks a `pending` endpoint `active`, recording how it proved control.
pub(crate) struct ActivateEndpoint<'a> {
    pub id: i64,
    pub via: &'a str,
    pub at: OffsetDateTime,
}
fixed_statement!(ActivateEndpoint, ());

impl QueryFragment<Pg> for ActivateEndpoint<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("UPDATE agent_endpoints SET status = 'active', verified_via = ");
        out.push_bind_param::<Text, _>(self.via)?;
        out.push_sql(", verified_at = ");
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Int8, _>(&self.id)?;
        out.push_sql(" AND status = 'pending'");
        Ok(())
    }
}
