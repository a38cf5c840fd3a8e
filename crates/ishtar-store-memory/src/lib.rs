//! In-memory adapter for every store port of the domain: [`MemoryStore`].
//!
//! **Not durable: everything is lost when the process exits; for demos, tests and
//! embedding.** One process only: two processes each have their own venue.
//!
//! It mirrors `ishtar-store-postgres` (the reference) table by table: rows live in
//! `BTreeMap`s keyed by the integer ids a Postgres sequence would hand out (from 1,
//! monotonic, never reused), and each port method runs under one `std::sync::Mutex`, held
//! briefly and never across an `.await`, so every method is one atomic unit as a
//! transaction is there: the admission cap, one settle per order, unique handles,
//! idempotent webhooks and outbox leases hold under any concurrency. Checks that can refuse
//! a write run before anything is changed, so a refused call leaves no trace.
//!
//! Private values the Postgres store seals (contact pointers, callback secrets, invite
//! tokens) are kept as they are, in memory only, and returned exactly where the Postgres
//! store decrypts them, nowhere else.
//!
//! Time comes from the ports' arguments; the [`Clock`] given to [`MemoryStore::new`] only
//! stamps what Postgres stamps with `now()` (a setting's `updated_at`).
//!
//! Depends on the domain only: no Postgres, diesel or HTTP crate.

mod console;
mod couples;
mod erasure;
mod escalation;
mod events;
mod matchmaking;
mod outbox;
mod owners;
mod payments;
mod personas;
mod state;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ishtar_domain::ports::Clock;
use time::OffsetDateTime;

use crate::state::State;

/// The wall clock, for [`MemoryStore::default`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Every store port of the domain, in memory. Cheap to clone: clones share one venue.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// The venue-wide beat lock (`MatchStore::try_lock_beat`).
    beat: Arc<AtomicBool>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl Default for MemoryStore {
    /// An empty venue on the wall clock.
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    /// An empty venue (no owners, cap counter at zero); `clock` stamps what Postgres
    /// stamps with `now()`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                beat: Arc::new(AtomicBool::new(false)),
                clock,
            }),
        }
    }

    /// The state, locked. A panic under the lock cannot leave a half-applied write behind
    /// (checks run before changes), so a poisoned lock is taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    pub(crate) fn beat_flag(&self) -> &Arc<AtomicBool> {
        &self.inner.beat
    }
}
