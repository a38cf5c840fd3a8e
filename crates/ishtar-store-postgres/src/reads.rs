//! Board pages and posts, and a member's reads of its own couple (issue 12).
//!
//! Every read filters and orders by an indexed id: boards page newest first by id (the
//! courtships board by the primary key, or `turns_couple_idx` for one couple; a posts board
//! by `board_posts_board_id_idx`), a couple's turns oldest first by `turns_couple_idx
//! (couple_id, id)`. The statements are diesel DSL without boxing (an absent cursor is the
//! widest bound), so each is prepared once per connection.
//!
//! A couple's `since` cursor never skips a turn: turn ids are taken while the couple's row
//! is locked (`insert_turn`, `FOR NO KEY UPDATE`), and [`couple_turns`] reads under a share
//! lock on the same row, so it waits for a turn in flight and no turn with a lower id can
//! commit after it has read.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{
    BoardPost, CoupleId, CourtshipTurn, OwnerId, PersonaId, PersonaStatus, TurnId, TurnStatus,
};
use ishtar_domain::ports::{BoardStore, CoupleFacts, CoupleTurn, DocHeart, NewPost, Poster};

use crate::schema::{board_posts, couples, heart_files, intro_consents, personas, turns};
use crate::store::{PgStore, db_err};

/// A turn row as a member reads it.
type TurnRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    OffsetDateTime,
);

fn couple_turn((id, author, persona, body, status, reason, created_at): TurnRow) -> CoupleTurn {
    CoupleTurn {
        id: TurnId(id),
        author,
        author_persona: persona.map(PersonaId),
        body,
        // The column's CHECK allows these three only.
        status: TurnStatus::parse(&status).unwrap_or(TurnStatus::Blocked),
        reason,
        created_at,
    }
}

#[async_trait]
impl BoardStore for PgStore {
    async fn courtship_turns(
        &self,
        couple: Option<CoupleId>,
        before: Option<TurnId>,
        limit: u32,
    ) -> Result<Vec<CourtshipTurn>, StoreError> {
        let mut conn = self.conn().await?;
        let before = before.map_or(i64::MAX, |b| b.0);
        let published = turns::table
            .filter(turns::status.eq("published"))
            .filter(turns::id.lt(before))
            .order(turns::id.desc())
            .limit(i64::from(limit))
            .select((
                turns::id,
                turns::couple_id,
                turns::author,
                turns::body,
                turns::created_at,
            ));
        let rows: Vec<(i64, i64, String, String, OffsetDateTime)> = match couple {
            Some(c) => {
                published
                    .filter(turns::couple_id.eq(c.0))
                    .load(&mut conn)
                    .await
            }
            None => published.load(&mut conn).await,
        }
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, couple, author, body, created_at)| CourtshipTurn {
                id: TurnId(id),
                couple: CoupleId(couple),
                author,
                body,
                created_at,
            })
            .collect())
    }

    async fn board_posts(
        &self,
        board: String,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<BoardPost>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(i64, String, String, OffsetDateTime)> = board_posts::table
            .filter(board_posts::board.eq(board))
            .filter(board_posts::status.eq("published"))
            .filter(board_posts::id.lt(before.unwrap_or(i64::MAX)))
            .order(board_posts::id.desc())
            .limit(i64::from(limit))
            .select((
                board_posts::id,
                board_posts::handle,
                board_posts::body,
                board_posts::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, handle, body, created_at)| BoardPost {
                id,
                handle,
                body,
                created_at,
            })
            .collect())
    }

    async fn poster(&self, persona: PersonaId) -> Result<Option<Poster>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<(Option<i64>, String, String)> = personas::table
            .find(persona.0)
            .select((personas::owner_id, personas::handle, personas::status))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(|(owner, handle, status)| Poster {
            owner: owner.map(OwnerId),
            handle,
            status: PersonaStatus::parse(&status).unwrap_or(PersonaStatus::Retired),
        }))
    }

    async fn replace_post(
        &self,
        post: NewPost,
        at: OffsetDateTime,
    ) -> Result<Option<(i64, u64)>, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // The persona row serialises one persona's posts (and meets an erasure or a
            // retirement): whoever comes second sees the first one's post and replaces it.
            let admitted: Option<i64> = personas::table
                .find(post.persona.0)
                .filter(personas::status.eq(PersonaStatus::Admitted.as_str()))
                .select(personas::id)
                .for_no_key_update()
                .first(c)
                .await
                .optional()?;
            if admitted.is_none() {
                return Ok(None);
            }
            let replaced = diesel::delete(
                board_posts::table
                    .filter(board_posts::persona_id.eq(post.persona.0))
                    .filter(board_posts::board.eq(post.board)),
            )
            .execute(c)
            .await?;
            let id: i64 = diesel::insert_into(board_posts::table)
                .values((
                    board_posts::board.eq(post.board),
                    board_posts::persona_id.eq(post.persona.0),
                    board_posts::handle.eq(&post.handle),
                    board_posts::body.eq(&post.body),
                    board_posts::status.eq("published"),
                    board_posts::created_at.eq(at),
                ))
                .returning(board_posts::id)
                .get_result(c)
                .await?;
            Ok::<_, DieselError>(Some((id, replaced as u64)))
        })
        .await
        .map_err(db_err)
    }
}

/// `CoupleStore::couple_facts`.
pub(crate) async fn couple_facts(
    store: &PgStore,
    couple: CoupleId,
    viewer: PersonaId,
    partner: PersonaId,
) -> Result<Option<CoupleFacts>, StoreError> {
    let mut conn = store.conn().await?;
    let c = &mut *conn;
    let Some((similarity, created_at)) = couples::table
        .find(couple.0)
        .select((couples::similarity, couples::created_at))
        .first::<(Option<f32>, OffsetDateTime)>(c)
        .await
        .optional()
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let consented: Vec<i64> = intro_consents::table
        .filter(intro_consents::couple_id.eq(couple.0))
        .select(intro_consents::owner_id)
        .load(c)
        .await
        .map_err(db_err)?;
    let last_turn: Option<TurnRow> = turns::table
        .filter(turns::couple_id.eq(couple.0))
        .filter(
            turns::status
                .eq("published")
                .or(turns::author_persona_id.eq(viewer.0)),
        )
        .order(turns::id.desc())
        .select((
            turns::id,
            turns::author,
            turns::author_persona_id,
            turns::body,
            turns::status,
            turns::reason,
            turns::created_at,
        ))
        .first(c)
        .await
        .optional()
        .map_err(db_err)?;
    let partner_row: Option<(Option<i64>, String, serde_json::Value)> = personas::table
        .find(partner.0)
        .select((personas::owner_id, personas::status, personas::heart))
        .first(c)
        .await
        .optional()
        .map_err(db_err)?;
    let (partner_owner, partner_heart) = match partner_row {
        Some((owner, status, heart)) => (
            owner,
            (status == PersonaStatus::Admitted.as_str()).then_some(heart),
        ),
        None => (None, None),
    };
    // Only the chaperone-allowed versions, and of those only the newest; the sealed
    // contact pointer is never read here.
    let partner_doc = match partner_owner {
        Some(owner) => heart_files::table
            .filter(heart_files::owner_id.eq(owner))
            .filter(heart_files::status.eq("allowed"))
            .order(heart_files::version.desc())
            .select((heart_files::version, heart_files::heart))
            .first::<(i32, serde_json::Value)>(c)
            .await
            .optional()
            .map_err(db_err)?
            .map(|(version, heart)| DocHeart { version, heart }),
        None => None,
    };
    Ok(Some(CoupleFacts {
        similarity,
        created_at,
        consented: consented.into_iter().map(OwnerId).collect(),
        last_turn: last_turn.map(couple_turn),
        partner_doc,
        partner_heart,
    }))
}

/// `CoupleStore::couple_turns`.
pub(crate) async fn couple_turns(
    store: &PgStore,
    couple: CoupleId,
    viewer: PersonaId,
    since: Option<TurnId>,
    limit: u32,
) -> Result<Vec<CoupleTurn>, StoreError> {
    let mut conn = store.conn().await?;
    conn.transaction(async |c| {
        // Waits for a turn being written to this couple (its writer holds the row), and
        // keeps new ones out until this read is done: see the module docs.
        let found: Option<i64> = couples::table
            .find(couple.0)
            .select(couples::id)
            .for_share()
            .first(c)
            .await
            .optional()?;
        if found.is_none() {
            return Ok(Vec::new());
        }
        let rows: Vec<TurnRow> = turns::table
            .filter(turns::couple_id.eq(couple.0))
            .filter(turns::id.gt(since.map_or(0, |s| s.0)))
            .filter(
                turns::status
                    .eq("published")
                    .or(turns::author_persona_id.eq(viewer.0)),
            )
            .order(turns::id.asc())
            .limit(i64::from(limit))
            .select((
                turns::id,
                turns::author,
                turns::author_persona_id,
                turns::body,
                turns::status,
                turns::reason,
                turns::created_at,
            ))
            .load(c)
            .await?;
        Ok::<_, DieselError>(rows.into_iter().map(couple_turn).collect())
    })
    .await
    .map_err(db_err)
}
