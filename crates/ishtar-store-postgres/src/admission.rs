//! Group admission: personas arriving at the door together share one transaction.
//!
//! Every admission increments the one `capacity` row, and Postgres holds that row's lock
//! until the commit is flushed, so one-at-a-time admissions are bounded by the commit
//! latency (about 800 a second measured on the benchmark machine) and, under load, every
//! other request queues behind them. Like Postgres's own group commit, a persona that
//! arrives while a batch is being written joins the next batch, and each batch is one
//! statement (statements::InsertPersonas) that takes the lock and flushes once. A persona
//! that arrives alone is a batch of one.
//!
//! The batch keeps every rule of [`PersonaStore::insert_persona`]: a taken handle is
//! refused with nothing written for it, slots go in arrival order and never past the cap,
//! and the cap check and the slot are atomic (the row lock). If a batch fails as a whole
//! (say an owner was erased under it), each of its personas is retried alone, so one
//! persona's failure is never another's.
//!
//! Limits, known and accepted: the writer runs on the runtime of the request that started
//! it, and if that runtime shuts down mid-group (the server stopping) its callers are told
//! "unavailable" although the group may have committed, so a retry can find its own handle
//! taken. A group stuck in the database (no statement timeout is set) holds up the door of
//! this process, as a stuck `capacity` lock held up every admission before.
//!
//! [`PersonaStore::insert_persona`]: ishtar_domain::ports::PersonaStore::insert_persona

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use diesel::result::Error as DieselError;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::oneshot;

use ishtar_domain::StoreError;
use ishtar_domain::model::{NewPersona, PersonaId, PersonaStatus};
use ishtar_domain::ports::ChaperoneEntry;
use ishtar_domain::states::{PersonaEvent, StateMachine};

use crate::db::PgPool;
use crate::statements::InsertPersonas;
use crate::store::db_err;

/// The most personas one transaction writes.
const MAX_BATCH: usize = 64;

/// What the door answers for one persona: its id and the status stored.
pub(crate) type Outcome = Result<(PersonaId, PersonaStatus), StoreError>;

/// One persona waiting to be written.
pub(crate) struct Job {
    pub persona: NewPersona,
    pub status: PersonaStatus,
    pub log: ChaperoneEntry,
    pub cap: Option<u32>,
}

impl Job {
    /// Whether this persona asks for a cap slot (only one the persona machine lets take a
    /// place, an allowed, pending one, does).
    pub fn wants_slot(&self) -> bool {
        self.cap.is_some() && self.status.on(PersonaEvent::TookPlace).is_ok()
    }
}

struct Waiting {
    job: Job,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    /// A writer task is running: it takes whatever waits before it stops.
    writing: bool,
}

/// The door's queue; one per store.
#[derive(Default)]
pub(crate) struct AdmissionQueue {
    state: Mutex<State>,
}

impl AdmissionQueue {
    /// Queues `job` and waits for its outcome, starting a writer if none is running.
    pub(crate) async fn submit(self: &Arc<Self>, pool: &PgPool, job: Job) -> Outcome {
        // The writer is a task of its own, so a caller that goes away strands no one.
        let runtime = tokio::runtime::Handle::try_current().map_err(StoreError::unavailable)?;
        let (reply, outcome) = oneshot::channel();
        let start = {
            let mut state = self.lock();
            state.waiting.push(Waiting { job, reply });
            !std::mem::replace(&mut state.writing, true)
        };
        if start {
            runtime.spawn(write_batches(self.clone(), pool.clone()));
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(StoreError::unavailable("the admission writer stopped")))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next batch in arrival order, or `None` (and no writer) when nothing waits. A
    /// persona whose handle matches one already in the batch waits for the next one, so it
    /// gets its own answer rather than a conflict with a persona that may yet fail (the
    /// statement also refuses a second row with the same `lower(handle)`, for the case
    /// where Rust's and Postgres's lower-casing differ).
    fn next_batch(&self) -> Option<Vec<Waiting>> {
        let mut state = self.lock();
        if state.waiting.is_empty() {
            state.writing = false;
            return None;
        }
        let mut handles = HashSet::new();
        let mut batch = Vec::new();
        let mut rest = Vec::new();
        for w in state.waiting.drain(..) {
            if batch.len() < MAX_BATCH
                && handles.insert(w.job.persona.handle().as_str().to_lowercase())
            {
                batch.push(w);
            } else {
                rest.push(w);
            }
        }
        state.waiting = rest;
        Some(batch)
    }
}

/// Cleans up after a writer that is dropped mid-batch (its runtime shut down): what still
/// waits is failed rather than left waiting for a writer that is gone, and the next
/// persona starts a new one. A writer that ran dry already cleared `writing` under the
/// lock (`next_batch`), and a newer writer may own the flag by now, so then it does nothing.
struct WriterGuard {
    queue: Arc<AdmissionQueue>,
    ran_dry: bool,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if self.ran_dry {
            return;
        }
        let mut state = self.queue.lock();
        state.writing = false;
        for w in state.waiting.drain(..) {
            let _ = w
                .reply
                .send(Err(StoreError::unavailable("the admission writer stopped")));
        }
    }
}

async fn write_batches(queue: Arc<AdmissionQueue>, pool: PgPool) {
    let mut guard = WriterGuard {
        queue,
        ran_dry: false,
    };
    while let Some(batch) = guard.queue.next_batch() {
        let (jobs, replies): (Vec<Job>, Vec<_>) =
            batch.into_iter().map(|w| (w.job, w.reply)).unzip();
        let outcomes = write(&pool, &jobs).await;
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // The caller may have gone away; its persona is written all the same.
            let _ = reply.send(outcome);
        }
    }
    guard.ran_dry = true;
}

/// Writes a batch in one statement; if that fails as a whole, each persona alone.
async fn write(pool: &PgPool, jobs: &[Job]) -> Vec<Outcome> {
    let mut conn = match pool.get().await {
        Ok(conn) => conn,
        Err(e) => {
            let e = e.to_string();
            return jobs
                .iter()
                .map(|_| Err(StoreError::unavailable(e.clone())))
                .collect();
        }
    };
    match write_together(&mut conn, jobs).await {
        Ok(outcomes) => outcomes,
        Err(e) if jobs.len() > 1 => {
            tracing::warn!(error = %e, personas = jobs.len(), "group admission failed; writing each alone");
            let mut outcomes = Vec::with_capacity(jobs.len());
            for job in jobs {
                let alone = write_together(&mut conn, std::slice::from_ref(job)).await;
                outcomes.push(alone.map_err(db_err).and_then(|mut o| {
                    o.pop()
                        .unwrap_or_else(|| Err(StoreError::unavailable("no outcome")))
                }));
            }
            outcomes
        }
        Err(e) => vec![Err(db_err(e))],
    }
}

/// One statement (statements::InsertPersonas): the personas whose handle is free, their
/// log lines and their slots. A persona with no row back lost its handle.
async fn write_together(
    c: &mut AsyncPgConnection,
    jobs: &[Job],
) -> Result<Vec<Outcome>, DieselError> {
    let written: Vec<(i32, i64, String)> = InsertPersonas::new(jobs).load(c).await?;
    let mut outcomes: Vec<Outcome> = jobs
        .iter()
        .map(|_| Err(StoreError::Conflict("handle")))
        .collect();
    for (ord, id, status) in written {
        let Some(i) = usize::try_from(ord).ok().filter(|i| *i < jobs.len()) else {
            continue;
        };
        let status = PersonaStatus::parse(&status).unwrap_or(jobs[i].status);
        outcomes[i] = Ok((PersonaId(id), status));
    }
    Ok(outcomes)
}
