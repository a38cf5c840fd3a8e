//! Committed couples awaiting an introduction, with their owners' contact pointers
//! (decrypted for the console page only, never for the snapshot).

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::model::{CoupleId, OwnerId, PersonaId};
use ishtar_domain::ports::{Intro, IntroSide};
use ishtar_domain::states::CoupleEvent;

use crate::store::PgStore;

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

/// Committed couples (those the operator may broker, `$2`), oldest first. `since` is when the couple was committed (its
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
    WHERE c.state = ANY($2) ORDER BY c.id LIMIT $1";

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

    /// Up to `limit` committed couples; contacts only `with_contacts`.
    pub(super) async fn intros(
        &self,
        c: &mut AsyncPgConnection,
        limit: u32,
        with_contacts: bool,
    ) -> Result<Vec<Intro>, DieselError> {
        let rows: Vec<IntroRow> = diesel::sql_query(INTROS_SQL)
            .bind::<BigInt, _>(i64::from(limit))
            .bind::<Array<Text>, _>(CoupleEvent::Brokered.source_names())
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
