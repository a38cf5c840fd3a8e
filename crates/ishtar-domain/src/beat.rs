//! The matchmaker's beat (design.md §3 "Matchmaker", steps 1–8).
//!
//! One beat at a time across every instance (the store's advisory lock). A beat:
//! 1. re-screens held personas and admits pending ones, oldest first, within the cap;
//! 2. embeds admitted hearts that have no vector for the current model (cached in the store
//!    by heart hash and model, and in memory here, so only new or changed hearts are
//!    embedded or loaded);
//! 3. pairs the eligible personas with [`crate::matcher::match_beat`] (design steps 3–6:
//!    mutual hard filters, mutual top-k, greedy; adjacency fallback without embeddings);
//! 4. creates each couple idempotently and publishes its gambit (the writer's draft if
//!    the chaperone allows it, else a neutral placeholder);
//! 5. notifies both agents and posts on the notifications board.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::chaperone::{Chaperone, Surface, Verdict};
use crate::error::StoreError;
use crate::matcher::{self, Candidate, MatchError, MatchParams, NeighbourSearch};
use crate::model::{CapOutcome, CoupleId, NewTurn, PersonaStatus, TurnStatus};
use crate::notify::{Event, Notifier};
use crate::ports::{
    Clock, CoupleStore, EligiblePersona, Embedder, Ids, MatchStore, PersonaSketch, PersonaStore,
    Writer,
};
use crate::prefs::Prefs;
use crate::sanitize;
use crate::settings::SettingsService;

/// How many hearts one beat embeds at most (the rest wait for the next beat).
pub const EMBED_PER_BEAT: u32 = 2048;
/// How many held personas one beat re-screens at most.
pub const RECHECK_PER_BEAT: u32 = 256;

/// What a beat did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatReport {
    pub cycle_id: String,
    /// Pairs the matcher found this beat.
    pub pairs: usize,
    /// Couples newly created (a pair that already existed is not created twice).
    pub created: usize,
}

/// Why a beat did not run.
#[derive(Debug, thiserror::Error)]
pub enum BeatError {
    /// Another beat holds the lock.
    #[error("a beat is already running")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Match(#[from] MatchError),
}

/// The neutral opening published when the writer is unavailable or its draft is refused.
pub fn placeholder_gambit(a: &str, b: &str) -> String {
    format!("The matchmaker introduces {a} and {b}. Say hello.")
}

/// The ports and services the matchmaker needs.
pub struct MatchmakerParts {
    pub store: Arc<dyn MatchStore>,
    pub couples: Arc<dyn CoupleStore>,
    pub personas: Arc<dyn PersonaStore>,
    pub embedder: Arc<dyn Embedder>,
    pub writer: Arc<dyn Writer>,
    pub search: Arc<dyn NeighbourSearch + Send>,
    pub chaperone: Arc<Chaperone>,
    pub settings: Arc<SettingsService>,
    pub notifier: Arc<Notifier>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
}

/// The matchmaker.
pub struct Matchmaker {
    p: MatchmakerParts,
    /// heart hash → unit vector, for the embedder's current model.
    vectors: Mutex<HashMap<String, Arc<[f32]>>>,
}

impl Matchmaker {
    pub fn new(parts: MatchmakerParts) -> Self {
        Self {
            p: parts,
            vectors: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one beat.
    ///
    /// # Errors
    /// [`BeatError::Busy`] when another beat runs; store and matcher errors.
    #[tracing::instrument(skip_all, fields(trigger))]
    pub async fn beat(&self, trigger: &'static str) -> Result<BeatReport, BeatError> {
        let Some(_lease) = self.p.store.try_lock_beat().await? else {
            return Err(BeatError::Busy);
        };
        let started = self.p.clock.now();
        let cycle_id = self.p.ids.uuid();
        // Re-read: another instance (or the console) may have changed a setting.
        let settings = self.p.settings.reload().await?;

        self.recheck_held(&settings.denylist).await?;
        self.admit_pending(settings.cap).await?;
        let model = self.p.embedder.model();
        let embedded = self.embed_missing(&model).await;

        let eligible = self.p.store.eligible_personas().await?;
        let excluded: HashSet<_> = self.p.store.past_pairs().await?.into_iter().collect();
        let vectors = match embedded {
            Ok(()) => self.vectors_for(&model, &eligible).await?,
            Err(()) => None,
        };
        let candidates: Vec<Candidate> = eligible
            .iter()
            .enumerate()
            .map(|(i, e)| Candidate {
                id: e.id,
                owner: e.owner,
                redteam: e.redteam,
                active_market: e.active_market.clone(),
                prefs: Prefs::from_heart(&e.heart).ok().flatten(),
                admitted_seq: i as i64,
            })
            .collect();
        let dims = self.p.embedder.dimensions();
        let pairs = matcher::match_beat(
            &candidates,
            vectors.as_deref(),
            dims,
            &excluded,
            MatchParams::from_settings(&settings),
            &*self.p.search,
        )?;

        let by_id: HashMap<_, _> = eligible.iter().map(|e| (e.id, e)).collect();
        let mut created = 0;
        for pair in &pairs {
            let (Some(a), Some(b)) = (by_id.get(&pair.a), by_id.get(&pair.b)) else {
                continue;
            };
            let couple = self
                .p
                .store
                .create_couple(
                    pair.a,
                    pair.b,
                    cycle_id.clone(),
                    pair.similarity,
                    self.p.clock.now(),
                )
                .await?;
            if let Some(couple) = couple {
                created += 1;
                self.open_courtship(couple, a, b, &settings.denylist)
                    .await?;
            }
        }
        let finished = self.p.clock.now();
        self.p
            .store
            .record_beat(
                cycle_id.clone(),
                trigger,
                pairs.len() as i32,
                created as i32,
                started,
                finished,
            )
            .await?;
        tracing::info!(
            pairs = pairs.len(),
            created,
            eligible = eligible.len(),
            "beat done"
        );
        Ok(BeatReport {
            cycle_id,
            pairs: pairs.len(),
            created,
        })
    }

    async fn recheck_held(&self, denylist: &crate::chaperone::Denylist) -> Result<(), StoreError> {
        for held in self.p.store.held_personas(RECHECK_PER_BEAT).await? {
            let text = format!("{}\n{}", held.handle, sanitize::json_text(&held.heart));
            let verdict = self
                .p
                .chaperone
                .screen(Surface::Heart, &text, denylist)
                .await;
            let now = self.p.clock.now();
            match &verdict {
                Verdict::Allow => {
                    self.p
                        .store
                        .resolve_held(held.id, PersonaStatus::Pending, "allowed".into(), now)
                        .await?;
                }
                Verdict::Deny(reason) => {
                    self.p
                        .store
                        .resolve_held(held.id, PersonaStatus::Denied, reason.clone(), now)
                        .await?;
                }
                Verdict::Hold(_) => continue,
            }
            self.p
                .chaperone
                .record(Surface::Heart, "persona", Some(held.id.0), &verdict, now)
                .await;
        }
        Ok(())
    }

    async fn admit_pending(&self, cap: u32) -> Result<(), StoreError> {
        for id in self.p.store.pending_personas(1024).await? {
            if self
                .p
                .personas
                .admit_within_cap(id, cap, self.p.clock.now())
                .await?
                == CapOutcome::Full
            {
                break;
            }
        }
        Ok(())
    }

    /// Embeds hearts without a vector. `Err(())` when the embedder failed: the beat then
    /// pairs by adjacency (design.md §3 step 6).
    async fn embed_missing(&self, model: &str) -> Result<(), ()> {
        let missing = match self
            .p
            .store
            .hearts_missing_embedding(model.to_owned(), EMBED_PER_BEAT)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "could not list hearts to embed");
                return Err(());
            }
        };
        if missing.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = missing
            .iter()
            .map(|(_, h)| sanitize::json_text(h))
            .collect();
        match self.p.embedder.embed(texts).await {
            Ok(vectors) if vectors.len() == missing.len() => {
                let rows: Vec<_> = missing.into_iter().map(|(h, _)| h).zip(vectors).collect();
                if let Err(e) = self
                    .p
                    .store
                    .save_embeddings(model.to_owned(), rows, self.p.clock.now())
                    .await
                {
                    tracing::error!(error = %e, "could not store embeddings");
                    return Err(());
                }
                Ok(())
            }
            Ok(_) => {
                tracing::error!("the embedder returned the wrong number of vectors");
                Err(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "embedder unavailable; adjacency fallback");
                Err(())
            }
        }
    }

    /// Row-major vectors for `eligible`, loading only hashes not yet in memory. `None`
    /// when any eligible persona lacks a vector (they are embedded on a later beat; the
    /// venue pairs by adjacency meanwhile rather than leave them out silently).
    async fn vectors_for(
        &self,
        model: &str,
        eligible: &[EligiblePersona],
    ) -> Result<Option<Vec<f32>>, StoreError> {
        let dims = self.p.embedder.dimensions();
        let missing: Vec<String> = {
            let cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            let mut seen = HashSet::new();
            eligible
                .iter()
                .filter(|e| !cache.contains_key(&e.heart_hash) && seen.insert(e.heart_hash.clone()))
                .map(|e| e.heart_hash.clone())
                .collect()
        };
        if !missing.is_empty() {
            let loaded = self.p.store.embeddings(model.to_owned(), missing).await?;
            let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            for (hash, v) in loaded {
                if v.len() == dims {
                    cache.insert(hash, v.into());
                }
            }
        }
        let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        // Keep only hearts still in play: an erased owner's vector leaves memory too, and
        // the cache stays bounded by the eligible set (others reload from the store).
        let live: HashSet<&str> = eligible.iter().map(|e| e.heart_hash.as_str()).collect();
        cache.retain(|hash, _| live.contains(hash.as_str()));
        let mut out = Vec::with_capacity(eligible.len() * dims);
        for e in eligible {
            match cache.get(&e.heart_hash) {
                Some(v) => out.extend_from_slice(v),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    async fn open_courtship(
        &self,
        couple: CoupleId,
        a: &EligiblePersona,
        b: &EligiblePersona,
        denylist: &crate::chaperone::Denylist,
    ) -> Result<(), StoreError> {
        let sketch = |e: &EligiblePersona| PersonaSketch {
            handle: e.handle.clone(),
            heart_text: sanitize::json_text(&e.heart),
        };
        let draft = match self.p.writer.gambit(sketch(a), sketch(b)).await {
            Ok(text) => {
                let text = sanitize::clean(&text).trim().to_owned();
                let verdict = self
                    .p
                    .chaperone
                    .screen(Surface::Gambit, &text, denylist)
                    .await;
                self.p
                    .chaperone
                    .record(
                        Surface::Gambit,
                        "couple",
                        Some(couple.0),
                        &verdict,
                        self.p.clock.now(),
                    )
                    .await;
                verdict.is_allow().then_some(text).filter(|t| !t.is_empty())
            }
            Err(e) => {
                tracing::warn!(error = %e, "writer unavailable; placeholder gambit");
                None
            }
        };
        let body = draft.unwrap_or_else(|| placeholder_gambit(&a.handle, &b.handle));
        self.p
            .couples
            .insert_turn(
                NewTurn {
                    couple,
                    author_persona: None,
                    author: "matchmaker".into(),
                    body,
                    status: TurnStatus::Published,
                    reason: "allowed".into(),
                },
                self.p.clock.now(),
            )
            .await?;
        let event = |partner: &EligiblePersona| Event {
            kind: "couple.formed",
            payload: serde_json::json!({"coupleId": couple.0, "partner": partner.handle}),
        };
        let line = format!(
            "A new couple formed: {} and {} (couple {}).",
            a.handle, b.handle, couple.0
        );
        // Each side hears about its own partner; one board line for both.
        if let Err(e) = self.p.notifier.notify(&[a.id], event(b), Some(line)).await {
            tracing::error!(error = %e, "could not queue a couple notification");
        }
        if let Err(e) = self.p.notifier.notify(&[b.id], event(a), None).await {
            tracing::error!(error = %e, "could not queue a couple notification");
        }
        Ok(())
    }
}
