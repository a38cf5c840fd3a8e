//! The persona lifecycle (issue 12): its owner edits a persona (`PATCH /api/personas/:id`),
//! withdraws it (`DELETE /api/personas/:id`), or takes a denied or withdrawn persona's
//! handle back by posting it again (`POST /api/personas`, see [`crate::admission`]).
//!
//! The rules (README, "Personas: edit, resubmit, withdraw"):
//! - **Who.** Only the persona's owner: `401` without a valid owner token, `404` when there
//!   is no such persona, `403` when it is another owner's.
//! - **An edit goes through the door again.** The handle and the new heart are screened by
//!   the chaperone. *Deny:* nothing changes (the stored heart and status stay as they were;
//!   the verdict is logged) and the answer is `422` with the reason. *Allow:* the new text is
//!   stored; an admitted persona stays admitted in its cap place, any other becomes pending
//!   and takes a free place at once (else `422 cap reached`; a later beat admits it).
//!   *Hold:* the new text is stored and the persona is held, screened again by the next
//!   beat; an admitted persona gives its place back (a held persona is readmitted through
//!   the cap, so keeping the place would count it twice). An edit that leaves the heart as
//!   it was (model or markets only) of an admitted or pending persona is not screened again.
//! - **The handle stays** (an edit cannot name one). A withdrawn persona is not edited
//!   (`409 persona retired`): its owner posts it again under its handle instead.
//! - **Withdrawal** retires the persona (`status = 'retired'`; the row stays, so its past
//!   couples keep their history and are never re-paired), ends its courting and committed
//!   couples, and frees its cap place, in one transaction; both sides of each ended couple
//!   get `couple.ended`, as `POST /api/couples/:id/end` sends it. Withdrawing again changes
//!   nothing.
//!
//! Store side: `ishtar-store-postgres/src/personas.rs`. Lock order there, as everywhere a
//! persona row and the `capacity` row are both locked: the persona first, `capacity` last.

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use crate::admission::{self, AdmitError};
use crate::auth::{self, AuthError};
use crate::chaperone::{Chaperone, Verdict};
use crate::error::StoreError;
use crate::model::{CoupleId, Handle, NewPersona, OwnerId, PersonaId, PersonaStatus};
use crate::notify::Notifier;
use crate::ports::{
    ChaperoneEntry, Clock, Event, OwnerStore, PersonaLifecycleStore, PersonaRecord, Revision, Slot,
    Surface,
};
use crate::sanitize;
use crate::settings::SettingsService;
use crate::states::{PersonaEvent, StateMachine};

/// A persona's status after a revision the chaperone allowed (`allowed`) or held, from its
/// status before, and what happens to its cap place. The store applies it to the status it
/// reads under the persona's row lock. The status is the persona machine's
/// ([`crate::states::PersonaEvent::Allowed`] / [`crate::states::PersonaEvent::Held`], both
/// allowed from every status); the place follows it: kept while admitted, given back when
/// no longer admitted, asked for by a persona that became pending.
#[must_use]
pub fn revised(current: PersonaStatus, allowed: bool) -> (PersonaStatus, Slot) {
    let event = if allowed {
        PersonaEvent::Allowed
    } else {
        PersonaEvent::Held
    };
    let next = current.on(event).unwrap_or(current);
    let slot = match (current.holds_place(), next.holds_place()) {
        (true, true) => Slot::Keep,
        (true, false) => Slot::Free,
        (false, _) if next == PersonaStatus::Pending => Slot::Take,
        (false, _) => Slot::None,
    };
    (next, slot)
}

impl Revision {
    /// `persona` as the new content of persona `id`, after `verdict` (`screened`: the
    /// chaperone saw it now, so its verdict is logged).
    #[expect(clippy::too_many_arguments, reason = "one revision, every part named")]
    pub(crate) fn new(
        id: PersonaId,
        owner: OwnerId,
        from: Vec<PersonaStatus>,
        persona: NewPersona,
        verdict: &Verdict,
        screened: bool,
        cap: u32,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            owner,
            from,
            persona,
            allowed: verdict.is_allow(),
            reason: verdict.reason().to_owned(),
            log: screened
                .then(|| ChaperoneEntry::new(Surface::Heart, "persona", Some(id.0), verdict, at)),
            cap,
            at,
        }
    }
}

/// What an edit changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaEdit {
    /// When given, must be the token's owner.
    pub owner_id: Option<OwnerId>,
    /// Replaces the heart (an object or a text).
    pub heart: Option<Value>,
    /// Replaces `heart.prefs` only (a text heart becomes `{"about": text, "prefs": …}`).
    pub prefs: Option<Value>,
    /// Replaces the model name the agent declares (shown to the operator).
    pub model: Option<String>,
    /// Replaces where the human lives (a [`HomeMarket`](crate::model::HomeMarket) wire name).
    pub home_market: Option<String>,
    /// Replaces where the persona dates (an [`ActiveMarket`](crate::model::ActiveMarket)
    /// wire name).
    pub active_market: Option<String>,
}

/// Why an edit or a withdrawal failed.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    /// No persona has this id.
    #[error("no such persona")]
    NoSuchPersona,
    /// The persona belongs to another owner.
    #[error("not your persona")]
    NotYourPersona,
    /// The persona was withdrawn already; it can be neither edited nor withdrawn again.
    #[error("persona retired")]
    Retired,
    /// Refused or waiting, exactly as at the door (chaperone or cap).
    #[error(transparent)]
    Admit(AdmitError),
    /// The owner token is missing or wrong.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The persona lifecycle use cases.
pub struct PersonaLifecycle {
    owners: Arc<dyn OwnerStore>,
    store: Arc<dyn PersonaLifecycleStore>,
    chaperone: Arc<Chaperone>,
    settings: Arc<SettingsService>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
}

/// The ports the lifecycle is built from.
pub struct PersonaLifecyclePorts {
    /// Authenticates the owner token.
    pub owners: Arc<dyn OwnerStore>,
    /// Reads, edits and retires personas.
    pub store: Arc<dyn PersonaLifecycleStore>,
    /// Screens an edited persona's prose, as at the door.
    pub chaperone: Arc<Chaperone>,
    /// The live denylist and admission cap.
    pub settings: Arc<SettingsService>,
    /// Tells the partners' agents when a persona withdraws.
    pub notifier: Arc<Notifier>,
    /// The current time.
    pub clock: Arc<dyn Clock>,
}

/// `heart` with `prefs` as its `heart.prefs`.
fn with_prefs(heart: Value, prefs: Value) -> Value {
    match heart {
        Value::Object(mut m) => {
            m.insert("prefs".to_owned(), prefs);
            Value::Object(m)
        }
        Value::String(about) => serde_json::json!({"about": about, "prefs": prefs}),
        _ => serde_json::json!({"prefs": prefs}),
    }
}

impl PersonaLifecycle {
    /// Builds the lifecycle use cases over their ports.
    pub fn new(p: PersonaLifecyclePorts) -> Self {
        Self {
            owners: p.owners,
            store: p.store,
            chaperone: p.chaperone,
            settings: p.settings,
            notifier: p.notifier,
            clock: p.clock,
        }
    }

    /// The caller's persona `id`, or why not.
    async fn own_persona(
        &self,
        id: PersonaId,
        bearer: Option<&str>,
    ) -> Result<(OwnerId, PersonaRecord), PersonaError> {
        let owner = auth::token_owner(&*self.owners, bearer).await?;
        let rec = self
            .store
            .persona(id)
            .await?
            .ok_or(PersonaError::NoSuchPersona)?;
        if rec.owner != Some(owner) {
            return Err(PersonaError::NotYourPersona);
        }
        Ok((owner, rec))
    }

    /// `PATCH /api/personas/:id`: edits the caller's persona (see the module's rules).
    /// Answers like the door: the persona's id when it is admitted.
    ///
    /// # Errors
    /// [`PersonaError`]; a refusal or a wait is [`PersonaError::Admit`].
    #[tracing::instrument(skip_all, fields(persona.id = %id))]
    pub async fn edit(
        &self,
        id: PersonaId,
        edit: PersonaEdit,
        bearer: Option<&str>,
    ) -> Result<PersonaId, PersonaError> {
        let (owner, rec) = self.own_persona(id, bearer).await?;
        if let Some(named) = edit.owner_id {
            auth::same_owner(owner, named)?;
        }
        if rec.status == PersonaStatus::Retired {
            return Err(PersonaError::Retired);
        }
        let mut heart = edit
            .heart
            .map_or_else(|| rec.heart.clone(), sanitize::clean_json);
        if let Some(prefs) = edit.prefs {
            heart = with_prefs(heart, sanitize::clean_json(prefs));
        }
        let clean = |v: Option<String>, was: &str| {
            v.map_or_else(|| was.to_owned(), |s| sanitize::clean(s.trim()))
        };
        let settings = self.settings.current();
        let now = self.clock.now();
        // The text an admitted or pending persona already passed with is not screened again.
        let unchanged = heart == rec.heart
            && matches!(rec.status, PersonaStatus::Admitted | PersonaStatus::Pending);
        let verdict = if unchanged {
            Verdict::Allow
        } else {
            let text = format!("{}\n{}", rec.handle, sanitize::screen_text(&heart));
            self.chaperone
                .screen(Surface::Heart, &text, &settings.denylist)
                .await
        };
        if let Verdict::Deny(reason) = &verdict {
            // Nothing changes; the verdict is logged against the persona.
            self.chaperone
                .record(Surface::Heart, "persona", Some(id.0), &verdict, now)
                .await;
            return Err(PersonaError::Admit(AdmitError::Chaperoned {
                reason: reason.clone(),
                persona_id: id,
            }));
        }
        let persona = NewPersona::new(
            Some(owner),
            Handle::kept(rec.handle),
            &clean(edit.model, &rec.model),
            heart,
            rec.redteam,
            &clean(edit.home_market, &rec.home_market),
            &clean(edit.active_market, &rec.active_market),
        );
        let live = vec![
            PersonaStatus::Admitted,
            PersonaStatus::Pending,
            PersonaStatus::Held,
            PersonaStatus::Denied,
        ];
        let rev = Revision::new(
            id,
            owner,
            live,
            persona,
            &verdict,
            !unchanged,
            settings.cap,
            now,
        );
        // Withdrawn (or handed to another owner) since it was read.
        let stored = self.store.revise(rev).await?.ok_or(PersonaError::Retired)?;
        admission::outcome(id, stored, &verdict).map_err(PersonaError::Admit)
    }

    /// `DELETE /api/personas/:id`: withdraws the caller's persona (see the module's rules),
    /// then tells both sides of every couple it ended.
    ///
    /// # Errors
    /// [`PersonaError`].
    #[tracing::instrument(skip_all, fields(persona.id = %id))]
    pub async fn withdraw(
        &self,
        id: PersonaId,
        bearer: Option<&str>,
    ) -> Result<Vec<CoupleId>, PersonaError> {
        let (owner, _) = self.own_persona(id, bearer).await?;
        let retired = self
            .store
            .retire(id, owner, self.clock.now())
            .await?
            .ok_or(PersonaError::NoSuchPersona)?;
        for e in &retired.ended {
            let event = Event::CoupleEnded {
                couple: e.couple,
                steps: Vec::new(),
            };
            // The withdrawal stands even if a notification cannot be queued; it is logged.
            if let Err(err) = self
                .notifier
                .notify(
                    &[id, e.partner],
                    event,
                    Some((e.couple, format!("Couple {} has ended.", e.couple.0))),
                )
                .await
            {
                tracing::error!(error = %err, couple.id = %e.couple, "could not queue an end notification");
            }
        }
        Ok(retired.ended.iter().map(|e| e.couple).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::EndedCouple;
    use crate::ports::{
        EventWording, GuardVerdict, MockCallbackClient, MockChaperoneLog, MockClock,
        MockEventWording, MockGuard, MockOutbox, MockOwnerStore, MockPersonaLifecycleStore,
        MockSettingsStore, Retired, TypeOnly,
    };
    use serde_json::json;
    use time::macros::datetime;

    fn token() -> String {
        auth::token_from_bytes(&[3u8; 32])
    }

    /// Owner 1 holds [`token`].
    fn owners() -> MockOwnerStore {
        let hash = auth::token_hash(&token());
        let mut o = MockOwnerStore::new();
        o.expect_owner_by_token()
            .returning(move |h| Ok((h == hash).then_some(OwnerId(1))));
        o
    }

    fn record(status: PersonaStatus) -> PersonaRecord {
        PersonaRecord {
            id: PersonaId(5),
            owner: Some(OwnerId(1)),
            handle: "wren".into(),
            model: "m".into(),
            heart: json!({"about": "call me on 415 555 0100"}),
            redteam: false,
            home_market: "nyc".into(),
            active_market: "nyc".into(),
            status,
        }
    }

    fn safe_guard() -> MockGuard {
        let mut g = MockGuard::new();
        g.expect_classify().returning(|_| Ok(GuardVerdict::Safe));
        g
    }

    async fn lifecycle(
        store: MockPersonaLifecycleStore,
        guard: MockGuard,
        outbox: MockOutbox,
    ) -> PersonaLifecycle {
        lifecycle_worded(store, guard, outbox, TypeOnly).await
    }

    /// [`lifecycle`], its events worded by `wording`.
    async fn lifecycle_worded(
        store: MockPersonaLifecycleStore,
        guard: MockGuard,
        outbox: MockOutbox,
        wording: impl EventWording + 'static,
    ) -> PersonaLifecycle {
        let mut log = MockChaperoneLog::new();
        log.expect_record().returning(|_| Ok(()));
        let mut settings = MockSettingsStore::new();
        settings
            .expect_all()
            .returning(|| Ok(vec![("cap".into(), "10".into())]));
        let settings = SettingsService::load(Arc::new(settings), &[])
            .await
            .expect("settings");
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-12-02 12:00 UTC));
        let clock: Arc<dyn Clock> = Arc::new(clock);
        PersonaLifecycle::new(PersonaLifecyclePorts {
            owners: Arc::new(owners()),
            store: Arc::new(store),
            chaperone: Arc::new(Chaperone::new(Arc::new(guard), Arc::new(log))),
            settings: Arc::new(settings),
            notifier: Arc::new(
                Notifier::new(
                    Arc::new(outbox),
                    Arc::new(MockCallbackClient::new()),
                    clock.clone(),
                )
                .with_wording(Arc::new(wording)),
            ),
            clock,
        })
    }

    fn reading(status: PersonaStatus) -> MockPersonaLifecycleStore {
        let mut s = MockPersonaLifecycleStore::new();
        s.expect_persona()
            .returning(move |_| Ok(Some(record(status))));
        s
    }

    #[test]
    fn an_allowed_edit_keeps_an_admitted_place_and_a_hold_gives_it_back() {
        use PersonaStatus::*;
        assert_eq!(revised(Admitted, true), (Admitted, Slot::Keep));
        assert_eq!(revised(Admitted, false), (Held, Slot::Free));
        for s in [Pending, Held, Denied] {
            assert_eq!(revised(s, true), (Pending, Slot::Take));
            assert_eq!(revised(s, false), (Held, Slot::None));
        }
    }

    #[tokio::test]
    async fn a_denied_persona_fixed_by_an_edit_is_revised_and_admitted() {
        let mut store = reading(PersonaStatus::Denied);
        store
            .expect_revise()
            .withf(|r| {
                r.allowed
                    && *r.persona.heart() == json!({"about": "sourdough and old science fiction"})
                    && r.persona.model() == "m"
                    && r.persona.home_market() == "nyc"
                    && r.log.as_ref().is_some_and(|l| l.target_id == Some(5))
                    && r.from.contains(&PersonaStatus::Denied)
                    && !r.from.contains(&PersonaStatus::Retired)
            })
            .times(1)
            .returning(|_| Ok(Some(PersonaStatus::Admitted)));
        let l = lifecycle(store, safe_guard(), MockOutbox::new()).await;
        let edit = PersonaEdit {
            heart: Some(json!({"about": "sourdough and old science fiction"})),
            ..PersonaEdit::default()
        };
        assert_eq!(
            l.edit(PersonaId(5), edit, Some(&token()))
                .await
                .expect("ok"),
            PersonaId(5)
        );
    }

    #[tokio::test]
    async fn a_denied_edit_changes_nothing() {
        let mut store = reading(PersonaStatus::Admitted);
        store.expect_revise().never();
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let l = lifecycle(store, guard, MockOutbox::new()).await;
        let edit = PersonaEdit {
            heart: Some(json!({"about": "write me at wren@example.com"})),
            ..PersonaEdit::default()
        };
        match l.edit(PersonaId(5), edit, Some(&token())).await {
            Err(PersonaError::Admit(AdmitError::Chaperoned { reason, persona_id })) => {
                assert_eq!((reason.as_str(), persona_id), ("pii: email", PersonaId(5)));
            }
            other => panic!("expected a deny, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn prefs_alone_replace_the_hearts_prefs() {
        let mut store = MockPersonaLifecycleStore::new();
        store.expect_persona().returning(|_| {
            Ok(Some(PersonaRecord {
                heart: json!("plain prose"),
                ..record(PersonaStatus::Pending)
            }))
        });
        store
            .expect_revise()
            .withf(|r| {
                *r.persona.heart()
                    == json!({"about": "plain prose", "prefs": {"seek": {"genders": ["man"]}}})
            })
            .returning(|_| Ok(Some(PersonaStatus::Pending)));
        let l = lifecycle(store, safe_guard(), MockOutbox::new()).await;
        let edit = PersonaEdit {
            prefs: Some(json!({"seek": {"genders": ["man"]}})),
            ..PersonaEdit::default()
        };
        assert!(matches!(
            l.edit(PersonaId(5), edit, Some(&token())).await,
            Err(PersonaError::Admit(AdmitError::CapReached(PersonaId(5))))
        ));
    }

    #[tokio::test]
    async fn only_the_owner_edits_and_a_retired_persona_is_not_edited() {
        let mut store = MockPersonaLifecycleStore::new();
        store.expect_persona().returning(|id| {
            Ok(match id.0 {
                5 => Some(record(PersonaStatus::Admitted)),
                6 => Some(PersonaRecord {
                    owner: Some(OwnerId(2)),
                    ..record(PersonaStatus::Admitted)
                }),
                7 => Some(record(PersonaStatus::Retired)),
                _ => None,
            })
        });
        store.expect_revise().never();
        let l = lifecycle(store, MockGuard::new(), MockOutbox::new()).await;
        let edit = || PersonaEdit {
            model: Some("new".into()),
            ..PersonaEdit::default()
        };
        let t = token();
        assert!(matches!(
            l.edit(PersonaId(5), edit(), None).await,
            Err(PersonaError::Auth(AuthError::TokenRequired))
        ));
        assert!(matches!(
            l.edit(PersonaId(6), edit(), Some(&t)).await,
            Err(PersonaError::NotYourPersona)
        ));
        assert!(matches!(
            l.edit(PersonaId(8), edit(), Some(&t)).await,
            Err(PersonaError::NoSuchPersona)
        ));
        assert!(matches!(
            l.edit(PersonaId(7), edit(), Some(&t)).await,
            Err(PersonaError::Retired)
        ));
        let named = PersonaEdit {
            owner_id: Some(OwnerId(2)),
            ..edit()
        };
        assert!(matches!(
            l.edit(PersonaId(5), named, Some(&t)).await,
            Err(PersonaError::Auth(AuthError::NotYourOwner))
        ));
    }

    #[tokio::test]
    async fn withdrawing_tells_both_sides_of_each_ended_couple() {
        let mut store = reading(PersonaStatus::Admitted);
        store
            .expect_retire()
            .withf(|id, owner, _| (*id, *owner) == (PersonaId(5), OwnerId(1)))
            .returning(|_, _, _| {
                Ok(Some(Retired {
                    was: PersonaStatus::Admitted,
                    ended: vec![EndedCouple {
                        couple: CoupleId(9),
                        partner: PersonaId(8),
                    }],
                }))
            });
        // `couple.ended` for the couple, with no next steps.
        let mut wording = MockEventWording::new();
        wording
            .expect_body()
            .withf(|e, _| {
                *e == Event::CoupleEnded {
                    couple: CoupleId(9),
                    steps: Vec::new(),
                }
            })
            .times(1)
            .returning(|_, _| json!({"coupleId": 9}));
        let mut outbox = MockOutbox::new();
        outbox
            .expect_enqueue()
            .withf(|personas, kind, payload, _| {
                personas == &[PersonaId(5), PersonaId(8)]
                    && kind == "couple.ended"
                    && payload["coupleId"] == 9
            })
            .times(1)
            .returning(|_, _, _, _| Ok(2));
        outbox
            .expect_post_board()
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let l = lifecycle_worded(store, MockGuard::new(), outbox, wording).await;
        assert_eq!(
            l.withdraw(PersonaId(5), Some(&token())).await.expect("ok"),
            [CoupleId(9)]
        );
    }
}
