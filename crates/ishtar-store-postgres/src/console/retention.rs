//! The retention purge (`RetentionStore`): everything older than the cutoff, in one
//! transaction. Erasure of one owner is `erasure.rs`.

use async_trait::async_trait;
use diesel::result::Error as DieselError;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::ports::{Purged, RetentionStore};

use crate::store::{PgStore, db_err};

/// Runs one `DELETE … WHERE … $1` statement with the cutoff; the rows it deleted.
async fn delete_before(
    c: &mut AsyncPgConnection,
    sql: &'static str,
    cutoff: OffsetDateTime,
) -> Result<u64, DieselError> {
    diesel::sql_query(sql)
        .bind::<Timestamptz, _>(cutoff)
        .execute(c)
        .await
        .map(|n| n as u64)
}

#[async_trait]
impl RetentionStore for PgStore {
    async fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            Ok::<_, DieselError>(Purged {
                events: delete_before(c, "DELETE FROM events WHERE created_at < $1", cutoff)
                    .await?,
                chaperone_log: delete_before(
                    c,
                    "DELETE FROM chaperone_log WHERE created_at < $1",
                    cutoff,
                )
                .await?,
                // A day's count goes once the whole day is older than the cutoff.
                geo_denials: delete_before(
                    c,
                    "DELETE FROM geo_denials WHERE day < ($1 AT TIME ZONE 'UTC')::date",
                    cutoff,
                )
                .await?,
                notifications: delete_before(
                    c,
                    "DELETE FROM notifications WHERE delivered_at < $1 OR failed_at < $1",
                    cutoff,
                )
                .await?,
                invites: delete_before(
                    c,
                    "DELETE FROM invites WHERE claimed_at IS NULL AND created_at < $1",
                    cutoff,
                )
                .await?,
                orders: delete_before(
                    c,
                    "DELETE FROM orders o WHERE o.created_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.order_id = o.id)",
                    cutoff,
                )
                .await?,
                beats: delete_before(c, "DELETE FROM beats WHERE finished_at < $1", cutoff).await?,
                // After `notifications`: a delivery still queued for an event this old goes
                // with it (`event_id` cascades).
                owner_events: delete_before(
                    c,
                    "DELETE FROM owner_events WHERE created_at < $1",
                    cutoff,
                )
                .await?,
            })
        })
        .await
        .map_err(db_err)
    }
}
