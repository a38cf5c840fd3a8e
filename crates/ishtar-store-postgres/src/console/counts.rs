//! The console's counts: one small query per figure of [`SnapshotCounts`], and the
//! recent events.
//!
//! [`SnapshotCounts`]: ishtar_domain::ports::SnapshotCounts

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Date as SqlDate, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::{Date, OffsetDateTime};

use ishtar_domain::ports::EventRecord;

pub(super) const PERSONAS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM personas GROUP BY status ORDER BY status";
pub(super) const COUPLES_BY_STATE: &str =
    "SELECT state AS k, count(*) AS n FROM couples GROUP BY state ORDER BY state";
pub(super) const TURNS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM turns GROUP BY status ORDER BY status";
pub(super) const ORDERS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM orders GROUP BY status ORDER BY status";
pub(super) const ADMITTED: &str = "SELECT admitted::bigint AS n FROM capacity WHERE id = 1";
pub(super) const REVENUE: &str = "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM receipts";
pub(super) const BUYBACK: &str = "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM buyback_ledger";

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One number, as every `count_sql` of the console answers it (`… AS n`).
#[derive(QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(super) n: i64,
}

/// Runs a `SELECT … AS k, count(*) AS n … GROUP BY` statement.
pub(super) async fn key_counts(
    c: &mut AsyncPgConnection,
    sql: &'static str,
) -> Result<Vec<(String, i64)>, DieselError> {
    let rows: Vec<KeyCount> = diesel::sql_query(sql).load(c).await?;
    Ok(rows.into_iter().map(|r| (r.k, r.n)).collect())
}

/// Runs a statement answering one `n`.
pub(super) async fn count(
    c: &mut AsyncPgConnection,
    sql: &'static str,
) -> Result<i64, DieselError> {
    let r: Count = diesel::sql_query(sql).get_result(c).await?;
    Ok(r.n)
}

/// Chaperone verdicts since `since`, by verdict.
pub(super) async fn chaperone_today(
    c: &mut AsyncPgConnection,
    since: OffsetDateTime,
) -> Result<Vec<(String, i64)>, DieselError> {
    let rows: Vec<KeyCount> = diesel::sql_query(
        "SELECT verdict AS k, count(*) AS n FROM chaperone_log WHERE created_at >= $1 \
         GROUP BY verdict ORDER BY verdict",
    )
    .bind::<Timestamptz, _>(since)
    .load(c)
    .await?;
    Ok(rows.into_iter().map(|r| (r.k, r.n)).collect())
}

/// Geo denials counted on `day`.
pub(super) async fn geo_today(c: &mut AsyncPgConnection, day: Date) -> Result<i64, DieselError> {
    let r: Count = diesel::sql_query(
        "SELECT COALESCE(sum(count), 0)::bigint AS n FROM geo_denials WHERE day = $1",
    )
    .bind::<SqlDate, _>(day)
    .get_result(c)
    .await?;
    Ok(r.n)
}

/// An `events` row.
#[derive(QueryableByName)]
pub(super) struct EventRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    data: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

impl From<EventRow> for EventRecord {
    fn from(r: EventRow) -> Self {
        EventRecord {
            id: r.id,
            kind: r.kind,
            data: r.data,
            at: r.created_at,
        }
    }
}

/// Events, newest first.
pub(super) async fn events_page(
    c: &mut AsyncPgConnection,
    limit: i64,
    offset: i64,
) -> Result<Vec<EventRecord>, DieselError> {
    let rows: Vec<EventRow> = diesel::sql_query(
        "SELECT id, kind, data, created_at FROM events ORDER BY created_at DESC, id DESC \
         LIMIT $1 OFFSET $2",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(c)
    .await?;
    Ok(rows.into_iter().map(EventRecord::from).collect())
}
