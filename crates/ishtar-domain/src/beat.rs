//! The matchmaker's beat (docs/rules.md#the-beat; docs/matcher.md).
//!
//! One beat at a time across every instance (the store's advisory lock). A beat:
//! 1. screens held personas and held dating-doc versions again, and admits pending
//!    personas, oldest first, within the cap;
//! 2. loads the eligible personas (admitted; an owner with a verified agent endpoint; no
//!    couple in `courting`, `committed` or `brokered`) — hard-filter inputs and content
//!    hashes only, no text;
//! 3. makes sure each one's matching profile ([`crate::profile`]) has a vector: from
//!    memory, else from the store's cache, else embedded now, in batches with bounded
//!    concurrency. A profile whose batch failed waits for the next beat; the beat pairs by
//!    adjacency only when the embedder failed every call and nobody has a vector;
//! 4. pairs them with the pure matcher ([`crate::matcher`]: mutual hard filters, mutual
//!    top-k, greedy), on the [`Offload`] port so its CPU work never runs on a request
//!    worker;
//! 5. drafts each couple's gambit with bounded concurrency, chaperones it (a refused or
//!    failed draft becomes the neutral placeholder);
//! 6. writes every couple, opening turn, log line, board line and notification set-wise in
//!    one transaction ([`MatchStore::write_beat`]; a pair that exists is skipped whole);
//! 7. records what it did, stage by stage.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;

use crate::chaperone::{Chaperone, Denylist, Verdict};
use crate::error::{ProviderError, StoreError};
use crate::matcher::{Candidate, MatchError, MatchParams, Pair, Prepared};
use crate::model::{CapOutcome, PersonaId, PersonaStatus};
use crate::offload;
use crate::ports::{
    BeatRecord, ChaperoneEntry, Clock, EligiblePersona, Embedder, Event, Ids, MatchStore,
    NeighbourSearch, NewCouple, Offload, PersonaSketch, PersonaStore, Recipient, Surface, Writer,
};
use crate::profile;
use crate::sanitize;
use crate::settings::SettingsService;

/// New vectors are stored this many at a time, while the next batches are embedded.
const SAVE_CHUNK: usize = 4096;

/// How many held personas, and how many held doc versions, one beat screens again.
pub const RECHECK_PER_BEAT: u32 = 256;

/// How a beat spreads its provider calls. Every bound is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatOptions {
    /// Profiles per embedding call.
    pub embed_batch: usize,
    /// Embedding calls in flight at once.
    pub embed_concurrency: usize,
    /// Gambit drafts (writer call + chaperone) in flight at once.
    pub gambit_concurrency: usize,
}

impl Default for BeatOptions {
    fn default() -> Self {
        BeatOptions {
            embed_batch: 256,
            embed_concurrency: 4,
            gambit_concurrency: 8,
        }
    }
}

/// What a beat did.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatReport {
    /// This beat's id (a fresh UUID from the [`Ids`] port); the beat record, its log lines and
    /// the `{"cycleId"}` of `POST /admin/actions/beat` all carry it.
    pub cycle_id: String,
    /// Pairs the matcher found this beat.
    pub pairs: usize,
    /// Couples newly created (a pair that already existed is not created twice).
    pub created: usize,
    /// Whether pairs were chosen by semantic fit (false: the adjacency fallback).
    pub semantic: bool,
    /// Eligible personas.
    pub eligible: usize,
    /// Profiles embedded this beat.
    pub embedded: usize,
    /// Profiles whose embedding failed this beat (they wait for the next).
    pub embed_failed: usize,
    /// Eligible personas left out of the pairing for want of a vector.
    pub skipped: usize,
    /// Notifications queued.
    pub notified: usize,
    /// (stage, milliseconds), in the order the stages ran.
    pub stages: Vec<(String, u64)>,
    /// Milliseconds from start to finish.
    pub total_ms: u64,
}

/// Why a beat did not run.
#[derive(Debug, thiserror::Error)]
pub enum BeatError {
    /// Another beat holds the lock.
    #[error("a beat is already running")]
    Busy,
    /// The store failed: taking the lock, loading the eligible set or writing the couples.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The matcher refused its input (a persona twice, vectors of the wrong length) or the
    /// neighbour search failed; nothing was written.
    #[error(transparent)]
    Match(#[from] MatchError),
    /// The beat, or the matcher's job, could not run off the request workers.
    #[error("the beat could not run: {0}")]
    Offload(ProviderError),
}

/// The neutral opening published when the writer is unavailable or its draft is refused.
pub fn placeholder_gambit(a: &str, b: &str) -> String {
    format!("The matchmaker introduces {a} and {b}. Say hello.")
}

/// What one member's agents are told when its couple forms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Formed<'a> {
    /// The couple that just formed (state `courting`).
    pub couple: crate::model::CoupleId,
    /// The member's own persona.
    pub persona: PersonaId,
    /// The partner persona's public handle, the name the agent addresses it by.
    pub partner_handle: &'a str,
    /// The partner's public profile ([`profile::text`]: its owner's latest allowed
    /// dating-doc prose, then its own heart's prose; never prefs, never `contactRef`).
    pub partner_profile: &'a str,
    /// The pair's cosine similarity (`None`: paired by adjacency).
    pub fit: Option<f32>,
    /// The opening turn, as published.
    pub gambit: &'a str,
}

/// The `couple.formed` event one member's agents receive: enough to answer the gambit
/// without another call (the profile trimmed).
pub fn couple_formed(f: &Formed<'_>) -> Event {
    Event::CoupleFormed {
        couple: f.couple,
        persona: f.persona,
        partner: f.partner_handle.to_owned(),
        partner_profile: f.partner_profile.trim().to_owned(),
        fit: f.fit,
        gambit: f.gambit.to_owned(),
        steps: crate::next_steps::after_couple_formed(f.couple),
    }
}

/// The ports and services the matchmaker needs.
pub struct MatchmakerParts {
    /// The beat's own store: the lock, the eligible set, cached vectors, the set-wise write.
    pub store: Arc<dyn MatchStore>,
    /// Held and pending personas: screened again and admitted within the cap at step 1.
    pub personas: Arc<dyn PersonaStore>,
    /// Embeds matching profiles that have no vector yet (step 3).
    pub embedder: Arc<dyn Embedder>,
    /// Drafts each new couple's opening gambit (step 5).
    pub writer: Arc<dyn Writer>,
    /// The kNN search the matcher ranks candidates with (an `ishtar-matcher` search in
    /// production, the brute-force reference in tests).
    pub search: Arc<dyn NeighbourSearch + Send>,
    /// Runs the beat and the matcher's CPU work off the HTTP and async workers.
    pub offload: Arc<dyn Offload>,
    /// Screens held personas, held doc versions and every drafted gambit.
    pub chaperone: Arc<Chaperone>,
    /// Live settings, reloaded at the start of each beat (`cap`, `match_k`, `min_fit`, …).
    pub settings: Arc<SettingsService>,
    /// The venue's clock: timestamps and stage timings.
    pub clock: Arc<dyn Clock>,
    /// Fresh ids: the beat's cycle id (couple ids come from the store).
    pub ids: Arc<dyn Ids>,
    /// Batch sizes and concurrency bounds for the provider calls.
    pub options: BeatOptions,
    /// Tells owners about personas a beat admitted or denied.
    pub notifier: Arc<crate::notify::Notifier>,
}

/// The matchmaker.
pub struct Matchmaker {
    p: MatchmakerParts,
    /// Profile key → unit vector, for the embedder's current model. Bounded by the
    /// eligible set: keys no longer in play are dropped each beat (they reload from the
    /// store if they come back).
    vectors: Mutex<HashMap<String, Arc<[f32]>>>,
}

/// Stage timings, on the venue's clock.
struct Stages {
    clock: Arc<dyn Clock>,
    last: OffsetDateTime,
    laps: Vec<(String, u64)>,
}

fn ms(from: OffsetDateTime, to: OffsetDateTime) -> u64 {
    u64::try_from((to - from).whole_milliseconds()).unwrap_or(0)
}

impl Stages {
    fn new(clock: Arc<dyn Clock>) -> Self {
        let last = clock.now();
        Stages {
            clock,
            last,
            laps: Vec::new(),
        }
    }
    fn lap(&mut self, name: &str) {
        let now = self.clock.now();
        self.laps.push((name.to_owned(), ms(self.last, now)));
        self.last = now;
    }
    fn add(&mut self, name: &str, millis: u64) {
        self.laps.push((name.to_owned(), millis));
    }
    fn restart(&mut self) {
        self.last = self.clock.now();
    }
}

/// What making sure every profile has a vector did.
#[derive(Debug, Default)]
struct Embedded {
    embedded: usize,
    failed: usize,
    calls: usize,
    failed_calls: usize,
    /// Profile text per persona, for the profiles embedded now (the gambits reuse them).
    texts: HashMap<PersonaId, String>,
    /// Milliseconds loading stored vectors and the texts to embed.
    load_ms: u64,
    /// Milliseconds embedding (and storing the vectors, overlapped with it).
    embed_ms: u64,
    /// Milliseconds storing the last vectors after the embedder was done.
    save_ms: u64,
}

impl Matchmaker {
    /// A matchmaker over `parts`, with an empty in-memory vector cache (it fills from the
    /// store's cache on the first beat).
    pub fn new(parts: MatchmakerParts) -> Self {
        Self {
            p: parts,
            vectors: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one beat on the background runtime (the [`Offload`] port), so a request that
    /// asks for one — the console's, say — waits for it without its worker doing the work.
    ///
    /// # Errors
    /// [`BeatError::Busy`] when another beat runs; store, matcher and offload errors.
    pub async fn beat(self: &Arc<Self>, trigger: &'static str) -> Result<BeatReport, BeatError> {
        let me = self.clone();
        offload::spawn(&*self.p.offload, async move { me.run(trigger).await })
            .await
            .map_err(BeatError::Offload)?
    }

    /// One beat, where it is awaited.
    #[tracing::instrument(skip_all, fields(trigger))]
    async fn run(&self, trigger: &'static str) -> Result<BeatReport, BeatError> {
        let Some(_lease) = self.p.store.try_lock_beat().await? else {
            return Err(BeatError::Busy);
        };
        let started = self.p.clock.now();
        let cycle_id = self.p.ids.uuid();
        let mut stages = Stages::new(self.p.clock.clone());
        // Re-read: another instance (or the console) may have changed a setting.
        let settings = self.p.settings.reload().await?;

        self.recheck_held(&settings.denylist).await?;
        self.recheck_held_docs(&settings.denylist).await?;
        self.admit_pending(settings.cap).await?;
        stages.lap("admit");

        let eligible = self.p.store.eligible_personas().await?;
        let excluded: HashSet<_> = self.p.store.past_pairs().await?.into_iter().collect();
        stages.lap("load");

        let model = self.p.embedder.model();
        let dims = self.p.embedder.dimensions();
        let keys: Vec<String> = eligible
            .iter()
            .map(|e| profile::key(e.doc_hash.as_deref(), &e.heart_hash))
            .collect();
        let embedded = self.ensure_vectors(&model, dims, &eligible, &keys).await?;
        let (vectors, have) = self.matrix(&keys, dims);
        let embedder_down = embedded.calls > 0 && embedded.failed_calls == embedded.calls;
        let semantic = !(embedder_down && have == 0);
        let skipped = if semantic { eligible.len() - have } else { 0 };
        stages.add("vectors.load", embedded.load_ms);
        stages.add("embed", embedded.embed_ms);
        stages.add("vectors.save", embedded.save_ms);
        stages.restart();

        let candidates: Vec<Candidate> = eligible
            .iter()
            .enumerate()
            .map(|(i, e)| Candidate {
                id: e.id,
                owner: Some(e.owner),
                redteam: e.redteam,
                active_market: e.active_market.clone(),
                prefs: profile::prefs(e.own_prefs.as_ref(), e.doc_prefs.as_ref()),
                admitted_seq: i64::try_from(i).unwrap_or(i64::MAX),
            })
            .collect();
        let params = MatchParams::from_settings(&settings);
        let search = self.p.search.clone();
        let clock = self.p.clock.clone();
        let vectors = semantic.then_some(vectors);
        let (pairs, timings) = offload::run(&*self.p.offload, move || {
            match_timed(
                &candidates,
                vectors.as_deref(),
                dims,
                &excluded,
                params,
                &*search,
                &*clock,
            )
        })
        .await
        .map_err(BeatError::Offload)??;
        stages.add("filters", timings[0]);
        stages.add("knn", timings[1]);
        stages.add("pairing", timings[2]);
        stages.restart();

        let couples = self
            .draft_couples(&pairs, &eligible, embedded.texts, &settings.denylist)
            .await?;
        stages.lap("gambits");
        let written = self
            .p
            .store
            .write_beat(cycle_id.clone(), couples, self.p.clock.now())
            .await?;
        stages.add("writes", written.couples_ms);
        stages.add("notifications", written.notifications_ms);
        stages.restart();

        let finished = self.p.clock.now();
        let report = BeatReport {
            cycle_id: cycle_id.clone(),
            pairs: pairs.len(),
            created: written.created.len(),
            semantic,
            eligible: eligible.len(),
            embedded: embedded.embedded,
            embed_failed: embedded.failed,
            skipped,
            notified: written.queued,
            stages: stages.laps,
            total_ms: ms(started, finished),
        };
        let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        self.p
            .store
            .record_beat(BeatRecord {
                cycle: cycle_id,
                trigger: trigger.to_owned(),
                pairs: n(report.pairs),
                created: n(report.created),
                started,
                finished,
                semantic,
                eligible: n(report.eligible),
                embedded: n(report.embedded),
                embed_failed: n(report.embed_failed),
                skipped: n(report.skipped),
                stages: report.stages.clone(),
            })
            .await?;
        tracing::info!(
            pairs = report.pairs,
            created = report.created,
            eligible = report.eligible,
            embedded = report.embedded,
            embed_failed = report.embed_failed,
            semantic,
            total_ms = report.total_ms,
            "beat done"
        );
        Ok(report)
    }

    /// The newest `limit` beats, newest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn recent(&self, limit: u32) -> Result<Vec<BeatRecord>, StoreError> {
        self.p.store.recent_beats(limit).await
    }

    async fn recheck_held(&self, denylist: &Denylist) -> Result<(), StoreError> {
        let mut denied = Vec::new();
        for held in self.p.store.held_personas(RECHECK_PER_BEAT).await? {
            let text = format!("{}\n{}", held.handle, sanitize::screen_text(&held.heart));
            let verdict = self
                .p
                .chaperone
                .screen(Surface::Heart, &text, denylist)
                .await;
            let now = self.p.clock.now();
            match &verdict {
                Verdict::Allow => {
                    let moved = self
                        .p
                        .store
                        .resolve_held(
                            held.id,
                            held.heart_hash.clone(),
                            PersonaStatus::Pending,
                            "allowed".into(),
                            now,
                        )
                        .await?;
                    if !moved {
                        continue;
                    }
                }
                Verdict::Deny(reason) => {
                    let moved = self
                        .p
                        .store
                        .resolve_held(
                            held.id,
                            held.heart_hash.clone(),
                            PersonaStatus::Denied,
                            reason.clone(),
                            now,
                        )
                        .await?;
                    if !moved {
                        // Edited while it was screened: the new heart is screened next beat.
                        continue;
                    }
                    let event = Event::PersonaDenied {
                        persona: held.id,
                        handle: held.handle.clone(),
                        reason: reason.clone(),
                        steps: crate::next_steps::after_denied_by_beat(held.id, reason),
                    };
                    denied.push(
                        self.p
                            .notifier
                            .event(Recipient::Persona(held.id), &event, now),
                    );
                }
                Verdict::Hold(_) => continue,
            }
            self.p
                .chaperone
                .record(Surface::Heart, "persona", Some(held.id.0), &verdict, now)
                .await;
        }
        // The decision stands even if the owner cannot be told now (logged).
        self.p.notifier.publish_logged(denied).await;
        Ok(())
    }

    /// Dating-doc versions held at intake (the guard was unavailable) are screened again;
    /// an allowed version takes effect in this very beat.
    async fn recheck_held_docs(&self, denylist: &Denylist) -> Result<(), StoreError> {
        for doc in self.p.store.held_docs(RECHECK_PER_BEAT).await? {
            let verdict = self
                .p
                .chaperone
                .screen(Surface::Heart, &profile::screened(&doc.heart), denylist)
                .await;
            if matches!(verdict, Verdict::Hold(_)) {
                continue;
            }
            let log = ChaperoneEntry::new(
                Surface::Heart,
                "heart_file",
                Some(doc.id.0),
                &verdict,
                self.p.clock.now(),
            );
            self.p
                .store
                .resolve_held_doc(doc.id, verdict.is_allow(), log)
                .await?;
        }
        Ok(())
    }

    async fn admit_pending(&self, cap: u32) -> Result<(), StoreError> {
        let mut admitted = Vec::new();
        for id in self.p.store.pending_personas(1024).await? {
            let now = self.p.clock.now();
            if self.p.personas.admit_within_cap(id, cap, now).await? == CapOutcome::Full {
                break;
            }
            let event = Event::PersonaAdmitted {
                persona: id,
                steps: crate::next_steps::after_admitted_by_beat(id),
            };
            admitted.push(self.p.notifier.event(Recipient::Persona(id), &event, now));
        }
        // Set-wise, before this beat's couple.formed events (so ids keep that order).
        self.p.notifier.publish_logged(admitted).await;
        Ok(())
    }

    /// Makes sure every eligible profile has a vector in memory: cached, else stored, else
    /// embedded now in batches (at most `embed_concurrency` calls in flight). Embedded
    /// vectors are stored batch by batch, so a later failure loses nothing.
    async fn ensure_vectors(
        &self,
        model: &str,
        dims: usize,
        eligible: &[EligiblePersona],
        keys: &[String],
    ) -> Result<Embedded, StoreError> {
        let mut out = Embedded::default();
        let started = self.p.clock.now();
        let live: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let not_in_memory: Vec<String> = {
            let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            // Keep only profiles still in play: an erased owner's vector leaves memory too.
            cache.retain(|k, _| live.contains(k.as_str()));
            let mut seen = HashSet::new();
            keys.iter()
                .filter(|k| !cache.contains_key(*k) && seen.insert(k.as_str()))
                .cloned()
                .collect()
        };
        if not_in_memory.is_empty() {
            out.load_ms = ms(started, self.p.clock.now());
            return Ok(out);
        }
        for chunk in not_in_memory.chunks(8192) {
            let loaded = self
                .p
                .store
                .embeddings(model.to_owned(), chunk.to_vec())
                .await?;
            let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            for (key, v) in loaded {
                if v.len() == dims {
                    cache.insert(key, v.into());
                }
            }
        }
        // One persona per missing key (two personas of one owner may share a profile).
        let to_embed: Vec<(PersonaId, String)> = {
            let cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            let mut seen = HashSet::new();
            eligible
                .iter()
                .zip(keys)
                .filter(|(_, k)| !cache.contains_key(*k) && seen.insert(k.as_str()))
                .map(|(e, k)| (e.id, k.clone()))
                .collect()
        };
        if to_embed.is_empty() {
            out.load_ms = ms(started, self.p.clock.now());
            return Ok(out);
        }
        let mut texts: HashMap<PersonaId, String> = HashMap::with_capacity(to_embed.len());
        for chunk in to_embed.chunks(8192) {
            let ids = chunk.iter().map(|(id, _)| *id).collect();
            for s in self.p.store.profile_sources(ids).await? {
                texts.insert(s.persona, profile::text(s.doc.as_ref(), &s.heart));
            }
            offload::yield_now().await;
        }
        let batch = self.p.options.embed_batch.max(1);
        let batches: Vec<Vec<(String, String)>> = to_embed
            .chunks(batch)
            .map(|chunk| {
                chunk
                    .iter()
                    .filter_map(|(id, key)| texts.get(id).map(|t| (key.clone(), t.clone())))
                    .collect()
            })
            .collect();
        let mut calls = Vec::with_capacity(batches.len());
        for b in batches {
            let embedder = self.p.embedder.clone();
            calls.push(async move {
                let (keys, texts): (Vec<String>, Vec<String>) = b.into_iter().unzip();
                let answer = embedder.embed(texts).await;
                (keys, answer)
            });
        }
        let mut results =
            stream::iter(calls).buffer_unordered(self.p.options.embed_concurrency.max(1));
        let embed_started = self.p.clock.now();
        out.load_ms = ms(started, embed_started);
        // New vectors are stored in chunks while the next batches are embedded: a local
        // embedder computes while Postgres writes, a gateway's calls stay in flight.
        let mut unsaved: Vec<(String, Vec<f32>)> = Vec::new();
        let mut saving: Option<crate::ports::BoxFuture<'_, Result<(), StoreError>>> = None;
        loop {
            let next = match saving.take() {
                Some(save) => {
                    let (saved, next) = futures_util::future::join(save, results.next()).await;
                    saved?;
                    next
                }
                None => results.next().await,
            };
            let Some((batch_keys, answer)) = next else {
                break;
            };
            out.calls += 1;
            let vectors = match answer {
                Ok(v) if v.len() == batch_keys.len() => v,
                Ok(v) => {
                    tracing::error!(
                        expected = batch_keys.len(),
                        got = v.len(),
                        "the embedder returned the wrong number of vectors"
                    );
                    out.failed_calls += 1;
                    out.failed += batch_keys.len();
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, n = batch_keys.len(), "embedding batch failed; it waits for the next beat");
                    out.failed_calls += 1;
                    out.failed += batch_keys.len();
                    continue;
                }
            };
            let rows = batch_keys
                .into_iter()
                .zip(vectors)
                .filter(|(_, v)| v.len() == dims && v.iter().all(|x| x.is_finite()));
            {
                let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
                for (k, v) in rows {
                    cache.insert(k.clone(), v.as_slice().into());
                    unsaved.push((k, v));
                    out.embedded += 1;
                }
            }
            if unsaved.len() >= SAVE_CHUNK {
                let chunk = std::mem::take(&mut unsaved);
                saving = Some(self.p.store.save_embeddings(
                    model.to_owned(),
                    chunk,
                    self.p.clock.now(),
                ));
            }
            offload::yield_now().await;
        }
        let tail = self.p.clock.now();
        if let Some(save) = saving {
            save.await?;
        }
        if !unsaved.is_empty() {
            self.p
                .store
                .save_embeddings(model.to_owned(), unsaved, self.p.clock.now())
                .await?;
        }
        out.embed_ms = ms(embed_started, tail);
        out.save_ms = ms(tail, self.p.clock.now());
        out.texts = texts;
        Ok(out)
    }

    /// Row-major vectors in `keys` order (a zero row where a profile has none: the matcher
    /// leaves it out), and how many rows have one.
    fn matrix(&self, keys: &[String], dims: usize) -> (Vec<f32>, usize) {
        let cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(keys.len() * dims);
        let mut have = 0;
        for k in keys {
            match cache.get(k) {
                Some(v) => {
                    out.extend_from_slice(v);
                    have += 1;
                }
                None => out.resize(out.len() + dims, 0.0),
            }
        }
        (out, have)
    }

    /// Each pair's couple: a reserved id, its gambit (drafted and chaperoned with bounded
    /// concurrency; the placeholder when the writer fails or the chaperone refuses), its
    /// board line and its members' events.
    async fn draft_couples(
        &self,
        pairs: &[Pair],
        eligible: &[EligiblePersona],
        mut texts: HashMap<PersonaId, String>,
        denylist: &Denylist,
    ) -> Result<Vec<NewCouple>, StoreError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let by_id: HashMap<PersonaId, &EligiblePersona> =
            eligible.iter().map(|e| (e.id, e)).collect();
        let missing: Vec<PersonaId> = pairs
            .iter()
            .flat_map(|p| [p.a, p.b])
            .filter(|id| !texts.contains_key(id))
            .collect();
        for chunk in missing.chunks(8192) {
            for s in self.p.store.profile_sources(chunk.to_vec()).await? {
                texts.insert(s.persona, profile::text(s.doc.as_ref(), &s.heart));
            }
        }
        let ids = self.p.store.reserve_couple_ids(pairs.len()).await?;
        let texts = &texts;
        let sketch = |e: &EligiblePersona| PersonaSketch {
            handle: e.handle.clone(),
            heart_text: texts.get(&e.id).cloned().unwrap_or_default(),
        };
        let mut couples = Vec::with_capacity(pairs.len());
        let mut jobs = Vec::with_capacity(pairs.len());
        for (pair, id) in pairs.iter().zip(ids) {
            let (Some(a), Some(b)) = (by_id.get(&pair.a).copied(), by_id.get(&pair.b).copied())
            else {
                continue;
            };
            let (sa, sb) = (sketch(a), sketch(b));
            let (profile_a, profile_b) = (sa.heart_text.clone(), sb.heart_text.clone());
            let similarity = pair.similarity;
            jobs.push(async move {
                let (gambit, log) = self.gambit(id, sa, sb, denylist).await;
                let gambit = gambit.unwrap_or_else(|| placeholder_gambit(&a.handle, &b.handle));
                let at = self.p.clock.now();
                let formed = |me: &EligiblePersona, partner: &EligiblePersona, profile: &str| {
                    let event = couple_formed(&Formed {
                        couple: id,
                        persona: me.id,
                        partner_handle: &partner.handle,
                        partner_profile: profile,
                        fit: similarity,
                        gambit: &gambit,
                    });
                    self.p.notifier.body(&event, at)
                };
                let events = [
                    (a.id, formed(a, b, &profile_b)),
                    (b.id, formed(b, a, &profile_a)),
                ];
                NewCouple {
                    id,
                    a: a.id,
                    b: b.id,
                    similarity,
                    gambit_log: log,
                    board_line: format!(
                        "A new couple formed: {} and {} (couple {}).",
                        a.handle, b.handle, id.0
                    ),
                    events,
                    gambit,
                }
            });
        }
        let mut drafted =
            stream::iter(jobs).buffer_unordered(self.p.options.gambit_concurrency.max(1));
        while let Some(c) = drafted.next().await {
            couples.push(c);
            // A local writer and guard answer at once: let other tasks on this worker run.
            if couples.len() % 64 == 0 {
                offload::yield_now().await;
            }
        }
        couples.sort_by_key(|c| c.id);
        Ok(couples)
    }

    /// The writer's draft if the chaperone allows it (with the verdict's log line), else
    /// `None`; no log line when the writer failed.
    async fn gambit(
        &self,
        couple: crate::model::CoupleId,
        a: PersonaSketch,
        b: PersonaSketch,
        denylist: &Denylist,
    ) -> (Option<String>, Option<ChaperoneEntry>) {
        match self.p.writer.gambit(a, b).await {
            Ok(text) => {
                let text = sanitize::clean(&text).trim().to_owned();
                let verdict = self
                    .p
                    .chaperone
                    .screen(Surface::Gambit, &text, denylist)
                    .await;
                let log = ChaperoneEntry::new(
                    Surface::Gambit,
                    "couple",
                    Some(couple.0),
                    &verdict,
                    self.p.clock.now(),
                );
                let draft = verdict.is_allow().then_some(text).filter(|t| !t.is_empty());
                (draft, Some(log))
            }
            Err(e) => {
                tracing::debug!(error = %e, "writer unavailable; placeholder gambit");
                (None, None)
            }
        }
    }
}

/// The pure matcher, with its three steps timed: filters (compile), kNN, pairing (mutual
/// edges + greedy). Runs on the offload pool.
fn match_timed(
    candidates: &[Candidate],
    vectors: Option<&[f32]>,
    dims: usize,
    excluded: &HashSet<(PersonaId, PersonaId)>,
    params: MatchParams,
    search: &dyn NeighbourSearch,
    clock: &dyn Clock,
) -> Result<(Vec<Pair>, [u64; 3]), MatchError> {
    let t0 = clock.now();
    let prepared = Prepared::new(candidates, vectors, dims, excluded)?;
    let t1 = clock.now();
    if prepared.vectors().is_none() {
        let pairs = prepared.adjacency();
        return Ok((pairs, [ms(t0, t1), 0, ms(t1, clock.now())]));
    }
    let lists = prepared.neighbours(params, search)?;
    let t2 = clock.now();
    let edges = prepared.mutual_edges(&lists, params);
    let pairs = prepared.greedy(edges);
    Ok((pairs, [ms(t0, t1), ms(t1, t2), ms(t2, clock.now())]))
}
