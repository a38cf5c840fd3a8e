//! Admission (docs/rules.md#admission-order): adult gate → chaperone → atomic capacity cap,
//! in that order.

use std::sync::Arc;

use crate::auth::{self, AuthError};
use crate::chaperone::{Chaperone, Verdict};
use crate::error::StoreError;
use crate::model::{Handle, HandleError, NewPersona, OwnerId, PersonaId, PersonaStatus};
use crate::ports::{
    ChaperoneEntry, Clock, OwnerStore, PersonaLifecycleStore, PersonaStore, Revision, Surface,
};
use crate::sanitize;
use crate::settings::SettingsService;
use crate::states::PersonaEvent;

/// The only age attestation the door accepts.
pub const ADULT: &str = "18+";

pub use crate::model::{RESERVED_HANDLES, is_reserved_handle};

/// A persona asking to be admitted (shape already validated by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct AdmitPersona {
    /// The owner asking; required (docs/rules.md#admission-order, step 0).
    pub owner_id: Option<OwnerId>,
    /// The wanted public handle; cleaned, then refused if taken or reserved.
    pub handle: String,
    /// The model name the agent declares (free text, sanitised, shown to the operator).
    pub model: String,
    /// The age attestation; only exactly [`ADULT`] (`18+`) passes the adult gate.
    pub persona_age: String,
    /// An object or a string.
    pub heart: serde_json::Value,
    /// Marks a red-team persona, matched only with other red-team personas.
    pub redteam: bool,
    /// The home market's wire name; `None` takes the owner's latest doc's.
    pub home_market: Option<String>,
    /// The active market's wire name; `None` takes the owner's latest doc's.
    pub active_market: Option<String>,
}

/// Why a persona was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// `persona_age` was not `18+`; nothing stored.
    #[error("adult-only venue")]
    NotAdult,
    /// The chaperone held or denied the persona; it is stored with that verdict.
    #[error("{reason}")]
    Chaperoned {
        /// The verdict's reason (`denylist: <label>`, `pii: <kind>`, `guard_unavailable: …`).
        reason: String,
        /// The persona as stored, `held` (screened again by later beats) or `denied`.
        persona_id: PersonaId,
    },
    /// The venue is full; the persona waits as `pending`.
    #[error("cap reached")]
    CapReached(PersonaId),
    /// The handle belongs to another persona, or is a [reserved handle](RESERVED_HANDLES)
    /// (409); nothing stored.
    #[error("handle taken")]
    HandleTaken,
    /// The owner has no dating doc on file to admit a persona under (404).
    #[error("no such owner")]
    NoSuchOwner,
    /// The owner token is missing, unknown or another owner's ([`AuthError`]).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed; nothing more is known.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HandleError> for AdmitError {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::Reserved => AdmitError::HandleTaken,
        }
    }
}

/// The admission door.
pub struct Admission {
    owners: Arc<dyn OwnerStore>,
    personas: Arc<dyn PersonaStore>,
    /// A taken handle may be the owner's own denied or withdrawn persona (issue 12).
    lifecycle: Arc<dyn PersonaLifecycleStore>,
    chaperone: Arc<Chaperone>,
    settings: Arc<SettingsService>,
    clock: Arc<dyn Clock>,
}

/// The door's answer for a persona stored with `status` after `verdict`: its id when
/// admitted, else the refusal the agent is told (chaperone, then cap).
///
/// # Errors
/// [`AdmitError::Chaperoned`] for a hold or deny, [`AdmitError::CapReached`] for a persona
/// left pending.
pub(crate) fn outcome(
    id: PersonaId,
    status: PersonaStatus,
    verdict: &Verdict,
) -> Result<PersonaId, AdmitError> {
    if !verdict.is_allow() {
        return Err(AdmitError::Chaperoned {
            reason: verdict.reason().to_owned(),
            persona_id: id,
        });
    }
    match status {
        PersonaStatus::Admitted => Ok(id),
        _ => Err(AdmitError::CapReached(id)),
    }
}

impl Admission {
    /// Wires the door to its ports (done once, in `bins/ishtar`).
    pub fn new(
        owners: Arc<dyn OwnerStore>,
        personas: Arc<dyn PersonaStore>,
        lifecycle: Arc<dyn PersonaLifecycleStore>,
        chaperone: Arc<Chaperone>,
        settings: Arc<SettingsService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            owners,
            personas,
            lifecycle,
            chaperone,
            settings,
            clock,
        }
    }

    /// Checks the owner (step 0), then runs the three gates.
    ///
    /// # Errors
    /// See [`AdmitError`]; every non-admit is an error carrying what the agent is told.
    #[tracing::instrument(skip_all, fields(owner.id = ?cmd.owner_id))]
    pub async fn admit(
        &self,
        cmd: AdmitPersona,
        bearer: Option<&str>,
    ) -> Result<PersonaId, AdmitError> {
        // 0. Owner: who may act comes before any gate, and a persona needs an owner and
        //    that owner's token (docs/rules.md#admission-order): an ownerless persona could
        //    take a cap slot but never court or escalate. A stranger learns nothing about the door.
        //    One read answers both "is this the owner's token?" and "what is its latest doc?".
        let owner = cmd.owner_id.ok_or(AuthError::TokenRequired)?;
        let (actual, latest) = self
            .owners
            .owner_with_latest_heart(auth::bearer_hash(bearer)?)
            .await?
            .ok_or(AuthError::TokenRequired)?;
        auth::same_owner(actual, owner)?;
        let latest = Some(latest.ok_or(AdmitError::NoSuchOwner)?);

        // 1. Adult gate: nothing is stored for a refusal here.
        if cmd.persona_age != ADULT {
            return Err(AdmitError::NotAdult);
        }

        // A reserved handle (or its lookalike) is taken: nothing stored, no one asked.
        let handle = Handle::parse(&cmd.handle)?;

        // 2. Chaperone: the handle is published, so it is screened with the heart.
        let heart = sanitize::clean_json(cmd.heart);
        let text = format!("{handle}\n{}", sanitize::screen_text(&heart));
        let settings = self.settings.current();
        let verdict = self
            .chaperone
            .screen(Surface::Heart, &text, &settings.denylist)
            .await;

        let home_market = cmd
            .home_market
            .or_else(|| latest.as_ref().map(|l| l.home_market.as_str().to_owned()))
            .unwrap_or_else(|| "other".to_owned());
        let active_market = cmd
            .active_market
            .or_else(|| latest.as_ref().map(|l| l.active_market.as_str().to_owned()))
            .unwrap_or_else(|| "remote".to_owned());
        // The persona machine's door: the chaperone's verdict is the status it enters in.
        let event = match verdict {
            Verdict::Allow => PersonaEvent::Allowed,
            Verdict::Hold(_) => PersonaEvent::Held,
            Verdict::Deny(_) => PersonaEvent::Denied,
        };
        // The three screening events all enter (never `Err`); a hold is the safe fallback.
        let status = PersonaStatus::enter(event).unwrap_or(PersonaStatus::Held);
        let now = self.clock.now();
        let persona = NewPersona::new(
            cmd.owner_id,
            handle,
            &cmd.model,
            heart,
            cmd.redteam,
            &home_market,
            &active_market,
        );
        // 3. The cap, for an allowed persona only, granted atomically by the store in the
        //    same write that stores the persona and the chaperone's log line.
        let log = ChaperoneEntry::new(Surface::Heart, "persona", None, &verdict, now);
        let cap = verdict.is_allow().then_some(settings.cap);
        // Kept for the rare taken handle: it may be this owner's to take back.
        let again = persona.clone();
        let (id, stored) = match self
            .personas
            .insert_persona(persona, status, log, cap)
            .await
        {
            Ok(written) => written,
            Err(StoreError::Conflict("handle")) => {
                self.resubmit(owner, again, &verdict, settings.cap).await?
            }
            Err(e) => return Err(e.into()),
        };
        outcome(id, stored, &verdict)
    }

    /// A taken handle that is the owner's own denied or withdrawn persona: that persona is
    /// revised in place with what was posted (everything but the handle, which it keeps),
    /// as a `PATCH` would (`personas.rs`): a deny changes nothing, an allow or a hold is
    /// stored and an allowed persona takes a free cap place. Anyone else's handle, or a
    /// live persona's, stays taken.
    async fn resubmit(
        &self,
        owner: OwnerId,
        p: NewPersona,
        verdict: &Verdict,
        cap: u32,
    ) -> Result<(PersonaId, PersonaStatus), AdmitError> {
        let mine = self
            .lifecycle
            .persona_by_handle(p.handle().as_str().to_owned())
            .await?
            .filter(|rec| {
                rec.owner == Some(owner)
                    && matches!(rec.status, PersonaStatus::Denied | PersonaStatus::Retired)
            })
            .ok_or(AdmitError::HandleTaken)?;
        let now = self.clock.now();
        if let Verdict::Deny(_) = verdict {
            // A deny: nothing changes; the verdict is logged against the persona.
            self.chaperone
                .record(Surface::Heart, "persona", Some(mine.id.0), verdict, now)
                .await;
            return Ok((mine.id, mine.status));
        }
        let retry = vec![PersonaStatus::Denied, PersonaStatus::Retired];
        let rev = Revision::new(mine.id, owner, retry, p, verdict, true, cap, now);
        // Taken back by a concurrent post of the same owner: the handle is taken now.
        let stored = self
            .lifecycle
            .revise(rev)
            .await?
            .ok_or(AdmitError::HandleTaken)?;
        Ok((mine.id, stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{
        GuardVerdict, MockChaperoneLog, MockClock, MockGuard, MockOwnerStore,
        MockPersonaLifecycleStore, MockPersonaStore, MockSettingsStore, PersonaRecord,
    };
    use time::macros::datetime;

    /// An admission whose owner store knows [`token`] as owner 1's, as often as asked.
    async fn admission(personas: MockPersonaStore, guard: MockGuard) -> Admission {
        let hash = auth::token_hash(&token());
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_with_latest_heart()
            .withf(move |h| *h == hash)
            .returning(|_| Ok(Some((OwnerId(1), Some(latest())))));
        admission_with(owners, personas, guard).await
    }

    /// Owner 1's token.
    fn token() -> String {
        auth::token_from_bytes(&[7u8; 32])
    }

    async fn admission_with(
        owners: MockOwnerStore,
        personas: MockPersonaStore,
        guard: MockGuard,
    ) -> Admission {
        admission_full(owners, personas, MockPersonaLifecycleStore::new(), guard).await
    }

    async fn admission_full(
        owners: MockOwnerStore,
        personas: MockPersonaStore,
        lifecycle: MockPersonaLifecycleStore,
        guard: MockGuard,
    ) -> Admission {
        let mut log = MockChaperoneLog::new();
        log.expect_record().returning(|_| Ok(()));
        let mut store = MockSettingsStore::new();
        store
            .expect_all()
            .returning(|| Ok(vec![("cap".into(), "1".into())]));
        let settings = SettingsService::load(Arc::new(store), &[])
            .await
            .expect("settings");
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-11-23 12:00 UTC));
        Admission::new(
            Arc::new(owners),
            Arc::new(personas),
            Arc::new(lifecycle),
            Arc::new(Chaperone::new(Arc::new(guard), Arc::new(log))),
            Arc::new(settings),
            Arc::new(clock),
        )
    }

    fn safe_guard() -> MockGuard {
        let mut g = MockGuard::new();
        g.expect_classify().returning(|_| Ok(GuardVerdict::Safe));
        g
    }

    fn adult() -> AdmitPersona {
        AdmitPersona {
            owner_id: Some(OwnerId(1)),
            handle: "wren".into(),
            model: "claude".into(),
            persona_age: "18+".into(),
            heart: serde_json::json!({"about": "quiet mornings, loud opinions about bread"}),
            redteam: false,
            home_market: None,
            active_market: None,
        }
    }

    #[tokio::test]
    async fn the_adult_gate_stores_nothing_and_asks_no_one() {
        let mut personas = MockPersonaStore::new();
        personas.expect_insert_persona().never();
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let a = admission(personas, guard).await;
        for age in ["17", "18", "adult", ""] {
            let cmd = AdmitPersona {
                persona_age: age.into(),
                ..adult()
            };
            assert!(matches!(
                a.admit(cmd, Some(&token())).await,
                Err(AdmitError::NotAdult)
            ));
        }
    }

    #[tokio::test]
    async fn a_full_venue_leaves_the_persona_pending() {
        let mut personas = MockPersonaStore::new();
        personas
            .expect_insert_persona()
            .withf(|_, status, log, cap| {
                *status == PersonaStatus::Pending && log.verdict == "allow" && *cap == Some(1)
            })
            .times(1)
            .returning(|_, _, _, _| Ok((PersonaId(7), PersonaStatus::Pending)));
        let a = admission(personas, safe_guard()).await;
        assert!(matches!(
            a.admit(adult(), Some(&token())).await,
            Err(AdmitError::CapReached(PersonaId(7)))
        ));
    }

    #[tokio::test]
    async fn a_guard_outage_holds_the_persona_and_takes_no_slot() {
        let mut personas = MockPersonaStore::new();
        personas
            .expect_insert_persona()
            .withf(|_, status, log, cap| {
                *status == PersonaStatus::Held
                    && log.verdict == "hold"
                    && log.reason.starts_with("guard_unavailable")
                    && cap.is_none()
            })
            .returning(|_, status, _, _| Ok((PersonaId(3), status)));
        let mut guard = MockGuard::new();
        guard
            .expect_classify()
            .returning(|_| Err(crate::ProviderError::unavailable("down")));
        let a = admission(personas, guard).await;
        let r = a.admit(adult(), Some(&token())).await;
        assert!(
            matches!(
                r,
                Err(AdmitError::Chaperoned {
                    persona_id: PersonaId(3),
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn personal_data_in_the_handle_is_denied() {
        let mut personas = MockPersonaStore::new();
        personas
            .expect_insert_persona()
            .withf(|_, status, log, cap| {
                *status == PersonaStatus::Denied && log.verdict == "deny" && cap.is_none()
            })
            .returning(|_, status, _, _| Ok((PersonaId(3), status)));
        let a = admission(personas, safe_guard()).await;
        let cmd = AdmitPersona {
            handle: "mail me@x.io".into(),
            ..adult()
        };
        match a.admit(cmd, Some(&token())).await {
            Err(AdmitError::Chaperoned { reason, .. }) => assert_eq!(reason, "pii: email"),
            other => panic!("expected a deny, got {other:?}"),
        }
    }

    #[test]
    fn reserved_handles_and_their_lookalikes_are_reserved() {
        for h in [
            "matchmaker",
            "matchmak\u{0435}r",
            "M4tchmaker",
            "\u{FF4D}\u{FF41}\u{FF54}\u{FF43}\u{FF48}maker",
            "Match-Maker",
            "ISHTAR",
            "1shtar",
            "adm1n",
            "[erased]",
            "erased",
        ] {
            assert!(is_reserved_handle(h), "{h}");
        }
        for h in ["wren", "matchmaker2", "ishtar_fan", "administrator", ""] {
            assert!(!is_reserved_handle(h), "{h}");
        }
    }

    #[tokio::test]
    async fn a_reserved_handle_is_taken_before_any_gate_stores_anything() {
        let mut personas = MockPersonaStore::new();
        personas.expect_insert_persona().never();
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let a = admission(personas, guard).await;
        let cmd = AdmitPersona {
            handle: "matchmak\u{0435}r".into(),
            ..adult()
        };
        assert!(matches!(
            a.admit(cmd, Some(&token())).await,
            Err(AdmitError::HandleTaken)
        ));
    }

    #[tokio::test]
    async fn an_allowed_persona_within_the_cap_is_admitted() {
        let mut personas = MockPersonaStore::new();
        personas.expect_insert_persona().returning(|p, _, log, _| {
            assert_eq!(p.owner_id(), Some(OwnerId(1)));
            assert_eq!((log.target_type, log.target_id), ("persona", None));
            Ok((PersonaId(1), PersonaStatus::Admitted))
        });
        let a = admission(personas, safe_guard()).await;
        assert_eq!(
            a.admit(adult(), Some(&token())).await.expect("admitted"),
            PersonaId(1)
        );
    }

    #[tokio::test]
    async fn a_persona_without_an_owner_is_refused_before_any_gate() {
        // Even with a valid token: an ownerless persona could take a cap slot but never
        // court. Nothing is looked up, screened or stored.
        let mut owners = MockOwnerStore::new();
        owners.expect_owner_with_latest_heart().never();
        let mut personas = MockPersonaStore::new();
        personas.expect_insert_persona().never();
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let a = admission_with(owners, personas, guard).await;
        for bearer in [None, Some(token())] {
            let cmd = AdmitPersona {
                owner_id: None,
                ..adult()
            };
            assert!(matches!(
                a.admit(cmd, bearer.as_deref()).await,
                Err(AdmitError::Auth(AuthError::TokenRequired))
            ));
        }
    }

    fn owned(owner: i64) -> AdmitPersona {
        AdmitPersona {
            owner_id: Some(OwnerId(owner)),
            ..adult()
        }
    }

    fn latest() -> crate::model::LatestHeart {
        crate::model::LatestHeart {
            heart_file_id: crate::model::HeartFileId(9),
            version: 3,
            home_market: crate::model::HomeMarket::Nyc,
            active_market: crate::model::ActiveMarket::BayArea,
        }
    }

    /// An owner store where `token` belongs to `owner`, whose latest doc is [`latest`].
    fn owner_of(token: &str, owner: i64) -> MockOwnerStore {
        let hash = auth::token_hash(token);
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_with_latest_heart()
            .withf(move |h| *h == hash)
            .times(1)
            .returning(move |_| Ok(Some((OwnerId(owner), Some(latest())))));
        owners
    }

    #[tokio::test]
    async fn a_named_owner_needs_its_own_token_before_any_gate() {
        let token = auth::token_from_bytes(&[5u8; 32]);
        // One read answers both questions; it finds owner 2 for this token.
        let owners = owner_of(&token, 2);
        let mut personas = MockPersonaStore::new();
        personas.expect_insert_persona().never();
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let a = admission_with(owners, personas, guard).await;
        assert!(matches!(
            a.admit(owned(1), Some(&token)).await,
            Err(AdmitError::Auth(AuthError::NotYourOwner))
        ));
        // No token, or one not shaped like an owner token: refused without a lookup.
        for bearer in [None, Some("not-a-token")] {
            assert!(matches!(
                a.admit(owned(1), bearer).await,
                Err(AdmitError::Auth(AuthError::TokenRequired))
            ));
        }
    }

    #[tokio::test]
    async fn the_owners_latest_doc_gives_the_markets_it_does_not_name() {
        let token = auth::token_from_bytes(&[6u8; 32]);
        let owners = owner_of(&token, 1);
        let mut personas = MockPersonaStore::new();
        personas
            .expect_insert_persona()
            .withf(|p, _, _, _| {
                p.owner_id() == Some(OwnerId(1))
                    && p.home_market() == "nyc"
                    && p.active_market() == "bay_area"
            })
            .returning(|_, _, _, _| Ok((PersonaId(4), PersonaStatus::Admitted)));
        let a = admission_with(owners, personas, safe_guard()).await;
        assert_eq!(
            a.admit(owned(1), Some(&token)).await.expect("admitted"),
            PersonaId(4)
        );
    }

    /// A store whose every insert finds the handle taken.
    fn taken() -> MockPersonaStore {
        let mut personas = MockPersonaStore::new();
        personas
            .expect_insert_persona()
            .returning(|_, _, _, _| Err(StoreError::Conflict("handle")));
        personas
    }

    /// A lifecycle store holding `wren` (persona 7) for `owner`, in `status`.
    fn holding(owner: i64, status: PersonaStatus) -> MockPersonaLifecycleStore {
        let mut l = MockPersonaLifecycleStore::new();
        l.expect_persona_by_handle()
            .withf(|h| h == "wren")
            .returning(move |_| {
                Ok(Some(PersonaRecord {
                    id: PersonaId(7),
                    owner: Some(OwnerId(owner)),
                    handle: "Wren".into(),
                    model: "old".into(),
                    heart: serde_json::json!({"about": "call 415 555 0100"}),
                    redteam: false,
                    home_market: "nyc".into(),
                    active_market: "nyc".into(),
                    status,
                }))
            });
        l
    }

    #[tokio::test]
    async fn the_owner_takes_a_denied_or_withdrawn_handle_back() {
        for status in [PersonaStatus::Denied, PersonaStatus::Retired] {
            let mut lifecycle = holding(1, status);
            lifecycle
                .expect_revise()
                .withf(|r| {
                    r.id == PersonaId(7)
                        && r.owner == OwnerId(1)
                        && r.allowed
                        && r.persona.model() == "claude"
                        && r.from == [PersonaStatus::Denied, PersonaStatus::Retired]
                })
                .times(1)
                .returning(|_| Ok(Some(PersonaStatus::Admitted)));
            let a = admission_full(owner_of(&token(), 1), taken(), lifecycle, safe_guard()).await;
            assert_eq!(
                a.admit(adult(), Some(&token())).await.expect("admitted"),
                PersonaId(7)
            );
        }
    }

    #[tokio::test]
    async fn a_denied_resubmission_changes_nothing() {
        let mut lifecycle = holding(1, PersonaStatus::Denied);
        lifecycle.expect_revise().never();
        let a = admission_full(owner_of(&token(), 1), taken(), lifecycle, safe_guard()).await;
        let cmd = AdmitPersona {
            heart: serde_json::json!({"about": "still 415 555 0100"}),
            ..adult()
        };
        match a.admit(cmd, Some(&token())).await {
            Err(AdmitError::Chaperoned { reason, persona_id }) => {
                assert_eq!(
                    (reason.as_str(), persona_id),
                    ("pii: phone number", PersonaId(7))
                );
            }
            other => panic!("expected a deny, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn another_owners_handle_or_a_live_one_stays_taken() {
        for (owner, status) in [
            (2, PersonaStatus::Denied),
            (1, PersonaStatus::Admitted),
            (1, PersonaStatus::Pending),
            (1, PersonaStatus::Held),
        ] {
            let mut lifecycle = holding(owner, status);
            lifecycle.expect_revise().never();
            let a = admission_full(owner_of(&token(), 1), taken(), lifecycle, safe_guard()).await;
            assert!(
                matches!(
                    a.admit(adult(), Some(&token())).await,
                    Err(AdmitError::HandleTaken)
                ),
                "{owner} {status:?}"
            );
        }
    }
}
