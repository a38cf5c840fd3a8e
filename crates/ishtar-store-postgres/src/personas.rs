//! The persona lifecycle (`ishtar_domain::personas`, issue 12): edits, resubmissions of a
//! denied or withdrawn persona under its handle, and withdrawals. Not the door's hot path
//! (that is `admission.rs` and `statements.rs`, untouched by this): each method is one
//! short transaction.
//!
//! Locks, in the order every writer that takes both uses (architecture.md): the persona's
//! row first (`FOR UPDATE`, or the `UPDATE` of its couples), the `capacity` row last, and
//! nothing is waited on after it: the beat's `admit_within_cap` locks a pending persona,
//! then `capacity`, so taking them the other way round here could deadlock with it. Under
//! the persona's lock its status is read again, so a concurrent beat, edit or withdrawal
//! never makes a persona hold two places or give back one it does not hold.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId, PersonaId, PersonaStatus};
use ishtar_domain::personas;
use ishtar_domain::ports::{
    EndedCouple, PersonaLifecycleStore, PersonaRecord, Retired, Revision, Slot,
};
use ishtar_domain::states::{CoupleEvent, PersonaEvent, StateMachine};

use crate::schema::{capacity, chaperone_log, personas as p};
use crate::store::{PgStore, db_err};

type Row = (
    i64,
    Option<i64>,
    String,
    String,
    serde_json::Value,
    bool,
    String,
    String,
    String,
);

fn record(r: Row) -> PersonaRecord {
    let (id, owner, handle, model, heart, redteam, home_market, active_market, status) = r;
    PersonaRecord {
        id: PersonaId(id),
        owner: owner.map(OwnerId),
        handle,
        model,
        heart,
        redteam,
        home_market,
        active_market,
        // The column's CHECK allows only the five statuses.
        status: PersonaStatus::parse(&status).unwrap_or(PersonaStatus::Denied),
    }
}

macro_rules! columns {
    () => {
        (
            p::id,
            p::owner_id,
            p::handle,
            p::model,
            p::heart,
            p::redteam,
            p::home_market,
            p::active_market,
            p::status,
        )
    };
}

diesel::define_sql_function!(fn lower(x: Text) -> Text);

/// The persona's owner and status, locked.
async fn lock(
    c: &mut AsyncPgConnection,
    id: i64,
) -> Result<Option<(Option<i64>, String)>, DieselError> {
    p::table
        .find(id)
        .select((p::owner_id, p::status))
        .for_update()
        .first(c)
        .await
        .optional()
}

/// Gives one cap place back (never below zero).
async fn free_place(c: &mut AsyncPgConnection) -> Result<(), DieselError> {
    diesel::sql_query("UPDATE capacity SET admitted = GREATEST(admitted - 1, 0) WHERE id = 1")
        .execute(c)
        .await
        .map(drop)
}

async fn revise(
    c: &mut AsyncPgConnection,
    rev: &Revision,
) -> Result<Option<PersonaStatus>, DieselError> {
    let Some((owner, status)) = lock(c, rev.id.0).await? else {
        return Ok(None);
    };
    let current = PersonaStatus::parse(&status);
    let Some(current) = current.filter(|s| owner == Some(rev.owner.0) && rev.from.contains(s))
    else {
        return Ok(None);
    };
    let (mut status, slot) = personas::revised(current, rev.allowed);
    match slot {
        Slot::Take => {
            let cap = i32::try_from(rev.cap).unwrap_or(i32::MAX);
            let took = diesel::update(capacity::table.find(1i16))
                .filter(capacity::admitted.lt(cap))
                .set(capacity::admitted.eq(capacity::admitted + 1))
                .execute(c)
                .await?;
            if took == 1 {
                status = status.on(PersonaEvent::TookPlace).unwrap_or(status);
            }
        }
        Slot::Free => free_place(c).await?,
        Slot::Keep | Slot::None => {}
    }
    let admitted = status.holds_place();
    let reason = status.stored_reason(&rev.reason);
    // The admission time follows the place: kept with it, set when one is taken, cleared
    // when there is none.
    let admitted_at = (slot != Slot::Keep).then(|| p::admitted_at.eq(admitted.then_some(rev.at)));
    diesel::update(p::table.find(rev.id.0))
        .set((
            p::model.eq(rev.persona.model()),
            p::heart.eq(rev.persona.heart()),
            p::heart_hash.eq(rev.persona.heart_hash()),
            p::redteam.eq(rev.persona.redteam()),
            p::home_market.eq(rev.persona.home_market()),
            p::active_market.eq(rev.persona.active_market()),
            p::status.eq(status.as_str()),
            p::reason.eq(reason),
            admitted_at,
        ))
        .execute(c)
        .await?;
    if let Some(log) = &rev.log {
        diesel::insert_into(chaperone_log::table)
            .values((
                chaperone_log::surface.eq(log.surface.as_str()),
                chaperone_log::target_type.eq(log.target_type),
                chaperone_log::target_id.eq(rev.id.0),
                chaperone_log::verdict.eq(log.verdict),
                chaperone_log::reason.eq(&log.reason),
                chaperone_log::created_at.eq(log.at),
            ))
            .execute(c)
            .await?;
    }
    Ok(Some(status))
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    other: i64,
}

async fn retire(
    c: &mut AsyncPgConnection,
    id: i64,
    owner: i64,
    at: OffsetDateTime,
) -> Result<Option<Retired>, DieselError> {
    let Some((Some(found), status)) = lock(c, id).await? else {
        return Ok(None);
    };
    if found != owner {
        return Ok(None);
    }
    let was = PersonaStatus::parse(&status).unwrap_or(PersonaStatus::Denied);
    // Withdrawing a retired persona is refused by the machine: nothing changes.
    let Ok(next) = was.on(PersonaEvent::Withdrawn) else {
        return Ok(Some(Retired {
            was,
            ended: Vec::new(),
        }));
    };
    // Its live couples end, as the couple machine ends them when a side is withdrawn
    // (ended by the owner).
    let live = CoupleEvent::SideWithdrawn.source_names();
    let ended_state = CoupleEvent::SideWithdrawn.outcome();
    let ended: Vec<Ended> = diesel::sql_query(
        "UPDATE couples SET state = $4, ended_at = $2, ended_by = $3 \
         WHERE (persona_a = $1 OR persona_b = $1) AND state = ANY($5) \
         RETURNING id, CASE WHEN persona_a = $1 THEN persona_b ELSE persona_a END AS other",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(at)
    .bind::<BigInt, _>(owner)
    .bind::<Text, _>(ended_state.as_str())
    .bind::<Array<Text>, _>(live)
    .load(c)
    .await?;
    diesel::update(p::table.find(id))
        .set((p::status.eq(next.as_str()), p::reason.eq(next.as_str())))
        .execute(c)
        .await?;
    if was.holds_place() {
        free_place(c).await?;
    }
    // Its public notes (seeking, debriefs) go with it: a withdrawn persona seeks no one.
    diesel::sql_query("DELETE FROM board_posts WHERE persona_id = $1")
        .bind::<BigInt, _>(id)
        .execute(c)
        .await?;
    let mut ended: Vec<EndedCouple> = ended
        .into_iter()
        .map(|e| EndedCouple {
            couple: CoupleId(e.id),
            partner: PersonaId(e.other),
        })
        .collect();
    ended.sort_by_key(|e| e.couple);
    Ok(Some(Retired { was, ended }))
}

#[async_trait]
impl PersonaLifecycleStore for PgStore {
    async fn persona(&self, id: PersonaId) -> Result<Option<PersonaRecord>, StoreError> {
        let mut conn = self.conn().await?;
        p::table
            .find(id.0)
            .select(columns!())
            .first::<Row>(&mut conn)
            .await
            .optional()
            .map(|r| r.map(record))
            .map_err(db_err)
    }

    async fn persona_by_handle(&self, handle: String) -> Result<Option<PersonaRecord>, StoreError> {
        let mut conn = self.conn().await?;
        // `lower(handle)` is what the unique index holds, so this is an index lookup.
        p::table
            .filter(lower(p::handle).eq(lower(handle)))
            .select(columns!())
            .first::<Row>(&mut conn)
            .await
            .optional()
            .map(|r| r.map(record))
            .map_err(db_err)
    }

    async fn revise(&self, rev: Revision) -> Result<Option<PersonaStatus>, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| revise(c, &rev).await)
            .await
            .map_err(db_err)
    }

    async fn retire(
        &self,
        id: PersonaId,
        owner: OwnerId,
        at: OffsetDateTime,
    ) -> Result<Option<Retired>, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| retire(c, id.0, owner.0, at).await)
            .await
            .map_err(db_err)
    }
}
