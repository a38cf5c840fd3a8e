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
use diesel::sql_types::{Array, Bool, Bytea, Int4, Int8, Jsonb, Nullable, Text, Timestamptz};
use time::OffsetDateTime;

use ishtar_domain::model::{EndpointStatus, NewHeartFile, PersonaStatus, Tier};
use ishtar_domain::ports::ChaperoneEntry;

use crate::admission::Job;

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

/// `, $n`: the next bind of a list.
fn then_bind<'b, ST, U>(out: &mut AstPass<'_, 'b, Pg>, value: &'b U) -> QueryResult<()>
where
    Pg: diesel::sql_types::HasSqlType<ST>,
    U: diesel::serialize::ToSql<ST, Pg> + ?Sized,
{
    out.push_sql(", ");
    out.push_bind_param::<ST, U>(value)
}

/// A new owner (in [`Tier::NEW_OWNER`]) and its dating doc's version 1, in one statement
/// (so one implicit transaction): both rows or neither. Returns `(owner_id, heart_file_id)`.
///
/// The doc's chaperone verdict is stored with it (`status`, `reason`) and its log line is
/// written in the same statement, with the new version as its target.
pub(crate) struct CreateOwner<'a> {
    pub token_hash: &'a [u8],
    pub heart: &'a NewHeartFile,
    pub contact_ref_enc: Option<&'a [u8]>,
    pub log: &'a ChaperoneEntry,
    pub at: OffsetDateTime,
}
fixed_statement!(CreateOwner, (Int8, Int8));

impl QueryFragment<Pg> for CreateOwner<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let h = self.heart;
        out.push_sql("WITH o AS (INSERT INTO owners (token_hash, tier, created_at) VALUES (");
        out.push_bind_param::<Bytea, _>(self.token_hash)?;
        then_bind::<Text, _>(&mut out, Tier::NEW_OWNER.as_str())?;
        then_bind::<Timestamptz, _>(&mut out, &self.at)?;
        out.push_sql(
            ") RETURNING id) \
             , h AS (INSERT INTO heart_files (owner_id, version, display_name, home_market, \
             active_market, available_for, research_optin, age_attested, contact_ref_enc, \
             heart, heart_hash, created_at, status, reason) SELECT o.id, 1",
        );
        then_bind::<Nullable<Text>, _>(&mut out, &h.display_name)?;
        then_bind::<Text, _>(&mut out, h.home_market.as_str())?;
        then_bind::<Text, _>(&mut out, h.active_market.as_str())?;
        then_bind::<Nullable<Text>, _>(&mut out, &h.available_for)?;
        then_bind::<Text, _>(&mut out, h.research_optin.as_str())?;
        then_bind::<Bool, _>(&mut out, &h.age_attested)?;
        then_bind::<Nullable<Bytea>, _>(&mut out, &self.contact_ref_enc)?;
        then_bind::<Jsonb, _>(&mut out, &h.heart)?;
        then_bind::<Text, _>(&mut out, &h.heart_hash)?;
        then_bind::<Timestamptz, _>(&mut out, &self.at)?;
        then_bind::<Text, _>(&mut out, doc_status(self.log))?;
        then_bind::<Text, _>(&mut out, &self.log.reason)?;
        out.push_sql(
            " FROM o RETURNING owner_id, id), l AS (INSERT INTO chaperone_log \
             (surface, target_type, target_id, verdict, reason, created_at) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.log.surface.as_str())?;
        then_bind::<Text, _>(&mut out, self.log.target_type)?;
        out.push_sql(", h.id");
        then_bind::<Text, _>(&mut out, self.log.verdict)?;
        then_bind::<Text, _>(&mut out, &self.log.reason)?;
        then_bind::<Timestamptz, _>(&mut out, &self.log.at)?;
        out.push_sql(" FROM h) SELECT owner_id, id FROM h");
        Ok(())
    }
}

/// A dating-doc version's status for the chaperone's verdict in `log`.
pub(crate) fn doc_status(log: &ChaperoneEntry) -> &'static str {
    match log.verdict {
        "allow" => "allowed",
        "deny" => "denied",
        _ => "held",
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
        out.push_sql("UPDATE agent_endpoints SET status = ");
        out.push_bind_param::<Text, _>(EndpointStatus::Active.as_str())?;
        out.push_sql(", verified_via = ");
        out.push_bind_param::<Text, _>(self.via)?;
        out.push_sql(", verified_at = ");
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Int8, _>(&self.id)?;
        out.push_sql(" AND status = ");
        out.push_bind_param::<Text, _>(EndpointStatus::Pending.as_str())?;
        Ok(())
    }
}

/// Personas at the door (one, or a group: see `admission.rs`), in one statement: each
/// persona whose handle is free, its chaperone log line, and cap slots, in arrival order,
/// for those that ask for one while the cap allows. A persona whose handle is taken is
/// skipped (no row, no log line, no slot). Returns `(arrival index, persona_id, status)`
/// for each persona written.
///
/// The `capacity` row is locked first and incremented by the number admitted, so the cap
/// check and the slots are atomic (a lock taken after waiting reads the newest count).
/// It is locked whenever a slot is asked for or the statement writes more than one
/// persona, so the lock order is the same for every writer (`capacity`, then the handles'
/// unique index) and two groups, say from two processes, never wait on each other's
/// handles in opposite orders; a lone held or denied persona needs no lock. Places in the
/// slot queue are counted, in arrival order, among the personas whose handle is free when
/// the statement begins (Postgres's `lower()` decides, also within the group); one that
/// loses its handle to a concurrent writer after that leaves its place unused, so a group
/// may admit fewer than the cap allows (the rest wait `pending` for the beat), never more.
pub(crate) struct InsertPersonas<'a> {
    ord: Vec<i32>,
    wants_slot: Vec<bool>,
    cap: Vec<i32>,
    owner_id: Vec<Option<i64>>,
    handle: Vec<&'a str>,
    model: Vec<&'a str>,
    heart: Vec<&'a serde_json::Value>,
    heart_hash: Vec<&'a str>,
    redteam: Vec<bool>,
    home_market: Vec<&'a str>,
    active_market: Vec<&'a str>,
    status: Vec<&'static str>,
    reason: Vec<&'a str>,
    at: Vec<OffsetDateTime>,
    surface: Vec<&'static str>,
    target_type: Vec<&'static str>,
    verdict: Vec<&'static str>,
    /// The status (and reason) of a persona that took a place ([`PersonaStatus::placed`]).
    placed: &'static str,
}
fixed_statement!(InsertPersonas, (Int4, Int8, Text));

impl<'a> InsertPersonas<'a> {
    /// The batch as one array per column, for `unnest`.
    pub fn new(jobs: &'a [Job]) -> Self {
        Self {
            ord: (0..jobs.len())
                .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
                .collect(),
            wants_slot: jobs.iter().map(Job::wants_slot).collect(),
            cap: jobs
                .iter()
                .map(|j| i32::try_from(j.cap.unwrap_or(0)).unwrap_or(i32::MAX))
                .collect(),
            owner_id: jobs
                .iter()
                .map(|j| j.persona.owner_id().map(|o| o.0))
                .collect(),
            handle: jobs.iter().map(|j| j.persona.handle().as_str()).collect(),
            model: jobs.iter().map(|j| j.persona.model()).collect(),
            heart: jobs.iter().map(|j| j.persona.heart()).collect(),
            heart_hash: jobs.iter().map(|j| j.persona.heart_hash()).collect(),
            redteam: jobs.iter().map(|j| j.persona.redteam()).collect(),
            home_market: jobs.iter().map(|j| j.persona.home_market()).collect(),
            active_market: jobs.iter().map(|j| j.persona.active_market()).collect(),
            status: jobs.iter().map(|j| j.status.as_str()).collect(),
            reason: jobs.iter().map(|j| j.log.reason.as_str()).collect(),
            at: jobs.iter().map(|j| j.log.at).collect(),
            surface: jobs.iter().map(|j| j.log.surface.as_str()).collect(),
            target_type: jobs.iter().map(|j| j.log.target_type).collect(),
            verdict: jobs.iter().map(|j| j.log.verdict).collect(),
            placed: PersonaStatus::placed().as_str(),
        }
    }
}

impl QueryFragment<Pg> for InsertPersonas<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH input AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Int4>, _>(&self.ord)?;
        then_bind::<Array<Bool>, _>(&mut out, &self.wants_slot)?;
        then_bind::<Array<Int4>, _>(&mut out, &self.cap)?;
        then_bind::<Array<Nullable<Int8>>, _>(&mut out, &self.owner_id)?;
        then_bind::<Array<Text>, _>(&mut out, &self.handle)?;
        then_bind::<Array<Text>, _>(&mut out, &self.model)?;
        then_bind::<Array<Jsonb>, _>(&mut out, &self.heart)?;
        then_bind::<Array<Text>, _>(&mut out, &self.heart_hash)?;
        then_bind::<Array<Bool>, _>(&mut out, &self.redteam)?;
        for texts in [
            &self.home_market,
            &self.active_market,
            &self.reason,
            &self.status,
            &self.surface,
            &self.target_type,
            &self.verdict,
        ] {
            then_bind::<Array<Text>, _>(&mut out, texts)?;
        }
        then_bind::<Array<Timestamptz>, _>(&mut out, &self.at)?;
        out.push_sql(
            ") AS t(ord, wants_slot, cap, owner_id, handle, model, heart, heart_hash, redteam, \
             home_market, active_market, reason, status, surface, target_type, verdict, at)), \
             held AS (SELECT admitted FROM capacity WHERE id = 1 \
                      AND (EXISTS (SELECT 1 FROM input WHERE wants_slot) \
                           OR (SELECT count(*) FROM input) > 1) FOR UPDATE), \
             free AS (SELECT input.*, CASE WHEN wants_slot THEN \
                        row_number() OVER (PARTITION BY wants_slot ORDER BY ord) END AS place \
                      FROM input WHERE NOT EXISTS \
                        (SELECT 1 FROM personas x WHERE lower(x.handle) = lower(input.handle)) \
                      AND NOT EXISTS (SELECT 1 FROM input e WHERE e.ord < input.ord \
                                      AND lower(e.handle) = lower(input.handle))), \
             p AS (INSERT INTO personas (owner_id, handle, model, heart, heart_hash, redteam, \
                   home_market, active_market, status, reason, created_at, admitted_at) \
                   SELECT owner_id, handle, model, heart, heart_hash, redteam, home_market, \
                   active_market, \
                   CASE WHEN place <= cap - held.admitted THEN ",
        );
        out.push_bind_param::<Text, _>(self.placed)?;
        out.push_sql(" ELSE status END, CASE WHEN place <= cap - held.admitted THEN ");
        out.push_bind_param::<Text, _>(self.placed)?;
        out.push_sql(
            " ELSE reason END, at, \
                   CASE WHEN place <= cap - held.admitted THEN at END \
                   FROM free LEFT JOIN held ON true ORDER BY ord \
                   ON CONFLICT ((lower(handle))) DO NOTHING RETURNING id, handle, status), \
             slots AS (UPDATE capacity \
                       SET admitted = admitted + (SELECT count(*) FROM p WHERE status = ",
        );
        out.push_bind_param::<Text, _>(self.placed)?;
        out.push_sql(") WHERE id = 1 AND EXISTS (SELECT 1 FROM p WHERE status = ");
        out.push_bind_param::<Text, _>(self.placed)?;
        out.push_sql(
            ")), \
             logged AS (INSERT INTO chaperone_log (surface, target_type, target_id, verdict, \
                        reason, created_at) SELECT i.surface, i.target_type, p.id, i.verdict, \
                        i.reason, i.at FROM p JOIN input i ON i.handle = p.handle) \
             SELECT i.ord, p.id, p.status FROM p JOIN input i ON i.handle = p.handle",
        );
        Ok(())
    }
}
