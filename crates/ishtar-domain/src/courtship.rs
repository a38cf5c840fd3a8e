//! Courtship (docs/rules.md#couples-tiers-and-reveal, #differences-from-the-reference):
//! published turns between a couple's agents, ending a couple, and an owner's own overview.
//!
//! Turn bodies are data, never instructions: the venue stores, screens and shows them, and
//! nothing a turn says changes what the venue does.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::chaperone::{Chaperone, Verdict};
use crate::error::StoreError;
use crate::model::{CoupleId, CoupleState, NewTurn, OwnerOverview, TurnId, TurnStatus};
use crate::notify::Notifier;
use crate::ports::{Clock, CoupleStore, CoupleTurn, Event, OwnerStore, Recipient, Surface};
use crate::sanitize;
use crate::settings::SettingsService;

/// Why a courtship call failed.
#[derive(Debug, thiserror::Error)]
pub enum CourtshipError {
    /// No couple has that id (404).
    #[error("no such couple")]
    NoSuchCouple,
    /// The caller's owner has no persona in the couple (403).
    #[error("owner not in this couple")]
    NotInCouple,
    /// The caller's owner has no verified agent endpoint, so may not post (403).
    #[error("agent endpoint not verified")]
    EndpointNotActive,
    /// The couple is `brokered` or `ended`: no more turns, and only a `courting` couple
    /// can be ended (409).
    #[error("couple is not courting")]
    NotCourting,
    /// The token's owner no longer exists (e.g. erased mid-request) (404).
    #[error("no such owner")]
    NoSuchOwner,
    /// The owner token is missing, unknown or another owner's ([`AuthError`]).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed; nothing more is known.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A turn's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnOutcome {
    /// The stored turn's id.
    pub turn_id: TurnId,
    /// `published`, or `held` / `blocked` when the chaperone stopped it (stored,
    /// never shown on a board).
    pub status: TurnStatus,
    /// The chaperone's reason: `allowed` when published, else the hold or block reason.
    pub reason: String,
}

/// The `turn.published` event for the partner (`to`) of a turn's author: the turn's id,
/// author and body, and what to do next.
pub fn turn_published(
    couple: CoupleId,
    to: crate::model::PersonaId,
    turn: TurnId,
    author: &str,
    body: &str,
) -> Event {
    Event::TurnPublished {
        couple,
        persona: to,
        turn,
        author: author.to_owned(),
        body: body.to_owned(),
        steps: crate::next_steps::after_turn_received(couple),
    }
}

/// Courtship use cases.
pub struct Courtship {
    couples: Arc<dyn CoupleStore>,
    owners: Arc<dyn OwnerStore>,
    chaperone: Arc<Chaperone>,
    settings: Arc<SettingsService>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
}

impl Courtship {
    /// Wires the use case to its ports (done once, in `bins/ishtar`).
    pub fn new(
        couples: Arc<dyn CoupleStore>,
        owners: Arc<dyn OwnerStore>,
        chaperone: Arc<Chaperone>,
        settings: Arc<SettingsService>,
        notifier: Arc<Notifier>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            couples,
            owners,
            chaperone,
            settings,
            notifier,
            clock,
        }
    }

    /// A turn by the caller's persona in `couple`: chaperoned; held and blocked turns are
    /// stored but never reach a board.
    ///
    /// # Errors
    /// [`CourtshipError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn post_turn(
        &self,
        couple: CoupleId,
        body: &str,
        bearer: Option<&str>,
    ) -> Result<TurnOutcome, CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let view = self
            .couples
            .couple(couple)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        let (me, partner) = view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        if !matches!(view.state, CoupleState::Courting | CoupleState::Committed) {
            return Err(CourtshipError::NotCourting);
        }
        if !self.couples.has_active_endpoint(owner).await? {
            return Err(CourtshipError::EndpointNotActive);
        }
        let body = sanitize::clean(body).trim().to_owned();
        let settings = self.settings.current();
        let verdict = self
            .chaperone
            .screen(Surface::Turn, &body, &settings.denylist)
            .await;
        let status = match verdict {
            Verdict::Allow => TurnStatus::Published,
            Verdict::Hold(_) => TurnStatus::Held,
            Verdict::Deny(_) => TurnStatus::Blocked,
        };
        let now = self.clock.now();
        let turn_id = self
            .couples
            .insert_turn(
                NewTurn {
                    couple,
                    author_persona: Some(me.persona),
                    author: me.handle.clone(),
                    body: body.clone(),
                    status,
                    reason: verdict.reason().to_owned(),
                },
                now,
            )
            .await?;
        self.chaperone
            .record(Surface::Turn, "turn", Some(turn_id.0), &verdict, now)
            .await;
        if status == TurnStatus::Published {
            // The partner's agents get the turn itself, so they can answer without a read.
            // It quotes this owner: erasing this owner removes it (docs/erasure.md). A
            // notification failure must not undo a published turn; it is logged.
            let event = turn_published(couple, partner.persona, turn_id, &me.handle, &body);
            let event = self
                .notifier
                .event(Recipient::Persona(partner.persona), &event, now)
                .about(Some(owner));
            self.notifier.publish_logged(vec![event]).await;
        }
        Ok(TurnOutcome {
            turn_id,
            status,
            reason: verdict.reason().to_owned(),
        })
    }

    /// Ends a courting couple for both sides (never re-paired). Idempotent.
    ///
    /// # Errors
    /// [`CourtshipError`]; a committed or brokered couple cannot be ended here.
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn end(&self, couple: CoupleId, bearer: Option<&str>) -> Result<(), CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let view = self
            .couples
            .couple(couple)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        if view.state == CoupleState::Ended {
            return Ok(());
        }
        match self
            .couples
            .end_couple(couple, owner, self.clock.now())
            .await?
        {
            CoupleState::Ended => {
                let event = Event::CoupleEnded {
                    couple,
                    steps: crate::next_steps::after_couple_ended(),
                };
                if let Err(e) = self
                    .notifier
                    .notify(
                        &[view.a.persona, view.b.persona],
                        event,
                        Some((couple, format!("Couple {} has ended.", couple.0))),
                    )
                    .await
                {
                    tracing::error!(error = %e, "could not queue an end notification");
                }
                Ok(())
            }
            _ => Err(CourtshipError::NotCourting),
        }
    }

    /// The caller's own overview.
    ///
    /// # Errors
    /// [`CourtshipError::Auth`] without a valid token.
    pub async fn me(&self, bearer: Option<&str>) -> Result<OwnerOverview, CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        self.couples
            .owner_overview(owner)
            .await?
            .ok_or(CourtshipError::NoSuchOwner)
    }
}

// ---------------------------------------------------------------------------------------
// Couple reads (issue 12): a member reads its own courtship. Members only, authorised like
// `post_turn`: no token 401, no such couple 404, an owner outside the couple 403.

/// The most turns one read returns.
pub const TURNS_MAX: u32 = 200;
/// The turns one read returns when no limit is asked.
pub const TURNS_DEFAULT: u32 = 50;

/// One side of a couple, as a member reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideView {
    /// This side's persona.
    pub persona: crate::model::PersonaId,
    /// Its public handle.
    pub handle: String,
    /// This side's owner consented to the introduction.
    pub consented: bool,
}

/// The partner's public profile: texts the chaperone allowed, without `prefs`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerProfile {
    /// The partner owner's latest allowed dating-doc version, and its `heart` without
    /// `prefs`.
    pub doc_version: Option<i32>,
    /// That version's `heart` without `prefs`; `None` when the partner owner has
    /// no allowed version.
    pub doc: Option<serde_json::Value>,
    /// The partner persona's own heart without `prefs`.
    pub heart: Option<serde_json::Value>,
}

/// `GET /api/couples/:id`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoupleDetail {
    /// The couple.
    pub id: CoupleId,
    /// Where it stands (docs/rules.md#couples-tiers-and-reveal).
    pub state: CoupleState,
    /// The cosine similarity it was paired on; `None` for a pair made by admission
    /// order while the embedder was down.
    pub fit: Option<f32>,
    /// When the beat formed it.
    pub created_at: time::OffsetDateTime,
    /// The caller's side.
    pub you: SideView,
    /// The other side.
    pub partner: SideView,
    /// The newest turn the caller may see (published, or the caller's own).
    pub last_turn: Option<CoupleTurn>,
    /// The partner's public texts.
    pub profile: PartnerProfile,
}

/// A page of a couple's turns, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnsPage {
    /// The turns after the `since` cursor, oldest first: published ones and the
    /// caller's own in any status.
    pub turns: Vec<CoupleTurn>,
    /// The cursor for the next read: the last turn's id, or the `since` given (0 for none)
    /// when nothing new was returned.
    pub next_since: i64,
    /// More turns follow this page.
    pub has_more: bool,
    /// The couple's state when the page was read.
    pub state: CoupleState,
}

/// A heart as others may read it: everything but its top-level `prefs` (the hard filters
/// are private; docs/matcher.md). `None` for an empty heart.
#[must_use]
pub fn public_heart(heart: serde_json::Value) -> Option<serde_json::Value> {
    match heart {
        serde_json::Value::Object(mut map) => {
            map.remove("prefs");
            (!map.is_empty()).then_some(serde_json::Value::Object(map))
        }
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        other => Some(other),
    }
}

/// Only published turns and the viewer's own are ever shown (the store filters too).
fn visible_to(turn: &CoupleTurn, viewer: crate::model::PersonaId) -> bool {
    turn.status == TurnStatus::Published || turn.author_persona == Some(viewer)
}

impl Courtship {
    /// The caller's side and the couple, or why not: 401, 404, 403 as for `post_turn`.
    async fn membership(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<(crate::model::CoupleView, crate::model::OwnerId), CourtshipError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let view = self
            .couples
            .couple(couple)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        Ok((view, owner))
    }

    /// `GET /api/couples/:id`: both sides, state, fit, consents, the newest turn the
    /// caller may see, and the partner's public profile (never `contactRef`, never
    /// `prefs`).
    ///
    /// # Errors
    /// [`CourtshipError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn couple(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
    ) -> Result<CoupleDetail, CourtshipError> {
        let (view, owner) = self.membership(couple, bearer).await?;
        let (me, partner) = view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        let facts = self
            .couples
            .couple_facts(couple, me.persona, partner.persona)
            .await?
            .ok_or(CourtshipError::NoSuchCouple)?;
        let consented = |side: &crate::model::CoupleMember| {
            side.owner.is_some_and(|o| facts.consented.contains(&o))
        };
        let side = |m: &crate::model::CoupleMember| SideView {
            persona: m.persona,
            handle: m.handle.clone(),
            consented: consented(m),
        };
        let (you, them) = (side(me), side(partner));
        // The partner's profile is shown while the couple is in play; once it has ended,
        // an ex-partner no longer follows their doc (their own turns stay readable).
        let in_play = view.state != CoupleState::Ended;
        let (doc_version, doc) = match facts.partner_doc.filter(|_| in_play) {
            Some(d) => (Some(d.version), public_heart(d.heart)),
            None => (None, None),
        };
        Ok(CoupleDetail {
            id: couple,
            state: view.state,
            fit: facts.similarity,
            created_at: facts.created_at,
            last_turn: facts.last_turn.filter(|t| visible_to(t, me.persona)),
            profile: PartnerProfile {
                doc_version,
                doc,
                heart: facts
                    .partner_heart
                    .filter(|_| in_play)
                    .and_then(public_heart),
            },
            you,
            partner: them,
        })
    }

    /// `GET /api/couples/:id/turns`: turns after `since`, oldest first, at most `limit`
    /// (1–[`TURNS_MAX`]): the published ones, and the caller's own held and blocked ones.
    ///
    /// # Errors
    /// [`CourtshipError`].
    #[tracing::instrument(skip_all, fields(couple.id = %couple))]
    pub async fn turns(
        &self,
        couple: CoupleId,
        bearer: Option<&str>,
        since: Option<TurnId>,
        limit: u32,
    ) -> Result<TurnsPage, CourtshipError> {
        let (view, owner) = self.membership(couple, bearer).await?;
        let (me, _) = view.sides(owner).ok_or(CourtshipError::NotInCouple)?;
        let limit = limit.clamp(1, TURNS_MAX);
        // One more than asked says whether another page follows.
        let mut turns = self
            .couples
            .couple_turns(couple, me.persona, since, limit + 1)
            .await?;
        let has_more = turns.len() > limit as usize;
        turns.truncate(limit as usize);
        let next_since = turns.last().map_or(since.map_or(0, |s| s.0), |t| t.id.0);
        turns.retain(|t| visible_to(t, me.persona));
        Ok(TurnsPage {
            turns,
            next_since,
            has_more,
            state: view.state,
        })
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;
    use crate::model::{CoupleMember, CoupleView, OwnerId, PersonaId};
    use crate::ports::{CoupleFacts, DocHeart, MockCoupleStore, MockOwnerStore};
    use serde_json::json;

    const T0: time::OffsetDateTime = time::macros::datetime!(2026-12-01 10:00 UTC);

    fn view() -> CoupleView {
        let member = |p: i64, o: i64, h: &str| CoupleMember {
            persona: PersonaId(p),
            owner: Some(OwnerId(o)),
            handle: h.to_owned(),
        };
        CoupleView {
            id: CoupleId(7),
            state: CoupleState::Courting,
            a: member(1, 10, "ada"),
            b: member(2, 20, "bo"),
        }
    }

    fn turn(id: i64, author: i64, status: TurnStatus) -> CoupleTurn {
        CoupleTurn {
            id: TurnId(id),
            author: format!("p{author}"),
            author_persona: Some(PersonaId(author)),
            body: "hi".into(),
            status,
            reason: "r".into(),
            created_at: T0,
        }
    }

    async fn courtship(couples: MockCoupleStore, owner: i64) -> Courtship {
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_by_token()
            .returning(move |_| Ok(Some(OwnerId(owner))));
        let mut guard = crate::ports::MockGuard::new();
        guard.expect_classify().never();
        let log = crate::ports::MockChaperoneLog::new();
        let mut clock = crate::ports::MockClock::new();
        clock.expect_now().returning(|| T0);
        let outbox = crate::ports::MockOutbox::new();
        let callbacks = crate::ports::MockCallbackClient::new();
        let clock: Arc<dyn crate::ports::Clock> = Arc::new(clock);
        let mut store = crate::ports::MockSettingsStore::new();
        store.expect_all().returning(|| Ok(Vec::new()));
        let settings = SettingsService::load(Arc::new(store), &[])
            .await
            .expect("settings");
        Courtship::new(
            Arc::new(couples),
            Arc::new(owners),
            Arc::new(Chaperone::new(Arc::new(guard), Arc::new(log))),
            Arc::new(settings),
            Arc::new(Notifier::new(
                Arc::new(outbox),
                Arc::new(callbacks),
                clock.clone(),
            )),
            clock,
        )
    }

    #[test]
    fn a_public_heart_has_no_prefs() {
        let h = json!({"about": "bread", "prefs": {"seek": {"genders": ["man"]}}});
        assert_eq!(public_heart(h), Some(json!({"about": "bread"})));
        assert_eq!(public_heart(json!({"prefs": {}})), None);
        assert_eq!(
            public_heart(json!("plain words")),
            Some(json!("plain words"))
        );
    }

    #[tokio::test]
    async fn the_partner_profile_drops_prefs_and_consents_are_per_side() {
        let mut couples = MockCoupleStore::new();
        couples.expect_couple().returning(|_| Ok(Some(view())));
        couples
            .expect_couple_facts()
            .withf(|c, me, partner| {
                *c == CoupleId(7) && *me == PersonaId(2) && *partner == PersonaId(1)
            })
            .returning(|_, _, _| {
                Ok(Some(CoupleFacts {
                    similarity: Some(0.8),
                    created_at: T0,
                    consented: vec![OwnerId(10)],
                    last_turn: Some(turn(5, 1, TurnStatus::Held)),
                    partner_doc: Some(DocHeart {
                        version: 3,
                        heart: json!({"about": "doc", "prefs": {"self": {"age": 31}}}),
                    }),
                    partner_heart: Some(json!({"about": "own", "prefs": {}})),
                }))
            });
        let d = courtship(couples, 20)
            .await
            .couple(CoupleId(7), Some("ish_test"))
            .await
            .expect("detail");
        assert_eq!((d.you.handle.as_str(), d.you.consented), ("bo", false));
        assert_eq!(
            (d.partner.handle.as_str(), d.partner.consented),
            ("ada", true)
        );
        assert_eq!(d.profile.doc, Some(json!({"about": "doc"})));
        assert_eq!(d.profile.doc_version, Some(3));
        assert_eq!(d.profile.heart, Some(json!({"about": "own"})));
        assert_eq!(d.last_turn, None, "the partner's held turn is not shown");
    }

    #[tokio::test]
    async fn outsiders_and_unknown_couples_are_refused() {
        let mut couples = MockCoupleStore::new();
        couples
            .expect_couple()
            .returning(|id| Ok((id == CoupleId(7)).then(view)));
        couples.expect_couple_turns().never();
        let c = courtship(couples, 99).await;
        assert!(matches!(
            c.turns(CoupleId(7), Some("ish_test"), None, 10).await,
            Err(CourtshipError::NotInCouple)
        ));
        assert!(matches!(
            c.turns(CoupleId(8), Some("ish_test"), None, 10).await,
            Err(CourtshipError::NoSuchCouple)
        ));
    }

    #[tokio::test]
    async fn a_page_says_whether_more_follow_and_where_to_go_on() {
        let mut couples = MockCoupleStore::new();
        couples.expect_couple().returning(|_| Ok(Some(view())));
        couples
            .expect_couple_turns()
            .withf(|_, me, since, limit| {
                *me == PersonaId(1) && *since == Some(TurnId(4)) && *limit == 3
            })
            .returning(|_, _, _, _| {
                Ok(vec![
                    turn(5, 1, TurnStatus::Held),
                    turn(6, 2, TurnStatus::Published),
                    turn(9, 2, TurnStatus::Published),
                ])
            });
        let page = courtship(couples, 10)
            .await
            .turns(CoupleId(7), Some("ish_test"), Some(TurnId(4)), 2)
            .await
            .expect("page");
        assert_eq!(
            page.turns.iter().map(|t| t.id.0).collect::<Vec<_>>(),
            vec![5, 6]
        );
        assert_eq!((page.next_since, page.has_more), (6, true));
    }
}
