//! Events per owner (issue 12, docs/notifications.md "Events"): every event is one
//! `owner_events` row — its id is the event id agents see — and one `notifications` row per
//! active, callback-bearing endpoint of that owner, carrying the same body and pointing at
//! the event. Agents without a callback poll the same rows
//! (`GET /api/owners/me/events?since=<id>`).
//!
//! **Ids in commit order.** A poller asks for `id > since`; if a transaction could commit
//! an event with a smaller id after a later one was read, the cursor would skip it. So every
//! writer takes a transaction-scoped advisory lock before it draws ids and keeps it until it
//! commits: events are numbered in the order they become visible. Writers hold it only for
//! their last statement (the beat's write takes it just before its events, then commits).
//!
//! Also here: what `GET /api/owners/me` reads to say why a persona has no couple.

use async_trait::async_trait;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleState, EndpointStatus, OwnerId, PersonaId, PersonaStatus};
use ishtar_domain::ports::{EventRow, GuideStore, PersonaStanding};

use crate::store::{PgStore, db_err};

/// The advisory lock serialising event writers ("EVENTS" in ASCII, as a number).
pub(crate) const EVENTS_LOCK_KEY: i64 = 0x4556_454E_5453;

/// Takes the event writers' lock until the current transaction ends.
pub(crate) async fn lock_events(c: &mut AsyncPgConnection) -> Result<(), diesel::result::Error> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(EVENTS_LOCK_KEY)
        .execute(c)
        .await
        .map(drop)
}

/// Inserts `rows` (after taking the events lock; call inside a transaction): each resolved
/// to its owner (a persona without one is dropped), numbered, its id added to the body as
/// `id`, and queued for each of the owner's active, callback-bearing endpoints with the
/// same body. With `one_per_owner` (every row is the same event, for several personas)
/// an owner named twice gets it once. Returns the notifications queued.
pub(crate) async fn insert_events(
    c: &mut AsyncPgConnection,
    rows: &[EventRow<'_>],
    one_per_owner: bool,
    at: OffsetDateTime,
) -> Result<usize, diesel::result::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let personas: Vec<Option<i64>> = rows.iter().map(|r| r.persona.map(|p| p.0)).collect();
    let owners: Vec<Option<i64>> = rows.iter().map(|r| r.owner.map(|o| o.0)).collect();
    let about_personas: Vec<Option<i64>> =
        rows.iter().map(|r| r.about_persona.map(|p| p.0)).collect();
    let abouts: Vec<Option<i64>> = rows.iter().map(|r| r.about.map(|o| o.0)).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
    let bodies: Vec<&serde_json::Value> = rows.iter().map(|r| r.body).collect();
    lock_events(c).await?;
    diesel::sql_query(
        "WITH t AS ( \
           SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::text[], $6::jsonb[]) \
             WITH ORDINALITY AS t(persona, owner, about_persona, about, kind, body, ord)), \
         src AS ( \
           SELECT DISTINCT ON (o.owner_id, o.grp) o.owner_id, \
             COALESCE(t.about, q.owner_id) AS about, t.kind, t.body, t.ord \
           FROM t \
           LEFT JOIN personas p ON p.id = t.persona \
           LEFT JOIN personas q ON q.id = t.about_persona \
           CROSS JOIN LATERAL (SELECT COALESCE(t.owner, p.owner_id) AS owner_id, \
             CASE WHEN $8 THEN 0 ELSE t.ord END AS grp) o \
           WHERE o.owner_id IS NOT NULL \
           ORDER BY o.owner_id, o.grp, t.ord), \
         numbered AS ( \
           SELECT nextval('owner_events_id_seq') AS id, s.* FROM (SELECT * FROM src ORDER BY ord) s), \
         ev AS ( \
           INSERT INTO owner_events (id, owner_id, about_owner, kind, payload, created_at) \
           SELECT id, owner_id, NULLIF(about, owner_id), kind, body || jsonb_build_object('id', id), $7 \
           FROM numbered \
           RETURNING id, owner_id, kind, payload) \
         INSERT INTO notifications (endpoint_id, owner_id, event_id, kind, payload, next_attempt_at, created_at) \
         SELECT e.id, ev.owner_id, ev.id, ev.kind, ev.payload, $7, $7 \
         FROM ev JOIN agent_endpoints e ON e.owner_id = ev.owner_id \
         WHERE e.status = $9 AND e.callback_url IS NOT NULL \
           AND e.callback_secret_enc IS NOT NULL",
    )
    .bind::<Array<Nullable<BigInt>>, _>(&personas)
    .bind::<Array<Nullable<BigInt>>, _>(&owners)
    .bind::<Array<Nullable<BigInt>>, _>(&about_personas)
    .bind::<Array<Nullable<BigInt>>, _>(&abouts)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<Jsonb>, _>(&bodies)
    .bind::<Timestamptz, _>(at)
    .bind::<Bool, _>(one_per_owner)
    .bind::<Text, _>(EndpointStatus::Active.as_str())
    .execute(c)
    .await
}

/// `owner`'s event bodies with `id > since`, oldest first, at most `limit`.
pub(crate) async fn read_events(
    c: &mut AsyncPgConnection,
    owner: OwnerId,
    since: i64,
    limit: u32,
) -> Result<Vec<serde_json::Value>, diesel::result::Error> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        payload: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT payload FROM owner_events WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind::<BigInt, _>(owner.0)
    .bind::<BigInt, _>(since)
    .bind::<BigInt, _>(i64::from(limit))
    .load(c)
    .await?;
    Ok(rows.into_iter().map(|r| r.payload).collect())
}

#[async_trait]
impl GuideStore for PgStore {
    async fn persona_standing(&self, owner: OwnerId) -> Result<Vec<PersonaStanding>, StoreError> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            admitted_at: Option<OffsetDateTime>,
            #[diesel(sql_type = Bool)]
            in_couple: bool,
            #[diesel(sql_type = Bool)]
            others_in_market: bool,
        }
        let mut conn = self.conn().await?;
        // `others_in_market` asks only whether one such persona exists (the eligibility
        // rules of docs/matcher.md, before the hard filters), so it stops at the first.
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT p.id, CASE WHEN p.status = $2 \
                 THEN COALESCE(p.admitted_at, p.created_at) END AS admitted_at, \
               EXISTS (SELECT 1 FROM couples c WHERE (c.persona_a = p.id OR c.persona_b = p.id) \
                 AND c.state = ANY($4)) AS in_couple, \
               EXISTS (SELECT 1 FROM personas o \
                 WHERE o.status = $2 AND o.owner_id IS NOT NULL AND o.owner_id <> p.owner_id \
                   AND o.redteam = p.redteam \
                   AND (o.active_market = p.active_market OR o.active_market IN ('remote', '') \
                        OR p.active_market IN ('remote', '')) \
                   AND EXISTS (SELECT 1 FROM agent_endpoints e \
                     WHERE e.owner_id = o.owner_id AND e.status = $3) \
                   AND NOT EXISTS (SELECT 1 FROM couples c WHERE c.persona_a = o.id \
                     AND c.state = ANY($4)) \
                   AND NOT EXISTS (SELECT 1 FROM couples c WHERE c.persona_b = o.id \
                     AND c.state = ANY($4))) AS others_in_market \
             FROM personas p WHERE p.owner_id = $1 ORDER BY p.id",
        )
        .bind::<BigInt, _>(owner.0)
        .bind::<Text, _>(PersonaStatus::Admitted.as_str())
        .bind::<Text, _>(EndpointStatus::Active.as_str())
        .bind::<Array<Text>, _>(CoupleState::pairing_names())
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| PersonaStanding {
                persona: PersonaId(r.id),
                admitted_at: r.admitted_at,
                in_couple: r.in_couple,
                others_in_market: r.others_in_market,
            })
            .collect())
    }
}
