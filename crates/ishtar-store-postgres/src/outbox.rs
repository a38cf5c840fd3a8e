//! The durable notification outbox and the public notifications board.
//!
//! Delivery state (docs/notifications.md): a claim sets a fresh `claim_token` and
//! `claimed_until` on the notification; every mark is conditional on the token, so a stale
//! claimer changes nothing. Claims are serialised by a transaction-scoped advisory lock, so
//! the per-endpoint in-flight cap holds across instances. `notification_endpoints` holds a
//! failing endpoint's consecutive failures and pause.
//!
//! Every notification is the delivery of an event stored in its owner's feed
//! (`owner_events`, written in the same transaction: `owner_events.rs`); its body, `id`
//! included, is the event's.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bytea, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId, PersonaId};
use ishtar_domain::ports::{
    Claim, ClaimRequest, Delivery, EndpointPause, EventRow, NewEvent, Outbox,
};

use crate::owner_events::{insert_events, read_events};
use crate::schema::{board_posts, notifications};
use crate::store::{PgStore, db_err};

/// The advisory lock serialising claims ("NOTIFY" in ASCII, as a number).
const CLAIM_LOCK_KEY: i64 = 0x4E4F_5449_4659;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    claim_token: i64,
    #[diesel(sql_type = Timestamptz)]
    claimed_until: OffsetDateTime,
    #[diesel(sql_type = BigInt)]
    endpoint_id: i64,
    #[diesel(sql_type = Int4)]
    failures: i32,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    callback_url: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    secret: Option<Vec<u8>>,
}

type BoxedQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = BigInt)]
    held: i64,
}

/// Claims under the advisory lock (held until the transaction ends).
async fn claim(
    c: &mut AsyncPgConnection,
    req: ClaimRequest,
    now: OffsetDateTime,
) -> Result<Vec<Claimed>, diesel::result::Error> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(CLAIM_LOCK_KEY)
        .execute(c)
        .await?;
    // `busy`: live claims per endpoint. `ranked`: each due, unclaimed notification of an
    // unpaused endpoint with its place in its endpoint's queue after the busy slots; `cap`
    // is 1 (a probe) while the endpoint is failing. Endpoints take turns (slot order), so
    // one endpoint's backlog cannot fill the batch.
    diesel::sql_query(
        "WITH busy AS ( \
           SELECT endpoint_id, count(*) AS n FROM notifications \
           WHERE claimed_until > $1 AND delivered_at IS NULL AND failed_at IS NULL \
           GROUP BY endpoint_id), \
         ranked AS ( \
           SELECT n.id, n.next_attempt_at, \
             COALESCE(b.n, 0) + row_number() OVER ( \
               PARTITION BY n.endpoint_id ORDER BY n.next_attempt_at, n.id) AS slot, \
             CASE WHEN COALESCE(s.failures, 0) > 0 THEN 1 ELSE $3 END AS cap \
           FROM notifications n \
           LEFT JOIN busy b ON b.endpoint_id = n.endpoint_id \
           LEFT JOIN notification_endpoints s ON s.endpoint_id = n.endpoint_id \
           WHERE n.delivered_at IS NULL AND n.failed_at IS NULL AND n.next_attempt_at <= $1 \
             AND (n.claimed_until IS NULL OR n.claimed_until <= $1) \
             AND (s.paused_until IS NULL OR s.paused_until <= $1)), \
         due AS ( \
           SELECT n.id FROM notifications n JOIN ranked r ON r.id = n.id \
           WHERE r.slot <= r.cap \
             AND n.delivered_at IS NULL AND n.failed_at IS NULL \
             AND (n.claimed_until IS NULL OR n.claimed_until <= $1) \
           ORDER BY r.slot, r.next_attempt_at, n.id LIMIT $2 \
           FOR UPDATE OF n SKIP LOCKED) \
         UPDATE notifications n \
         SET claim_token = nextval('notification_claims'), claimed_until = $4 \
         FROM due, agent_endpoints e \
         LEFT JOIN notification_endpoints s ON s.endpoint_id = e.id \
         WHERE n.id = due.id AND e.id = n.endpoint_id \
         RETURNING n.id, n.claim_token, n.claimed_until, n.endpoint_id, \
           COALESCE(s.failures, 0) AS failures, n.payload, n.attempts, e.callback_url, \
           e.callback_secret_enc AS secret",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(i64::from(req.limit))
    .bind::<BigInt, _>(i64::from(req.per_endpoint))
    .bind::<Timestamptz, _>(req.lease_until)
    .load(c)
    .await
}

/// Clears the claim and applies `set` (`, col = …`) where `claim` still holds the
/// notification, then `then` (a CTE on `m`, the updated row's `endpoint_id`), all in one
/// statement; true when the claim held.
async fn settle(
    c: &mut AsyncPgConnection,
    claim: Claim,
    set: &str,
    then: &str,
    bind: impl FnOnce(BoxedQuery) -> BoxedQuery,
) -> Result<bool, StoreError> {
    let sql = format!(
        "WITH m AS ( \
           UPDATE notifications SET claim_token = NULL, claimed_until = NULL{set} \
           WHERE id = $1 AND claim_token = $2 AND delivered_at IS NULL AND failed_at IS NULL \
           RETURNING endpoint_id){then} \
         SELECT count(*) AS held FROM m"
    );
    let q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(claim.id)
        .bind::<BigInt, _>(claim.token);
    let row: Held = bind(q).get_result(c).await.map_err(db_err)?;
    Ok(row.held > 0)
}

/// Records a failed attempt's endpoint pause ($6 failures, $7 until), never shortening one.
const PAUSE: &str = ", e AS ( \
    INSERT INTO notification_endpoints (endpoint_id, failures, paused_until) \
    SELECT endpoint_id, $6, $7 FROM m \
    ON CONFLICT (endpoint_id) DO UPDATE SET \
      failures = GREATEST(notification_endpoints.failures, EXCLUDED.failures), \
      paused_until = GREATEST(notification_endpoints.paused_until, EXCLUDED.paused_until))";

#[async_trait]
impl Outbox for PgStore {
    async fn enqueue(
        &self,
        personas: Vec<PersonaId>,
        kind: &'static str,
        payload: serde_json::Value,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        // One event per owner of these personas (the same body twice to one owner is
        // stored once), in its feed and queued for its endpoints.
        let rows = EventRow::for_personas(&personas, kind, &payload);
        let mut conn = self.conn().await?;
        conn.transaction(async |c| insert_events(c, &rows, true, at).await)
            .await
            .map_err(db_err)
    }

    async fn publish(
        &self,
        events: Vec<NewEvent>,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let rows = EventRow::published(&events);
        let mut conn = self.conn().await?;
        conn.transaction(async |c| insert_events(c, &rows, false, at).await)
            .await
            .map_err(db_err)
    }

    async fn owner_events(
        &self,
        owner: OwnerId,
        since: i64,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut conn = self.conn().await?;
        read_events(&mut conn, owner, since, limit)
            .await
            .map_err(db_err)
    }

    async fn post_board(
        &self,
        board: String,
        handle: String,
        body: String,
        couple: Option<CoupleId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(board_posts::table)
            .values((
                board_posts::board.eq(board),
                board_posts::handle.eq(handle),
                board_posts::body.eq(body),
                board_posts::couple_id.eq(couple.map(|c| c.0)),
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
        req: ClaimRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let rows = claim(c, req, now).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let secret = r.secret.as_deref().and_then(|s| self.cipher().open(s).ok());
                match (r.callback_url, secret) {
                    (Some(url), Some(secret)) => out.push(Delivery {
                        claim: Claim {
                            id: r.id,
                            token: r.claim_token,
                        },
                        claimed_until: r.claimed_until,
                        endpoint_id: r.endpoint_id,
                        endpoint_failures: r.failures,
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
                                notifications::claim_token.eq(None::<i64>),
                                notifications::claimed_until.eq(None::<OffsetDateTime>),
                            ))
                            .execute(c)
                            .await?;
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(db_err)
    }

    async fn mark_delivered(&self, claim: Claim, at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        settle(
            &mut conn,
            claim,
            ", delivered_at = $3, attempts = attempts + 1",
            ", e AS (UPDATE notification_endpoints s SET failures = 0, \
               paused_until = LEAST(s.paused_until, $3) \
               FROM m WHERE s.endpoint_id = m.endpoint_id)",
            |q| q.bind::<Timestamptz, _>(at),
        )
        .await
    }

    async fn mark_retry(
        &self,
        claim: Claim,
        attempts: i32,
        next: OffsetDateTime,
        error: String,
        pause: EndpointPause,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        settle(
            &mut conn,
            claim,
            ", attempts = $3, next_attempt_at = $4, last_error = $5",
            PAUSE,
            |q| {
                q.bind::<Int4, _>(attempts)
                    .bind::<Timestamptz, _>(next)
                    .bind::<Text, _>(error)
                    .bind::<Int4, _>(pause.failures)
                    .bind::<Timestamptz, _>(pause.until)
            },
        )
        .await
    }

    async fn mark_failed(
        &self,
        claim: Claim,
        attempts: i32,
        error: String,
        at: OffsetDateTime,
        pause: EndpointPause,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        settle(
            &mut conn,
            claim,
            ", attempts = $3, failed_at = $4, last_error = $5",
            PAUSE,
            |q| {
                q.bind::<Int4, _>(attempts)
                    .bind::<Timestamptz, _>(at)
                    .bind::<Text, _>(error)
                    .bind::<Int4, _>(pause.failures)
                    .bind::<Timestamptz, _>(pause.until)
            },
        )
        .await
    }

    async fn release(&self, claim: Claim) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        // Back to the queue as it was: due again at once.
        settle(&mut conn, claim, "", "", |q| q).await
    }
}
