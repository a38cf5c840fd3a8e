//! The operator console's reads, brokering and the retention purge (erasure: `erasure.rs`).
//!
//! Mostly plain SQL: the console counts and pages across every table, including the
//! payments and escalation ones. Each port method is one transaction, except
//! [`ConsoleStore::snapshot`], which reads its parts one by one so that a part that fails
//! (and only that part) is reported as unreadable.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{
    BigInt, Bool, Bytea, Date as SqlDate, Float4, Jsonb, Nullable, Text, Timestamptz,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::{Date, OffsetDateTime};

use ishtar_domain::StoreError;
use ishtar_domain::console::{
    BrokerOutcome, ChaperoneRow, ConsoleData, ConsoleQuery, CoupleRow, EventRecord, GeoRow,
    IdentityRow, Intro, IntroSide, OrderRow, PAGE_SIZE, Page, PersonaRow, PostRow, ReceiptRow,
    Section, SnapshotCounts, TurnRow, kinds,
};
use ishtar_domain::model::{CoupleId, CoupleState, OwnerId, PersonaId};
use ishtar_domain::ports::{ConsoleStore, RetentionStore};
use ishtar_domain::retention::Purged;

use crate::schema::events;
use crate::store::{PgStore, db_err};

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn key_counts(
    c: &mut AsyncPgConnection,
    sql: &'static str,
) -> Result<Vec<(String, i64)>, DieselError> {
    let rows: Vec<KeyCount> = diesel::sql_query(sql).load(c).await?;
    Ok(rows.into_iter().map(|r| (r.k, r.n)).collect())
}

async fn count(c: &mut AsyncPgConnection, sql: &'static str) -> Result<i64, DieselError> {
    let r: Count = diesel::sql_query(sql).get_result(c).await?;
    Ok(r.n)
}

async fn chaperone_today(
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

async fn geo_today(c: &mut AsyncPgConnection, day: Date) -> Result<i64, DieselError> {
    let r: Count = diesel::sql_query(
        "SELECT COALESCE(sum(count), 0)::bigint AS n FROM geo_denials WHERE day = $1",
    )
    .bind::<SqlDate, _>(day)
    .get_result(c)
    .await?;
    Ok(r.n)
}

#[derive(QueryableByName)]
struct EventRow {
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

async fn events_page(
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

#[derive(QueryableByName)]
struct IntroRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    since: OffsetDateTime,
    #[diesel(sql_type = BigInt)]
    a_id: i64,
    #[diesel(sql_type = Text)]
    a_handle: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    a_owner: Option<i64>,
    #[diesel(sql_type = Nullable<Bytea>)]
    a_contact: Option<Vec<u8>>,
    #[diesel(sql_type = BigInt)]
    b_id: i64,
    #[diesel(sql_type = Text)]
    b_handle: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    b_owner: Option<i64>,
    #[diesel(sql_type = Nullable<Bytea>)]
    b_contact: Option<Vec<u8>>,
}

/// Committed couples, oldest first. `since` is when the couple was committed (its
/// `intro_ready` event), or when it formed once that event has aged out.
const INTROS_SQL: &str = "\
    SELECT c.id, \
      COALESCE((SELECT max(e.created_at) FROM events e WHERE e.kind = 'intro_ready' \
                AND e.data->>'coupleId' = c.id::text), c.created_at) AS since, \
      pa.id AS a_id, pa.handle AS a_handle, pa.owner_id AS a_owner, ha.contact_ref_enc AS a_contact, \
      pb.id AS b_id, pb.handle AS b_handle, pb.owner_id AS b_owner, hb.contact_ref_enc AS b_contact \
    FROM couples c \
    JOIN personas pa ON pa.id = c.persona_a \
    JOIN personas pb ON pb.id = c.persona_b \
    LEFT JOIN LATERAL (SELECT h.contact_ref_enc FROM heart_files h WHERE h.owner_id = pa.owner_id \
                       ORDER BY h.version DESC LIMIT 1) ha ON TRUE \
    LEFT JOIN LATERAL (SELECT h.contact_ref_enc FROM heart_files h WHERE h.owner_id = pb.owner_id \
                       ORDER BY h.version DESC LIMIT 1) hb ON TRUE \
    WHERE c.state = 'committed' ORDER BY c.id LIMIT $1";

impl PgStore {
    /// The contact pointer, decrypted; a pointer that cannot be opened is shown as such
    /// (and logged), never as ciphertext.
    fn open_contact(&self, sealed: Option<Vec<u8>>) -> Option<String> {
        sealed.map(|s| match self.cipher().open(&s) {
            Ok(text) => text,
            Err(e) => {
                tracing::error!(error = %e, "a contact pointer could not be decrypted");
                "(unreadable)".to_owned()
            }
        })
    }

    async fn intros(
        &self,
        c: &mut AsyncPgConnection,
        limit: u32,
        with_contacts: bool,
    ) -> Result<Vec<Intro>, DieselError> {
        let rows: Vec<IntroRow> = diesel::sql_query(INTROS_SQL)
            .bind::<BigInt, _>(i64::from(limit))
            .load(c)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let side = |id, handle, owner: Option<i64>, contact| IntroSide {
                    persona: PersonaId(id),
                    handle,
                    owner: owner.map(OwnerId),
                    contact: if with_contacts {
                        self.open_contact(contact)
                    } else {
                        None
                    },
                };
                Intro {
                    couple: CoupleId(r.id),
                    since: r.since,
                    a: side(r.a_id, r.a_handle, r.a_owner, r.a_contact),
                    b: side(r.b_id, r.b_handle, r.b_owner, r.b_contact),
                }
            })
            .collect())
    }
}

const PERSONAS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM personas GROUP BY status ORDER BY status";
const COUPLES_BY_STATE: &str =
    "SELECT state AS k, count(*) AS n FROM couples GROUP BY state ORDER BY state";
const TURNS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM turns GROUP BY status ORDER BY status";
const ORDERS_BY_STATUS: &str =
    "SELECT status AS k, count(*) AS n FROM orders GROUP BY status ORDER BY status";
const ADMITTED: &str = "SELECT admitted::bigint AS n FROM capacity WHERE id = 1";
const REVENUE: &str = "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM receipts";
const BUYBACK: &str = "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM buyback_ledger";

// --- console pages -----------------------------------------------------------------------

#[derive(QueryableByName)]
struct PersonaDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    owner_id: Option<i64>,
    #[diesel(sql_type = Text)]
    handle: String,
    #[diesel(sql_type = Text)]
    model: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Bool)]
    redteam: bool,
    #[diesel(sql_type = Text)]
    active_market: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct CoupleDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Float4>)]
    similarity: Option<f32>,
    #[diesel(sql_type = BigInt)]
    turns: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct TurnDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    couple_id: i64,
    #[diesel(sql_type = Text)]
    author: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct PostDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    board: String,
    #[diesel(sql_type = Text)]
    handle: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct OrderDb {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    owner_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    couple_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    amount: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<BigInt>)]
    receipt_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    payer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    transaction: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    network: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    receipt_amount: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    buyback: Option<i64>,
}

#[derive(QueryableByName)]
struct IdentityDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    tier: String,
    #[diesel(sql_type = BigInt)]
    invites: i64,
    #[diesel(sql_type = BigInt)]
    claimed: i64,
    #[diesel(sql_type = BigInt)]
    consents: i64,
    #[diesel(sql_type = Nullable<Text>)]
    check_status: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    age_over_18: Option<bool>,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct ChaperoneDb {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    surface: String,
    #[diesel(sql_type = Text)]
    target_type: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    target_id: Option<i64>,
    #[diesel(sql_type = Text)]
    verdict: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct GeoDb {
    #[diesel(sql_type = SqlDate)]
    day: Date,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Owners who have started on the way to a real introduction.
const IDENTITY_FILTER: &str = "o.tier <> 'agent_represented' \
    OR EXISTS (SELECT 1 FROM invites i WHERE i.owner_id = o.id) \
    OR EXISTS (SELECT 1 FROM intro_consents x WHERE x.owner_id = o.id) \
    OR EXISTS (SELECT 1 FROM identity_checks k WHERE k.owner_id = o.id)";

/// Reads one page: `rows_sql` gets `LIMIT $1 OFFSET $2`, `count_sql` the total.
async fn page<R, T>(
    c: &mut AsyncPgConnection,
    q: &ConsoleQuery,
    s: Section,
    rows_sql: String,
    count_sql: String,
    map: impl Fn(R) -> T + Send,
) -> Result<Page<T>, DieselError>
where
    R: QueryableByName<diesel::pg::Pg> + Send + 'static,
    T: Send,
{
    let total: Count = diesel::sql_query(count_sql).get_result(c).await?;
    let rows: Vec<R> = diesel::sql_query(format!("{rows_sql} LIMIT $1 OFFSET $2"))
        .bind::<BigInt, _>(i64::from(PAGE_SIZE))
        .bind::<BigInt, _>(q.offset(s))
        .load(c)
        .await?;
    Ok(Page {
        items: rows.into_iter().map(map).collect(),
        page: q.page(s),
        total: total.n,
    })
}

impl PgStore {
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
        let pending = counts
            .personas_by_status
            .iter()
            .find(|(k, _)| k == "pending")
            .map_or(0, |(_, n)| *n);
        let personas = page(
            c,
            &q,
            Section::Personas,
            "SELECT id, owner_id, handle, model, status, reason, redteam, active_market, \
             created_at FROM personas ORDER BY id DESC"
                .into(),
            "SELECT count(*) AS n FROM personas".into(),
            |r: PersonaDb| PersonaRow {
                id: PersonaId(r.id),
                owner: r.owner_id.map(OwnerId),
                handle: r.handle,
                model: r.model,
                status: r.status,
                reason: r.reason,
                redteam: r.redteam,
                active_market: r.active_market,
                created_at: r.created_at,
            },
        )
        .await?;
        let couples = page(
            c,
            &q,
            Section::Couples,
            "SELECT c.id, pa.handle AS a, pb.handle AS b, c.state, c.similarity, \
               (SELECT count(*) FROM turns t WHERE t.couple_id = c.id) AS turns, c.created_at \
             FROM couples c JOIN personas pa ON pa.id = c.persona_a \
             JOIN personas pb ON pb.id = c.persona_b ORDER BY c.id DESC"
                .into(),
            "SELECT count(*) AS n FROM couples".into(),
            |r: CoupleDb| CoupleRow {
                id: CoupleId(r.id),
                a: r.a,
                b: r.b,
                state: r.state,
                similarity: r.similarity,
                turns: r.turns,
                created_at: r.created_at,
            },
        )
        .await?;
        let turns = page(
            c,
            &q,
            Section::Turns,
            "SELECT id, couple_id, author, body, status, reason, created_at FROM turns \
             ORDER BY created_at DESC, id DESC"
                .into(),
            "SELECT count(*) AS n FROM turns".into(),
            |r: TurnDb| TurnRow {
                id: r.id,
                couple: CoupleId(r.couple_id),
                author: r.author,
                body: r.body,
                status: r.status,
                reason: r.reason,
                created_at: r.created_at,
            },
        )
        .await?;
        let posts = page(
            c,
            &q,
            Section::Posts,
            "SELECT id, board, handle, body, status, created_at FROM board_posts \
             ORDER BY created_at DESC, id DESC"
                .into(),
            "SELECT count(*) AS n FROM board_posts".into(),
            |r: PostDb| PostRow {
                id: r.id,
                board: r.board,
                handle: r.handle,
                body: r.body,
                status: r.status,
                created_at: r.created_at,
            },
        )
        .await?;
        let orders = page(
            c,
            &q,
            Section::Orders,
            "SELECT o.id, o.owner_id, o.couple_id, o.amount, o.status, o.reason, o.created_at, \
               r.id AS receipt_id, r.payer, r.transaction, r.network, r.amount AS receipt_amount, \
               b.amount AS buyback \
             FROM orders o LEFT JOIN receipts r ON r.order_id = o.id \
             LEFT JOIN buyback_ledger b ON b.receipt_id = r.id \
             ORDER BY o.created_at DESC, o.id DESC"
                .into(),
            "SELECT count(*) AS n FROM orders".into(),
            |r: OrderDb| OrderRow {
                id: r.id,
                owner: r.owner_id.map(OwnerId),
                couple: r.couple_id.map(CoupleId),
                amount: r.amount,
                status: r.status,
                reason: r.reason,
                created_at: r.created_at,
                receipt: r.receipt_id.map(|id| ReceiptRow {
                    id,
                    payer: r.payer.unwrap_or_default(),
                    transaction: r.transaction.unwrap_or_default(),
                    network: r.network.unwrap_or_default(),
                    amount: r.receipt_amount.unwrap_or_default(),
                    buyback: r.buyback.unwrap_or_default(),
                }),
            },
        )
        .await?;
        let identity = page(
            c,
            &q,
            Section::Identity,
            format!(
                "SELECT o.id, o.tier, o.created_at, \
                   (SELECT count(*) FROM invites i WHERE i.owner_id = o.id) AS invites, \
                   (SELECT count(*) FROM invites i WHERE i.owner_id = o.id \
                      AND i.claimed_at IS NOT NULL) AS claimed, \
                   (SELECT count(*) FROM intro_consents x WHERE x.owner_id = o.id) AS consents, \
                   k.status AS check_status, k.age_over_18 \
                 FROM owners o LEFT JOIN LATERAL (SELECT status, age_over_18 FROM identity_checks \
                   WHERE owner_id = o.id ORDER BY updated_at DESC LIMIT 1) k ON TRUE \
                 WHERE {IDENTITY_FILTER} ORDER BY o.id DESC"
            ),
            format!("SELECT count(*) AS n FROM owners o WHERE {IDENTITY_FILTER}"),
            |r: IdentityDb| IdentityRow {
                owner: OwnerId(r.id),
                tier: r.tier,
                invites: r.invites,
                invites_claimed: r.claimed,
                consents: r.consents,
                identity_status: r.check_status,
                age_over_18: r.age_over_18,
                created_at: r.created_at,
            },
        )
        .await?;
        let chaperone = page(
            c,
            &q,
            Section::Chaperone,
            "SELECT id, surface, target_type, target_id, verdict, reason, created_at \
             FROM chaperone_log ORDER BY created_at DESC, id DESC"
                .into(),
            "SELECT count(*) AS n FROM chaperone_log".into(),
            |r: ChaperoneDb| ChaperoneRow {
                id: r.id,
                surface: r.surface,
                target_type: r.target_type,
                target_id: r.target_id,
                verdict: r.verdict,
                reason: r.reason,
                created_at: r.created_at,
            },
        )
        .await?;
        let geo = page(
            c,
            &q,
            Section::Geo,
            "SELECT day, country, count FROM geo_denials ORDER BY day DESC, count DESC, country"
                .into(),
            "SELECT count(*) AS n FROM geo_denials".into(),
            |r: GeoDb| GeoRow {
                day: r.day,
                country: r.country,
                count: r.count,
            },
        )
        .await?;
        let events = page(
            c,
            &q,
            Section::Events,
            "SELECT id, kind, data, created_at FROM events ORDER BY created_at DESC, id DESC"
                .into(),
            "SELECT count(*) AS n FROM events".into(),
            <EventRecord as From<EventRow>>::from,
        )
        .await?;
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            key: String,
            #[diesel(sql_type = Text)]
            value: String,
        }
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
            let brokered: Option<Pair> = diesel::sql_query(
                "UPDATE couples SET state = 'brokered' WHERE id = $1 AND state = 'committed' \
                 RETURNING persona_a, persona_b",
            )
            .bind::<BigInt, _>(couple.0)
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

// --- retention ---------------------------------------------------------------------------

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
