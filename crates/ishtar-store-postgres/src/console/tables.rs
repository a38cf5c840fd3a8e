//! The console's tables, one [`ConsoleTable`] each: the row as selected, its statements,
//! and the domain row. Adding a table is a row struct and one `impl` here, plus a field of
//! `ConsoleData`.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Date as SqlDate, Float4, Nullable, Text, Timestamptz};
use time::{Date, OffsetDateTime};

use ishtar_domain::model::{CoupleId, OwnerId, PersonaId};
use ishtar_domain::ports::{
    ChaperoneRow, CoupleRow, EventRecord, GeoRow, IdentityRow, OrderRow, PersonaRow, PostRow,
    ReceiptRow, Section, TurnRow,
};

use super::counts::EventRow;
use super::page::ConsoleTable;

/// Owners who have started on the way to a real introduction: a `WHERE` clause over
/// `owners o` (a macro, so that both statements can `concat!` it).
macro_rules! identity_filter {
    () => {
        "o.tier <> 'agent_represented' \
         OR EXISTS (SELECT 1 FROM invites i WHERE i.owner_id = o.id) \
         OR EXISTS (SELECT 1 FROM intro_consents x WHERE x.owner_id = o.id) \
         OR EXISTS (SELECT 1 FROM identity_checks k WHERE k.owner_id = o.id)"
    };
}

// --- personas ----------------------------------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct PersonaDb {
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

impl ConsoleTable for PersonaDb {
    type Item = PersonaRow;
    const SECTION: Section = Section::Personas;
    const ROWS: &'static str = "SELECT id, owner_id, handle, model, status, reason, redteam, \
        active_market, created_at FROM personas ORDER BY id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM personas";

    fn into_item(self) -> PersonaRow {
        PersonaRow {
            id: PersonaId(self.id),
            owner: self.owner_id.map(OwnerId),
            handle: self.handle,
            model: self.model,
            status: self.status,
            reason: self.reason,
            redteam: self.redteam,
            active_market: self.active_market,
            created_at: self.created_at,
        }
    }
}

// --- couples -----------------------------------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct CoupleDb {
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

impl ConsoleTable for CoupleDb {
    type Item = CoupleRow;
    const SECTION: Section = Section::Couples;
    const ROWS: &'static str = "SELECT c.id, pa.handle AS a, pb.handle AS b, c.state, \
        c.similarity, (SELECT count(*) FROM turns t WHERE t.couple_id = c.id) AS turns, \
        c.created_at \
        FROM couples c JOIN personas pa ON pa.id = c.persona_a \
        JOIN personas pb ON pb.id = c.persona_b ORDER BY c.id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM couples";

    fn into_item(self) -> CoupleRow {
        CoupleRow {
            id: CoupleId(self.id),
            a: self.a,
            b: self.b,
            state: self.state,
            similarity: self.similarity,
            turns: self.turns,
            created_at: self.created_at,
        }
    }
}

// --- turns -------------------------------------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct TurnDb {
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

impl ConsoleTable for TurnDb {
    type Item = TurnRow;
    const SECTION: Section = Section::Turns;
    const ROWS: &'static str = "SELECT id, couple_id, author, body, status, reason, created_at \
        FROM turns ORDER BY created_at DESC, id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM turns";

    fn into_item(self) -> TurnRow {
        TurnRow {
            id: self.id,
            couple: CoupleId(self.couple_id),
            author: self.author,
            body: self.body,
            status: self.status,
            reason: self.reason,
            created_at: self.created_at,
        }
    }
}

// --- board posts -------------------------------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct PostDb {
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

impl ConsoleTable for PostDb {
    type Item = PostRow;
    const SECTION: Section = Section::Posts;
    const ROWS: &'static str = "SELECT id, board, handle, body, status, created_at \
        FROM board_posts ORDER BY created_at DESC, id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM board_posts";

    fn into_item(self) -> PostRow {
        PostRow {
            id: self.id,
            board: self.board,
            handle: self.handle,
            body: self.body,
            status: self.status,
            created_at: self.created_at,
        }
    }
}

// --- orders, with their receipt and buyback ---------------------------------------------

#[derive(QueryableByName)]
pub(super) struct OrderDb {
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

impl ConsoleTable for OrderDb {
    type Item = OrderRow;
    const SECTION: Section = Section::Orders;
    const ROWS: &'static str = "SELECT o.id, o.owner_id, o.couple_id, o.amount, o.status, \
        o.reason, o.created_at, r.id AS receipt_id, r.payer, r.transaction, r.network, \
        r.amount AS receipt_amount, b.amount AS buyback \
        FROM orders o LEFT JOIN receipts r ON r.order_id = o.id \
        LEFT JOIN buyback_ledger b ON b.receipt_id = r.id \
        ORDER BY o.created_at DESC, o.id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM orders";

    fn into_item(self) -> OrderRow {
        OrderRow {
            id: self.id,
            owner: self.owner_id.map(OwnerId),
            couple: self.couple_id.map(CoupleId),
            amount: self.amount,
            status: self.status,
            reason: self.reason,
            created_at: self.created_at,
            receipt: self.receipt_id.map(|id| ReceiptRow {
                id,
                payer: self.payer.unwrap_or_default(),
                transaction: self.transaction.unwrap_or_default(),
                network: self.network.unwrap_or_default(),
                amount: self.receipt_amount.unwrap_or_default(),
                buyback: self.buyback.unwrap_or_default(),
            }),
        }
    }
}

// --- identity: owners on the way to an introduction -------------------------------------

#[derive(QueryableByName)]
pub(super) struct IdentityDb {
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

impl ConsoleTable for IdentityDb {
    type Item = IdentityRow;
    const SECTION: Section = Section::Identity;
    const ROWS: &'static str = concat!(
        "SELECT o.id, o.tier, o.created_at, \
           (SELECT count(*) FROM invites i WHERE i.owner_id = o.id) AS invites, \
           (SELECT count(*) FROM invites i WHERE i.owner_id = o.id \
              AND i.claimed_at IS NOT NULL) AS claimed, \
           (SELECT count(*) FROM intro_consents x WHERE x.owner_id = o.id) AS consents, \
           k.status AS check_status, k.age_over_18 \
         FROM owners o LEFT JOIN LATERAL (SELECT status, age_over_18 FROM identity_checks \
           WHERE owner_id = o.id ORDER BY updated_at DESC LIMIT 1) k ON TRUE \
         WHERE ",
        identity_filter!(),
        " ORDER BY o.id DESC"
    );
    const COUNT: &'static str = concat!(
        "SELECT count(*) AS n FROM owners o WHERE ",
        identity_filter!()
    );

    fn into_item(self) -> IdentityRow {
        IdentityRow {
            owner: OwnerId(self.id),
            tier: self.tier,
            invites: self.invites,
            invites_claimed: self.claimed,
            consents: self.consents,
            identity_status: self.check_status,
            age_over_18: self.age_over_18,
            created_at: self.created_at,
        }
    }
}

// --- chaperone log -----------------------------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct ChaperoneDb {
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

impl ConsoleTable for ChaperoneDb {
    type Item = ChaperoneRow;
    const SECTION: Section = Section::Chaperone;
    const ROWS: &'static str = "SELECT id, surface, target_type, target_id, verdict, reason, \
        created_at FROM chaperone_log ORDER BY created_at DESC, id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM chaperone_log";

    fn into_item(self) -> ChaperoneRow {
        ChaperoneRow {
            id: self.id,
            surface: self.surface,
            target_type: self.target_type,
            target_id: self.target_id,
            verdict: self.verdict,
            reason: self.reason,
            created_at: self.created_at,
        }
    }
}

// --- geo denials, per day and country ----------------------------------------------------

#[derive(QueryableByName)]
pub(super) struct GeoDb {
    #[diesel(sql_type = SqlDate)]
    day: Date,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

impl ConsoleTable for GeoDb {
    type Item = GeoRow;
    const SECTION: Section = Section::Geo;
    const ROWS: &'static str =
        "SELECT day, country, count FROM geo_denials ORDER BY day DESC, count DESC, country";
    const COUNT: &'static str = "SELECT count(*) AS n FROM geo_denials";

    fn into_item(self) -> GeoRow {
        GeoRow {
            day: self.day,
            country: self.country,
            count: self.count,
        }
    }
}

// --- events ------------------------------------------------------------------------------

impl ConsoleTable for EventRow {
    type Item = EventRecord;
    const SECTION: Section = Section::Events;
    const ROWS: &'static str =
        "SELECT id, kind, data, created_at FROM events ORDER BY created_at DESC, id DESC";
    const COUNT: &'static str = "SELECT count(*) AS n FROM events";

    fn into_item(self) -> EventRecord {
        EventRecord::from(self)
    }
}
