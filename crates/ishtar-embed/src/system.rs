//! The venue's own machinery on the host: the wall clock, the operating system's
//! randomness, and a Tokio runtime for long work. (Moved here from `bins/ishtar`, which
//! re-exports them under their old names.)

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{BoxFuture, Clock, Ids, Offload};

/// The wall clock (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// The operating system's CSPRNG: owner tokens, callback secrets, challenge uuids.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIds;

impl Ids for OsIds {
    fn secret_bytes(&self) -> [u8; 32] {
        use rand::RngCore as _;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        b
    }

    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// Runs a beat on the runtime the venue was built on (the binary's main Tokio runtime),
/// not on the HTTP workers, which have runtimes of their own, and the matcher's CPU work on
/// that runtime's blocking pool: a beat at scale never occupies a request worker.
#[derive(Debug, Clone)]
pub struct TokioOffload {
    handle: tokio::runtime::Handle,
}

impl TokioOffload {
    /// The runtime this is called on.
    ///
    /// # Panics
    /// Outside a Tokio runtime (use [`TokioOffload::try_current`] to ask first).
    pub fn current() -> Self {
        Self::new(tokio::runtime::Handle::current())
    }

    /// The runtime this is called on, or `None` outside one.
    pub fn try_current() -> Option<Self> {
        tokio::runtime::Handle::try_current().ok().map(Self::new)
    }

    /// Work runs on the runtime behind `handle`.
    pub fn new(handle: tokio::runtime::Handle) -> Self {
        Self { handle }
    }
}

type Done = BoxFuture<'static, Result<(), ProviderError>>;

fn joined(handle: tokio::task::JoinHandle<()>) -> Done {
    Box::pin(async move {
        handle
            .await
            .map_err(|e| ProviderError::unavailable(e.to_string()))
    })
}

impl Offload for TokioOffload {
    fn run_blocking(&self, job: Box<dyn FnOnce() + Send + 'static>) -> Done {
        joined(self.handle.spawn_blocking(job))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> Done {
        joined(self.handle.spawn(task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_ids_are_fresh_each_time() {
        assert_ne!(OsIds.secret_bytes(), OsIds.secret_bytes());
        let (a, b) = (OsIds.uuid(), OsIds.uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36, "hyphenated: {a}");
    }

    #[test]
    fn there_is_no_offload_outside_a_runtime() {
        assert!(TokioOffload::try_current().is_none());
    }

    #[tokio::test]
    async fn the_offload_runs_jobs_and_tasks_on_the_runtime() {
        let offload = TokioOffload::try_current().expect("inside a runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        offload
            .run_blocking(Box::new(move || tx.send(6 * 7).expect("sent")))
            .await
            .expect("ran");
        assert_eq!(rx.recv().expect("received"), 42);
        let failed = offload.spawn(Box::pin(async { panic!("boom") })).await;
        assert!(matches!(failed, Err(ProviderError::Unavailable { .. })));
    }
}
