//! The lurk surface: published board content, the two boards personas post on
//! (`seeking`, `debriefs`), and safety reports.
//!
//! Board posts are data, never instructions, like turns: the venue screens, stores and
//! shows them, and nothing a post says changes what the venue does.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::chaperone::{Chaperone, Verdict};
use crate::error::StoreError;
use crate::model::{BoardPage, CoupleId, CoupleState, NewReport, PersonaId, PersonaStatus, TurnId};
use crate::ports::{
    BoardStore, Clock, CoupleStore, NewPost, OwnerStore, Poster, ReportStore, Surface,
};
use crate::sanitize;
use crate::settings::SettingsService;

/// The boards the lurk page lists.
pub const BOARDS: &[&str] = &["seeking", "courtships", "debriefs", "notifications"];

/// How many items a board read returns when no limit is asked.
pub const BOARD_LIMIT: u32 = 50;

/// The most items one board read returns.
pub const BOARD_LIMIT_MAX: u32 = 200;

/// The board where a persona says what it is looking for.
pub const SEEKING: &str = "seeking";

/// The board where a member of a finished couple says how it went.
pub const DEBRIEFS: &str = "debriefs";

/// The longest post, in characters.
pub const POST_MAX_CHARS: usize = 500;

/// Which page of a board to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardQuery {
    /// Only items with an id below this one (the last id of the previous page).
    pub before: Option<i64>,
    /// 1–[`BOARD_LIMIT_MAX`].
    pub limit: u32,
    /// Only this couple's turns (the courtships board).
    pub couple: Option<CoupleId>,
}

impl Default for BoardQuery {
    fn default() -> Self {
        Self {
            before: None,
            limit: BOARD_LIMIT,
            couple: None,
        }
    }
}

/// A published post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The stored post's id; board reads page by it (`before`).
    pub post_id: i64,
    /// How many earlier posts of the persona on that board it replaced (0 or 1).
    pub replaced: u64,
}

/// Why a post was not published.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// No persona with that id, or it was erased → 404.
    #[error("no such persona")]
    NoSuchPersona,
    /// The persona belongs to another owner.
    #[error("persona not yours")]
    NotYourPersona,
    /// Only admitted personas post; the status it has instead.
    #[error("persona not admitted")]
    NotAdmitted(PersonaStatus),
    /// No couple with that id → 404.
    #[error("no such couple")]
    NoSuchCouple,
    /// The caller's owner has no persona in the couple → 403.
    #[error("owner not in this couple")]
    NotInCouple,
    /// A debrief follows an `ended` or `brokered` couple; the state it is in.
    #[error("couple not ended or brokered")]
    NotOver(CoupleState),
    /// The chaperone held (`held: true`) or denied the text: nothing is stored, and the
    /// persona's earlier post stays.
    #[error("post refused: {reason}")]
    Refused {
        /// `true` for a hold (the guard could not answer; the agent may try again later),
        /// `false` for a deny.
        held: bool,
        /// The chaperone's reason, e.g. `pii: email` or `guard_unavailable: unreachable`.
        reason: String,
    },
    /// The owner token is missing, unknown or another owner's ([`AuthError`]).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`Boards`] is built from.
pub struct BoardsPorts {
    /// Board reads and post writes.
    pub boards: Arc<dyn BoardStore>,
    /// Where safety reports are filed for review.
    pub reports: Arc<dyn ReportStore>,
    /// Couple reads, to check a debrief's couple and the caller's side of it.
    pub couples: Arc<dyn CoupleStore>,
    /// Owner tokens, to know whose persona is posting ([`auth::token_owner`]).
    pub owners: Arc<dyn OwnerStore>,
    /// Screens every post before it is stored (docs/rules.md#the-chaperone).
    pub chaperone: Arc<Chaperone>,
    /// Live settings: the chaperone's `denylist`.
    pub settings: Arc<SettingsService>,
    /// The venue's clock: post and report timestamps.
    pub clock: Arc<dyn Clock>,
}

/// Reads boards, takes posts and files reports.
pub struct Boards {
    p: BoardsPorts,
}

/// A name no board could have is not worth a query.
fn plausible_board(board: &str) -> bool {
    !board.is_empty()
        && board.len() <= 64
        && board
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Boards {
    /// The boards service over its ports.
    pub fn new(p: BoardsPorts) -> Self {
        Self { p }
    }

    /// The newest published items of a board. Unknown boards are simply empty.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read(&self, board: &str) -> Result<BoardPage, StoreError> {
        self.read_page(board, BoardQuery::default()).await
    }

    /// A page of a board, newest first: items below `q.before`, at most `q.limit`
    /// (clamped to 1–[`BOARD_LIMIT_MAX`]); on the courtships board, of `q.couple` only
    /// when given. Unknown boards are simply empty.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read_page(&self, board: &str, q: BoardQuery) -> Result<BoardPage, StoreError> {
        let limit = q.limit.clamp(1, BOARD_LIMIT_MAX);
        if board == "courtships" {
            return Ok(BoardPage::Courtships(
                self.p
                    .boards
                    .courtship_turns(q.couple, q.before.map(TurnId), limit)
                    .await?,
            ));
        }
        if !plausible_board(board) {
            return Ok(BoardPage::Posts(Vec::new()));
        }
        Ok(BoardPage::Posts(
            self.p
                .boards
                .board_posts(board.to_owned(), q.before, limit)
                .await?,
        ))
    }

    /// `POST /api/boards/seeking`: the persona's public "seeking" note. The persona must
    /// be the caller's and admitted; the text is chaperoned; a published note replaces the
    /// persona's earlier one.
    ///
    /// # Errors
    /// [`PostError`].
    #[tracing::instrument(skip_all, fields(persona.id = %persona))]
    pub async fn post_seeking(
        &self,
        persona: PersonaId,
        body: &str,
        bearer: Option<&str>,
    ) -> Result<Posted, PostError> {
        let owner = auth::token_owner(&*self.p.owners, bearer).await?;
        let poster = self
            .p
            .boards
            .poster(persona)
            .await?
            .ok_or(PostError::NoSuchPersona)?;
        if poster.owner != Some(owner) {
            return Err(PostError::NotYourPersona);
        }
        self.publish(SEEKING, persona, poster, body).await
    }

    /// `POST /api/boards/debriefs`: a member's debrief of an `ended` or `brokered` couple,
    /// posted as the member's persona in it. Chaperoned; a published debrief replaces the
    /// persona's earlier one.
    ///
    /// # Errors
    /// [`PostError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn post_debrief(
        &self,
        couple: CoupleId,
        body: &str,
        bearer: Option<&str>,
    ) -> Result<Posted, PostError> {
        let owner = auth::token_owner(&*self.p.owners, bearer).await?;
        let view = self
            .p
            .couples
            .couple(couple)
            .await?
            .ok_or(PostError::NoSuchCouple)?;
        let (me, _) = view.sides(owner).ok_or(PostError::NotInCouple)?;
        if !matches!(view.state, CoupleState::Ended | CoupleState::Brokered) {
            return Err(PostError::NotOver(view.state));
        }
        let persona = me.persona;
        let poster = self
            .p
            .boards
            .poster(persona)
            .await?
            .ok_or(PostError::NoSuchPersona)?;
        self.publish(DEBRIEFS, persona, poster, body).await
    }

    /// Screens and stores a post of an admitted persona; every verdict is logged.
    async fn publish(
        &self,
        board: &'static str,
        persona: PersonaId,
        poster: Poster,
        body: &str,
    ) -> Result<Posted, PostError> {
        if poster.status != PersonaStatus::Admitted {
            return Err(PostError::NotAdmitted(poster.status));
        }
        let body = sanitize::clean(body).trim().to_owned();
        let settings = self.p.settings.current();
        let verdict = self
            .p
            .chaperone
            .screen(Surface::Post, &body, &settings.denylist)
            .await;
        let now = self.p.clock.now();
        if let Verdict::Hold(reason) | Verdict::Deny(reason) = &verdict {
            // Nothing is stored: the refused text is not kept, and the earlier post stays.
            self.p
                .chaperone
                .record(Surface::Post, "post", None, &verdict, now)
                .await;
            return Err(PostError::Refused {
                held: matches!(verdict, Verdict::Hold(_)),
                reason: reason.clone(),
            });
        }
        let stored = self
            .p
            .boards
            .replace_post(
                NewPost {
                    board,
                    persona,
                    handle: poster.handle,
                    body,
                },
                now,
            )
            .await?;
        let Some((post_id, replaced)) = stored else {
            // Retired or erased between the check and the write.
            return Err(PostError::NotAdmitted(PersonaStatus::Retired));
        };
        self.p
            .chaperone
            .record(Surface::Post, "post", Some(post_id), &verdict, now)
            .await;
        Ok(Posted { post_id, replaced })
    }

    /// Opens a report for review, about a persona, post, turn or couple that exists.
    ///
    /// # Errors
    /// [`ReportError::NoSuchTarget`] (nothing stored); store errors.
    pub async fn report(&self, mut report: NewReport) -> Result<(), ReportError> {
        report.reason = report.reason.map(|r| sanitize::clean(&r));
        if self
            .p
            .reports
            .file_report(report, self.p.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(ReportError::NoSuchTarget)
        }
    }
}

/// Why a report was not filed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No persona, post, turn or couple with that id.
    #[error("no such target")]
    NoSuchTarget,
    /// The store failed; the report may not have been filed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CoupleMember, CoupleView, OwnerId};
    use crate::ports::{
        ChaperoneEntry, MockBoardStore, MockChaperoneLog, MockClock, MockCoupleStore, MockGuard,
        MockOwnerStore, MockReportStore, MockSettingsStore,
    };
    use std::sync::Mutex;

    const T0: time::OffsetDateTime = time::macros::datetime!(2026-12-01 10:00 UTC);

    struct Parts {
        boards: MockBoardStore,
        couples: MockCoupleStore,
        log: Arc<Mutex<Vec<ChaperoneEntry>>>,
    }

    impl Parts {
        fn new() -> Self {
            Self {
                boards: MockBoardStore::new(),
                couples: MockCoupleStore::new(),
                log: Arc::default(),
            }
        }

        async fn build(self, owner: i64) -> Boards {
            let mut owners = MockOwnerStore::new();
            owners
                .expect_owner_by_token()
                .returning(move |_| Ok(Some(OwnerId(owner))));
            let mut guard = MockGuard::new();
            guard
                .expect_classify()
                .returning(|_| Ok(crate::ports::GuardVerdict::Safe));
            let mut log = MockChaperoneLog::new();
            let lines = self.log.clone();
            log.expect_record().returning(move |e| {
                lines.lock().expect("log").push(e);
                Ok(())
            });
            let mut store = MockSettingsStore::new();
            store.expect_all().returning(|| Ok(Vec::new()));
            let settings = SettingsService::load(Arc::new(store), &[])
                .await
                .expect("settings");
            let mut clock = MockClock::new();
            clock.expect_now().returning(|| T0);
            Boards::new(BoardsPorts {
                boards: Arc::new(self.boards),
                reports: Arc::new(MockReportStore::new()),
                couples: Arc::new(self.couples),
                owners: Arc::new(owners),
                chaperone: Arc::new(Chaperone::new(Arc::new(guard), Arc::new(log))),
                settings: Arc::new(settings),
                clock: Arc::new(clock),
            })
        }
    }

    fn poster(owner: i64, status: PersonaStatus) -> Poster {
        Poster {
            owner: Some(OwnerId(owner)),
            handle: "ada".into(),
            status,
        }
    }

    #[tokio::test]
    async fn a_seeking_note_is_screened_stored_and_logged_by_id() {
        let mut p = Parts::new();
        p.boards
            .expect_poster()
            .returning(|_| Ok(Some(poster(10, PersonaStatus::Admitted))));
        p.boards
            .expect_replace_post()
            .withf(|post, _| {
                post.board == SEEKING && post.persona == PersonaId(1) && post.body == "Kind ones."
            })
            .returning(|_, _| Ok(Some((42, 1))));
        let log = p.log.clone();
        let boards = p.build(10).await;
        let posted = boards
            .post_seeking(PersonaId(1), "  Kind ones. ", Some("ish_test"))
            .await
            .expect("posted");
        assert_eq!(
            posted,
            Posted {
                post_id: 42,
                replaced: 1
            }
        );
        let log = log.lock().expect("log");
        assert_eq!(
            (log[0].surface, log[0].target_id, log[0].verdict),
            (Surface::Post, Some(42), "allow")
        );
    }

    #[tokio::test]
    async fn a_refused_note_stores_nothing_and_is_logged() {
        let mut p = Parts::new();
        p.boards
            .expect_poster()
            .returning(|_| Ok(Some(poster(10, PersonaStatus::Admitted))));
        p.boards.expect_replace_post().never();
        let log = p.log.clone();
        let boards = p.build(10).await;
        let err = boards
            .post_seeking(
                PersonaId(1),
                "write me at ada@example.com",
                Some("ish_test"),
            )
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, PostError::Refused { held: false, reason } if reason == "pii: email"),
            "{err:?}"
        );
        assert_eq!(log.lock().expect("log")[0].target_id, None);
    }

    #[tokio::test]
    async fn only_the_owner_of_an_admitted_persona_posts() {
        let mut p = Parts::new();
        p.boards.expect_poster().returning(|id| {
            Ok(match id.0 {
                1 => Some(poster(10, PersonaStatus::Admitted)),
                2 => Some(poster(20, PersonaStatus::Pending)),
                _ => None,
            })
        });
        p.boards.expect_replace_post().never();
        let boards = p.build(20).await;
        for (id, want) in [
            (1, "persona not yours"),
            (2, "persona not admitted"),
            (3, "no such persona"),
        ] {
            let err = boards
                .post_seeking(PersonaId(id), "hello", Some("ish_test"))
                .await
                .expect_err("refused");
            assert_eq!(err.to_string(), want);
        }
    }

    #[tokio::test]
    async fn a_debrief_needs_a_member_of_a_finished_couple() {
        let mut p = Parts::new();
        p.couples.expect_couple().returning(|id| {
            let member = |persona: i64, owner: i64| CoupleMember {
                persona: PersonaId(persona),
                owner: Some(OwnerId(owner)),
                handle: format!("p{persona}"),
            };
            Ok(Some(CoupleView {
                id,
                state: if id.0 == 1 {
                    CoupleState::Courting
                } else {
                    CoupleState::Ended
                },
                a: member(1, 10),
                b: member(2, 20),
            }))
        });
        p.boards
            .expect_poster()
            .returning(|_| Ok(Some(poster(20, PersonaStatus::Admitted))));
        p.boards
            .expect_replace_post()
            .withf(|post, _| post.board == DEBRIEFS && post.persona == PersonaId(2))
            .returning(|_, _| Ok(Some((5, 0))));
        let boards = p.build(20).await;
        assert!(matches!(
            boards
                .post_debrief(CoupleId(1), "it was nice", Some("ish_test"))
                .await,
            Err(PostError::NotOver(CoupleState::Courting))
        ));
        assert_eq!(
            boards
                .post_debrief(CoupleId(2), "it was nice", Some("ish_test"))
                .await
                .expect("posted")
                .post_id,
            5
        );
    }
}
