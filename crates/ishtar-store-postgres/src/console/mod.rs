//! The operator console's reads, brokering and the retention purge (erasure: `erasure.rs`).
//!
//! Mostly plain SQL: the console counts and pages across every table, including the
//! payments and escalation ones. Each port method is one transaction, except
//! [`ConsoleStore::snapshot`], which reads its parts one by one so that a part that fails
//! (and only that part) is reported as unreadable.
//!
//! - `counts.rs`: the snapshot's figures and the recent events;
//! - `intros.rs`: committed couples awaiting an introduction;
//! - `page.rs` + `tables.rs`: the paged tables, one [`ConsoleTable`](page::ConsoleTable) each;
//! - `retention.rs`: the purge.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::{Date, OffsetDateTime};

use ishtar_domain::StoreError;
use ishtar_domain::console::kinds;
use ishtar_domain::model::{CoupleId, CoupleState, PersonaId};
use ishtar_domain::ports::{
    BrokerOutcome, ConsoleData, ConsoleQuery, ConsoleStore, SnapshotCounts,
};
use ishtar_domain::states::CoupleEvent;

use crate::schema::events;
use crate::store::{PgStore, db_err};

use counts::{
    ADMITTED, BUYBACK, COUPLES_BY_STATE, ORDERS_BY_STATUS, PERSONAS_BY_STATUS, REVENUE,
    TURNS_BY_STATUS, chaperone_today, count, events_page, geo_today, key_counts,
};
use page::page;
use tables::{ChaperoneDb, CoupleDb, GeoDb, IdentityDb, OrderDb, PersonaDb, PostDb, TurnDb};

mod counts;
mod intros;
mod page;
mod retention;
mod tables;

impl PgStore {
    /// The whole console page, in the caller's (read-only, repeatable-read) transaction.
    async fn read_console(
        &self,
        c: &mut AsyncPgConnection,
        q: ConsoleQuery,
        day_start: OffsetDateTime,
        day: Date,
    ) -> Result<ConsoleData, DieselError> {
        let counts = SnapshotCounts {
            admitted: count(c, ADMITTED).await?,
            personas_by_status: key_counts(c, PERSONAS_BY_STATUS).await?,
            couples_by_state: key_counts(c, COUPLES_BY_STATE).await?,
            turns_by_status: key_counts(c, TURNS_BY_STATUS).await?,
            chaperone_today: chaperone_today(c, day_start).await?,
            orders_by_status: key_counts(c, ORDERS_BY_STATUS).await?,
            revenue: count(c, REVENUE).await?,
            buyback_reserve: count(c, BUYBACK).await?,
            geo_denials_today: geo_today(c, day).await?,
            intros: self
                .intros(c, ishtar_domain::console::INTROS_LIMIT, true)
                .await?,
            recent_events: events_page(c, i64::from(ishtar_domain::console::RECENT_EVENTS), 0)
                .await?,
            unreadable: Vec::new(),
        };
        let pending = counts.pending();
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            key: String,
            #[diesel(sql_type = Text)]
            value: String,
        }
        let personas = page::<PersonaDb>(c, &q).await?;
        let couples = page::<CoupleDb>(c, &q).await?;
        let turns = page::<TurnDb>(c, &q).await?;
        let posts = page::<PostDb>(c, &q).await?;
        let orders = page::<OrderDb>(c, &q).await?;
        let identity = page::<IdentityDb>(c, &q).await?;
        let chaperone = page::<ChaperoneDb>(c, &q).await?;
        let geo = page::<GeoDb>(c, &q).await?;
        let events = page::<counts::EventRow>(c, &q).await?;
        let stored: Vec<Setting> =
            diesel::sql_query("SELECT key, value FROM settings ORDER BY key")
                .load(c)
                .await?;
        Ok(ConsoleData {
            stored_settings: stored.into_iter().map(|s| (s.key, s.value)).collect(),
            counts,
            pending,
            personas,
            couples,
            turns,
            posts,
            orders,
            identity,
            chaperone,
            geo,
            events,
        })
    }
}

#[async_trait]
impl ConsoleStore for PgStore {
    async fn snapshot(
        &self,
        day_start: OffsetDateTime,
        day: Date,
        recent_events: u32,
        intros: u32,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut conn = self.conn().await?;
        let c: &mut AsyncPgConnection = &mut conn;
        let mut unreadable = Vec::new();
        macro_rules! part {
            ($name:literal, $read:expr) => {
                match $read.await {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::error!(part = $name, error = %e, "console snapshot part unreadable");
                        unreadable.push($name.to_owned());
                        Default::default()
                    }
                }
            };
        }
        Ok(SnapshotCounts {
            admitted: part!("admitted", count(c, ADMITTED)),
            personas_by_status: part!("personas", key_counts(c, PERSONAS_BY_STATUS)),
            couples_by_state: part!("couples", key_counts(c, COUPLES_BY_STATE)),
            turns_by_status: part!("turns", key_counts(c, TURNS_BY_STATUS)),
            chaperone_today: part!("chaperone", chaperone_today(c, day_start)),
            orders_by_status: part!("orders", key_counts(c, ORDERS_BY_STATUS)),
            revenue: part!("revenue", count(c, REVENUE)),
            buyback_reserve: part!("buyback", count(c, BUYBACK)),
            geo_denials_today: part!("geo", geo_today(c, day)),
            intros: part!("intros", self.intros(c, intros, false)),
            recent_events: part!("events", events_page(c, i64::from(recent_events), 0)),
            unreadable,
        })
    }

    async fn console(
        &self,
        query: ConsoleQuery,
        day_start: OffsetDateTime,
        day: Date,
    ) -> Result<ConsoleData, StoreError> {
        let mut conn = self.conn().await?;
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(async |c| self.read_console(c, query, day_start, day).await)
            .await
            .map_err(db_err)
    }

    async fn record_event(
        &self,
        kind: String,
        data: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        insert_event(&mut conn, &kind, data, at)
            .await
            .map_err(db_err)
    }

    async fn last_event_at(&self, kind: String) -> Result<Option<OffsetDateTime>, StoreError> {
        let mut conn = self.conn().await?;
        events::table
            .filter(events::kind.eq(kind))
            .select(diesel::dsl::max(events::created_at))
            .get_result(&mut conn)
            .await
            .map_err(db_err)
    }

    async fn broker(
        &self,
        couple: CoupleId,
        at: OffsetDateTime,
    ) -> Result<BrokerOutcome, StoreError> {
        #[derive(QueryableByName)]
        struct Pair {
            #[diesel(sql_type = BigInt)]
            persona_a: i64,
            #[diesel(sql_type = BigInt)]
            persona_b: i64,
        }
        #[derive(QueryableByName)]
        struct State {
            #[diesel(sql_type = Text)]
            state: String,
        }
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let broker = CoupleEvent::Brokered;
            let brokered: Option<Pair> = diesel::sql_query(
                "UPDATE couples SET state = $2 WHERE id = $1 AND state = ANY($3) \
                 RETURNING persona_a, persona_b",
            )
            .bind::<BigInt, _>(couple.0)
            .bind::<Text, _>(broker.outcome().as_str())
            .bind::<Array<Text>, _>(broker.source_names())
            .get_result(c)
            .await
            .optional()?;
            if let Some(p) = brokered {
                insert_event(
                    c,
                    kinds::INTRO_BROKERED,
                    serde_json::json!({"coupleId": couple.0}),
                    at,
                )
                .await?;
                return Ok(BrokerOutcome::Brokered(
                    PersonaId(p.persona_a),
                    PersonaId(p.persona_b),
                ));
            }
            let state: Option<State> = diesel::sql_query("SELECT state FROM couples WHERE id = $1")
                .bind::<BigInt, _>(couple.0)
                .get_result(c)
                .await
                .optional()?;
            Ok::<_, DieselError>(match state {
                None => BrokerOutcome::NoSuchCouple,
                Some(s) => BrokerOutcome::NotCommitted(
                    CoupleState::parse(&s.state).unwrap_or(CoupleState::Ended),
                ),
            })
        })
        .await
        .map_err(db_err)
    }
}

/// Appends one event (in the caller's transaction).
pub(crate) async fn insert_event(
    c: &mut AsyncPgConnection,
    kind: &str,
    data: serde_json::Value,
    at: OffsetDateTime,
) -> Result<(), DieselError> {
    diesel::insert_into(events::table)
        .values((
            events::kind.eq(kind),
            events::data.eq(data),
            events::created_at.eq(at),
        ))
        .execute(c)
        .await
        .map(drop)
}
